#!/bin/bash
# timeout: 120
# An instruction whose bytes change under its exit is the guest's doing:
# #UD to the guest and a rate-limited line, never a VMM panic (issue 16
# item 11; amd-svm/svm_run.c svm_skip_instruction). QEMU's SVM has no
# NRIPS, so the VMM finds a CPUID's length by decoding the bytes at RIP.
# A miniguest (tests/miniguest/stale_insn.S) runs a CPUID through a stale
# TLB entry while its page tables already map other bytes there: the
# VMM's page walk finds no CPUID. On one CPU, no race.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/stale_insn.img

cp "$IMG" "$LOG_DIR/stale.img"
mkiso "$LOG_DIR/veneer.iso" ""
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device isa-debug-exit,iobase=0xf4 $(guest_qemu_disk_args "$LOG_DIR/stale.img")
wait_for qemu "STALE-INSN done|PANIC" 90; stop qemu

q=qemu
expect $q "W svm: cannot find the length of the cpuid instruction at rip 0x40000000 \(error -[0-9]+\): the guest changed it; #UD to the guest" "the VMM names the changed instruction"
expect $q "STALE-INSN ud=1 eip=40000000 tries=[0-9]+" "the guest got #UD at the CPUID, once"
expect $q "STALE-INSN after ebx=68747541" "the VMM still serves the guest (CPUID after)"
expect_not $q "PANIC|STALE-INSN unexpected" "the VMM survives"
finish
