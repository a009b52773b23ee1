#!/bin/bash
# timeout: 150
# Device DMA cannot reach the VMM (docs/iommu.md): a guest (tests/
# miniguest/e1000_evil.S) programs QEMU's e1000 in PHY loopback to receive
# a packet into the VMM's DMA canary page (vmm.selftest=dma) and to send
# one from it, on QEMU q35 with an Intel VT-d unit (SVM CPU). The VMM
# survives, the canary is intact, the guest receives none of its bytes,
# and the unit's fault records give one log line per refused access.
# Then vmm.iommu=on on a machine without an IOMMU refuses to start, and
# vmm.iommu=auto there warns loudly.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/e1000_evil.img
nic=(-netdev user,id=n0,restrict=on -device e1000,netdev=n0,addr=5,romfile=)

mkiso "$LOG_DIR/dma.iso" "vmm.selftest=dma"
cp "$IMG" "$LOG_DIR/v.img"
qemu_start vtd "$LOG_DIR/dma.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -device intel-iommu "${nic[@]}" -device isa-debug-exit,iobase=0xf4 \
    $(guest_qemu_disk_args "$LOG_DIR/v.img")
wait_for vtd "E1000-EVIL done|E1000-EVIL no canary|PANIC" 90; stop vtd
q=vtd
expect $q "I iommu: VT-d 0xfed90000: DMA remapping on: .*every device but the VMM region" "VT-d translation on"
expect $q "I mmio: VT-d registers: 0xfed90000-0xfed90fff hooked" "the unit's registers hidden from the guest"
expect $q "E1000-EVIL regs vtd-gsts=ffffffff" "the unit's registers read as all-ones"
expect $q "W iommu: the guest writes the IOMMU's registers at 0xfed90018: dropped" "the guest's write to GCMD (translation off) dropped and logged"
expect $q "E1000-EVIL rx-vmm tx=00000001 rx=00000007" "rx-vmm: the e1000 sent the packet and reported it received"
expect $q "E1000-EVIL tx-vmm tx=00000001 rx=00000007" "tx-vmm: the e1000 sent and received a packet"
expect_not $q "E1000-EVIL tx-vmm data=CANARY" "tx-vmm: no VMM byte reached the guest"
expect_count $q "E1000-EVIL canary changed=00000000" 2 "the canary page is unchanged after each"
expect_count $q "I selftest: DMA canary at 0x[0-9a-f]*: intact" 2 "the VMM finds its canary intact after each"
expect $q "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 write at 0x[0-9a-f]* refused" "the refused DMA write logged"
expect $q "W iommu: VT-d 0xfed90000: DMA fault: 00:05.0 read at 0x[0-9a-f]* refused" "the refused DMA read logged"
expect_not $q "PANIC|#GP|exception" "the VMM survives"

# no IOMMU (q35 without the unit): on refuses, auto warns
mkiso "$LOG_DIR/on.iso" "vmm.iommu=on"
qemu_start on "$LOG_DIR/on.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none
wait_for on "refusing to start|PANIC|Booting from Hard Disk" 60; stop on
expect on "E veneer: refusing to start: vmm.iommu=on and no IOMMU was found" "vmm.iommu=on without an IOMMU refuses"
mkiso "$LOG_DIR/auto.iso" ""
qemu_start auto "$LOG_DIR/auto.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none
wait_for auto "running the guest|PANIC|refusing" 60; stop auto
expect auto "W iommu: no IOMMU: device DMA can reach VMM memory" "vmm.iommu=auto without an IOMMU warns"
expect auto "I veneer: running the guest" "and runs the guest"
finish
