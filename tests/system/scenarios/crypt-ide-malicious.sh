#!/bin/bash
# timeout: 300
# A guest that programs the IDE bus master itself (tests/miniguest/
# ide_evil.S) with malformed PRD tables, on QEMU pc (SVM) and on Bochs
# corei7_skylake_x (VMX): an entry in the VMM region (read and write), one
# where there is no RAM, one whose address + count wraps past 4 GiB, an odd
# address, a table shorter than its command, a table with no end-of-table
# bit up to its 64 KiB boundary, a table outside RAM. Each must end in an
# error status the guest reads (bus-master ERROR, ATA ERR) and one VMM log
# line naming it; the VMM survives, a well-formed read before and after
# returns the plaintext, and the disk's ciphertext is unchanged (nothing
# was written). Then two writes around the mediator, of marker data
# (VENEER-IDE-EVILW): the engine restarted over a good table after a
# refused WRITE DMA without a reset (the drive still waits for the refused
# command's data), and the engine started with the other drive selected
# before WRITE DMA is issued to the disk: both refused, the marker never
# on the disk. (Bochs toggles the obsolete index bit, 0x02, of the ATA
# status: a good status is 0x50 or 0x52.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
IMG=$ROOT/build/miniguest/ide_evil.img
key=$LOG_DIR/veneer.key
crypt_key "$key"
opts="vmm.crypt=ata/1024-end/k0 vmm.kcv=$(crypt_kcv "$key")"

# make_disk OUT DRIVE VMM_ADDR: the miniguest, 4 KiB of plaintext at LBA
# 1024 encrypted from there on, DRIVE and an address in the VMM region
# patched in (cfg_drive, cfg_vmm at byte 2040).
make_disk() {
    local out=$1 drive=$2 addr=$3
    cp "$IMG" "$out"
    yes VENEER-IDE-PLAIN | tr -d '\n' | head -c 4096 |
        dd of="$out" bs=512 seek=1024 conv=notrunc status=none
    printf "$(printf '\\x%02x' $((addr & 255)) $((addr >> 8 & 255)) \
        $((addr >> 16 & 255)) $((addr >> 24 & 255)) "$drive")" |
        dd of="$out" bs=1 seek=2040 conv=notrunc status=none
    "$VDISK" encrypt "$out" --key-file "$key" --offset 1024 >/dev/null || exit 1
    dd if="$out" bs=512 skip=1024 count=8 status=none >"$out.before"
}

check_run() {
    local name=$1 disk=$2 region=$3
    expect "$name" "I mem: VMM region 00000000${region#0x}" "the VMM region where the guest was told"
    expect "$name" "IDE-EVIL done" "the guest ran to its end"
    expect "$name" "IDE-EVIL good-read bm=.[04] ata=5[0-3] data=VENEER-IDE-PLAIN" "a good read returns the plaintext"
    expect "$name" "IDE-EVIL good-read-again bm=.[04] ata=5[0-3] data=VENEER-IDE-PLAIN" "the controller works after the refusals"
    for t in vmm-region-read vmm-region-write outside-ram wraps-4g odd-address \
             table-too-short no-eot table-outside-ram-write; do
        expect "$name" "IDE-EVIL $t bm=.[67] ata=41" "$t: error status to the guest"
    done
    expect "$name" "refused: bus-master DMA: PRD table at 0x10000 entry 0 \(addr 0x$(printf %x $((region + 0x100000))) count 0x1000 flags 0x8000\): .*VMM" "VMM-region entry named in the log"
    expect "$name" "entry 0 \(addr 0x80000000 count 0x1000 flags 0x8000\): region outside guest RAM" "entry outside RAM named"
    expect "$name" "entry 0 \(addr 0xfffff000 count 0x2000 flags 0x8000\): .*4 GiB" "wrapping entry named"
    expect "$name" "entry 0 \(addr 0x20001 count 0x1000 flags 0x8000\): .*odd" "odd entry named"
    expect "$name" "covers fewer bytes than the command moves" "short table named"
    expect "$name" "PRD table at 0x1ff00 entry 32 .*end-of-table" "table without EOT named"
    expect "$name" "PRD table at 0x80000000 entry 0 .*table .*outside" "table outside RAM named"
    expect "$name" "IDE-EVIL restart-after-refusal bm=.[67] ata=41" "engine restarted after a refused write: error status"
    expect "$name" "IDE-EVIL started-other-drive bm=.[67] ata=41" "engine started on the other drive: error status"
    expect "$name" "refused: bus-master DMA: a refused DMA command may still wait for its data" "restart without a reset named"
    expect "$name" "refused: bus-master DMA: issued while the engine runs the guest's table" "command under a running engine named"
    local n
    n=$(grep -ac "W ide: .*refused" "$LOG_DIR/$name.serial")
    if [ "$n" = 11 ]; then echo "ok   $name: 11 refusals logged, one each"
    else echo "FAIL $name: $n refusal lines logged, not 11"; FAILS=$((FAILS + 1)); fi
    expect_not "$name" "PANIC|#GP|exception" "the VMM survives"
    dd if="$disk" bs=512 skip=1024 count=8 status=none | cmp -s - "$disk.before" &&
        echo "ok   $name: the disk's sectors are unchanged (nothing written)" ||
        { echo "FAIL $name: the refused writes changed the disk"; FAILS=$((FAILS + 1)); }
    if dd if="$disk" bs=512 skip=16 status=none | grep -aq VENEER-IDE-EVILW; then
        echo "FAIL $name: the guest's marker plaintext reached the disk"; FAILS=$((FAILS + 1))
    fi
    if grep -aq VENEER-IDE-PLAIN "$disk"; then
        echo "FAIL $name: plaintext in the image"; FAILS=$((FAILS + 1))
    fi
}

mkiso "$LOG_DIR/veneer.iso" "$opts" "$ELF" "$key"
make_disk "$LOG_DIR/qemu.img" 0 $((0x3de00000 + 0x100000))
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none \
    -device isa-debug-exit,iobase=0xf4 \
    -drive file="$LOG_DIR/qemu.img",format=raw,if=ide,index=0,media=disk
wait_for qemu "IDE-EVIL done|PANIC" 90; stop qemu
check_run qemu "$LOG_DIR/qemu.img" 0x3de00000

mkiso "$LOG_DIR/intel.iso" "$opts" "$ROOT/build/intel/veneer.elf" "$key"
make_disk "$LOG_DIR/bochs.img" 1 $((0x1de00000 + 0x100000))
bochs_start bochs corei7_skylake_x "$LOG_DIR/intel.iso" "$LOG_DIR/bochs.img"
wait_for bochs "IDE-EVIL done|PANIC" 200; stop bochs
expect bochs "backend vmx" "Bochs: the VMX backend"
check_run bochs "$LOG_DIR/bochs.img" 0x1de00000
finish
