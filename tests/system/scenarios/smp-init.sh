#!/bin/bash
# timeout: 300
# Start-up signals from a two-CPU guest (tests/miniguest/smp_init.S):
# INIT-SIPI to the AP starts it once, under the VMM; an INIT to an APIC ID
# no CPU has is dropped with a warning; an INIT to the boot CPU resets the
# machine cleanly (the guest never runs past it). QEMU SVM and Bochs VMX
# (Intel-only image), both through the intercepted local APIC.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/smp_init.img

check() {
    local n=$1 what=$2
    expect $n "I smp: 2 CPUs under the VMM" "$what: both CPUs under the VMM"
    expect $n "I smp: CPU 1 \(APIC ID 1\) started by the guest at 1000:0000" "$what: the AP started by the guest's SIPI"
    expect_halted $n
    expect $n "SMPI-TEST ap=1$(printf '\r')?$" "$what: the AP ran its code once"
    expect $n "W smp: CPU 0 sent INIT to physical APIC ID 0x9, which no CPU under the VMM has: dropped" "$what: INIT to a missing CPU dropped, named"
    expect $n "SMPI-TEST absent done" "$what: the guest went on after it"
    expect $n "SMPI-TEST id=00000000 lint0=00010500 rte20=00010500" "$what: the APIC ID stays, an LVT and an IOAPIC pin with INIT delivery are masked"
    expect $n "W ioapic: IOAPIC at 0xfec00000 pin 20 routed as INIT" "$what: the masked IOAPIC pin named"
    expect $n "W apic: CPU 0: LVT 0x350 with delivery mode INIT" "$what: the masked LVT named"
    expect $n "E smp: the guest sent INIT to the boot CPU \(from CPU 0\); resetting the machine" "$what: INIT to the boot CPU resets the machine"
    expect_not $n "SMPI-TEST after-init|SMPI-TEST unexpected|PANIC" "$what: the guest never ran past that INIT"
    # kicks (INIT, then SIPI, posted back to back) are never mistaken for
    # the guest's own NMIs: nobody sends the guest one here
    expect_not $n "NMI exit [0-9]+; [1-9][0-9]* for the guest" "$what: no spurious NMI for the guest"
}

mkiso "$LOG_DIR/veneer.iso" "vmm.loglevel=debug"
cp "$IMG" "$LOG_DIR/q.img"
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -smp 2 \
    -drive file="$LOG_DIR/q.img",format=raw,if=ide,index=0,media=disk
wait_for qemu "resetting the machine" 60
wait_exit qemu 30 || stop qemu
check qemu "QEMU SVM"

mkiso "$LOG_DIR/intel.iso" "vmm.loglevel=debug" "$ROOT/build/intel/veneer.elf"
cp "$IMG" "$LOG_DIR/b.img"
BOCHS_CPUS=2 bochs_start bochs corei7_skylake_x "$LOG_DIR/intel.iso" "$LOG_DIR/b.img"
wait_for bochs "resetting the machine" 200
stop bochs
check bochs "Bochs VMX"
finish
