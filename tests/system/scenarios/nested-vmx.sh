#!/bin/bash
# timeout: 900
# Nested VMX (issue 20, scenarios a and c; Bochs corei7_skylake_x): the
# miniguest tests/miniguest/nested_vmx.S is a tiny hypervisor (L1) that
# checks the VMX instructions' failures (VMfailInvalid, VMfailValid with
# errors 15, 9, 10, 11, 2, 12, 13, 5, 7, the VM-entry failure exit
# 0x80000021 for guest RFLAGS bit 1 clear), then runs a tiny guest (L2)
# and checks each VM exit it asked for: CPUID (exit 10, length 2), an I/O
# port of its I/O bitmap (exit 30, qualification) with the three MSR lists
# on that entry and exit (L2's SYSENTER_ESP and TSC_AUX loaded, stored
# back, L1's loaded), #UD (exit 0 with its
# interruption information), an NMI L2 sends itself through the local
# APIC (exit 0, NMI, with L1's NMI exiting; after it L1's NMIs are
# blocked until its IRET: its own self-NMI waits for it), HLT (exit 12), and VMLAUNCH
# of a launched VMCS (error 4). L2 writes COM1 itself (ports neither L1
# nor Veneer takes). Then L2 runs on L1's EPT (EPT12; IA32_VMX_PROCBASED_
# CTLS2 must show EPT, EPT_VPID_CAP a 4-level walk, WB, INVEPT
# single-context): ept: a page EPT12 remaps is read and written (L1 sees
# L2's write in the page behind it); eptinv: INVEPT of an unknown type is
# VMfailValid(28), then L1 remaps the page and INVEPTs, L2 reads the new
# page; eptviol: a read of a page EPT12 leaves out is exit
# 48 with qualification 0x181 and the guest-physical address; eptro: a
# write to a read-only page, 0x18a; eptmis: a write-only entry is exit
# 49 with the address; eptvmm (cfg_vmm): EPT12 maps a page onto Veneer's
# region: L2's load is the #GP exit, nothing loaded.
#   control: bare Bochs runs the same L1 on its own VMX (vmm=-, eptvmm=-).
#   off:     Veneer, default options: CPUID shows no VMX, CR4.VMXE #GP,
#            VMXON #UD.
#   on:      Veneer with vmm.nested=1: the same line as bare, and (c): a
#            load from Veneer's region by L2 gives L1 what L1's own load
#            gives it (#GP, error 0, nothing loaded), as an exception exit
#            since L1's exception bitmap has #GP; VMPTRLD of a page in the
#            VMM region is VMfailValid(9). VMCS shadowing is on (the
#            CPU has it): only the two VMREAD/VMWRITEs that fail exit.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/nested_vmx.img
MODEL=corei7_skylake_x
LINE="fail=ok cpuid=ok io=ok msr=ok exc=ok vmm=ok nmi=ok nmiblk=ok hlt=ok ept=ok eptinv=ok eptviol=ok eptro=ok eptmis=ok eptvmm=ok PASS"

cp "$IMG" "$LOG_DIR/bare.img"
bochs_start_disk bare $MODEL "$LOG_DIR/bare.img"
wait_for bare "NESTED .*(PASS|FAIL)" 300; stop bare
BARE_LINE=${LINE/ vmm=ok/ vmm=-}
expect bare "NESTED vmx=1 ${BARE_LINE/eptvmm=ok/eptvmm=-}" "control: the L1 passes on Bochs' own VMX"
expect bare "L2: hello" "control: L2 wrote COM1"

mkiso "$LOG_DIR/off.iso" "vmm.loglevel=debug"
cp "$IMG" "$LOG_DIR/off.img"
bochs_start off $MODEL "$LOG_DIR/off.iso" "$LOG_DIR/off.img"
wait_for off "NESTED .*(PASS|FAIL)|PANIC" 300; stop off
expect off "NESTED vmx=0 cr4=gp vmxon=ud PASS" "vmm.nested=0: no VMX in CPUID, CR4.VMXE #GP, VMXON #UD"
expect off "D guest: guest executed VMXON: #UD" "vmm.nested=0: the VMXON refused by the VMM"
expect_not off "PANIC" "vmm.nested=0: no VMM panic"

# IMG with an address in the VMM region at cfg_vmm (byte 8184)
region=$(grep -aoE "I mem: VMM region [0-9a-f]+" "$LOG_DIR/off.serial" | head -1 | awk '{print $5}')
if [ -z "$region" ]; then
    echo "FAIL off: no 'I mem: VMM region' line"; FAILS=$((FAILS + 1)); region=0
fi
addr=$((0x$region + 0x10000))
cp "$IMG" "$LOG_DIR/on.img"
printf "$(printf '\\x%02x' $((addr & 255)) $((addr >> 8 & 255)) \
    $((addr >> 16 & 255)) $((addr >> 24 & 255)))" |
    dd of="$LOG_DIR/on.img" bs=1 seek=8184 conv=notrunc status=none
VMM_ADDR=$(printf %x $addr)

mkiso "$LOG_DIR/on.iso" "vmm.nested=1 vmm.loglevel=debug"
bochs_start on $MODEL "$LOG_DIR/on.iso" "$LOG_DIR/on.img"
wait_for on "NESTED .*(PASS|FAIL)|PANIC" 400; stop on
expect on "NESTED vmx=1 $LINE" \
    "vmm.nested=1: every failure and exit as on Bochs' VMX; L2 reads no VMM byte"
expect on "L2: hello" "vmm.nested=1: L2 wrote COM1"
expect on "I guest: vmm.nested=1: VMX shown to the guest" "vmm.nested=1: announced"
expect on "I vmx: vcpu 0: L1 entered VMX operation" "vmm.nested=1: VMXON emulated"
expect on "I vmx: L1's VMPTRLD of 0x[0-9a-f]+: not aligned memory; VMfailValid\(9\)" \
    "vmm.nested=1: VMPTRLD of a bad address refused as the CPU does"
expect on "I vmx: L1's VMLAUNCH of the VMCS at 0x12000: pin-based controls; VMfailValid\(7\)" \
    "vmm.nested=1: an unsupported control refused as the CPU does"
expect on "I vmx: L1's VMLAUNCH of the VMCS at 0x12000: guest RFLAGS; VM-entry failure" \
    "vmm.nested=1: invalid guest state: the VM-entry failure exit"
expect on "D vmx: exception 13 raised in L2 by the VMM goes to L1" \
    "vmm.nested=1: L2's access to the VMM region is L1's #GP exit"
expect_count on "access to guest-physical 0x$VMM_ADDR \(read\)" 2 \
    "vmm.nested=1: both loads (L1's, L2's) refused at the VMM region"
expect on "D vmx: NMI while L2 runs: exit to L1" "vmm.nested=1: the NMI exit is L1's"
expect on "I vmx: vcpu 0: L1 left VMX operation \(13 VM entries, 14 exits reflected, 2 VMREAD/VMWRITE exits; VMCS shadowing on\)" \
    "vmm.nested=1: VMCS shadowing (Bochs has it): of L1's ~90 VMREAD/VMWRITEs only the unknown field's and the read-only field's exit"
expect on "I vmx: vcpu 0: L1 uses MSR lists \(entry load 2, exit store 2, exit load 2 entries\)" "vmm.nested=1: the MSR lists processed"
expect on "D vmx: L2 EPT violation at 0x1fd010 is L1's \(EPT12\): qualification 0x181" \
    "vmm.nested=1, ept: L2's read of a page EPT12 leaves out is L1's exit 48 (read, linear address, no permissions)"
expect on "D vmx: L2 EPT violation at 0x1fc020 is L1's \(EPT12\): qualification 0x18a" \
    "vmm.nested=1, ept: L2's write to a read-only page is L1's exit 48 (write, readable)"
expect on "D vmx: L2 EPT misconfiguration at 0x1fb008 is L1's \(EPT12\)" \
    "vmm.nested=1, ept: a write-only EPT12 entry is L1's exit 49"
expect on "D vmx: L2 EPT violation at 0x1fa010: L1-physical 0x$(printf %x $((addr + 0x10))) is the VMM's to handle" \
    "vmm.nested=1, ept: EPT12 onto the VMM region: Veneer's exit at the L1-physical address"
expect on "access to guest-physical 0x$(printf %x $((addr + 0x10))) \(read\)" \
    "vmm.nested=1, ept: refused there (the #GP L1's own load gets)"
expect on "I vmx: vcpu 0: L1's EPT: 6 EPT02 fills, 2 EPT02 flushes, 3 EPT exits reflected" \
    "vmm.nested=1, ept: L2 ran on EPT02 (emptied at the first entry and at L1's INVEPT)"
expect_not on "PANIC" "vmm.nested=1: no VMM panic"
finish
