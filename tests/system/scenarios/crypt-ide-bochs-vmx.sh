#!/bin/bash
# timeout: 1200
# The guest disk encrypted whole (vdisk, AES-256-XTS) on Bochs' IDE disk
# (ata0-slave; the Veneer CD is ata0-master on the same channel), Veneer
# from the Intel-only image on corei7_skylake_x (VMX) with the key as a
# module: the Bochs BIOS reads the MBR and GRUB through the IDE mediator
# (PIO, decrypted), Linux's ata_piix reads and writes through it, the
# guest's disk check passes, and its marker is ciphertext in the image and
# plaintext after an offline decryption.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
ELF=$ROOT/build/intel/veneer.elf

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,novmx,disk $BOCHS_GUEST_PARAMS"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ata/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
bochs_start ide corei7_skylake_x "$LOG_DIR/veneer.iso" "$img"
guest_verdict ide 1000
wait_exit ide 120 || stop ide
expect ide "backend vmx" "the VMX backend"
expect ide "I ide: ata0.1: ATA disk, [0-9]+ sectors" "the IDE disk found"
expect ide "I ide: ata0.0: ATAPI device, passed through" "the CD on the same channel passes through"
expect ide "I storage: ata [0-9a-f:.]+ u1: 512-byte sectors, encrypted by rule ata/all/k0" "the disk under the rule"
expect ide "I guest: boot sector of drive 0x80 read" "boot sector read through INT 13h"
expect ide "^GUEST-CHECK hypercall PASS veneer [0-9.]+ vmx" "the guest runs under Veneer"
expect ide "^GUEST-CHECK disk PASS" "disk write and read-back through the mediator"
expect ide "I ide: ata0.1: [1-9][0-9]* sectors through the cipher by PIO, [0-9]+ by bus-master DMA; 0 refusals" "BIOS reads mediated"
expect ide "I storage: ata [0-9a-f:.]+ u1: [0-9]+ sectors read, [1-9][0-9]* written" "the guest wrote through the mediator"
expect_not ide "PANIC|Kernel panic|refusing|refused" "no panic, no refusal"
crypt_check_marker ide "$img" "$key"
finish
