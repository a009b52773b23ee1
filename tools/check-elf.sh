#!/bin/sh
# tools/check-elf.sh ELF VENDOR: the image is a multiboot2 kernel, and a
# vendor-only build contains no symbol of the other backend.
set -eu
elf=$1 vendor=$2
if command -v grub-file >/dev/null && ! grub-file --is-x86-multiboot2 "$elf"; then
    echo "check-elf: $elf is not a multiboot2 image" >&2
    exit 1
fi
syms=$(nm "$elf")
case $vendor in
intel) bad=$(echo "$syms" | grep -E ' (svm_|amd_svm)' || true) ;;
amd) bad=$(echo "$syms" | grep -E ' (vmx_|intel_vmx)' || true) ;;
*) bad="" ;;
esac
if [ -n "$bad" ]; then
    echo "check-elf: the VENDOR=$vendor image contains the other backend:" >&2
    echo "$bad" | head >&2
    exit 1
fi
