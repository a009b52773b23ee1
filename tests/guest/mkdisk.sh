#!/bin/sh
# Builds the test guest's bootable hard-disk image without root or loop
# devices: a GRUB (i386-pc) rescue image made by grub-mkrescue, which boots
# as a hard disk through its hybrid MBR, with two partitions appended:
#
#   1  the ISO 9660 file system: /boot/vmlinuz, /boot/initrd.gz, GRUB
#   2  2 KiB   GRUB environment block: veneer_args (extra kernel params)
#   3  4 MiB   scratch area: sector 0 = "VENEER-SCRATCH v1" header, the
#              guest's disk check writes at byte 4096 onwards
#   4  SWAP_MB MiB (default 64) swap area (type 0x82), zeros: the s4 check
#              makes it swap and hibernates to it
#
# then padded to a whole number of 16-head/63-sector cylinders (Bochs).
# The ISO volume UUID (which GRUB searches for its root) comes from
# SOURCE_DATE_EPOCH, an unusual fixed value so that it differs from the
# Veneer CD's.
#
#   mkdisk.sh OUT.img KERNEL INITRD GRUB.CFG
set -eu
out=$1 kernel=$2 initrd=$3 cfg=$4
here=$(cd "$(dirname "$0")" && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1712345678}

tmp=$(mktemp -d "${out}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/iso/boot/grub"
cp "$kernel" "$tmp/iso/boot/vmlinuz"
cp "$initrd" "$tmp/iso/boot/initrd.gz"
cp "$cfg" "$tmp/iso/boot/grub/grub.cfg"
find "$tmp/iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# partition 2: an empty GRUB environment block (1 KiB), zero padded to 2 KiB
grub-editenv "$tmp/env1" create
{ cat "$tmp/env1"; cat /dev/zero; } 2>/dev/null | head -c 2048 >"$tmp/env"

# partition 3: the scratch area
{ printf 'VENEER-SCRATCH v1\nscratch area of the Veneer test guest; the disk check writes at byte 4096\n'; \
  cat /dev/zero; } 2>/dev/null | head -c $((4 * 1024 * 1024)) >"$tmp/scratch"

# partition 4: the swap area (zeros; the image is made sparse below)
truncate -s $((${SWAP_MB:-64} * 1024 * 1024)) "$tmp/swap"

# grub-mkrescue takes the volume date and UUID (which its embedded config
# searches for) from the clock: freeze it at SOURCE_DATE_EPOCH when
# faketime is there, for a bit-identical image.
fixed_time() {
    if command -v faketime >/dev/null; then
        TZ=UTC faketime -f "$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')" "$@"
    else
        "$@"
    fi
}
fixed_time grub-mkrescue -d /usr/lib/grub/i386-pc -o "$tmp/disk.img" \
    --fonts= --locales= --themes= \
    --install-modules="linux normal serial terminal terminfo loadenv regexp echo test iso9660 biosdisk search search_fs_uuid search_label configfile blocklist cat $(cd /usr/lib/grub/i386-pc && ls part_*.mod | sed "s/\.mod$//" | tr "\n" " ")" \
    "$tmp/iso" -- \
    -append_partition 2 0xda "$tmp/env" \
    -append_partition 3 0xda "$tmp/scratch" \
    -append_partition 4 0x82 "$tmp/swap" >"$tmp/log" 2>&1 || {
        cat "$tmp/log" >&2; exit 1; }

# whole cylinders of 16 heads x 63 sectors, for Bochs' geometry
size=$(stat -c %s "$tmp/disk.img")
cyl=$((16 * 63 * 512))
truncate -s $(( (size + cyl - 1) / cyl * cyl )) "$tmp/disk.img"
# the zeros of the swap area take no space (copies keep it sparse:
# lib.sh's guest_disk copies with --sparse=always)
fallocate --dig-holes "$tmp/disk.img" 2>/dev/null || true

"$here/set-params.sh" --check "$tmp/disk.img"
mv "$tmp/disk.img" "$out"
echo "mkdisk: $out: $(($(stat -c %s "$out") / 1024)) KiB"
