#!/bin/sh
# Installs Veneer on an EFI system partition (docs/uefi.md).
#
#   tools/install-efi.sh ESP [OPTIONS] [--bootentry DISK PART]
#
# copies build/veneer.efi, build/veneer.elf and a veneer.cfg holding
# OPTIONS (the VMM's option line) to ESP/EFI/veneer/, and with --bootentry
# adds a UEFI boot entry "Veneer" for \EFI\veneer\veneer.efi on DISK
# partition PART (efibootmgr) and puts it first in BootOrder. It never
# touches an existing veneer.key (copy yours there yourself). Undo:
# tools/install-efi.sh --remove ESP.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --remove ]; then
    esp=$2
    rm -rf "$esp/EFI/veneer"
    # "Boot0004* Veneer" (efibootmgr 17), or with a tab and the device path
    # after the label (18)
    num=$(efibootmgr 2>/dev/null |
          sed -n 's/^Boot\([0-9A-F]\{4\}\)\*\{0,1\} Veneer\([[:space:]].*\)\{0,1\}$/\1/p' | head -1)
    [ -z "$num" ] || efibootmgr -q -b "$num" -B
    echo "install-efi: removed $esp/EFI/veneer${num:+ and boot entry Boot$num}"
    exit 0
fi
esp=${1:?usage: install-efi.sh ESP [OPTIONS] [--bootentry DISK PART]}
opts=${2:-}
[ -d "$esp" ] || { echo "install-efi: $esp is not a directory (mount the ESP)"; exit 1; }
mkdir -p "$esp/EFI/veneer"
cp "$here/build/veneer.efi" "$here/build/veneer.elf" "$esp/EFI/veneer/"
printf '%s\n' "$opts" >"$esp/EFI/veneer/veneer.cfg"
echo "install-efi: $esp/EFI/veneer/{veneer.efi,veneer.elf,veneer.cfg}"
if [ "${3:-}" = --bootentry ]; then
    efibootmgr -q -c -d "$4" -p "$5" -L Veneer -l '\EFI\veneer\veneer.efi'
    echo "install-efi: boot entry Veneer added first in BootOrder (efibootmgr)"
fi
