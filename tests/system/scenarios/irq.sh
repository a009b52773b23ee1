#!/bin/bash
# timeout: 300
# Interrupt injection from inside a guest (tests/miniguest/irq_test.S,
# vmm.selftest=events): an interrupt the VMM injects waits while RFLAGS.IF=0,
# arrives exactly once after STI, and ends a HLT. QEMU SVM and Bochs SVM
# deliver through V_IRQ, Bochs VMX through interrupt-window exiting.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/irq_test.img
want='IRQ-TEST masked=0 delivered=1 hlt=1 PASS'
mkiso "$LOG_DIR/irq.iso" "vmm.selftest=events vmm.loglevel=debug"
mkiso "$LOG_DIR/plain.iso" ""

cp "$IMG" "$LOG_DIR/q.img"
qemu_start qemu "$LOG_DIR/irq.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/q.img") -device isa-debug-exit,iobase=0xf4
wait_for qemu "IRQ-TEST" 60; stop qemu
expect qemu "$want" "QEMU SVM: masked, then delivered once, and wakes HLT"
expect qemu "D svm: V_IRQ vector 0x40 taken by the guest" "QEMU SVM: through V_IRQ"

for m in corei7_skylake_x ryzen; do
    cp "$IMG" "$LOG_DIR/$m.img"
    bochs_start "$m" "$m" "$LOG_DIR/irq.iso" "$LOG_DIR/$m.img"
    wait_for "$m" "IRQ-TEST" 120; stop "$m"
    expect "$m" "$want" "Bochs $m: masked, then delivered once, and wakes HLT"
done
expect corei7_skylake_x "D vmx: interrupt window open; injecting vector 0x40" "Bochs VMX: through interrupt-window exiting"
expect ryzen "D svm: V_IRQ vector 0x40 taken by the guest" "Bochs SVM: through V_IRQ"

# Without vmm.selftest=events the call does not exist for the guest.
cp "$IMG" "$LOG_DIR/off.img"
qemu_start off "$LOG_DIR/plain.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/off.img") -device isa-debug-exit,iobase=0xf4
wait_for off "IRQ-TEST" 60; stop off
expect off "IRQ-TEST injection refused by the VMM" "refused without vmm.selftest=events"
finish
