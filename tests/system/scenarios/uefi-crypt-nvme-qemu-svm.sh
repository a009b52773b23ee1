#!/bin/bash
# timeout: 480
# Linux boots under OVMF from an NVMe namespace encrypted whole, Veneer
# started from the ESP first (QEMU q35, SVM, 2 CPUs), as on a laptop:
#   00:02.0  the Veneer ESP (plain, first in BootOrder): \EFI\BOOT\BOOTX64.EFI
#            is veneer.efi, with veneer.elf, veneer.cfg and veneer.key
#   00:03.0  the OS disk, encrypted whole with vdisk: a FAT ESP with GRUB EFI,
#            the kernel and the initramfs (second in BootOrder)
#   00:04.0  the guest's scratch disk, encrypted whole (the disk check)
# veneer.efi disconnects OVMF's NVMe driver, starts the VMM, reconnects the
# driver (which now sets the controllers up through the mediator), skips
# its own boot option and starts the next: the firmware reads GRUB, the
# kernel and the initramfs from the encrypted namespace through the
# mediator; none of them is readable in the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
KEY=$LOG_DIR/veneer.key
crypt_key "$KEY"
OPTS="vmm.crypt=nvme@00:03.0/all/k0,nvme@00:04.0/all/k0 vmm.kcv=$(crypt_kcv "$KEY")"
crypt_guest_disk "$LOG_DIR/scratch.img" "$KEY" ""
uefi_veneer_esp "$LOG_DIR/veneer-esp.img" "$OPTS" "$KEY"

os_disk() {
    UEFI_BARE=1 uefi_esp "$LOG_DIR/os.img" "$1"
    grep -aq "GUEST-GRUB-EFI booting Linux" "$LOG_DIR/os.img" ||
        { echo "FAIL os.img: GRUB's configuration not found in the plain image"; exit 1; }
    "$VDISK" encrypt "$LOG_DIR/os.img" --key-file "$KEY" >"$LOG_DIR/os.vdisk.log" 2>&1 || {
        echo "FAIL vdisk encrypt os.img:"; cat "$LOG_DIR/os.vdisk.log"; exit 1; }
}
boot() {
    uefi_qemu "$1" "$LOG_DIR/veneer-esp.img" -smp 2 \
        -drive file="$LOG_DIR/os.img",format=raw,if=none,id=os \
        -device nvme,serial=veneer-os,drive=os,bootindex=1 \
        $(guest_qemu_nvme_args "$LOG_DIR/scratch.img")
}

# where the region goes depends on what OVMF allocated: a first boot,
# stopped once the VMM names it, finds it (same machine, same place)
os_disk "veneer.test=none"
boot probe
wait_for probe "I mem: VMM region|refusing|PANIC" 120
stop probe
region=$(sed -n 's/.*I mem: VMM region \([0-9a-f]*\)-\([0-9a-f]*\) .*/0x\1-0x\2/p' "$LOG_DIR/probe.serial" | head -1)
[ -n "$region" ] || { echo "FAIL probe: the VMM named no region"; exit 1; }
HIDDEN=$(printf '0x%x-0x%x' $((${region%-*})) $((${region#*-})))

os_disk "veneer.test=all,smp veneer.uefi=1 veneer.hidden=$HIDDEN veneer.cpus=2"
if grep -aq "GUEST-GRUB-EFI booting Linux" "$LOG_DIR/os.img"; then
    echo "FAIL os.img: GRUB's configuration is readable in the encrypted image"
    FAILS=$((FAILS + 1))
fi
boot veneer
wait_for veneer '^GUEST-VERDICT|refusing to start|PANIC' 360
guest_verdict veneer 5
if grep -aq "^GUEST-VERDICT" "$LOG_DIR/veneer.serial"; then
    wait_exit veneer 60 || stop veneer
else
    stop veneer
fi
expect veneer "veneer.efi: read \\\\EFI\\\\BOOT\\\\veneer.elf" "veneer.efi started by the firmware from the Veneer ESP"
expect veneer "veneer.efi: storage controller 00:03.0 \(class 010802\): firmware driver disconnected" "the firmware's NVMe driver disconnected before the VMM"
expect veneer "I nvme: 00:02.0: left enabled by the firmware, whose driver veneer.efi disconnected" "no takeover of the firmware's queues on UEFI"
expect veneer "I storage: nvme 00:03.0 n1: 512-byte sectors, encrypted by rule nvme@00:03.0/all/k0" "the OS namespace under the rule"
expect veneer "I storage: nvme 00:04.0 n1: 512-byte sectors, encrypted by rule nvme@00:04.0/all/k0" "the scratch namespace under the rule"
expect veneer "veneer.efi: storage controller [0-9] reconnected \(mediated\): Success" "the driver reconnected under the VMM"
expect veneer "veneer.efi: Boot[0-9A-F]{4} skipped: veneer.efi itself" "veneer.efi skips its own boot option"
expect veneer "veneer.efi: starting Boot[0-9A-F]{4} \"UEFI QEMU NVMe Ctrl veneer-os" "veneer.efi starts the encrypted disk's boot option"
expect veneer "GUEST-GRUB-EFI booting Linux" "GRUB EFI read from the encrypted namespace through the mediator"
expect veneer "I smp: CPU 1 \(APIC ID 1\) started by the guest" "the guest started CPU 1 through the VMM"
expect veneer "^GUEST-CHECK hypercall PASS veneer [0-9.]+ svm" "Linux runs under Veneer"
expect veneer "^GUEST-CHECK e820 PASS hidden $HIDDEN absent .*UEFI: reserved" "the region reserved in the EFI memory map, absent from /proc/iomem"
expect veneer "^GUEST-CHECK nosvm PASS" "no svm flag"
expect veneer "^GUEST-CHECK smp PASS" "2 CPUs online"
expect veneer "^GUEST-CHECK disk PASS" "disk check through the cipher"
expect veneer "I nvme: 00:03.0: [1-9][0-9]* sectors through the mediator" "the OS disk read through the mediator"
expect veneer "reboot: Power down" "guest powered off"
expect_not veneer "refused|#GP|PANIC|Kernel panic|refusing" "no refusal, no panic"
crypt_check_marker veneer "$LOG_DIR/scratch.img" "$KEY"
finish
