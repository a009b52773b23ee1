#!/bin/bash
# timeout: 420
# UEFI (OVMF, q35, SVM, 2 CPUs): GRUB EFI chainloads veneer.efi, which
# starts Veneer and returns as its guest; GRUB then boots Debian's Linux
# from the ESP on an NVMe disk. The guest runs under Veneer (hypercall),
# sees no SVM, finds the VMM region reserved (never usable) in its memory
# map and /proc/iomem, and its disk check passes on a second NVMe disk.
# The APs stay with the firmware until the guest's first INIT.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../uefi.sh"
uefi_linux_run
finish
