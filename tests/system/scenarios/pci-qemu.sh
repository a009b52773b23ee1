#!/bin/bash
# timeout: 150
# PCI configuration mediation (docs/pci.md) on QEMU q35 (SVM): the boot
# scan logs one line per function; an extra e1000 is concealed with
# vmm.pci=conceal=8086:100e and the guest's probes of it read as absent,
# an rtl8139 is disabled (concealed, decoding and bus mastering off),
# while Linux still boots from its AHCI disk through the mediated ports
# 0xcf8/0xcfc and writes and reads it back. Both AHCI functions get the
# opt-in pci-cfgcheck mediator (vmm.pci=mediate=class:0106): before each of
# the guest's config accesses to them it moves the hardware latch with VMM
# port cycles and compares ECAM with the ports, so a guest latch that was
# not virtual would send the AHCI driver's accesses to the host bridge.
# The same on i440fx (no MCFG: everything through the ports). A malformed
# vmm.pci= is refused.
. "$(dirname "$0")/../lib.sh"

guest_disk "$LOG_DIR/guest.img" "veneer.test=hypercall,disk,exits"
mkiso "$LOG_DIR/conceal.iso" "vmm.pci=conceal=8086:100e,mediate=class:0106,disable=10ec:8139"
qemu_start conceal "$LOG_DIR/conceal.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic none -device e1000 -device rtl8139 $(guest_qemu_disk_args "$LOG_DIR/guest.img")
guest_verdict conceal 90
wait_exit conceal 30 || stop conceal
expect conceal "I pci: 00:00\.0 8086:29c0 class 060000 rev [0-9a-f]{2} ecam" "host bridge found by the scan, ECAM from MCFG"
expect conceal "I pci: 00:1f\.2 8086:2922 class 010601 " "the chipset's AHCI in the scan"
expect conceal "I pci: [0-9a-f:.]+ 8086:100e class 020000 .* concealed" "the e1000 found and marked concealed"
expect conceal "I pci: 00:1f\.2 8086:2922 class 010601 .* mediator pci-cfgcheck" "mediate=class:0106 attaches the opt-in mediator"
expect conceal "I pci: cfgcheck 00:1f\.2: BAR4 io 0x[0-9a-f]+ BAR5 mem32 0x[0-9a-f]+; MSI at 0x[1-9a-f][0-9a-f], MSI-X at 0x00" "BARs and MSI capability read through the API (AHCI ABAR)"
expect conceal "I pci: cfgcheck 00:1f\.2: guest ECAM path at 0xb00fa000: reads 29228086, the VMM reads 29228086" "the guest's ECAM path (MMIO hook to come) decodes the window and reads the device"
expect conceal "I pci: cfgcheck 00:0[0-9a-f]\.0: the guest wrote the command register: now 0x0[0-9a-f]{2}[4-7c-f]" "the mediator sees the guest's command write (bus master on) after it reached the device"
expect conceal "I pci: [0-9a-f:.]+ 10ec:8139 class 020000 .* disabled" "the rtl8139 found and marked disabled"
expect conceal "I pci: [0-9a-f:.]+ disabled: command 0x[0-9a-f]{4} -> 0x[0-9a-f]{3}[08] \(reads back 0x[0-9a-f]{3}[08]\)" "its I/O, memory and bus-master bits cleared"
expect conceal "I pci: the guest probed concealed [0-9a-f:.]+ \(10ec:8139\): it reads as absent" "the guest's probe of the rtl8139 read as absent"
expect conceal "I pci: [0-9]+ functions \(1 disabled, 1 concealed, 2 mediated\)" "scan summary"
expect conceal "I pci: cfgcheck: 64 guest config accesses interleaved with VMM port cycles, 0 ECAM/port mismatches" "VMM cycles between the guest's latch and data accesses: no effect on the guest, ECAM == ports"
expect conceal "I pci: the guest probed concealed [0-9a-f:.]+ \(8086:100e\): it reads as absent" "the guest's probe of the e1000 read as absent"
expect conceal "^GUEST-CHECK disk PASS" "the guest's AHCI disk works through mediated config space"
expect conceal "^GUEST-EXITS io [0-9]{3,}" "config accesses went through the VMM (io exits)"
expect_not conceal "PANIC|Kernel panic|refusing|W pci:" "no panic, no PCI warning"
grep -a "I pci:" "$LOG_DIR/conceal.serial" | tr -d '\r' | sed 's/^/    /'

# i440fx has no MCFG: the scan, the VMM's accesses and pci-cfgcheck all go
# through the ports, under the lock, between the guest's own cycles.
guest_disk "$LOG_DIR/guest-pc.img" "veneer.test=disk"
mkiso "$LOG_DIR/ports.iso" "vmm.pci=conceal=8086:100e,mediate=class:0106"
qemu_start ports "$LOG_DIR/ports.iso" -cpu EPYC,+svm,+npt -machine pc \
    -nic none -device e1000 $(guest_qemu_disk_args "$LOG_DIR/guest-pc.img")
guest_verdict ports 90
wait_exit ports 30 || stop ports
expect ports "I acpi: MCFG: none" "i440fx: no MCFG"
expect ports "I pci: 00:00\.0 8086:1237 class 060000 rev [0-9a-f]{2} ports" "host bridge scanned through the ports"
expect ports "I pci: [0-9a-f:.]+ 8086:2922 class 010601 .* ports mediator pci-cfgcheck" "the AHCI mediated, ports only"
expect ports "I pci: 00:01.1 8086:7010 class 0101[0-9a-f]+ rev [0-9a-f]+ ports mediator ide" "the IDE mediator takes the PIIX3 IDE"
expect ports "I pci: [0-9]+ functions \(0 disabled, 1 concealed, 2 mediated\); the VMM's config access: ECAM on 0 buses" "scan summary, no ECAM"
expect ports "I pci: the guest probed concealed [0-9a-f:.]+ \(8086:100e\): it reads as absent" "the guest's probe of the e1000 read as absent"
expect ports "I pci: cfgcheck: 64 guest config accesses interleaved with VMM port cycles, 0 ECAM/port mismatches" "VMM port cycles between the guest's: no effect on the guest"
expect ports "^GUEST-CHECK disk PASS" "the guest's AHCI disk works"
expect_not ports "PANIC|Kernel panic|refusing|W pci:" "no panic, no PCI warning"

mkiso "$LOG_DIR/bad.iso" "vmm.pci=conceal=00:1f.2,hide=8086:100e"
qemu_start bad "$LOG_DIR/bad.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none
wait_for bad "refusing to start" 60; stop bad
expect bad "E veneer: refusing to start: vmm.pci=conceal=00:1f.2,hide=8086:100e: 'hide=8086:100e': unknown action \(disable, conceal, pass or mediate\)" "malformed vmm.pci= refused, naming the item"
finish
