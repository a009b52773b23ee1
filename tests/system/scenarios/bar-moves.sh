#!/bin/bash
# timeout: 180
# A guest that moves mediated BARs where they must not go
# (tests/miniguest/bar_evil.S, booted by SeaBIOS from the NVMe controller
# through the mediator) on QEMU q35 (SVM), an e1000 concealed: NVMe BAR0
# into the VMM region (a read there through the registers, and again
# after the BAR goes back, must fault: the region stays absent), onto the
# e1000's ECAM page and onto the local APIC page and back (the ECAM hook
# still conceals the e1000), and the IDE bus master's BAR4 onto
# 0xcf0-0xcff and back (ports 0xcf8/0xcfc still mediated). Each move is
# refused: the BAR reads back its old value and the VMM logs one line.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/bar_evil.img
region=0x3de00000

# the start of the VMM region holds the image's first loaded bytes (its
# multiboot2 header): the address and the dword the guest must never see
first=$(readelf -lW "$ELF" | awk '$1 == "LOAD" && $5 != "0x000000" { print $2; exit }')
known=$(od -An -tx4 -j $((first)) -N4 "$ELF" | tr -d ' ')
vmm=$region
cp "$IMG" "$LOG_DIR/evil.img"
printf "$(printf '\\x%02x' $((vmm & 255)) $((vmm >> 8 & 255)) $((vmm >> 16 & 255)) $((vmm >> 24 & 255)))" |
    dd of="$LOG_DIR/evil.img" bs=1 seek=2044 conv=notrunc status=none
note "the VMM image at $vmm starts with $known"
mkiso "$LOG_DIR/veneer.iso" "vmm.pci=conceal=8086:100e"
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device e1000,addr=3 -device piix3-ide,id=pide,addr=5 -device ide-cd,bus=pide.0 \
    -drive file="$LOG_DIR/evil.img",format=raw,if=none,id=evil -device nvme,serial=evil,drive=evil,addr=4
wait_for qemu "BAR-EVIL done|PANIC" 90; stop qemu

q=qemu
# (the VMM's log lines may land in the middle of the guest's: cut them out)
perl -0pe 's/[IWE] (nvme|io|ide|ahci|mmio|pci|guest): [^\n]*\n//g' "$LOG_DIR/$q.serial" >"$LOG_DIR/joined.serial"
nvme=$(grep -aoE "I nvme: 00:04.0: NVMe controller, BAR0 0x[0-9a-f]+" "$LOG_DIR/$q.serial" | grep -oE "[0-9a-f]+$")
ide=$(grep -aoE "I io: ports 0x[0-9a-f]+-0x[0-9a-f]+ owned by IDE bus master" "$LOG_DIR/$q.serial" | head -1 | sed -E 's/.*ports 0x([0-9a-f]+)-.*/\1/')
expect $q "I mem: VMM region 00000000${region#0x}" "the VMM region where the guest looks"
expect $q "BAR-EVIL done" "the guest ran to its end"
expect joined "BAR-EVIL vmm bar=$(printf %08x $((0x$nvme | 4)))" "NVMe BAR0 into the VMM region: refused, reads back 0x$nvme"
expect joined "BAR-EVIL vmm bar=[0-9a-f]+ read=0bad0bad again=0bad0bad" "the VMM region read neither through the BAR nor after it went back (#GP both times)"
expect_not joined "BAR-EVIL vmm .*=$known" "the VMM's first bytes ($known) never reach the guest"
expect $q "W nvme: 00:04.0: the guest moves BAR0 to 0x$(printf %x $vmm) \(over the VMM region\): refused" "the VMM-region move logged"
expect joined "BAR-EVIL ecam bar=$(printf %08x $((0x$nvme | 4))) read=ffffffff" "NVMe BAR0 onto ECAM and back: refused, the e1000 still concealed through ECAM"
expect $q "W nvme: 00:04.0: the guest moves BAR0 to 0xb0018000 \(PCI ECAM\): refused" "the ECAM move logged"
expect joined "BAR-EVIL apic bar=$(printf %08x $((0x$nvme | 4)))" "NVMe BAR0 onto the APIC page: refused"
expect $q "W nvme: 00:04.0: the guest moves BAR0 to 0xfee00000 \(.*\): refused" "the APIC move logged"
expect joined "BAR-EVIL cf8 bar=$(printf %08x $((0x$ide | 1))) read=ffffffff" "IDE BAR4 onto 0xcf0: refused, ports 0xcf8/0xcfc still mediated"
expect $q "W ide: the guest moves the bus master to ports 0xcf0: refused" "the port move logged"
abar=$(grep -aoE "I ahci: 00:1f.2: .*ABAR 0x[0-9a-f]+" "$LOG_DIR/$q.serial" | grep -oE "[0-9a-f]+$" | head -1)
expect joined "BAR-EVIL abar bar=$(printf %08x $((0x${abar:-0})))" "AHCI BAR5 left all ones, decoding on: put back at 0x$abar"
expect $q "W ahci: 00:1f.2: memory decoding on with the ABAR at 0x[0-9a-f]+: put back at 0x$abar" "the ABAR restore logged"
expect_not $q "PANIC" "the VMM survives"
finish
