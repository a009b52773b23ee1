#!/bin/bash
# timeout: 600
# S3 under Veneer (SVM) with a UEFI guest: OVMF (Debian's OVMF_CODE_4M.fd,
# no SMM), q35 with S3 enabled (-global ICH9-LPC.disable_s3=0), GRUB EFI
# chainloads veneer.efi, then Linux with 2 CPUs checks its NVMe disk and
# suspends (echo mem > /sys/power/state). system_wakeup: OVMF's S3 resume
# (PEI, its boot script, no DXE) jumps to the FACS waking vector in real
# mode, since Linux leaves X_Firmware_Waking_Vector 0 (docs/sleep.md):
# that is the VMM's start-up page, and the VMM resumes the guest at its own
# vector. One cycle (q35: the ICH9's PM registers no longer answer after
# a wake, bare too); QEMU is stopped after the guest's verdict. The VMM
# takes the pages veneer.efi reserved for a 64-bit wake's page tables
# (reserved in the memory map it passed; Linux wakes in real mode, so
# they stay unused here).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../uefi.sh"
. "$(dirname "$0")/../sleep.sh"

guest_disk "$LOG_DIR/scratch.img" ""
uefi_esp "$LOG_DIR/esp.img" "veneer.test=hypercall,disk,s3 veneer.cpus=2 no_console_suspend loglevel=5"
uefi_qemu uefi "$LOG_DIR/esp.img" -smp 2 -global ICH9-LPC.disable_s3=0 \
    $(uefi_scratch_args "$LOG_DIR/scratch.img")
if s3_wake uefi 400 1; then
    guest_verdict uefi 300
fi
stop uefi
s3_expect uefi 1
expect uefi "GUEST-GRUB-EFI veneer.efi returned; booting Linux" "Linux booted through veneer.efi (OVMF)"
expect uefi "I guest: UEFI: S3 64-bit wake page tables at [0-9a-f]+ \(reserved by the loader\)" "veneer.efi reserved the 64-bit wake's page-table pages and the VMM took them"
finish
