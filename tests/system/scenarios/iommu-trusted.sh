#!/bin/bash
# timeout: 200
# The trusted domain (mediated controllers) reaches only the pages the
# mediators DMA to, not the rest of the VMM region (docs/iommu.md): the
# e1000 attack of iommu-vtd/iommu-amdvi (tests/miniguest/e1000_evil.S,
# vmm.selftest=dma) with the e1000 first moved to the trusted domain
# (selftest_dma 2, patched in at byte 2044 of the image: 00:05.0), on q35
# with a VT-d unit, then with an AMD-Vi unit. The canary page (the VMM's,
# not a mediator's buffer) stays out of reach: the guest gets none of it,
# it is intact, and VT-d logs the refused read and write.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/e1000_evil.img
nic=(-netdev user,id=n0,restrict=on -device e1000,netdev=n0,addr=5,romfile=)

cp "$IMG" "$LOG_DIR/t.img"
printf '\x28\x00\x00\x00' | dd of="$LOG_DIR/t.img" bs=1 seek=2044 conv=notrunc status=none
mkiso "$LOG_DIR/dma.iso" "vmm.selftest=dma"
for unit in intel-iommu amd-iommu; do
    q=${unit%-iommu}
    cp "$LOG_DIR/t.img" "$LOG_DIR/$q.img"
    qemu_start $q "$LOG_DIR/dma.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -device $unit "${nic[@]}" -device isa-debug-exit,iobase=0xf4 \
        $(guest_qemu_disk_args "$LOG_DIR/$q.img")
    wait_for $q "E1000-EVIL done|E1000-EVIL no canary|PANIC" 90; stop $q
    expect $q "I selftest: 00:05.0 put in the trusted domain" "$q: the e1000 in the trusted domain"
    expect $q "I iommu: (VT-d|AMD-Vi): 00:05.0 is mediated: its DMA may reach the mediators' buffers in the VMM region" "$q: the unit moved it"
    expect $q "E1000-EVIL rx-vmm tx=00000001 rx=00000007" "$q: rx-vmm: the e1000 sent the packet and reported it received"
    expect $q "E1000-EVIL tx-vmm tx=00000001 rx=00000007" "$q: tx-vmm: the e1000 sent and received a packet"
    expect_not $q "E1000-EVIL tx-vmm data=CANARY" "$q: tx-vmm: no VMM byte reached the guest"
    expect_count $q "E1000-EVIL canary changed=00000000" 2 "$q: the canary page is unchanged after each"
    expect_not $q "PANIC|#GP|exception" "$q: the VMM survives"
done
expect intel "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 write at 0x[0-9a-f]* refused" "intel: the refused DMA write logged"
expect intel "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 read at 0x[0-9a-f]* refused" "intel: the refused DMA read logged"
finish
