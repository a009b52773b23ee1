#!/bin/bash
# timeout: 600
# Nested SVM with Linux (issue 20, scenario b): the test guest loads
# kvm_amd and runs a tiny VM through /dev/kvm (tests/guest/kvmtest.c: a
# real-mode vcpu that writes port 0x10 and 0x11 and halts; the guest's
# `kvm` check, docs/guest.md). QEMU SVM (EPYC, NPT, no NRIPS).
#   control: the same disk bare on QEMU: KVM on QEMU's own SVM.
#   on:      under Veneer with vmm.nested=1: kvm_amd sees SVM without
#            nested paging (npt=0: KVM's shadow paging in L1), and the VM's
#            exits come back to KVM as on the CPU.
#   off:     under Veneer, default options: no svm flag, no /dev/kvm.
. "$(dirname "$0")/../lib.sh"
CPU="-cpu EPYC,+svm,+npt"
start() {
    local name=$1 iso=$2 disk=$3
    if [ -n "$iso" ]; then
        # shellcheck disable=SC2046
        qemu_start "$name" "$iso" $CPU -machine q35 -nic none $(guest_qemu_disk_args "$disk")
    else
        qemu_start_disk "$name" "$disk" $CPU
    fi
}
PASS_LINE="^GUEST-CHECK kvm PASS a VM ran through /dev/kvm: I/O exits 0x10=0x5a 0x11=0x13ba, HLT"

guest_disk "$LOG_DIR/bare.img" "veneer.test=kvm"
start bare "" "$LOG_DIR/bare.img"
guest_verdict bare 240; stop bare
expect bare "$PASS_LINE" "control: KVM runs the VM on QEMU's own SVM"
expect bare "^GUEST-KVM KVMTEST exit hlt rip=0x1012 ax=0x13ba" "control: the VM halted after its loop"

guest_disk "$LOG_DIR/on.img" "veneer.test=kvm,cpu"
mkiso "$LOG_DIR/on.iso" "vmm.nested=1"
start on "$LOG_DIR/on.iso" "$LOG_DIR/on.img"
guest_verdict on 400; wait_exit on 60 || stop on
expect on "I guest: vmm.nested=1: SVM shown to the guest" "vmm.nested=1: announced"
expect on "^GUEST-KVM kvm_amd/parameters/npt=N" "vmm.nested=1: kvm_amd without nested paging (none shown)"
expect on "^GUEST-KVM KVMTEST exit io dir=out port=0x10 size=1 data=0x5a" "vmm.nested=1: the VM's first OUT"
expect on "^GUEST-KVM KVMTEST exit io dir=out port=0x11 size=2 data=0x13ba" "vmm.nested=1: the VM's second OUT, after its loop"
expect on "^GUEST-KVM KVMTEST exit hlt rip=0x1012 ax=0x13ba" "vmm.nested=1: the VM halted"
expect on "$PASS_LINE" "vmm.nested=1: KVM runs the VM under Veneer"
expect on "^GUEST-CHECK cpu PASS" "vmm.nested=1: the guest's own work after KVM"
expect_not on "PANIC|Kernel panic" "vmm.nested=1: no panic"

guest_disk "$LOG_DIR/off.img" "veneer.test=kvm"
mkiso "$LOG_DIR/off.iso" ""
start off "$LOG_DIR/off.iso" "$LOG_DIR/off.img"
wait_for off '^GUEST-VERDICT' 300; wait_exit off 60 || stop off
expect off "^GUEST-CHECK kvm FAIL no /dev/kvm \(cpu flags: none\)" "vmm.nested=0: no SVM, no /dev/kvm"
expect_not off "PANIC|Kernel panic" "vmm.nested=0: no panic"
finish
