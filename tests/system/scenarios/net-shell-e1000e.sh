#!/bin/bash
# timeout: 300
# net-shell on the second NIC family (docs/network.md): QEMU's e1000e
# (Intel 82574L, 8086:10d3) instead of the e1000, QEMU SVM with user
# networking, 127.0.0.1 only. The same checks as net-shell's first two
# boots (tests/system/net_shell.sh): vmm.net=vmm takes the 82574L, resets
# it with the 82574's EERD layout (MAC from the NVM), conceals it (the
# guest's bus scan finds no e1000/e1000e), hooks its three memory BARs
# (registers, flash, MSI-X table); the debug shell answers every command,
# survives the flood, UDP syslog reaches the host; a guest aiming at the
# registers reads all ones and its writes are refused.
# Then mixed families: an e1000 passed to the guest by vmm.pci=pass= and
# an e1000e the VMM takes; the guest sees exactly one NIC.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"
net_shell_boot e1000e
expect_count veneer "I mmio: VMM NIC memory: 0x[0-9a-f]+-0x[0-9a-f]+ hooked" 2 \
    "the 82574L's flash and MSI-X BARs hooked too"
net_shell_poke e1000e

mkiso "$LOG_DIR/mixed.iso" "vmm.net=vmm vmm.pci=pass=00:02.0"
cp "$IMG" "$LOG_DIR/mixed.img"
qemu_start mixed "$LOG_DIR/mixed.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -netdev user,id=n0 -device e1000,netdev=n0,addr=02.0 -netdev user,id=n1 -device e1000e,netdev=n1,addr=03.0 \
    $(guest_qemu_disk_args "$LOG_DIR/mixed.img")
wait_for mixed "NET-GUEST looping|PANIC" 90
stop mixed
perl -0pe 's/[IW] [a-z0-9]+: [^\n]*\n//g' "$LOG_DIR/mixed.serial" >"$LOG_DIR/mixed-guest.serial"
expect mixed "I pci: 00:02\.0 8086:100e .*ecam[[:space:]]*$" "mixed: the e1000 passed through (no mediator)"
expect mixed "I pci: 00:03\.0 8086:10d3 .* concealed mediator e1000e" "mixed: the e1000e the VMM's"
expect mixed "I e1000e: 00:03\.0: MAC 52:54:00:12:34:57 \(from EEPROM\)" "mixed: the e1000e's MAC from its NVM"
expect mixed-guest "NET-GUEST e1000s=1" "mixed: the guest sees exactly one NIC"
expect_not mixed "PANIC" "mixed: no panic"
finish
