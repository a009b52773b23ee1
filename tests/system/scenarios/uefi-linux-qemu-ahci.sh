#!/bin/bash
# timeout: 420
# uefi-linux-qemu-svm with the ESP and the scratch disk on the chipset's
# AHCI HBA (q35 ICH9): OVMF's AHCI driver is running when Veneer starts and
# goes on through the AHCI mediator (commands shadowed, data in the clear),
# then GRUB EFI and Linux read the disk through it too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../uefi.sh"
UEFI_ESP_BUS=ahci
uefi_linux_run
expect veneer "I pci: 00:1f.2 8086:2922 class 010601 rev 02 ecam mediator ahci" "the chipset's AHCI HBA mediated"
expect veneer "ahci 00:1f.2 p0: SATA disk, .*command list and FIS area shadowed" "OVMF's running port taken over by the mediator (its command list shadowed)"
finish
