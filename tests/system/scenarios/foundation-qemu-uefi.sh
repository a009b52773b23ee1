#!/bin/bash
# timeout: 180
# The same image boots through UEFI firmware (OVMF) and GRUB's EFI build:
# the VMM starts, reads the EFI memory map GRUB passes, reserves its
# region and names its backend.
. "$(dirname "$0")/../lib.sh"
mkiso "$LOG_DIR/plain.iso" ""
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$LOG_DIR/vars.fd"
qemu_start uefi "$LOG_DIR/plain.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,file="$LOG_DIR/vars.fd"
wait_for uefi "backend svm|refusing|PANIC" 150
stop uefi
expect uefi "I boot: UEFI boot \(system table 0x[0-9a-f]+\)" "UEFI boot recognised"
expect uefi "I mem: +[0-9a-f]+-[0-9a-f]+ ACPI NVS" "EFI memory map with firmware ranges"
expect uefi "I mem: VMM region [0-9a-f]+-[0-9a-f]+ \(32 MiB\) reserved" "VMM region reserved"
expect uefi "backend svm" "backend named"
finish
