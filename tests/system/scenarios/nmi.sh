#!/bin/bash
# timeout: 300
# NMIs from inside the guest (tests/miniguest/nmi_test.S sends itself NMIs
# through its local APIC): one at a time, one sent from inside its NMI
# handler (must come after the IRET, not be lost), two back to back, and
# one the VMM sends itself while it runs (selftest_nmi): it must reach the
# guest on that same return, not wait for a later exit (seed 004). Bare
# QEMU first as the control, then under Veneer on QEMU SVM, Bochs VMX and
# Bochs SVM; the debug log shows the NMIs went through the VMM.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/nmi_test.img
want='NMI-TEST a=5 b=2 c=2 d=1 PASS'
mkiso "$LOG_DIR/debug.iso" "vmm.loglevel=debug vmm.selftest=events"
# VMX without the local APIC intercept: the guest's self-NMIs arrive as NMI
# exits while it runs (with it, the VMM sends them from root mode, where
# its own handler counts them: smp-bochs-vmx's NMI backtrace covers that)
mkiso "$LOG_DIR/native.iso" "vmm.loglevel=debug vmm.selftest=events vmm.apic_intercept=0"

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC -device isa-debug-exit,iobase=0xf4
wait_for bare "NMI-TEST" 60; stop bare
expect bare "NMI-TEST a=5 b=2 c=2 d=- PASS" "control: the test passes bare (no hypercall: d skipped)"

cp "$IMG" "$LOG_DIR/q.img"
qemu_start qemu "$LOG_DIR/debug.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/q.img") -device isa-debug-exit,iobase=0xf4
wait_for qemu "NMI-TEST" 60; stop qemu
expect qemu "$want" "QEMU SVM: every NMI delivered once"
expect qemu "D svm: NMI exit 9; " "QEMU SVM: nine NMI exits"
expect qemu "D svm: IRET of the guest's NMI handler; 1 NMI waiting" "QEMU SVM: an NMI held until the IRET"

for m in corei7_skylake_x:vmx ryzen:svm; do
    model=${m%:*} b=${m#*:}
    cp "$IMG" "$LOG_DIR/$model.img"
    iso=$LOG_DIR/debug.iso
    [ $b = vmx ] && iso=$LOG_DIR/native.iso
    bochs_start "$model" "$model" "$iso" "$LOG_DIR/$model.img"
    wait_for "$model" "NMI-TEST" 120; stop "$model"
    expect "$model" "$want" "Bochs $model: every NMI delivered once"
    expect "$model" "D $b: NMI exit 9; " "Bochs $model: nine NMI exits"
done
for n in qemu corei7_skylake_x ryzen; do
    expect $n "D selftest: NMI sent to this CPU from the VMM" "$n: the VMM took an NMI itself"
done
expect corei7_skylake_x "D vmx: NMI window open; 1 NMI waiting" "Bochs VMX: an NMI blocked in the handler waits for the NMI window"
# (Bochs SVM keeps an NMI sent inside the handler pending in the CPU until
# the IRET has run, so there the VMM never holds one: nothing to assert.)
finish
