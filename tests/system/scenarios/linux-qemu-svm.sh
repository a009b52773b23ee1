#!/bin/bash
# timeout: 420
# Debian's Linux boots from the AHCI disk as Veneer's guest on QEMU (SVM
# with NPT, no NRIPS: the decoding path), q35.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../linux.sh"
start() {
    local name=$1 iso=$2 disk=$3
    if [ -n "$iso" ]; then
        qemu_start "$name" "$iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
            $(guest_qemu_disk_args "$disk")
    else
        qemu_start_disk "$name" "$disk" -cpu EPYC,+svm,+npt
    fi
}
linux_run start 0x3de00000-0x3fdfffff svm 200 bare
finish
