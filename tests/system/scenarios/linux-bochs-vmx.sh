#!/bin/bash
# timeout: 900
# Debian's Linux boots from the IDE disk as Veneer's guest on Bochs
# corei7_skylake_x (VMX with EPT and unrestricted guest), from the
# Intel-only image (VENDOR=intel): the backend alone carries the guest.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../linux.sh"
ELF=$ROOT/build/intel/veneer.elf
GUEST_EXTRA=$BOCHS_GUEST_PARAMS
start() {
    local name=$1 iso=$2 disk=$3
    bochs_start "$name" corei7_skylake_x "$iso" "$disk"
}
linux_run start 0x1de00000-0x1fdfffff vmx 800
finish
