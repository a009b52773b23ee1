#!/bin/bash
# timeout: 480
# Linux boots under OVMF from an NVMe namespace encrypted whole, Veneer
# started from the ESP first (QEMU q35, SVM, 2 CPUs), as on a laptop; the
# key from a file on the Veneer ESP (the machine: uefi.sh,
# uefi_crypt_boot_prepare). veneer.efi disconnects OVMF's NVMe driver,
# starts the VMM, reconnects the driver (which now sets the controllers up
# through the mediator), skips its own boot option and starts the next:
# the firmware reads GRUB, the kernel and the initramfs from the encrypted
# namespace through the mediator; none of them is readable in the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
CRYPT_KEY=$LOG_DIR/veneer.key
crypt_key "$CRYPT_KEY"
CRYPT_ESP_KEY=$CRYPT_KEY
CRYPT_OPTS="vmm.kcv=$(crypt_kcv "$CRYPT_KEY")"
uefi_crypt_boot_prepare
uefi_crypt_boot_start veneer
wait_for veneer '^GUEST-VERDICT|refusing to start|PANIC' 360
guest_verdict veneer 5
if grep -aq "^GUEST-VERDICT" "$LOG_DIR/veneer.serial"; then
    wait_exit veneer 60 || stop veneer
else
    stop veneer
fi
expect veneer "veneer.efi: read \\\\EFI\\\\BOOT\\\\veneer.key \(64 bytes\)" "the key file read from the Veneer ESP"
expect veneer "I storage: key file module veneer.key wiped from memory" "the key file wiped"
uefi_crypt_boot_expect veneer
finish
