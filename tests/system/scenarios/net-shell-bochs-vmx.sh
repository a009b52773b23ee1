#!/bin/bash
# timeout: 400
# The VMM's network on Bochs corei7_skylake_x (VMX) with Bochs' e1000
# (82540EM) on its built-in slirp backend (offline, like QEMU's user
# networking; docs/network.md): the slirp config file forwards
# 127.0.0.1:PORT on the host to the VMM's port 23 (`hostfwd`), and slirp's
# 10.0.2.2 is the host's loopback for syslog. vmm.net=vmm takes the e1000
# and conceals it (net_guest's bus scan finds none), DHCP gives
# 10.0.2.15, the debug shell refuses a wrong password and answers status
# (backend vmx), exits, log; RFC 5424 syslog reaches a listener on
# 127.0.0.1; the password appears in no log.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

python3 "$CLIENT" syslog $SYSLOG_PORT "$LOG_DIR/syslog.txt" 100000 &
PIDS[syslog]=$!
: >"$LOG_DIR/syslog.txt"
printf '# slirp config\nhostfwd = tcp:127.0.0.1:%s-:23\n' $SHELL_PORT >"$LOG_DIR/slirp.conf"
mkiso "$LOG_DIR/net.iso" "vmm.net=vmm vmm.syslog=10.0.2.2:$SYSLOG_PORT vmm.shell_password=$PASS"
cp "$IMG" "$LOG_DIR/v.img"
BOCHS_EXTRA="pci: enabled=1, chipset=i440fx, slot1=e1000
e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=$LOG_DIR/slirp.conf" \
    bochs_start veneer corei7_skylake_x "$LOG_DIR/net.iso" "$LOG_DIR/v.img"
wait_for veneer "NET-GUEST looping|PANIC" 300
expect veneer "I e1000: [0-9a-f:.]+: MAC 52:54:00:12:34:56 \(from EEPROM\), link up" "Bochs' e1000 reset, MAC from the EEPROM"
expect veneer "concealed mediator e1000[[:space:]]*$" "the e1000 taken by the VMM"
expect veneer "NET-GUEST e1000s=0" "the guest does not see the NIC"
mkdir -p "$LOG_DIR/shell1"
python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell1" "$PASS" >"$LOG_DIR/shell1.out" 2>&1
note "$(cat "$LOG_DIR/shell1.out")"
S1=$LOG_DIR/shell1
check_file "$S1/wrong.txt" "wrong password" "a wrong password is refused"
check_file "$S1/status.txt" "backend vmx, 1 CPU" "status: backend vmx"
check_file "$S1/status.txt" "net e1000 [0-9a-f:.]+: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" "status: the address Bochs' slirp gave"
check_file "$S1/exits.txt" "^cpu0: .*cpuid [1-9][0-9]* .*total [1-9]" "exits: cpu0's CPUID exits counted"
check_file "$S1/log.txt" "I e1000: .*MAC 52:54:00:12:34:56" "log: the ring holds the boot lines"
check_file "$S1/quit.txt" "bye" "quit"
sleep 2
stop veneer
kill "${PIDS[syslog]}" 2>/dev/null
expect_not veneer "PANIC|lwip: assertion" "no panic, no lwIP assertion"
check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - e1000 - .*MAC 52:54:00:12:34:56" "syslog: a boot line, RFC 5424"
check_file "$LOG_DIR/syslog.txt" "^<132>1 - veneer veneer - shell - wrong password" "syslog: a warning from the session"
if grep -rq "$PASS" "$LOG_DIR/veneer.serial" "$LOG_DIR/syslog.txt" "$S1/log.txt"; then
    echo "FAIL: the password appears in a log"; FAILS=$((FAILS + 1))
else
    echo "ok: the password appears in no log"
fi
finish
