#!/bin/bash
# timeout: 400
# The VMM's network while the guest makes no exits, on VMX (docs/network.md):
# Bochs corei7_skylake_x with Bochs' e1000 (82540EM: no MSI, so no receive
# NMI) on slirp (hostfwd on 127.0.0.1); net_guest with its idle byte set
# runs CLI; HLT for ever. The VMX-preemption timer brings an exit every
# 20 ms: DHCP completes, the debug shell answers (status, exits with the
# timer's exits counted as "none", the log, quit) twice, ten seconds
# apart; syslog reaches the host; the guest stays halted.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

python3 "$CLIENT" syslog $SYSLOG_PORT "$LOG_DIR/syslog.txt" 100000 &
PIDS[syslog]=$!
: >"$LOG_DIR/syslog.txt"
printf '# slirp config\nhostfwd = tcp:127.0.0.1:%s-:23\n' $SHELL_PORT >"$LOG_DIR/slirp.conf"
mkiso "$LOG_DIR/idle.iso" "vmm.net=vmm vmm.syslog=10.0.2.2:$SYSLOG_PORT vmm.shell_password=$PASS"
cp "$IMG" "$LOG_DIR/idle.img"
printf '\001' | dd of="$LOG_DIR/idle.img" bs=1 seek=2040 conv=notrunc status=none
BOCHS_EXTRA="pci: enabled=1, chipset=i440fx, slot1=e1000
e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=$LOG_DIR/slirp.conf" \
    bochs_start idle corei7_skylake_x "$LOG_DIR/idle.iso" "$LOG_DIR/idle.img"
wait_for idle "NET-GUEST halting|PANIC" 300
expect idle "NET-GUEST halting with interrupts off" "the guest halts with interrupts off"
expect idle "I net: .*polled at guest exits .* only: the NIC has no MSI" "the 82540EM: no receive NMI"
expect idle "I net: [0-9a-f:.]+: also polled every 20 ms at the latest \(the backend's timer exit\)" \
    "the VMX-preemption timer exit set up"
wait_for idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15" 60
expect idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
    "DHCP completes with the guest halted"
for n in 1 2; do
    mkdir -p "$LOG_DIR/shell$n"
    python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell$n" "$PASS" >"$LOG_DIR/shell$n.out" 2>&1
    note "$(cat "$LOG_DIR/shell$n.out")"
    S=$LOG_DIR/shell$n
    check_file "$S/status.txt" "backend vmx, 1 CPU" "session $n: status answers (vmx)"
    check_file "$S/exits.txt" "^cpu0: none [1-9][0-9]* .*total" "session $n: the timer's exits counted"
    check_file "$S/log.txt" "I shell: session from" "session $n: the log streamed"
    check_file "$S/quit.txt" "bye" "session $n: quit"
    [ $n = 1 ] && sleep 10
done
net_idle_end "no panic, no guest fault"
finish
