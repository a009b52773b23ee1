#!/bin/bash
# timeout: 240
# A guest that drives QEMU's NVMe controller itself (tests/miniguest/
# nvme_evil.S, booted by SeaBIOS from that controller through the
# mediator) with malformed commands, on QEMU q35 (SVM): an Identify into
# the VMM region, a completion queue
# in the VMM region and one larger than CAP.MQES; reads and a write whose
# PRP1 is in the VMM region, outside RAM (no RAM there; the BIOS ROM: the
# one DMA-window rule, e820_ram_ok) or misaligned; PRP lists that
# loop, lie in the VMM region or are misaligned; a transfer longer than
# the mediator bounces; an LBA range that wraps; Write Zeroes on the
# encrypted namespace; an SQ doorbell beyond the queue; Firmware Image
# Download and Firmware Commit; writes to the boot partition (BPMBL into
# the VMM region, BPRSEL), CMB (CMBMSC) and PMR (PMRCTL) registers, which
# must be ignored and read back zero. Then 20 good reads
# in one doorbell, more than the mediator has bounce buffers. Each bad command must
# end in an error status the guest reads and one VMM log line naming it;
# the VMM survives, a well-formed read before and after returns the
# plaintext, and the disk's ciphertext is unchanged (nothing was written).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
IMG=$ROOT/build/miniguest/nvme_evil.img
key=$LOG_DIR/veneer.key disk=$LOG_DIR/nvme.img
crypt_key "$key"
region=0x3de00000
vmm=$((region + 0x100000))

# the miniguest, 16 KiB of plaintext at LBA 1024 encrypted from there on,
# an address in the VMM region patched in (cfg_vmm at byte 4088)
cp "$IMG" "$disk"
yes VENEER-NVME-PLAIN | tr -d '\n' | head -c 16384 |
    dd of="$disk" bs=512 seek=1024 conv=notrunc status=none
printf "$(printf '\\x%02x' $((vmm & 255)) $((vmm >> 8 & 255)) $((vmm >> 16 & 255)) $((vmm >> 24 & 255)))" |
    dd of="$disk" bs=1 seek=4088 conv=notrunc status=none
"$VDISK" encrypt "$disk" --key-file "$key" --offset 1024 >/dev/null || exit 1
dd if="$disk" bs=512 skip=1024 count=32 status=none >"$disk.before"

mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=nvme/1024-end/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -drive file="$disk",format=raw,if=none,id=evil -device nvme,serial=evil,drive=evil,addr=4
wait_for qemu "NVME-EVIL done|PANIC" 120; stop qemu

q=qemu
expect $q "I mem: VMM region 00000000${region#0x}" "the VMM region where the guest was told"
expect $q "I nvme: 00:04.0: adopted the firmware's I/O SQ 1" "SeaBIOS's queues taken over (it loads the miniguest)"
expect $q "I storage: nvme 00:04.0 n1: 512-byte sectors, encrypted by rule nvme/1024-end/k0" "the namespace under the rule"
expect $q "NVME-EVIL done" "the guest ran to its end"
expect $q "NVME-EVIL cq st=00000000" "a well-formed CQ is created"
expect $q "NVME-EVIL sq st=00000000" "a well-formed SQ is created"
expect $q "NVME-EVIL good st=00000000 data=VENEER-NVME-PLAI" "a good read returns the plaintext"
expect $q "NVME-EVIL good-again st=00000000 data=VENEER-NVME-PLAI" "the controller works after the refusals"
expect $q "NVME-EVIL cq2 st=00000000" "I/O CQ 2 (32 entries) created"
expect $q "NVME-EVIL sq2 st=00000000" "I/O SQ 2 created"
expect $q "NVME-EVIL burst st=00000014 data=VENEER-NVME-PLAI" "20 reads in one doorbell (more than the 16 bounce buffers): all complete with status 0 and the same plaintext"
expect $q "I nvme: 00:04.0: queue 2: a doorbell gave more commands than slots or bounce buffers are free" "the burst waited for bounce buffers to come free"
# test, expected status (SCT << 8 | SC), what the log line must say
check() {
    expect $q "NVME-EVIL $1 st=0000$2\b" "$1: status $2 to the guest"
    expect $q "W nvme: 00:04.0: $3" "$1: logged"
}
check id-vmm 0004 "queue 0 Identify .*PRP1 0x$(printf %x $vmm) PRP2 0x0, 4096 bytes: .*data page outside guest RAM \(or in the VMM region\); status 0/0x04"
check cq-vmm 0002 "queue 0 Create I/O CQ .*refused: queue base in the VMM region or outside RAM; status 0/0x02"
check cq-big 0102 "queue 0 Create I/O CQ .*refused: queue size beyond CAP.MQES .*; status 1/0x02"
check vmm-read 0004 "queue 1 Read .*PRP1 0x$(printf %x $vmm) .*: data page outside guest RAM \(or in the VMM region\); status 0/0x04"
check vmm-write 0004 "queue 1 Write .*PRP1 0x$(printf %x $vmm) .*: data page outside guest RAM \(or in the VMM region\); status 0/0x04"
check outside-ram 0004 "queue 1 Read .*PRP1 0x80000000 .*entry 0x80000000: data page outside guest RAM"
check bios-rom 0004 "queue 1 Read .*PRP1 0xf0000 .*entry 0xf0000: data page outside guest RAM"
check list-loop 0002 "queue 1 Read .*PRP2 0x14ff0, 16384 bytes: entry 0x14000: PRP list loops back"
check list-vmm 0004 "queue 1 Read .*PRP2 0x$(printf %x $vmm), .*: PRP list outside guest RAM \(or in the VMM region\)"
check list-odd 0013 "queue 1 Read .*PRP2 0x14004, .*: misaligned PRP entry or list pointer; status 0/0x13"
check prp1-odd 0013 "queue 1 Read .*PRP1 0x20002 .*: misaligned PRP entry or list pointer; status 0/0x13"
check too-long 0002 "queue 1 Read .*refused: longer than the mediator bounces; status 0/0x02"
check lba-wraps 0080 "queue 1 Read .*refused: LBA range wraps past 2\\^64; status 0/0x80"
check write-zeroes 0001 "queue 1 NVM command \(opcode 0x08.*refused: an NVM command the mediator does not shadow on an encrypted namespace; status 0/0x01"
check firmware-download 0001 "queue 0 Firmware Image Download .*refused: new firmware: a reflashed controller is an arbitrary DMA master; status 0/0x01"
check firmware-commit 0001 "queue 0 Firmware Commit .*refused: new firmware: a reflashed controller is an arbitrary DMA master; status 0/0x01"
expect $q "NVME-EVIL bp-cmb-pmr-registers st=00000000" "boot partition, CMB and PMR registers read back zero (and CAP hides them)"
expect $q "W nvme: 00:04.0: a 4-byte write of 0x$(printf %x $vmm) to register 0x48 \(boot partition read" "the BPMBL write named"
expect $q "W nvme: 00:04.0: a 4-byte write of 0x400 to register 0x44 \(boot partition read" "the BPRSEL write named"
expect $q "W nvme: 00:04.0: a 4-byte write of 0x$(printf %x $((vmm | 3))) to register 0x50 \(controller memory buffer" "the CMBMSC write named"
expect $q "W nvme: 00:04.0: a 4-byte write of 0x1 to register 0xe04 \(persistent memory region" "the PMRCTL write named"
expect $q "W nvme: 00:04.0: SQ 1 doorbell value 100 beyond the queue size 8: ignored" "bad-doorbell: logged and ignored"
n=$(grep -ac "W nvme: .*refused" "$LOG_DIR/$q.serial")
if [ "$n" = 16 ]; then echo "ok   $q: 16 refusals logged, one each"
else echo "FAIL $q: $n refusal lines logged, not 16"; FAILS=$((FAILS + 1)); fi
expect_not $q "PANIC|#GP|exception" "the VMM survives"
dd if="$disk" bs=512 skip=1024 count=32 status=none | cmp -s - "$disk.before" &&
    echo "ok   $q: the disk's sectors are unchanged (nothing written)" ||
    { echo "FAIL $q: the refused writes changed the disk"; FAILS=$((FAILS + 1)); }
if grep -aq VENEER-NVME-PLAIN "$disk"; then
    echo "FAIL $q: plaintext in the image"; FAILS=$((FAILS + 1))
fi
finish
