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
guest_disk "$LOG_DIR/scratch.img" ""
# Where the loader puts the region depends on what OVMF and GRUB allocated
# before it: a first boot, stopped once the VMM names it, finds it; the
# same machine and ESP give the same place.
uefi_esp "$LOG_DIR/esp.img" "veneer.test=none"
uefi_qemu probe "$LOG_DIR/esp.img" -smp 2 $(guest_qemu_nvme_args "$LOG_DIR/scratch.img")
wait_for probe "I mem: VMM region|refusing|PANIC" 120
stop probe
region=$(sed -n 's/.*I mem: VMM region \([0-9a-f]*\)-\([0-9a-f]*\) .*/0x\1-0x\2/p' "$LOG_DIR/probe.serial" | head -1)
[ -n "$region" ] || { echo "FAIL probe: the VMM named no region"; exit 1; }
lo=$(printf '%016x' $((${region%-*}))); hi=$(printf '%016x' $((${region#*-})))
HIDDEN=$(printf '0x%x-0x%x' $((${region%-*})) $((${region#*-})))
uefi_esp "$LOG_DIR/esp.img" "veneer.test=all,smp veneer.uefi=1 veneer.hidden=$HIDDEN veneer.cpus=2"
uefi_qemu veneer "$LOG_DIR/esp.img" -smp 2 $(guest_qemu_nvme_args "$LOG_DIR/scratch.img")
guest_verdict veneer 360
wait_exit veneer 60 || stop veneer
expect veneer "I boot: UEFI boot by veneer.efi" "started by veneer.efi, boot services running"
expect veneer "I mem: VMM region $lo-$hi \(32 MiB\) reserved by the UEFI loader" "region reserved by the loader where the guest is told it is"
expect veneer "backend svm" "backend svm"
expect veneer "I smp: UEFI: the APs stay with the firmware's MP services" "APs left to the firmware at boot"
expect veneer "I guest: starting the guest in long mode in the UEFI loader" "guest starts in the loader, in long mode"
expect veneer "veneer.efi: Veneer is running; back to the firmware" "the loader ran on as the guest and returned"
expect veneer "GUEST-GRUB-EFI veneer.efi returned; booting Linux" "GRUB EFI went on after veneer.efi"
expect veneer "I smp: UEFI: the guest's first INIT: 1 AP brought under the VMM" "the AP brought under the VMM at the first INIT"
expect veneer "I smp: CPU 1 \(APIC ID 1\) started by the guest" "the guest started CPU 1 through the VMM"
expect veneer "^GUEST-CHECK hypercall PASS veneer [0-9.]+ svm" "hypercall answers"
expect veneer "^GUEST-CHECK e820 PASS hidden $HIDDEN absent .*UEFI: reserved" "region reserved, not usable, in the EFI memory map and /proc/iomem"
expect veneer "^GUEST-CHECK nosvm PASS" "no svm flag"
expect veneer "^GUEST-CHECK smp PASS" "2 CPUs online"
expect veneer "^GUEST-CHECK disk PASS" "disk write and read-back"
expect veneer "reboot: Power down" "guest powered off"
expect_not veneer "PANIC|Kernel panic|refusing" "no panic"
finish
