#!/bin/bash
# timeout: 360
# A device interrupt message with INIT delivery aimed at an AP that waits
# in the VMM for its start-up (issue 16 item 10; docs/security.md): on
# QEMU q35 (SVM, 2 CPUs) with -device amd-iommu,intremap=on, the guest
# (tests/miniguest/msi_init.S) has the e1000 in PHY loopback receive a
# packet of MSI data dwords 0x00000500 (INIT) into 0xfee01000 (physical
# destination APIC ID 1), then starts the AP with INIT-SIPI through the
# local APIC. The AMD-Vi unit's device table filters interrupt messages
# (IV=1, IntCtl=01b, INITPass=0, ...): the INIT never arrives, the AP
# starts under the VMM and its hypercall works. The control boot, with
# vmm.iommu_intr=pass (every message passes, as before the filter), shows
# the attack is real: the INIT resets the AP out of the VMM, which then
# never runs the guest's code.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/msi_init.img
nic=(-netdev user,id=n0,restrict=on -device e1000,netdev=n0,addr=5,romfile=)

run() {
    local name=$1 opts=$2
    mkiso "$LOG_DIR/$name.iso" "$opts"
    cp "$IMG" "$LOG_DIR/$name.img"
    qemu_start $name "$LOG_DIR/$name.iso" -cpu EPYC,+svm,+npt -machine q35 -smp 2 \
        -device amd-iommu,intremap=on "${nic[@]}" -device isa-debug-exit,iobase=0xf4 \
        $(guest_qemu_disk_args "$LOG_DIR/$name.img")
    wait_for $name "MSI-INIT done|PANIC" 170; stop $name
}

run filter "vmm.loglevel=debug"
q=filter
expect $q "I iommu: AMD-Vi 0x[0-9a-f]*: device interrupts filtered: fixed and arbitrated pass, INIT, NMI, SMI, ExtINT, LINT0/1 aborted" "the unit filters interrupt messages"
expect $q "I smp: 2 CPUs under the VMM" "both CPUs under the VMM"
expect $q "MSI-INIT dma tx=00000001 rx=00000007" "the e1000 sent the packet and wrote it to 0xfee01000 (16 INIT messages)"
expect $q "I smp: CPU 1 \(APIC ID 1\) started by the guest at 2000:0000" "the AP, still in the VMM, started by the guest's SIPI"
expect $q "MSI-INIT ap=1 hc=000000[0-9a-f]{2}" "the AP ran the guest's code once, its hypercall answered (the number of \"version\")"
expect_halted $q
expect_not $q "PANIC|MSI-INIT unexpected" "the VMM and the guest survive"

# control: the same attack with every message passed
run pass "vmm.loglevel=debug vmm.iommu_intr=pass"
q=pass
expect $q "W iommu: AMD-Vi 0x[0-9a-f]*: vmm.iommu_intr=pass: a device the guest programs can send INIT or NMI to any CPU" "control: the unit told to pass every message, loudly"
expect $q "MSI-INIT dma tx=00000001 rx=00000007" "control: the same DMA"
expect $q "MSI-INIT ap=0 hc=deadbeef" "control: the INIT took the AP out of the VMM: it never runs the guest's code"
finish
