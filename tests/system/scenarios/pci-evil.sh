#!/bin/bash
# timeout: 120
# PCI config space stays in the VMM's sight (devices/pci/pci.c): a
# miniguest (tests/miniguest/pci_evil.S) on QEMU q35 (SVM), e1000s
# concealed at 00:03.0 and behind a PCI bridge at 01:01.0, renumbers the
# bridge's buses (its devices would no longer be found by their boot-time
# numbers) and moves ECAM with the host bridge's PCIEXBAR to an unhooked
# address; in long mode, an 8-byte ECAM load of the concealed e1000. Both
# writes are refused with one line each; the bridge and PCIEXBAR read back
# unchanged; the 8-byte load is mediated as two 4-byte ones; the e1000s
# stay absent. A dword IN at 0xcf7, which reaches into the address port
# 0xcf8 (common/io.c io_dispatch), reads all ones with one line.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/pci_evil.img

cp "$IMG" "$LOG_DIR/evil.img"
mkiso "$LOG_DIR/veneer.iso" "vmm.pci=conceal=8086:100e"
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device e1000,addr=3 -device pci-bridge,id=br,chassis_nr=1,addr=6 -device e1000,bus=br,addr=1 \
    $(guest_qemu_disk_args "$LOG_DIR/evil.img")
wait_for qemu "PCI-EVIL done|PANIC" 90; stop qemu

q=qemu
perl -0pe 's/[IWE] (pci|guest|mmio|io): [^\n]*\n//g' "$LOG_DIR/$q.serial" >"$LOG_DIR/joined.serial"
expect $q "I pci: 00:06.0 .*bridge to buses 01-01" "the bridge as the firmware numbered it"
expect $q "PCI-EVIL done" "the guest ran to its end"
expect joined "PCI-EVIL bridge buses=00010100 id=ffffffff" "bridge renumbering refused: buses 01-01 kept, nothing at 05:01.0"
expect $q "W pci: 00:06.0: the guest's write of 0x50500 at 0x18 would renumber the buses behind a bridge: refused" "the renumbering logged"
expect joined "PCI-EVIL pciexbar bar=b0000001 id=(ffffffff|00000000|0bad0bad)" "PCIEXBAR move refused: still 0xb0000000, the e1000 not reached through the new address"
expect $q "W pci: 00:00.0: the guest's write of 0xd0000001 at 0x60 would move the ECAM window \(PCIEXBAR\): refused" "the PCIEXBAR move logged"
expect joined "PCI-EVIL straddle=ffffffff" "a dword IN at 0xcf7 reaching into the address port: all ones"
expect $q "W io: the guest's 4-byte read at port 0xcf7 reaches .* only in part: refused \(all ones\)" "the straddling access refused with a line"
expect joined "PCI-EVIL qword ecam=ffffffffffffffff" "an 8-byte ECAM load of the concealed e1000: mediated (two 4-byte reads), all ones"
expect_not joined "100e8086" "the e1000s' ID never reaches the guest"
expect_not $q "PANIC" "the VMM survives"
finish
