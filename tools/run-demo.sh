#!/bin/bash
# make run: the demo, a laptop whose whole disk is ciphertext. The test
# guest's disk (Debian's Linux with a busybox initramfs) is copied to
# build/demo/disk.img and encrypted whole with build/tools/vdisk under a key
# derived from the demo passphrase (PBKDF2-HMAC-SHA256). QEMU (TCG, SVM
# with nested paging, the pc machine and its IDE disk) boots build/demo/
# veneer.iso from its CD drive; Veneer asks for the passphrase on this
# terminal (and on the VGA screen), checks it against the key check value
# in its configuration, and boots the disk through its IDE mediator: the
# BIOS, GRUB and Linux read plaintext, the disk only ever holds ciphertext.
# The guest checks from inside that it runs under Veneer, writes and reads
# back a marker on its disk, and leaves you a shell.
# Ctrl-A X quits QEMU; `poweroff -f` in the guest ends the demo too.
#   DEMO_PASSPHRASE   the passphrase (default: "veneer demo")
#   DEMO_KDF_ITER     PBKDF2 iterations (default 200000, the VMM's default)
#   DEMO_DIR          where the image, ISO and passphrase go (default build/demo)
set -eu
cd "$(dirname "$0")/.."
pass=${DEMO_PASSPHRASE:-veneer demo}
iter=${DEMO_KDF_ITER:-200000}
vdisk=build/tools/vdisk
d=${DEMO_DIR:-build/demo}
mkdir -p "$d"
cp --sparse=always build/guest/disk.img "$d/disk.img"
# With 1 GiB of RAM the VMM's 32 MiB region sits at 0x3de00000 (the
# guest's e820 check looks for it to be absent).
tests/guest/set-params.sh "$d/disk.img" \
    "veneer.test=all veneer.hidden=0x3de00000-0x3fdfffff veneer.shell=1"
printf '%s\n' "$pass" >"$d/passphrase"
"$vdisk" derive-key --passphrase-file "$d/passphrase" --iterations "$iter" \
    --output "$d/disk.key" >/dev/null
"$vdisk" encrypt "$d/disk.img" --key-file "$d/disk.key" >/dev/null
kcv=$("$vdisk" kcv --key-file "$d/disk.key")
rm -f "$d/disk.key"
boot/mkiso.sh build/veneer.elf "$d/veneer.iso" \
    "vmm.crypt=ata/all/k0 vmm.key=prompt vmm.kcv=$kcv vmm.kdf_iter=$iter" \
    >"$d/mkiso.log" 2>&1 || { cat "$d/mkiso.log"; exit 1; }
cat >&2 <<EOF
veneer demo: $d/disk.img is encrypted whole (AES-256-XTS; the key comes
from the passphrase "$pass"). Veneer will ask for it: a wrong one is
refused and asked again. Ctrl-A X quits QEMU; the image stays ciphertext:
  $vdisk decrypt $d/disk.img --passphrase-file $d/passphrase --output PLAIN
EOF
exec qemu-system-x86_64 -nographic -no-reboot -m 1024 \
    -cpu EPYC,+svm,+npt -machine pc -nic none \
    -serial mon:stdio -display none \
    -cdrom "$d/veneer.iso" -boot order=d \
    -drive file="$d/disk.img",format=raw,if=ide,index=0,media=disk
