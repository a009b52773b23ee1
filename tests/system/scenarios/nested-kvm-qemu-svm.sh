#!/bin/bash
# timeout: 1200
# Nested SVM with Linux (issue 20, scenario b): the test guest loads
# kvm_amd and runs a tiny VM through /dev/kvm (tests/guest/kvmtest.c: a
# real-mode vcpu that writes port 0x10 and 0x11 and halts; the guest's
# `kvm` check, docs/guest.md). QEMU SVM (EPYC, NPT, no NRIPS).
#   control: the same disk bare: KVM on QEMU's own SVM.
#   on:      under Veneer with vmm.nested=1: kvm_amd sees SVM with nested
#            paging (npt=Y): L2 runs on Veneer's shadow of KVM's NPT
#            (NPT02), KVM's own nested page faults reflected to it.
#   shadow:  the same with kvm_amd.npt=0 (KVM's shadow paging in L1, L2
#            on Veneer's own map); the VM's exits come back to KVM as on
#            the CPU in both.
#   smp, smp-shadow: an L1 on two vcpus (-smp 2; the guest's `kvmsmp`
#            check): the VM run 300 times on CPU 1 alone (taskset), then
#            300 times on CPU 0 and CPU 1 at once, the two waiting for
#            each other after their first run; each vcpu of L1 runs its
#            own L2s with its own VMCB12, host save area and NPT02
#            (per vcpu in amd-svm/svm_nested.c). Bare control too.
#   off:     under Veneer, default options: no svm flag, no /dev/kvm.
#   Two vcpus run on single-threaded TCG (-accel tcg,thread=single): with
#   one host thread per vcpu, QEMU 7.2 can lose a code write. It reads the
#   guest's code while translating and write-protects the page only after,
#   so a byte another vcpu's thread stores in between leaves a stale
#   translation that nothing invalidates. L1 patches its text at every VM
#   creation and destruction (the preempt notifier static key); when the
#   race hits, L1's CPUs run the INT3 of text_poke_bp for ever although
#   memory holds the new instruction (kprobe_int3_handler backs RIP up over
#   an INT3 it no longer finds): soft lockups, no VMM line. One thread
#   never translates while another vcpu writes (docs/backends.md).
. "$(dirname "$0")/../lib.sh"
CPU="-cpu EPYC,+svm,+npt"
start() {
    local name=$1 iso=$2 disk=$3 cpus=${4:-1} accel=()
    [ "$cpus" -gt 1 ] && accel=(-accel tcg,thread=single)
    if [ -n "$iso" ]; then
        # shellcheck disable=SC2046
        qemu_start "$name" "$iso" $CPU "${accel[@]}" -machine q35 -nic none \
            -smp "$cpus" $(guest_qemu_disk_args "$disk")
    else
        qemu_start_disk "$name" "$disk" $CPU "${accel[@]}" -smp "$cpus"
    fi
}
PASS_LINE="^GUEST-CHECK kvm PASS a VM ran through /dev/kvm: I/O exits 0x10=0x5a 0x11=0x13ba, HLT"
SMP_LINE="^GUEST-CHECK kvmsmp PASS 2 CPUs: 300 VM runs on CPU 1, then on CPUs 0 and 1 at once"

guest_disk "$LOG_DIR/bare.img" "veneer.test=kvm"
start bare "" "$LOG_DIR/bare.img"
guest_verdict bare 240; stop bare
expect bare "$PASS_LINE" "control: KVM runs the VM on QEMU's own SVM"
expect bare "^GUEST-KVM KVMTEST exit hlt rip=0x1012 ax=0x13ba" "control: the VM halted after its loop"
guest_disk "$LOG_DIR/bare-smp.img" "veneer.test=kvmsmp"
start bare-smp "" "$LOG_DIR/bare-smp.img" 2
guest_verdict bare-smp 400; stop bare-smp
expect bare-smp "$SMP_LINE" "control: KVM runs VMs on both of QEMU's SVM CPUs at once"

mkiso "$LOG_DIR/on.iso" "vmm.nested=1 vmm.loglevel=debug"
mkiso "$LOG_DIR/smp.iso" "vmm.nested=1"
# on: kvm_amd with nested paging (Veneer's NPT02 under L1's NPT12);
# shadow: kvm_amd.npt=0 (KVM's shadow paging in L1, L2 on Veneer's map);
# smp, smp-shadow: the same with 2 vcpus (info log: 600 VM runs)
for run in on:Y:1 shadow:N:1 smp:Y:2 smp-shadow:N:2; do
    IFS=: read -r name npt cpus <<<"$run"
    check=kvm iso=on
    [ "$cpus" = 2 ] && check=kvmsmp iso=smp
    params="veneer.test=$check,cpu"
    [ "$npt" = N ] && params="$params kvm_amd.npt=0"
    guest_disk "$LOG_DIR/$name.img" "$params"
    start "$name" "$LOG_DIR/$iso.iso" "$LOG_DIR/$name.img" "$cpus"
    guest_verdict "$name" 700; wait_exit "$name" 60 || stop "$name"
    expect $name "I guest: vmm.nested=1: SVM shown to the guest" "vmm.nested=1: announced"
    expect $name "^GUEST-KVM kvm_amd/parameters/npt=$npt" "vmm.nested=1: kvm_amd npt=$npt"
    if [ "$cpus" = 1 ]; then
        expect $name "^GUEST-KVM KVMTEST exit io dir=out port=0x10 size=1 data=0x5a" "npt=$npt: the VM's first OUT"
        expect $name "^GUEST-KVM KVMTEST exit io dir=out port=0x11 size=2 data=0x13ba" "npt=$npt: the VM's second OUT, after its loop"
        expect $name "^GUEST-KVM KVMTEST exit hlt rip=0x1012 ax=0x13ba" "npt=$npt: the VM halted"
        expect $name "$PASS_LINE" "npt=$npt: KVM runs the VM under Veneer"
    else
        expect $name "I smp: 2 CPUs under the VMM" "2 vcpus, npt=$npt: both CPUs under the VMM"
        expect $name "^GUEST-KVM cpu1: KVMTEST 300 runs on CPU 1" "2 vcpus, npt=$npt: L1's CPU 1 ran its VM"
        for c in 0 1; do
            expect $name "^GUEST-KVM both, cpu$c: KVMTEST met its peer after run 1" \
                "2 vcpus, npt=$npt: L1's CPU $c had its VM running while the other had its own"
            expect $name "^GUEST-KVM both, cpu$c: KVMTEST 300 runs on CPU $c" \
                "2 vcpus, npt=$npt: L1's CPU $c ran its VM 300 times"
        done
        expect $name "$SMP_LINE" "2 vcpus, npt=$npt: KVM on both vcpus under Veneer"
    fi
    expect $name "^GUEST-CHECK cpu PASS" "npt=$npt: the guest's own work after KVM"
    expect_not $name "PANIC|Kernel panic|KVMTEST FAIL" "npt=$npt: no panic, no failed VM run"
done
# with nested paging, L2's pages come through NPT02 on demand, and KVM's
# own NPT12 faults (the pages it has not mapped yet) go back to it
expect on "D svm: L2 #NPF at 0x[0-9a-f]+ is L1's \(NPT12\)" "npt=Y: an L2 fault in NPT12 reflected to KVM"

guest_disk "$LOG_DIR/off.img" "veneer.test=kvm"
mkiso "$LOG_DIR/off.iso" ""
start off "$LOG_DIR/off.iso" "$LOG_DIR/off.img"
wait_for off '^GUEST-VERDICT' 300; wait_exit off 60 || stop off
expect off "^GUEST-CHECK kvm FAIL no /dev/kvm \(cpu flags: none\)" "vmm.nested=0: no SVM, no /dev/kvm"
expect_not off "PANIC|Kernel panic" "vmm.nested=0: no panic"
finish
