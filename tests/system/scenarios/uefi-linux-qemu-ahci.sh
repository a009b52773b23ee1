#!/bin/bash
# timeout: 420
# uefi-linux-qemu-svm with the ESP and the scratch disk on the chipset's
# AHCI HBA (q35 ICH9): veneer.efi disconnects OVMF's AHCI driver, which
# stops the ports; the mediator starts each one briefly for its own
# IDENTIFY (the disk's size) and stops it again; the reconnected driver,
# then GRUB EFI and Linux read the disks through the mediator.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../uefi.sh"
UEFI_ESP_BUS=ahci
uefi_linux_run
expect veneer "I pci: 00:1f.2 8086:2922 class 010601 rev 02 ecam mediator ahci" "the chipset's AHCI HBA mediated"
expect veneer "veneer.efi: storage controller 00:1F.2 \(class 010601\): firmware driver disconnected: Success" "OVMF's AHCI driver disconnected"
expect veneer "I ahci: ahci 00:1f.2 p0: SATA disk, 131072 sectors of 512 bytes; command list and FIS area shadowed" "the stopped port started for the VMM's IDENTIFY: the disk's size"
expect veneer "I ahci: ahci 00:1f.2 p1: SATA disk, [1-9][0-9]* sectors of 512 bytes" "the scratch disk's size"
expect_not veneer "no answer to IDENTIFY" "every disk answered"
finish
