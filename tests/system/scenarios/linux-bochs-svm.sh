#!/bin/bash
# timeout: 900
# Debian's Linux boots from the IDE disk as Veneer's guest on Bochs ryzen
# (SVM with NPT and NRIPS: the next-RIP path), from the AMD-only image
# (VENDOR=amd).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../linux.sh"
ELF=$ROOT/build/amd/veneer.elf
GUEST_EXTRA=$BOCHS_GUEST_PARAMS
start() {
    local name=$1 iso=$2 disk=$3
    if [ -n "$iso" ]; then
        bochs_start "$name" ryzen "$iso" "$disk"
    else
        bochs_start_disk "$name" ryzen "$disk"
    fi
}
linux_run start 0x1de00000-0x1fdfffff svm 800
finish
