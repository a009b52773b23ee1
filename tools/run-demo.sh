#!/bin/bash
# make run: boots build/veneer.iso in QEMU (TCG, SVM with nested paging) with
# the serial console on this terminal; the guest disk, when it has been
# built (build/guest/disk.img), is the machine's first hard disk.
# Quit QEMU with Ctrl-A X.
set -eu
cd "$(dirname "$0")/.."
args=(-nographic -no-reboot -m 1024 -cpu EPYC,+svm,+npt -machine q35
      -serial mon:stdio -display none -cdrom build/veneer.iso -boot order=d)
if [ -f build/guest/disk.img ]; then
    args+=(-drive file=build/guest/disk.img,format=raw,if=none,id=disk0
           -device ahci,id=ahci0 -device ide-hd,drive=disk0,bus=ahci0.0)
fi
echo "veneer: booting build/veneer.iso in QEMU; Ctrl-A X quits" >&2
exec qemu-system-x86_64 "${args[@]}"
