#!/bin/bash
# timeout: 420
# The VMM's network under a real guest (docs/network.md): Debian's Linux
# boots from the AHCI disk under Veneer with vmm.net=vmm on QEMU q35 (SVM),
# passes its checks (hypercall, nosvm, nonic: no 8086:100e among its PCI
# functions in /sys/bus/pci/devices) and then idles at a console shell
# (veneer.shell=1). The NIC is polled at the guest's exits only; an idle
# Linux still makes some (hooked MMIO), and the debug shell, reached from
# the host through hostfwd on 127.0.0.1, answers status and exits, twice.
. "$(dirname "$0")/../lib.sh"
CLIENT=$ROOT/tests/system/net_client.py
SHELL_PORT=$((20003 + ($$ % 10000) * 4))
PASS=linux21

# control: bare, the same check sees the e1000
guest_disk "$LOG_DIR/bare.img" "veneer.test=nonic"
qemu_start_disk bare "$LOG_DIR/bare.img" -cpu EPYC -nic user,model=e1000
wait_for bare "GUEST-VERDICT|Kernel panic" 120; stop bare
expect bare "GUEST-CHECK nonic FAIL 8086:100e at 0000:" "control: bare, nonic sees the e1000"

guest_disk "$LOG_DIR/disk.img" "veneer.test=hypercall,nosvm,nonic veneer.shell=1"
mkiso "$LOG_DIR/net.iso" "vmm.net=vmm vmm.shell_password=$PASS"
qemu_start veneer "$LOG_DIR/net.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic user,model=e1000,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23 \
    $(guest_qemu_disk_args "$LOG_DIR/disk.img")
wait_for veneer "GUEST-VERDICT|PANIC" 200
expect veneer "GUEST-CHECK nonic PASS no 8086:100e among [0-9]+ PCI functions" "Linux does not see the VMM's NIC"
expect veneer "GUEST-VERDICT PASS" "Linux passes its checks under Veneer with the VMM's NIC"
expect veneer "I pci: [0-9a-f:.]+ 8086:100e .* concealed mediator e1000" "the e1000 is the VMM's"
for n in 1 2; do
    mkdir -p "$LOG_DIR/shell$n"
    python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell$n" "$PASS" >"$LOG_DIR/shell$n.out" 2>&1
    note "$(cat "$LOG_DIR/shell$n.out")"
    if grep -q "backend svm" "$LOG_DIR/shell$n/status.txt" 2>/dev/null &&
            grep -Eq "^cpu0: .*total [1-9]" "$LOG_DIR/shell$n/exits.txt" 2>/dev/null; then
        echo "ok: session $n: status and exits answered while Linux idles"
    else
        echo "FAIL: session $n: no answer (see $LOG_DIR/shell$n*)"; FAILS=$((FAILS + 1))
    fi
done
stop veneer
expect_not veneer "PANIC" "no panic"
finish
