#!/bin/bash
# timeout: 420
# uefi-crypt-ahci-qemu-svm on NVMe: the ESP on one NVMe controller
# (00:02.0, plain), the scratch disk encrypted whole on another (00:03.0),
# both run by OVMF's NVMe driver when Veneer starts; the mediator reaches
# their 64-bit BARs (above RAM: the direct map covers the address space
# on a UEFI boot) and takes the running controllers over.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
UEFI_ESP_BUS=nvme
UEFI_KEY=$LOG_DIR/veneer.key
crypt_key "$UEFI_KEY"
UEFI_VMM_OPTS="vmm.crypt=nvme@00:03.0/all/k0 vmm.kcv=$(crypt_kcv "$UEFI_KEY")"
uefi_linux_run
expect veneer "I nvme: 00:02.0: NVMe controller, BAR0 0x[0-9a-f]{9,}" "the ESP controller's BAR above 4 GiB reached"
expect veneer "I storage: nvme 00:03.0 n1: 512-byte sectors, encrypted by rule nvme@00:03.0/all/k0" "the scratch namespace under the rule"
expect veneer "I storage: nvme 00:02.0 n1: 512-byte sectors, passed through in the clear" "the ESP in the clear"
expect_not veneer "refused|#GP" "no refusal"
crypt_check_marker veneer "$LOG_DIR/scratch.img" "$UEFI_KEY"
finish
