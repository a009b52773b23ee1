#!/bin/bash
# timeout: 600
# S3 with an IOMMU on, then a DMA attack on the VMM after the wake, with an
# AMD-Vi unit (QEMU q35 -device amd-iommu) and with a VT-d unit
# (-device intel-iommu), SVM CPU: the guest (tests/miniguest/e1000_evil.S
# with s3_first patched in, vmm.selftest=dma) suspends to RAM through its
# own FACS waking vector, the scenario wakes it, the VMM sets the unit up
# again (the sleep reset it: translation off, no tables) before the guest
# runs, and the guest has the e1000 in PHY loopback send a packet from the
# VMM's DMA canary page and receive one into it. The e1000 moves both
# packets, the canary stays intact, none of its bytes reach the guest; the
# VT-d unit's fault records (QEMU's AMD-Vi writes no event log) show the
# refused accesses after the wake (docs/sleep.md, docs/iommu.md).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sleep.sh"
nic=(-netdev user,id=n0,restrict=on -device e1000,netdev=n0,addr=5,romfile=)

mkiso "$LOG_DIR/dma.iso" "vmm.selftest=dma"
cp "$ROOT/build/miniguest/e1000_evil.img" "$LOG_DIR/v.img"
printf '\001' | dd of="$LOG_DIR/v.img" bs=1 seek=2040 conv=notrunc status=none

# s3_attack NAME UNIT-DEVICE: boots the guest, wakes it, checks the common part
s3_attack() {
    local q=$1 dev=$2 unit=$3
    cp "$LOG_DIR/v.img" "$LOG_DIR/$q.img"
    # shellcheck disable=SC2046
    qemu_start $q "$LOG_DIR/dma.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -device $dev "${nic[@]}" -device isa-debug-exit,iobase=0xf4 \
        -global ICH9-LPC.disable_s3=0 $(guest_qemu_disk_args "$LOG_DIR/$q.img")
    if s3_wake $q 120; then
        wait_for $q "E1000-EVIL done|E1000-EVIL no canary|PANIC" 180
    fi
    stop $q
    expect $q "I iommu: $unit 0x[0-9a-f]*: DMA remapping on: .*every device but the VMM region" "$unit translation on at boot"
    expect $q "I sleep: S3: the guest's waking vector 0x[0-9a-f]+ kept" "the VMM took the sleep"
    expect $q "I sleep: S3 wake: the BSP is back in the VMM" "the BSP came back through the VMM's wake code"
    expect $q "I iommu: $unit 0x[0-9a-f]*: S3 wake: DMA remapping on again" "the unit set up again at the wake"
    expect $q "I sleep: S3 resume 1: the guest resumes at its waking vector" "the guest resumed at its own vector"
    expect $q "^E1000-EVIL resumed from S3" "the guest runs again after the wake"
    expect $q "E1000-EVIL rx-vmm tx=00000001 rx=00000007" "rx-vmm after the wake: the e1000 sent the packet and reported it received"
    expect $q "E1000-EVIL tx-vmm tx=00000001 rx=00000007" "tx-vmm after the wake: the e1000 sent and received a packet"
    expect_not $q "E1000-EVIL tx-vmm data=CANARY" "tx-vmm: no VMM byte reached the guest"
    expect_count $q "E1000-EVIL canary changed=00000000" 2 "the canary page is unchanged after each"
    expect_count $q "I selftest: DMA canary at 0x[0-9a-f]*: intact" 2 "the VMM finds its canary intact after each"
    expect_not $q "PANIC|#GP|exception|request is dropped|S3 did not happen" "no refusal, the VMM survives"
}

s3_attack amdvi amd-iommu AMD-Vi
expect amdvi "E1000-EVIL regs vtd-gsts=[0-9a-f]{8} amdvi-control=ffffffff" "the unit's registers still read as all-ones"
expect amdvi "W iommu: the guest writes the IOMMU's registers at 0xfed80018: dropped" "the guest's write to Control (IommuEn off) dropped"

s3_attack vtd intel-iommu VT-d
expect vtd "E1000-EVIL regs vtd-gsts=ffffffff" "the unit's registers still read as all-ones"
expect vtd "W iommu: the guest writes the IOMMU's registers at 0xfed90018: dropped" "the guest's write to GCMD (translation off) dropped"
# the fault records are read from the unit as the wake set it up again
expect vtd "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 write at 0x[0-9a-f]* refused" "the refused DMA write logged"
expect vtd "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 read at 0x[0-9a-f]* refused" "the refused DMA read logged"
finish
