#!/bin/bash
# timeout: 420
# uefi-linux-qemu-ahci with the scratch disk (AHCI port 1) encrypted whole
# (vdisk, AES-256-XTS) and veneer.key on the ESP: veneer.efi passes the key
# file as a MODULE block, the rule ahci.1 covers that port only (the ESP on
# port 0 stays plain), Linux finds its partitions and passes its disk check
# through the mediator, and the marker it wrote is ciphertext in the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
UEFI_ESP_BUS=ahci
UEFI_KEY=$LOG_DIR/veneer.key
crypt_key "$UEFI_KEY"
UEFI_VMM_OPTS="vmm.crypt=ahci.1/all/k0 vmm.kcv=$(crypt_kcv "$UEFI_KEY")"
uefi_linux_run
expect veneer "I storage: ahci [0-9a-f:.]+ p1: 512-byte sectors, encrypted by rule ahci.1/all/k0" "the scratch disk under the rule"
expect veneer "I storage: ahci [0-9a-f:.]+ p0: 512-byte sectors, passed through in the clear" "the ESP in the clear"
expect_not veneer "refused|#GP" "no refusal"
crypt_check_marker veneer "$LOG_DIR/scratch.img" "$UEFI_KEY"
finish
