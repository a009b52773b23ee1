#!/bin/bash
# timeout: 600
# Transparency (issue 18): tests/miniguest/transp_test.S probes what an
# outside CPU test suite found different under Veneer: MOV to CR4 of
# reserved bits and of features the CPU lacks (#GP, never a value taken
# nor a failed entry), RFLAGS.RF in the image a fault pushes, VMCALL /
# VMMCALL without Veneer's magic (#UD as bare), and an NMI sent inside the
# NMI handler arriving right at its IRET with IF=0. The guest's own
# expectations come from CPUID, so one image passes bare and under Veneer;
# each emulator runs bare first, and the line under Veneer must equal the
# bare one except for hv= (none bare, veneer under Veneer).
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/transp_test.img
mkiso "$LOG_DIR/debug.iso" "vmm.loglevel=debug"

# the bare line's fields, then Veneer's must match with hv=veneer
same_as_bare() {
    local bare=$1 name=$2 what=$3 line
    line=$(grep -aoE 'TRANSP cr4=[^ ]+ rf=[0-9] ud=. hv=none nmi=[0-9]+ PASS' \
        "$LOG_DIR/$bare.serial" | head -1)
    if [ -z "$line" ]; then
        echo "FAIL $bare: control: the test passes bare (no PASS line)"
        FAILS=$((FAILS + 1))
        return
    fi
    echo "ok   $bare: control: $line"
    # under Veneer: CPUID shows no VMX, so CR4.VMXE (the 4th cr4 probe) faults
    line=$(echo "$line" | sed -E 's/cr4=(...)./cr4=\1g/; s/hv=none/hv=veneer/')
    expect "$name" "$line" "$what"
}

# QEMU 7.2's TCG hangs on a MOV to CR4 of a reserved bit outside SVM guest
# mode, and pushes RF=0 for faults (bare): its control skips the cr4
# probes and does not judge RF (cfg_skip_cr4, image offset 2044); under
# Veneer the answers must be what Bochs and hardware give, #GP and RF=1.
cp "$IMG" "$LOG_DIR/bare.img"
printf '\003' | dd of="$LOG_DIR/bare.img" bs=1 seek=2044 conv=notrunc status=none
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC -device isa-debug-exit,iobase=0xf4
wait_for bare "TRANSP" 60; stop bare
cp "$IMG" "$LOG_DIR/q.img"
qemu_start qemu "$LOG_DIR/debug.iso" -cpu EPYC,+svm,+npt -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/q.img") -device isa-debug-exit,iobase=0xf4
wait_for qemu "TRANSP" 60; stop qemu
expect bare "TRANSP cr4=---- rf=0 ud=6 hv=none nmi=2 PASS" "control: the test passes bare (cr4 probes skipped, TCG pushes RF=0)"
expect qemu "TRANSP cr4=gggg rf=1 ud=6 hv=veneer nmi=2 PASS" \
    "QEMU SVM: #GP for reserved CR4 bits / PKE / LA57 / VMXE (EPYC has none), RF=1, #UD, the NMI at the IRET"
expect qemu "D guest: MOV to CR4 of 0x[0-9a-f]+ refused" "QEMU SVM: the CR4 write checked by the VMM (common/cr.c)"
expect qemu "D svm: the IRET of the guest's NMI handler has run; 1 NMI waiting" \
    "QEMU SVM: the IRET single-stepped to deliver the waiting NMI"
expect qemu "D guest: VMCALL/VMMCALL without Veneer's magic" "QEMU SVM: the bare VMMCALL refused by the VMM"
expect_not qemu "PANIC" "QEMU SVM: no VMM panic"

for m in corei7_skylake_x:vmx ryzen:svm; do
    model=${m%:*} b=${m#*:}
    cp "$IMG" "$LOG_DIR/bare-$model.img"
    bochs_start_disk "bare-$model" "$model" "$LOG_DIR/bare-$model.img"
    wait_for "bare-$model" "TRANSP" 120; stop "bare-$model"
    cp "$IMG" "$LOG_DIR/$model.img"
    bochs_start "$model" "$model" "$LOG_DIR/debug.iso" "$LOG_DIR/$model.img"
    wait_for "$model" "TRANSP" 180; stop "$model"
    same_as_bare "bare-$model" "$model" "Bochs $model ($b): the guest sees what it sees bare"
    expect_not "$model" "PANIC" "Bochs $model: no VMM panic"
done
expect corei7_skylake_x "D guest: MOV to CR4 of 0x[0-9a-f]+ refused" "Bochs VMX: the CR4 write checked by the VMM (common/cr.c)"
finish
