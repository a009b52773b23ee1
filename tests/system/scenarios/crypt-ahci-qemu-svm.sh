#!/bin/bash
# timeout: 600
# The disk of a two-CPU guest, encrypted whole (vdisk, AES-256-XTS), on an AHCI HBA of
# QEMU q35, Veneer with the key as a module (SVM), booted from the CD on
# the chipset's AHCI (ATAPI: passed through): SeaBIOS reads the MBR, GRUB
# and the kernel through the AHCI mediator (non-queued DMA, decrypted)
# before long mode, Linux's ahci driver reads and writes by NCQ through it,
# the guest's disk check passes, and its marker is ciphertext in the image
# and plaintext after an offline decryption. Then again with NCQ off in
# Linux (libata.force=noncq): READ/WRITE DMA EXT from the OS.
# A second disk on port 1 (random bytes, encrypted whole with vdisk) gets
# 2 MiB regions written and read back by both CPUs at once (pardisk: Linux
# splits each 2 MiB request into NCQ commands of 128 KiB, its largest for
# the disk, queued together), then 4 MiB of zeros in 1 MiB requests
# (ddbench): the HBA has several commands at once (the summary says how
# many), and the disk decrypts offline to the zeros written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
bench=$LOG_DIR/bench.img
head -c $((8 << 20)) /dev/urandom >"$bench"
"$VDISK" encrypt "$bench" --key-file "$key" >/dev/null || exit 1
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,nosvm,cpu,disk,pardisk,ddbench veneer.bench=sectors:16384 veneer.bench_mb=4"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ahci/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start ahci "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none -smp 2 \
    $(guest_qemu_disk_args "$img") -drive file="$bench",format=raw,if=none,id=bdisk \
    -device ide-hd,drive=bdisk,bus=gahci.1
guest_verdict ahci 300
wait_exit ahci 60 || stop ahci
expect ahci "I ahci: ahci 00:1f\.2 p2: ATAPI device \(signature 0xeb140101\): commands shadowed, data in the clear" "the CD on the chipset's AHCI: commands checked, data in the clear"
expect ahci "I ahci: ahci [0-9a-f:.]+ p0: SATA disk, [1-9][0-9]* sectors of 512 bytes; command list and FIS area shadowed" "the disk found (IDENTIFY) and its port shadowed"
expect ahci "I storage: ahci [0-9a-f:.]+ p0: 512-byte sectors, encrypted by rule ahci/all/k0" "the disk under the rule"
expect ahci "I mmio: AHCI ABAR: 0x[0-9a-f]+-0x[0-9a-f]+ hooked" "the ABAR hooked"
expect ahci "I guest: boot sector of drive 0x80 read" "boot sector read through INT 13h"
expect ahci "^GUEST-CHECK hypercall PASS" "the guest runs under Veneer"
expect ahci "^GUEST-CHECK disk PASS" "disk write and read-back through the mediator"
expect_not ahci "PANIC|Kernel panic|refusing|refused|#GP" "no panic, no refusal"
expect ahci "I ahci: ahci [0-9a-f:.]+ p0: [0-9]+ commands; [1-9][0-9]* sectors through the cipher before long mode \(the BIOS\), [1-9][0-9]* in long mode \([1-9][0-9]* of them by NCQ\); 0 refusals" "BIOS and Linux (NCQ) both through the cipher"
expect ahci "I storage: ahci [0-9a-f:.]+ p0: [0-9]+ sectors read, [1-9][0-9]* written" "the guest wrote through the mediator"
crypt_check_marker ahci "$img" "$key"
expect ahci "I storage: ahci [0-9a-f:.]+ p1: 512-byte sectors, encrypted by rule ahci/all/k0" "the second disk under the rule"
expect ahci "^GUEST-CHECK pardisk PASS" "both CPUs wrote and read their regions of the second disk at once"
expect ahci "^GUEST-CHECK ddbench PASS" "4 MiB written and read on the second disk in 1 MiB requests"
expect ahci "I ahci: ahci [0-9a-f:.]+ p1: at most ([2-9]|[1-9][0-9]) commands at the HBA at once" "several commands at the HBA at once (pardisk)"
expect ahci "I ahci: [0-9a-f:.]+: [0-9]+ register accesses for [1-9][0-9]* commands" "the register accesses per command reported"
if "$VDISK" decrypt "$bench" --key-file "$key" --output "$bench.plain" >/dev/null &&
   cmp -s -n $((4 << 20)) "$bench.plain" /dev/zero; then
    echo "ok   ahci: the second disk decrypts offline to the zeros written"
else
    echo "FAIL ahci: the second disk does not decrypt to the zeros written"
    FAILS=$((FAILS + 1))
fi
if cmp -s -n $((4 << 20)) "$bench" /dev/zero; then
    echo "FAIL ahci: zeros in the clear on the second disk"; FAILS=$((FAILS + 1))
fi
rm -f "$bench.plain"

# Linux without NCQ (libata.force=noncq): READ/WRITE DMA EXT from the OS
img2=$LOG_DIR/guest-noncq.img
crypt_guest_disk "$img2" "$key" "veneer.test=hypercall,disk libata.force=noncq"
# shellcheck disable=SC2046
qemu_start noncq "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    $(guest_qemu_disk_args "$img2")
guest_verdict noncq 300
wait_exit noncq 60 || stop noncq
expect noncq "^GUEST-CHECK disk PASS" "without NCQ: disk write and read-back through the mediator"
expect_not noncq "PANIC|Kernel panic|refusing|refused|#GP" "without NCQ: no panic, no refusal"
expect noncq "I ahci: ahci [0-9a-f:.]+ p0: [0-9]+ commands; [1-9][0-9]* sectors through the cipher before long mode \(the BIOS\), [1-9][0-9]* in long mode \(0 of them by NCQ\); 0 refusals" "without NCQ: Linux's non-queued DMA through the cipher"
crypt_check_marker noncq "$img2" "$key"
finish
