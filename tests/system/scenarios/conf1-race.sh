#!/bin/bash
# timeout: 300
# The guest's PCI data ports pass through only while its latch targets a
# function the VMM does not watch (docs/pci.md, "Data ports passed
# through"), and a passed-through access never reaches a watched one:
# tests/miniguest/conf1_race.S on QEMU q35 (SVM, 2 CPUs) with an e1000 at
# 00:03.0 (passed through) and the chipset's AHCI at 00:1f.2 (mediated).
# The BSP's latch is the e1000's interrupt line, the AP's the AHCI's ABAR;
# the BSP writes 0x5a through 0xcfc. The write reaches the e1000, the ABAR
# is unchanged (a VMM that wrote the AP's latch to the hardware would let
# it land on the ABAR), the AP reads the ABAR through its own latch (it
# exits and is mediated), the BSP reads back its own latch, and 0xcfc
# with the enable bit clear reads all ones. The same guest on i440fx (no
# MCFG: every data access exits; AHCIs added at 00:1f.0 and 00:1f.2) gives
# the same answers.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/conf1_race.img

run() {
    local name=$1 machine=$2; shift 2
    cp "$IMG" "$LOG_DIR/$name.img"
    qemu_start $name "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine $machine -smp 2 \
        -nic none -device e1000,addr=3,romfile= -device isa-debug-exit,iobase=0xf4 \
        $(guest_qemu_disk_args "$LOG_DIR/$name.img") "$@"
    wait_for $name "CONF1-RACE done|PANIC" 240; stop $name
}

# the verdict: the ABAR before and after equal, the e1000's line 0x5a
check() {
    local q=$1 before after
    before=$(sed -n 's/.*CONF1-RACE before abar=\([0-9a-f]*\).*/\1/p' "$LOG_DIR/$q.serial" | head -1)
    after=$(sed -n 's/.*CONF1-RACE after abar=\([0-9a-f]*\).*/\1/p' "$LOG_DIR/$q.serial" | head -1)
    expect $q "CONF1-RACE before abar=[0-9a-f]{8} line=[0-9a-f]{6}(0b|0a|05|00|ff)" "the ABAR and the e1000's line as firmware set them"
    expect $q "CONF1-RACE after abar=$before line=[0-9a-f]{6}5a ap=$before latch=8000183c off=ffffffff" \
        "the BSP's write reached the e1000 only (ABAR $before, now $after); the AP read the ABAR through its own latch; the BSP's latch reads back; no cycle with the enable bit clear"
    expect_not $q "CONF1-RACE after abar=00000000" "the ABAR was not overwritten"
    expect_not $q "PANIC|CONF1-RACE unexpected" "the VMM and the guest survive"
}

mkiso "$LOG_DIR/veneer.iso" "vmm.loglevel=debug"
run q35 q35
q=q35
expect $q "I pci: 00:1f.2 8086:2922 class 010601 rev 02 ecam mediator ahci" "the chipset's AHCI mediated"
expect $q "I pci: 00:03.0 8086:100e class 020000 rev 03 ecam[^a-z]*$" "the e1000 passed through"
expect $q "I pci: guest data ports 0xcfc-0xcff pass through while a vcpu's latch targets none of the [0-9]+ watched functions" "data ports passed through (q35: ECAM for the VMM)"
expect $q "I smp: CPU 1 \(APIC ID 1\) started by the guest at 2000:0000" "the AP started"
check $q

run pc pc -device ahci,addr=0x1f.0,multifunction=on -device ahci,addr=0x1f.2
q=pc
expect $q "I pci: guest data ports 0xcfc-0xcff always exit \(the VMM reaches some functions through the ports\)" "i440fx: no ECAM, every data access exits"
expect $q "I pci: 00:1f.2 8086:2922 class 010601 rev 02 ports mediator ahci" "the AHCI at 00:1f.2 mediated"
check $q
finish
