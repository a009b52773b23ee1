#!/bin/bash
# timeout: 600
# Nested SVM (issue 20, scenarios a and c; QEMU SVM and Bochs ryzen):
# the miniguest tests/miniguest/nested_svm.S is a tiny hypervisor (L1)
# that runs a tiny guest (L2) and checks each #VMEXIT it asked for: CPUID,
# an I/O port of its I/O bitmap, #UD, HLT (exit code, EXITINFO1/2, L2's
# RIP and RAX); a VMCB with the VMRUN intercept clear, EFER.SVME clear,
# ASID 0, CR0.NW without CD, CR0 bit 32 (VMEXIT_INVALID, on the CPUs as
# under Veneer); CR3 bit 63 for an L2 without paging: it runs (QEMU and
# Bochs under a 32-bit L1) or is refused (QEMU under Veneer, whose host is
# in long mode), and then L1's VMCB never gets the state QEMU stores at a
# failed entry (Veneer's own RIP, RSP, CR3: before, invalid=ffffffff);
# VMSAVE/VMLOAD of STAR and FS. L2 also writes COM1
# itself, through ports L1 leaves to it, its CPUID and PCI config reads
# (0xcf8/0xcfc, Veneer's ports) answer as L1's, and its VMMCALL with
# Veneer's magic is a #UD that L1 gets (own=). An interrupt L1 injects
# (EVENTINJ) reaches L2's handler (inj=). An L2 in long mode exits
# for a CPUID with its 64-bit RAX, and Veneer steps over another (lm=). VMRUN of an unaligned
# VMCB address, VMRUN and VMSAVE of a page in the VMM region are L1's #GP
# (addr=). An NMI L1 sends itself between CLGI and STGI waits for the STGI
# and comes right after it (gif=). L1 runs L2 on its own nested page
# tables (npt=): a page read through them, a page left out is an #NPF exit
# to L1, read after L1 maps it and flushes, and (scenario c) a page they
# map onto Veneer's region is L1's #GP exit with nothing loaded, as L1's
# own load is. With V_INTR_MASKING, a self-IPI held by L1's GIF is an INTR
# exit while L2 spins with IF=0, taken by L1 after its STGI (vintr=).
# NMIs across levels (the local APIC's ICR, by APIC ID): with L1's NMI
# intercept, L2's self-NMI is exit 0x61, held by GIF=0 until L1's STGI,
# and one L1's handler sends itself waits for that handler's IRET (nmi=);
# without it, L2's own handler (L2's IDT) takes it and halts (an exit to
# L1 before its IRET), and L2's second self-NMI after that IRET is taken
# too (nmil2=; main lost it: nmil2=00000001); the same with L1
# intercepting the handler's IRET (nmiiret=; main: ffffffff). An
# interrupt L1 injects into an L2 whose stack is in the VMM region: the
# delivery's push is L1's #GP exit with the interrupt in EXITINTINFO,
# never delivered to L1 itself (intinfo=; main: 00000000, the interrupt
# went to L1; bare: no VMM region, "-"). L1's V_IRQ (vector 0x42) for an
# L2 with IF=0 that takes two NMIs, then sets IF: taken by L2's handler,
# V_IRQ clear in the VMCB (virq=).
#   control: bare QEMU SVM runs the same L1 (no VMM region: vmm=-).
#   off:     Veneer, default options: CPUID shows no SVM, VMRUN is #UD,
#            EFER.SVME is #GP (QEMU bare accepts SVME without SVM: no
#            control for this line).
#   on:      Veneer with vmm.nested=1: every check passes, of the optional
#            SVM features only nested paging shown (feat=00000001), and
#            (c): a load from Veneer's region by L2 gives L1 what L1's own
#            load gives it (#GP, error code 0, nothing loaded), as an exit
#            0x4d since L1 intercepts #GP.
#   Bochs ryzen (SVM with NRIPS: the next RIP of VMRUN and the others from
#            the CPU, not decoded): bare, off and on again.
#   Bochs VMX with vmm.nested=1: VMX is shown (nested-vmx), SVM stays
#            hidden: the vmm.nested=0 line.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/nested_svm.img
CPU="-cpu EPYC,+svm,+npt"
LINE_ON="cpuid=ok io=ok exc=ok vmm=ok hlt=ok own=ok inj=ok lm=ok invalid=ok gif=ok addr=ok vmsave=ok npt=ok vintr=ok nmi=ok nmil2=ok nmiiret=ok intinfo=ok virq=ok PASS"

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start_disk bare "$LOG_DIR/bare.img" $CPU -device isa-debug-exit,iobase=0xf4
wait_for bare "NESTED .*(PASS|FAIL)" 60; stop bare
# QEMU 7.2's own SVM gives L2 no #NPF for the page L1 left out of its
# 2-level nested tables (L2 reads through to the HLT: npt=x00000078); the
# npt control is Bochs ryzen's (below), which passes it
expect bare "NESTED svm=1 feat=[0-9a-f]{8} cpuid=ok io=ok exc=ok vmm=- hlt=ok own=ok inj=ok lm=ok invalid=ok gif=ok addr=ok vmsave=ok npt=x00000078 vintr=ok nmi=ok nmil2=ok nmiiret=ok intinfo=- virq=ok FAIL" \
    "control: the L1 passes on QEMU's own SVM (but npt: QEMU 7.2)"
expect bare "L2: hello" "control: L2 wrote COM1"

mkiso "$LOG_DIR/off.iso" "vmm.loglevel=debug"
cp "$IMG" "$LOG_DIR/off.img"
# shellcheck disable=SC2046
qemu_start off "$LOG_DIR/off.iso" $CPU -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/off.img") -device isa-debug-exit,iobase=0xf4
wait_for off "NESTED .*(PASS|FAIL)|PANIC" 120; stop off
expect off "NESTED svm=0 vmrun=ud efer=gp PASS" "vmm.nested=0: no SVM in CPUID, VMRUN #UD, EFER.SVME #GP"
expect off "D guest: guest executed VMRUN: #UD" "vmm.nested=0: the VMRUN refused by the VMM"
expect_not off "PANIC" "vmm.nested=0: no VMM panic"

# IMG with an address in the VMM region (where Veneer put it in the run
# NAME, the same machine: the same on every run) at cfg_vmm (byte 8184)
patched_img() {
    local name=$1 out=$2 region addr
    region=$(grep -aoE "I mem: VMM region [0-9a-f]+" "$LOG_DIR/$name.serial" | head -1 | awk '{print $5}')
    if [ -z "$region" ]; then
        echo "FAIL $name: no 'I mem: VMM region' line"; FAILS=$((FAILS + 1)); region=0
    fi
    addr=$((0x$region + 0x10000))
    cp "$IMG" "$out"
    printf "$(printf '\\x%02x' $((addr & 255)) $((addr >> 8 & 255)) \
        $((addr >> 16 & 255)) $((addr >> 24 & 255)))" |
        dd of="$out" bs=1 seek=8184 conv=notrunc status=none
    VMM_ADDR=$(printf %x $addr)
}
patched_img off "$LOG_DIR/on.img"
mkiso "$LOG_DIR/on.iso" "vmm.nested=1 vmm.loglevel=debug"
# shellcheck disable=SC2046
qemu_start on "$LOG_DIR/on.iso" $CPU -machine q35 \
    $(guest_qemu_disk_args "$LOG_DIR/on.img") -device isa-debug-exit,iobase=0xf4
wait_for on "NESTED .*(PASS|FAIL)|PANIC" 120; stop on
expect on "NESTED svm=1 feat=00000001 $LINE_ON" \
    "vmm.nested=1: every exit as on QEMU's SVM; no optional SVM feature shown; L2 reads no VMM byte"
expect on "L2: hello" "vmm.nested=1: L2 wrote COM1 (ports Veneer and L1 leave alone)"
expect on "I guest: vmm.nested=1: SVM shown to the guest" "vmm.nested=1: announced"
expect on "I svm: L1's VMRUN of the VMCB at 0x11000: the VMRUN intercept is clear; VMEXIT_INVALID" \
    "vmm.nested=1: a VMCB without the VMRUN intercept refused as the CPU does"
expect on "I svm: L1's VMRUN of the VMCB at 0x11000: EFER.SVME is 0; VMEXIT_INVALID" \
    "vmm.nested=1: a VMCB with EFER.SVME=0 refused as the CPU does"
for why in "ASID 0" "CR0.NW=1 with CR0.CD=0" "CR0 bits 63:32 set"; do
    expect on "I svm: L1's VMRUN of the VMCB at 0x11000: $why; VMEXIT_INVALID" \
        "vmm.nested=1: a VMCB with $why refused as the CPU does"
done
expect on "I svm: the CPU refused L2's state from L1's VMCB at 0x11000; VMEXIT_INVALID to L1" \
    "vmm.nested=1: the vmcb02 QEMU refuses (CR3 bit 63) is L1's VMEXIT_INVALID, exit fields only"
expect on "D svm: exception 13 raised in L2 by the VMM goes to L1" \
    "vmm.nested=1: L2's access to the VMM region is L1's #GP exit"
expect_count on "access to guest-physical 0x$VMM_ADDR \(read\)" 3 \
    "vmm.nested=1: the three loads (L1's, L2's, L2's through NPT12) refused at the VMM region"
expect on "D svm: exception 13 raised in L2 by the VMM goes to L1 \(EXITINTINFO 0x80000040\)" \
    "vmm.nested=1: L1's interrupt for L2, its delivery stopped by L2's stack in the VMM region, back to L1 in EXITINTINFO"
expect on "D svm: L2 #NPF at 0x302000 is L1's \(NPT12\): error 0x100000004" \
    "vmm.nested=1: L2's fault in NPT12 (a page L1 left out) reflected to L1"
expect on "D svm: L2 #NPF at 0x301[0-9a-f]{3}: L1-physical 0x$VMM_ADDR is the VMM's to handle" \
    "vmm.nested=1: NPT12 onto the VMM region: Veneer's fault, not L1's"
expect_not on "PANIC" "vmm.nested=1: no VMM panic"

# Bochs ryzen: SVM with NRIPS (the next RIP from the CPU, not decoded)
bochs_start_disk bare-ryzen ryzen "$LOG_DIR/bare.img"
wait_for bare-ryzen "NESTED .*(PASS|FAIL)" 120; stop bare-ryzen
# Bochs 2.7's own SVM gates a physical interrupt in L2 by L2's IF even
# with V_INTR_MASKING (the APM, and QEMU: by the host's IF), so L2's HLT
# exits first (vintr=x00000078); Veneer on Bochs does as Bochs does, the
# vintr control is QEMU's (above)
LINE_RYZEN="${LINE_ON/vintr=ok/vintr=x00000078}"
LINE_RYZEN="${LINE_RYZEN% PASS} FAIL"
BARE_RYZEN="${LINE_RYZEN/vmm=ok/vmm=-}"
expect bare-ryzen "NESTED svm=1 feat=[0-9a-f]{8} ${BARE_RYZEN/intinfo=ok/intinfo=-}" \
    "Bochs ryzen control: the L1 passes on Bochs' own SVM (but vintr: Bochs 2.7)"
cp "$IMG" "$LOG_DIR/ryzen-off.img"
bochs_start ryzen-off ryzen "$LOG_DIR/off.iso" "$LOG_DIR/ryzen-off.img"
wait_for ryzen-off "NESTED .*(PASS|FAIL)|PANIC" 180; stop ryzen-off
expect ryzen-off "NESTED svm=0 vmrun=ud efer=gp PASS" "Bochs ryzen, vmm.nested=0: SVM hidden"
patched_img ryzen-off "$LOG_DIR/ryzen-on.img"
bochs_start ryzen-on ryzen "$LOG_DIR/on.iso" "$LOG_DIR/ryzen-on.img"
wait_for ryzen-on "NESTED .*(PASS|FAIL)|PANIC" 180; stop ryzen-on
expect ryzen-on "NESTED svm=1 feat=00000001 $LINE_RYZEN" "Bochs ryzen, vmm.nested=1: every exit as on Bochs' SVM"
expect_count ryzen-on "access to guest-physical 0x$VMM_ADDR \(read\)" 3 \
    "Bochs ryzen, vmm.nested=1: the three loads (L1's, L2's, L2's through NPT12) refused at the VMM region"
expect_not ryzen-on "PANIC" "Bochs ryzen, vmm.nested=1: no VMM panic"

# Bochs VMX: vmm.nested=1 shows VMX there (nested-vmx), never SVM
cp "$IMG" "$LOG_DIR/vmx-on.img"
bochs_start vmx-on corei7_skylake_x "$LOG_DIR/on.iso" "$LOG_DIR/vmx-on.img"
wait_for vmx-on "NESTED .*(PASS|FAIL)|PANIC" 180; stop vmx-on
expect vmx-on "I guest: vmm.nested=1: VMX shown to the guest" \
    "Bochs VMX, vmm.nested=1: VMX shown, not SVM"
expect vmx-on "NESTED svm=0 vmrun=ud efer=gp PASS" "Bochs VMX, vmm.nested=1: no SVM, VMRUN #UD, EFER.SVME #GP"
finish
