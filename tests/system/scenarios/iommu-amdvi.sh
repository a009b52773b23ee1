#!/bin/bash
# timeout: 120
# iommu-vtd's attack with an AMD-Vi unit (QEMU q35 -device amd-iommu, SVM
# CPU): the guest (tests/miniguest/e1000_evil.S, vmm.selftest=dma) has the
# e1000 in PHY loopback send a packet from the VMM's DMA canary page and
# receive one into it. The VMM survives, the canary is intact, the guest
# receives none of its bytes (no fault line: see below), and IVRS is
# hidden from the guest (docs/iommu.md).
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/e1000_evil.img
nic=(-netdev user,id=n0,restrict=on -device e1000,netdev=n0,addr=5,romfile=)

mkiso "$LOG_DIR/dma.iso" "vmm.selftest=dma"
cp "$IMG" "$LOG_DIR/v.img"
qemu_start amdvi "$LOG_DIR/dma.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -device amd-iommu "${nic[@]}" -device isa-debug-exit,iobase=0xf4 \
    $(guest_qemu_disk_args "$LOG_DIR/v.img")
wait_for amdvi "E1000-EVIL done|E1000-EVIL no canary|PANIC" 90; stop amdvi
q=amdvi
expect $q "I acpi: IVRS hidden from the guest \(1 root entry removed" "IVRS hidden from the guest"
expect $q "I iommu: AMD-Vi 0x[0-9a-f]*: DMA remapping on: .*every device but the VMM region" "AMD-Vi translation on"
expect $q "I mmio: AMD-Vi registers: 0x[0-9a-f]*-0x[0-9a-f]* hooked" "the unit's registers hidden from the guest"
expect $q "E1000-EVIL regs vtd-gsts=[0-9a-f]{8} amdvi-control=ffffffff" "the unit's registers read as all-ones"
expect $q "W iommu: the guest writes the IOMMU's registers at 0xfed80018: dropped" "the guest's write to Control (IommuEn off) dropped and logged"
expect $q "E1000-EVIL rx-vmm tx=00000001 rx=00000007" "rx-vmm: the e1000 sent the packet and reported it received"
expect $q "E1000-EVIL tx-vmm tx=00000001 rx=00000007" "tx-vmm: the e1000 sent and received a packet"
expect_not $q "E1000-EVIL tx-vmm data=CANARY" "tx-vmm: no VMM byte reached the guest"
expect_count $q "E1000-EVIL canary changed=00000000" 2 "the canary page is unchanged after each"
expect_count $q "I selftest: DMA canary at 0x[0-9a-f]*: intact" 2 "the VMM finds its canary intact after each"
# no fault line: QEMU 7.2's AMD-Vi never writes its event log (its
# amdvi_log_event tests the status register with | instead of &, fixed in
# later QEMU), so the event-log path is not exercised here (docs/iommu.md)
expect_not $q "PANIC|#GP|exception" "the VMM survives"
finish
