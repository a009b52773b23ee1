#!/bin/bash
# timeout: 120
# The guest's ECAM accesses are mediated like its port accesses (the MMIO
# hook, common/mmio.c): a boot-sector guest (tests/miniguest/ecam_test.S)
# reads functions 00:00-07.0 of a q35 machine both ways. Bare, an e1000 at
# 00:03.0 shows on both; under Veneer with vmm.pci=conceal=8086:100e it
# reads as absent on both, and the host bridge stays the same on both.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/ecam_test.img
extra=(-device e1000,addr=3 -nic none -device isa-debug-exit,iobase=0xf4)

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC "${extra[@]}"
wait_for bare "ECAM-TEST done" 60; stop bare
expect bare "ECAM-TEST dev=3 port=100e8086 ecam=100e8086" "control: bare, the e1000 answers both ways"

mkiso "$LOG_DIR/conceal.iso" "vmm.pci=conceal=8086:100e"
cp "$IMG" "$LOG_DIR/v.img"
qemu_start veneer "$LOG_DIR/conceal.iso" -cpu EPYC,+svm,+npt -machine q35 \
    "${extra[@]}" $(guest_qemu_disk_args "$LOG_DIR/v.img")
wait_for veneer "ECAM-TEST done|PANIC" 60; stop veneer
expect veneer "I mmio: PCI ECAM: 0xb0000000-0xbfffffff hooked" "ECAM window hooked"
# (the VMM's own log line may land in the middle of the guest's line: cut it out)
perl -0pe 's/I pci: the guest probed concealed[^\n]*\n//g' "$LOG_DIR/veneer.serial" >"$LOG_DIR/joined.serial"
expect joined "ECAM-TEST dev=3 port=ffffffff ecam=ffffffff" "concealed e1000 absent through ports and ECAM"
expect veneer "ECAM-TEST dev=0 port=29c08086 ecam=29c08086" "host bridge the same both ways"
expect_not veneer "100e8086" "the e1000's ID never reaches the guest"
finish
