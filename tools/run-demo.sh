#!/bin/bash
# make run: the demo. QEMU (TCG, SVM with nested paging, q35) boots
# build/veneer.iso from its CD drive; Veneer takes over the machine and
# boots its first hard disk, a copy of the test guest (Debian's Linux with
# a busybox initramfs), which checks from inside that it runs under Veneer
# and then leaves you a shell. The console (Veneer's and the guest's) is
# this terminal. Quit QEMU with Ctrl-A X; `poweroff -f` in the guest ends
# the demo too.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/demo
cp --sparse=always build/guest/disk.img build/demo/disk.img
# With 1 GiB of RAM the VMM's 32 MiB region sits at 0x3de00000 (the
# guest's e820 check looks for it to be absent).
tests/guest/set-params.sh build/demo/disk.img \
    "veneer.test=all veneer.hidden=0x3de00000-0x3fdfffff veneer.shell=1"
echo "veneer demo: booting build/veneer.iso in QEMU; Ctrl-A X quits" >&2
exec qemu-system-x86_64 -nographic -no-reboot -m 1024 \
    -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -serial mon:stdio -display none \
    -cdrom build/veneer.iso -boot order=d \
    -drive file=build/demo/disk.img,format=raw,if=none,id=disk0 \
    -device ahci,id=ahci0 -device ide-hd,drive=disk0,bus=ahci0.0
