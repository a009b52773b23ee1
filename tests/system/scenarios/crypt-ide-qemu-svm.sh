#!/bin/bash
# timeout: 420
# The guest disk encrypted whole (vdisk, AES-256-XTS) on QEMU pc's PIIX3
# IDE, Veneer with the key as a module (SVM): SeaBIOS reads the MBR and
# GRUB through the IDE mediator (PIO, decrypted), Linux's ata_piix driver
# reads and writes by bus-master DMA through it, the guest's disk check
# passes, and its marker is ciphertext in the image and plaintext after an
# offline decryption.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,nosvm,cpu,disk"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ata/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
qemu_start ide "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none \
    -drive file="$img",format=raw,if=ide,index=0,media=disk
guest_verdict ide 300
wait_exit ide 60 || stop ide
expect ide "I ide: ata0.0: ATA disk, [0-9]+ sectors" "the IDE disk found"
expect ide "I ide: ata1.0: ATAPI device, passed through" "the CD passes through"
expect ide "I storage: ata [0-9a-f:.]+ u0: 512-byte sectors, encrypted by rule ata/all/k0" "the disk under the rule"
expect ide "I guest: boot sector of drive 0x80 read" "boot sector read through INT 13h"
expect ide "^GUEST-CHECK hypercall PASS" "the guest runs under Veneer"
expect ide "^GUEST-CHECK disk PASS" "disk write and read-back through the mediator"
expect_not ide "PANIC|Kernel panic|refusing|refused" "no panic, no refusal"
expect ide "I ide: ata0.0: [1-9][0-9]* sectors through the cipher by PIO, [1-9][0-9]* by bus-master DMA; 0 refusals" "BIOS PIO and Linux DMA both mediated"
expect ide "I storage: ata [0-9a-f:.]+ u0: [0-9]+ sectors read, [1-9][0-9]* written" "the guest wrote through the mediator"
crypt_check_marker ide "$img" "$key"
finish
