#!/bin/sh
# boot/mkiso.sh ELF OUT.iso "OPTIONS" [MODULE...]
# Builds a GRUB2 image bootable by BIOS and UEFI (grub-mkrescue) whose one
# menu entry is `multiboot2 /boot/veneer.elf OPTIONS` (plus module2 lines).
set -eu
[ $# -ge 3 ] || { echo "usage: $0 ELF OUT.iso OPTIONS [MODULE...]" >&2; exit 2; }
elf=$1 out=$2 opts=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/veneer-iso.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/veneer-iso-log.XXXXXX")
trap 'rm -rf "$tmp" "$log"' EXIT
mkdir -p "$tmp/boot/grub"
cp "$elf" "$tmp/boot/veneer.elf"
mods=""
for m in "$@"; do
    cp "$m" "$tmp/boot/$(basename "$m")"
    mods="$mods
    module2 /boot/$(basename "$m") $(basename "$m")"
done
cat >"$tmp/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "Veneer" {
    multiboot2 /boot/veneer.elf $opts$mods
    boot
}
CFG
grub-mkrescue -o "$out" "$tmp" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
