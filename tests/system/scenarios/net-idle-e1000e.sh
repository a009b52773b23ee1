#!/bin/bash
# timeout: 240
# The VMM's network while the guest makes no exits at all (docs/network.md):
# net_guest with its idle byte set prints one line and runs CLI; HLT for
# ever, so nothing of the guest's ever leaves it (no timer tick, no I/O).
# With vmm.net=vmm on QEMU's e1000e (82574L), the NIC's MSI is programmed
# for NMI delivery: each received frame brings an NMI exit and a poll. From
# the host (hostfwd on 127.0.0.1): DHCP completes, the debug shell answers
# every command (the log streamed past its buffer, paced by the host's
# ACKs), twice, ten seconds apart; UDP syslog reaches the host; the shell's
# exit counters show the NMIs; the guest never got one (its IDT is empty:
# an NMI would triple-fault it) and stays halted.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

net_idle_prepare idle 1
qemu_start idle "$LOG_DIR/idle.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic user,model=e1000e,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23 \
    $(guest_qemu_disk_args "$LOG_DIR/idle.img")
wait_for idle "NET-GUEST halting|PANIC" 90
expect idle "NET-GUEST halting with interrupts off" "the guest halts with interrupts off"
expect idle "I net: .*lwIP .* and at each received frame \(the NIC's MSI sent as an NMI\)" \
    "the e1000e's receive NMI set up"
# DHCP's exchange runs on the NIC's NMIs too once the guest halted
wait_for idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15" 60
expect idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
    "DHCP completes"
for n in 1 2; do
    mkdir -p "$LOG_DIR/shell$n"
    python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell$n" "$PASS" >"$LOG_DIR/shell$n.out" 2>&1
    note "$(cat "$LOG_DIR/shell$n.out")"
    S=$LOG_DIR/shell$n
    check_file "$S/status.txt" "uptime [0-9]+\.[0-9]{3} s" "session $n: status answers"
    check_file "$S/status.txt" "net e1000e [0-9a-f:.]+: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
        "session $n: DHCP completed with the guest idle"
    check_file "$S/exits.txt" "^cpu0: .*nmi [1-9][0-9]* .*total" "session $n: NMI exits counted"
    check_file "$S/quit.txt" "bye" "session $n: quit"
    # a retry would mean the host's SYN or the banner sat unseen for 10 s
    if grep -q "retrying" "$LOG_DIR/shell$n.out"; then
        echo "FAIL: session $n: the first connection got no banner"; FAILS=$((FAILS + 1))
    else
        echo "ok: session $n: the banner came on the first connection"
    fi
    log_bytes=$(wc -c <"$S/log.txt")
    if [ "$log_bytes" -gt 4096 ]; then
        echo "ok: session $n: the log streamed past the shell's 4 KiB buffer ($log_bytes bytes)"
    else
        echo "FAIL: session $n: log only $log_bytes bytes"; FAILS=$((FAILS + 1))
    fi
    [ $n = 1 ] && sleep 10
done
net_idle_end "no panic, the guest took no NMI"
finish
