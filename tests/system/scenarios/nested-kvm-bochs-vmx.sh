#!/bin/bash
# timeout: 3000
# Nested VMX with Linux (issue 20, scenario b): the test guest loads
# kvm_intel and runs a tiny VM through /dev/kvm (tests/guest/kvmtest.c: a
# real-mode vcpu that writes port 0x10 and 0x11 and halts; the guest's
# `kvm` check, docs/guest.md). Bochs corei7_skylake_x, under Veneer with
# vmm.nested=1. Veneer shows L1 EPT (docs/backends.md), so kvm_intel
# runs with ept=Y: L2 on EPT02, KVM's EPT (EPT12) composed with Veneer's,
# filled at L2's EPT violations, KVM's own EPT violations and
# misconfigurations (its MMIO entries) reflected to it; no unrestricted
# guest (the real-mode vcpu runs as virtual-8086 in L2, on KVM's
# identity page table). In virtual-8086 mode the VM's OUTs and HLT are
# #GP exits KVM emulates; its loop (0x1004-0x1010) runs in L2 between
# them.
# kvm_intel needs "acknowledge interrupt on exit" (Linux 6.1's
# setup_vmcs_config): an external interrupt while L2 runs is L1's exit
# with its vector, the CPU acknowledging it at L1's interrupt controller.
# The VMX control run (KVM on Bochs' own VMX) and vmm.nested=0 (no vmx
# flag) are left out: each is one more Linux boot on Bochs, and
# nested-vmx checks the option off on this backend.
. "$(dirname "$0")/../lib.sh"
MODEL=corei7_skylake_x
PASS_LINE="^GUEST-CHECK kvm PASS a VM ran through /dev/kvm: I/O exits 0x10=0x5a 0x11=0x13ba, HLT"

guest_disk "$LOG_DIR/on.img" "veneer.test=kvm,cpu $BOCHS_GUEST_PARAMS"
mkiso "$LOG_DIR/on.iso" "vmm.nested=1 vmm.loglevel=debug"
bochs_start on $MODEL "$LOG_DIR/on.iso" "$LOG_DIR/on.img"
guest_verdict on 2700; stop on
grep -a "kvm\|vmx" "$LOG_DIR/on.serial" | grep -av "^D \|GUEST-" | head -20 | sed 's/^/    /'
expect on "I guest: vmm.nested=1: VMX shown to the guest" "vmm.nested=1: announced"
expect on "I vmx: vcpu 0: L1 entered VMX operation" "kvm_intel's VMXON emulated"
expect on "^GUEST-KVM kvm_intel/parameters/ept=Y" "kvm_intel with EPT (shown to L1)"
expect on "^GUEST-KVM KVMTEST exit io dir=out port=0x10 size=1 data=0x5a" "the VM's first OUT"
expect on "^GUEST-KVM KVMTEST exit io dir=out port=0x11 size=2 data=0x13ba" "the VM's second OUT, after its loop"
expect on "^GUEST-KVM KVMTEST exit hlt rip=0x1012 ax=0x13ba" "the VM halted"
expect on "$PASS_LINE" "KVM runs the VM under Veneer"
expect on "D vmx: L1 VMLAUNCH of the VMCS at 0x[0-9a-f]+: L2 at 0000:1000" "KVM's VMLAUNCH emulated: L2 at the VM's code"
expect on "D vmx: L1 VMRESUME of the VMCS at 0x[0-9a-f]+: L2 at 0000:1004" "L2 resumed after the first OUT: the loop runs in L2"
expect on "D vmx: L1 VMRESUME of the VMCS at 0x[0-9a-f]+: L2 at 0000:1011" "L2 resumed after the second OUT, at the HLT"
expect on "I vmx: vcpu 0: L1 left VMX operation \([0-9]+ VM entries, [0-9]+ exits reflected" "KVM's VMXOFF emulated"
expect on "I vmx: vcpu 0: L1's EPT: [1-9][0-9]* EPT02 fills, [0-9]+ EPT02 flushes, [1-9][0-9]* EPT exits reflected" \
    "L2 ran on EPT02 (KVM's EPT composed with Veneer's), KVM's own EPT exits reflected"
expect on "^GUEST-CHECK cpu PASS" "the guest's own work after KVM"
expect_not on "PANIC|Kernel panic" "no panic"
finish
