#!/bin/bash
# timeout: 240
# The VMM's own network (docs/network.md), QEMU SVM with user networking:
# vmm.net=vmm takes the e1000, conceals it from the guest (a boot-sector
# guest that scans bus 0 finds none) and runs lwIP on it; from the host,
# through hostfwd on 127.0.0.1 only:
#   - the debug shell on port 23: a wrong password is refused, the right
#     one lets in; status, exits, storage, log, an overlong line, an
#     unknown command, help, quit answer as documented;
#   - UDP syslog (RFC 5424) of the VMM's log reaches a listener on
#     127.0.0.1 (the guest side's 10.0.2.2);
#   - a bounded flood of garbage (1500 UDP datagrams of random sizes, some
#     fragmented, and 200 TCP sessions of random bytes) does not stop the
#     VMM: the shell answers again afterwards and its counters moved;
#   - the password never appears in the serial log or the syslog.
# A second boot, the same machine with a static vmm.ip=, gives the guest
# the NIC's register address (taken from the first boot's log, patched
# into the image): its read gives all ones, its writes (receiver and
# transmitter off, RX ring base into guest memory) are refused, and the
# shell still answers, on the static address.
# Per device: with two e1000s and vmm.pci=pass= naming the first, the VMM
# takes the second and the guest sees exactly one.
# Then two boots with a malformed vmm.ip= and vmm.syslog= refuse to start,
# each with a line naming the value.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"
net_shell_boot e1000
net_shell_poke e1000

# two e1000s: the first passed to the guest by vmm.pci=pass=, the second the VMM's
mkiso "$LOG_DIR/two.iso" "vmm.net=vmm vmm.pci=pass=00:02.0"
cp "$IMG" "$LOG_DIR/two.img"
qemu_start two "$LOG_DIR/two.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -netdev user,id=n0 -device e1000,netdev=n0,addr=02.0 -netdev user,id=n1 -device e1000,netdev=n1,addr=03.0 \
    $(guest_qemu_disk_args "$LOG_DIR/two.img")
wait_for two "NET-GUEST looping|PANIC" 90
stop two
perl -0pe 's/[IW] [a-z0-9]+: [^\n]*\n//g' "$LOG_DIR/two.serial" >"$LOG_DIR/two-guest.serial"
expect two "I pci: 00:02\.0 8086:100e .*ecam[[:space:]]*$" "two: 00:02.0 passed through (no mediator)"
expect two "I pci: 00:03\.0 8086:100e .* concealed mediator e1000" "two: 00:03.0 the VMM's"
expect two-guest "NET-GUEST e1000s=1" "two: the guest sees exactly one e1000"

# malformed options: the VMM refuses to start, naming the value
for opt in "vmm.ip=10.0.2.15/33" "vmm.syslog=10.0.2.2:99999"; do
    name=bad${opt%%=*}; name=${name//./-}
    mkiso "$LOG_DIR/$name.iso" "vmm.net=vmm $opt"
    qemu_start "$name" "$LOG_DIR/$name.iso" -cpu EPYC,+svm,+npt -machine q35 -nic user,model=e1000
    wait_for "$name" "refusing to start|NET-GUEST|PANIC" 60
    stop "$name"
    expect "$name" "${opt//./\\.}: " "$opt: a line names it"
    expect "$name" "refusing to start" "$opt: the VMM does not start"
done
finish
