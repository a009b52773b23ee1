#!/bin/bash
# timeout: 180
# A guest's hardware task switch (tests/miniguest/ts_test.S). Bare and on
# SVM (not intercepted) it simply runs; VMX always exits on it and Veneer,
# which does not emulate task switches yet, stops the guest with a message
# naming it and resets the machine — never a VMM panic.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/ts_test.img
mkiso "$LOG_DIR/plain.iso" ""

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC -device isa-debug-exit,iobase=0xf4
wait_for bare "TS-TEST" 60; stop bare
expect bare "TS-TEST switched PASS" "control: bare"

cp "$IMG" "$LOG_DIR/svm.img"
qemu_start svm "$LOG_DIR/plain.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/svm.img") -device isa-debug-exit,iobase=0xf4
wait_for svm "TS-TEST|PANIC" 60; stop svm
expect svm "TS-TEST switched PASS" "SVM: the task switch runs in the guest"

cp "$IMG" "$LOG_DIR/vmx.img"
bochs_start vmx corei7_skylake_x "$LOG_DIR/plain.iso" "$LOG_DIR/vmx.img"
wait_for vmx "resetting the machine|PANIC" 90; stop vmx
expect vmx "E guest: the guest made a hardware task switch to TSS selector 0x20, which this version of Veneer cannot emulate" "VMX: refused by name"
expect vmx "E guest: unsupported task switch at" "VMX: the guest is stopped"
expect_not vmx "PANIC" "VMX: no VMM panic"
finish
