#!/bin/bash
# timeout: 420
# Debian's Linux boots from the AHCI disk as Veneer's guest on QEMU (SVM
# with NPT, no NRIPS: the decoding path), q35 with a VT-d unit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../linux.sh"
start() {
    local name=$1 iso=$2 disk=$3
    if [ -n "$iso" ]; then
        qemu_start "$name" "$iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
            -device intel-iommu $(guest_qemu_disk_args "$disk")
    else
        qemu_start_disk "$name" "$disk" -cpu EPYC,+svm,+npt
    fi
}
linux_run start 0x3de00000-0x3fdfffff svm 200 bare
# q35 with a VT-d unit: DMAR is found, hidden from the guest, firmware's
# translation off, then the VMM's own on
expect veneer "I acpi: DMAR: 1 VT-d unit" "DMAR found"
expect veneer "I acpi: VT-d unit at 0xfed90000: translation off" "VT-d translation off"
expect veneer "I acpi: DMAR hidden from the guest \(1 root entry removed" "DMAR hidden"
# the unit protects the VMM region from DMA; the guest's own DMA (AHCI,
# through the mediator or not) keeps working
expect veneer "I iommu: VT-d 0xfed90000: DMA remapping on" "VT-d DMA remapping on"
expect_not veneer "W iommu: .*DMA fault" "no DMA fault: normal DMA works under the IOMMU"
finish
