#!/bin/bash
# timeout: 240
# A guest's hardware task switches (tests/miniguest/ts_test.S): JMP, CALL
# and IRET between TSSs, INT, #UD, #GP (error code) and the PIT's IRQ 0
# through task gates, each checking the EIP saved in the old TSS (seed
# 004: past the instruction for JMP/CALL/IRET/INT, at it for a fault,
# where the task was for an external interrupt). Bare (QEMU and Bochs, the
# controls) and on SVM (not intercepted) the CPU does them; VMX always
# exits on them and Veneer emulates them (common/task_switch.c).
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/ts_test.img
TESTS="jmp call call-link-nt iret int ud gp-error-code gp irq"
mkiso "$LOG_DIR/plain.iso" ""

check_all() {
    local name=$1 what=$2
    for t in $TESTS; do
        expect "$name" "TS-TEST $t PASS" "$what: $t"
    done
    expect "$name" "TS-TEST done" "$what: all ran"
    expect_not "$name" "FAIL|unexpected|PANIC|unsupported task switch" "$what: no failure"
}

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC -device isa-debug-exit,iobase=0xf4
wait_for bare "TS-TEST done|unexpected" 60; stop bare
check_all bare "control: bare QEMU"

cp "$IMG" "$LOG_DIR/bochs-bare.img"
bochs_start_disk bochs-bare corei7_skylake_x "$LOG_DIR/bochs-bare.img"
wait_for bochs-bare "TS-TEST done|unexpected" 90; stop bochs-bare
check_all bochs-bare "control: bare Bochs"

cp "$IMG" "$LOG_DIR/svm.img"
qemu_start svm "$LOG_DIR/plain.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/svm.img") -device isa-debug-exit,iobase=0xf4
wait_for svm "TS-TEST done|unexpected|PANIC" 60; stop svm
check_all svm "SVM"

cp "$IMG" "$LOG_DIR/vmx.img"
mkiso "$LOG_DIR/debug.iso" "vmm.loglevel=debug"
bochs_start vmx corei7_skylake_x "$LOG_DIR/debug.iso" "$LOG_DIR/vmx.img"
wait_for vmx "TS-TEST done|unexpected|PANIC|resetting the machine" 90; stop vmx
check_all vmx "VMX (emulated)"
expect vmx "D guest: task switch \(task gate\) from TSS 0x18 to 0x20" "VMX: the VMM emulated the task-gate switches"
expect vmx "D guest: task switch \(IRET\) from TSS 0x20 to 0x18" "VMX: and the IRETs back"
finish
