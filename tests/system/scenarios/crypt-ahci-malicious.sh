#!/bin/bash
# timeout: 300
# A guest that drives an AHCI port itself (tests/miniguest/ahci_evil.S) with
# malformed commands, on QEMU q35 (SVM): a PRDT entry in the VMM region
# (read and write), one where there is no RAM, one whose address + count
# wraps past 2^64, an odd byte count, a PRDT shorter than its command, more
# entries than the mediator takes, a command table and a command list in
# the VMM region, a media command the mediator does not shadow (READ
# LONG), and a WRITE FPDMA QUEUED (NCQ) into the VMM region; before them
# it tries to move the ABAR, which must stay. Then four commands around
# the cipher: a WRITE FPDMA QUEUED whose FIS tag is not its slot, a WRITE
# DMA of marker data with a CHS address (LBA 1024 by CHS, 273 read as an
# LBA: outside the encrypted range), a TRIM and an SCT Write Same of LBA
# 1024 (QEMU implements no SCT: that one is seen only in the VMM's log).
# Then a WRITE DMA EXT of marker data at LBA 1040 issued only through the
# index-data pair (BAR4 I/O): PxCMD, PxCLB (a command list of the guest's
# own) and PxCI; it must reach the disk encrypted, as by the ABAR. Each command must end in an error status the guest reads (PxIS.TFES,
# PxTFD ERR with ABRT) and one VMM log line naming it; the VMM survives, a
# well-formed read before and after (and after an HBA reset and a COMRESET)
# returns the plaintext, and the disk's
# ciphertext is unchanged (nothing was written). Then the same commands on
# the port of the CD (ATAPI, data in the clear, commands still checked).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
IMG=$ROOT/build/miniguest/ahci_evil.img
key=$LOG_DIR/veneer.key disk=$LOG_DIR/disk.img
region=0x3de00000
crypt_key "$key"

# the miniguest, 4 KiB of plaintext at LBA 1024 encrypted from there on,
# an address in the VMM region patched in (cfg_vmm at byte 4088)
cp "$IMG" "$disk"
truncate -s 2M "$disk"  # room for the 1 MiB reads at LBA 1024
yes VENEER-AHCI-PLAIN | tr -d '\n' | head -c 4096 |
    dd of="$disk" bs=512 seek=1024 conv=notrunc status=none
addr=$((region + 0x100000))
printf "$(printf '\\x%02x' $((addr & 255)) $((addr >> 8 & 255)) \
    $((addr >> 16 & 255)) $((addr >> 24 & 255)))" |
    dd of="$disk" bs=1 seek=4088 conv=notrunc status=none
"$VDISK" encrypt "$disk" --key-file "$key" --offset 1024 >/dev/null || exit 1
dd if="$disk" bs=512 skip=1024 count=8 status=none >"$disk.before"

mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ahci/1024-end/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start evil "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device isa-debug-exit,iobase=0xf4 $(guest_qemu_disk_args "$disk")
wait_for evil "I storage: ahci [0-9a-f:.]+ p0: [0-9]+ sectors read|PANIC" 120; stop evil

expect evil "I mem: VMM region 00000000${region#0x}" "the VMM region where the guest was told"
expect evil "I storage: ahci [0-9a-f:.]+ p0: 512-byte sectors, encrypted by rule ahci/1024-end/k0" "the disk under the rule"
expect evil "AHCI-EVIL done" "the guest ran to its end"
expect evil "AHCI-EVIL good-read is=0000000[0-9a-f] tfd=000000[45]0 sact=00000000 data=VENEER-AHCI-PLAI" "a good read returns the plaintext"
n=$(grep -ac "AHCI-EVIL big-read is=0000000[0-9a-f] tfd=000000[45]0 sact=00000000 data=VENEER-AHCI-PLAI" "$LOG_DIR/evil.serial")
if [ "$n" = 4 ]; then echo "ok   evil: four 1 MiB reads return the plaintext"
else echo "FAIL evil: $n of the four 1 MiB reads returned the plaintext"; FAILS=$((FAILS + 1)); fi
expect evil "I ahci: ahci [0-9a-f:.]+ p0: at most 1 commands at the HBA at once; 4 bounced commands over 256 KiB, 1 bounce buffers over 256 KiB taken from VMM memory" "the four 1 MiB reads bounced through one buffer (the port's pool keeps it between commands)"
expect evil "AHCI-EVIL good-read-again is=0000000[0-9a-f] tfd=000000[45]0 sact=00000000 data=VENEER-AHCI-PLAI" "the port works after the refusals"
expect evil "AHCI-EVIL good-read-after-hba-reset is=0000000[0-9a-f] tfd=000000[45]0 sact=00000000 data=VENEER-AHCI-PLAI" "and after an HBA reset (GHC.HR) and a COMRESET"
expect evil "AHCI-EVIL fis-area-quiet is=00000000" "no FIS came: the guest's FIS area is not written (a firmware's left behind would be memory the OS reuses)"
entry="refused: PRDT entry 0 \(addr"
for t in vmm-region-read vmm-region-write outside-ram wraps odd-count prdt-too-short \
         too-many-entries table-in-vmm-write clb-in-vmm-write read-long; do
    expect evil "AHCI-EVIL $t is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000000" "$t: task-file error to the guest (TFES, ERR, ABRT)"
done
expect evil "AHCI-EVIL ncq-vmm-region-write is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000001" "NCQ write into the VMM region: task-file error, its tag still active for the driver's error handling"
expect evil "WRITE FPDMA QUEUED \(command 0x61 LBA 1024, 8 sectors\) $entry 0x$(printf %x $((region + 0x100000))) count 0x1000\): region outside" "the NCQ entry named"
expect evil "slot 0: READ DMA EXT \(command 0x25 LBA 1024, 8 sectors\) $entry 0x$(printf %x $((region + 0x100000))) count 0x1000\): region outside guest RAM \(or in the VMM region\)" "VMM-region entry (read) named"
expect evil "slot 0: WRITE DMA EXT \(command 0x35 LBA 1024, 8 sectors\) $entry 0x$(printf %x $((region + 0x100000))) count 0x1000\): region outside" "VMM-region entry (write) named"
expect evil "$entry 0x80000000 count 0x1000\): region outside guest RAM" "entry outside RAM named"
expect evil "$entry 0xfffffffffffff000 count 0x2000\): address \+ count wraps" "wrapping entry named"
expect evil "$entry 0x40000 count 0xfff\): odd address or byte count" "odd count named"
expect evil "READ DMA EXT .* refused: the PRDT covers fewer bytes than the command moves" "short PRDT named"
expect evil "READ DMA EXT .* refused: PRDT: more PRDT entries than the mediator takes \(256\)" "too many entries named"
expect evil "slot 0: refused: command table at 0x$(printf %x $((region + 0x100000))): command table outside guest RAM" "command table in the VMM region named"
expect evil "slot 0: refused: PxCLB 0x$(printf %x $((region + 0x100000))): command list outside guest RAM" "command list in the VMM region named"
expect evil "READ LONG \(command 0x22 LBA 1024, 8 sectors\) refused: a media command the mediator does not shadow" "READ LONG named"
expect evil "AHCI-EVIL ncq-tag-not-slot is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000001" "NCQ tag not its slot: task-file error"
expect evil "WRITE FPDMA QUEUED \(command 0x61 LBA 1024, 8 sectors\) refused: tag 5: the NCQ tag in the FIS is not the command's slot" "the tag named"
expect evil "AHCI-EVIL chs-write is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000000" "CHS write: task-file error"
expect evil "WRITE DMA \(command 0xca LBA 273, 8 sectors\) refused: CHS addressing" "the CHS write named"
expect evil "AHCI-EVIL trim-encrypted is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000000" "TRIM on an encrypted disk: task-file error"
expect evil "DATA SET MANAGEMENT \(command 0x06 .*refused: the device would write media from its data past the cipher" "the TRIM named"
expect evil "AHCI-EVIL sct-write-same is=4[0-9a-f]{7} tfd=000004[0-9a-f][13579bdf] sact=00000000" "SCT Write Same: task-file error"
expect evil "WRITE LOG DMA EXT \(SCT\) \(command 0x57 .*refused: the device would write media from its data past the cipher" "the SCT command named"
expect evil "I ahci: [0-9a-f:.]+: index-data pair at I/O 0x[0-9a-f]+: mediated" "the index-data pair (BAR4) owned"
expect evil "AHCI-EVIL idp-write is=0000000[0-9a-f] tfd=000000[45]0 sact=00000000" "a write through the index-data pair completes"
"$VDISK" decrypt "$disk" --key-file "$key" --offset 1024 --output "$disk.dec" >/dev/null 2>&1
if dd if="$disk.dec" bs=512 skip=1040 count=8 status=none | grep -aq VENEER-AHCI-EVLW; then
    echo "ok   evil: the write through the index-data pair is on the disk encrypted"
else echo "FAIL evil: the write through the index-data pair is not on the disk encrypted"; FAILS=$((FAILS + 1)); fi
if dd if="$disk" bs=512 skip=16 status=none | grep -aq VENEER-AHCI-EVLW; then
    echo "FAIL evil: the guest's marker plaintext reached the disk"; FAILS=$((FAILS + 1))
else echo "ok   evil: the marker data is not on the disk"; fi
abar=$(grep -ao "I ahci: [0-9a-f:.]*: ABAR 0x[0-9a-f]*" "$LOG_DIR/evil.serial" | head -1 | sed 's/.*ABAR 0x//')
expect evil "AHCI-EVIL bar5-after-move=0*$abar" "the guest cannot move the ABAR (BAR5 reads 0x$abar)"
expect evil "W ahci: [0-9a-f:.]+: the guest moves the ABAR to 0x[0-9a-f]+: refused, it stays at 0x$abar" "the move named in the log"
n=$(grep -ac "W ahci: .* slot [0-9]*: .*refused" "$LOG_DIR/evil.serial")
if [ "$n" = 15 ]; then echo "ok   evil: 15 refusals logged, one each"
else echo "FAIL evil: $n refusal lines logged, not 15"; FAILS=$((FAILS + 1)); fi
expect_not evil "PANIC|#GP|exception|cannot decode" "the VMM survives"
dd if="$disk" bs=512 skip=1024 count=8 status=none | cmp -s - "$disk.before" &&
    echo "ok   evil: the disk's sectors are unchanged (nothing written)" ||
    { echo "FAIL evil: the refused writes changed the disk"; FAILS=$((FAILS + 1)); }
if grep -aq VENEER-AHCI-PLAIN "$disk"; then
    echo "FAIL evil: plaintext in the image"; FAILS=$((FAILS + 1))
fi

# The same commands on the CD's port (ICH9 00:1f.2 port 2, ATAPI: its data
# is not encrypted, but its commands are shadowed and checked all the same;
# the good reads fail there, an ATA read to an ATAPI device)
disk2=$LOG_DIR/disk-cd.img
cp "$disk" "$disk2"
printf '\x02' | dd of="$disk2" bs=1 seek=4087 conv=notrunc status=none
# shellcheck disable=SC2046
qemu_start cd "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device isa-debug-exit,iobase=0xf4 $(guest_qemu_disk_args "$disk2")
wait_for cd "AHCI-EVIL done|PANIC" 120; stop cd
expect cd "AHCI-EVIL done" "CD port: the guest ran to its end"
expect cd "I ahci: ahci 00:1f\.2 p2: ATAPI device" "CD port: the ATAPI device found"
for t in vmm-region-read vmm-region-write outside-ram wraps table-in-vmm-write clb-in-vmm-write; do
    expect cd "AHCI-EVIL $t is=4[0-9a-f]{7} tfd=[0-9a-f]{5}4[0-9a-f][13579bdf]" "CD port: $t: task-file error to the guest"
done
expect cd "W ahci: ahci 00:1f\.2 p2 slot 0: READ DMA EXT .* $entry 0x$(printf %x $((region + 0x100000))) count 0x1000\): region outside" "CD port: the VMM-region entry named"
expect cd "W ahci: ahci 00:1f\.2 p2 slot 0: refused: PxCLB 0x$(printf %x $((region + 0x100000))): command list outside" "CD port: the command list in the VMM region named"
expect_not cd "PANIC|#GP|exception|cannot decode" "CD port: the VMM survives"
finish
