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
CLIENT=$ROOT/tests/system/net_client.py
IMG=$ROOT/build/miniguest/net_guest.img
base=$((20000 + ($$ % 10000) * 4))
SHELL_PORT=$base SYSLOG_PORT=$((base + 1)) FLOOD_PORT=$((base + 2))
PASS=opensesame21

python3 "$CLIENT" syslog $SYSLOG_PORT "$LOG_DIR/syslog.txt" 100000 &
PIDS[syslog]=$!
: >"$LOG_DIR/syslog.txt"

mkiso "$LOG_DIR/net.iso" "vmm.net=vmm vmm.syslog=10.0.2.2:$SYSLOG_PORT vmm.shell_password=$PASS"
cp "$IMG" "$LOG_DIR/v.img"
qemu_start veneer "$LOG_DIR/net.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic user,model=e1000,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23,hostfwd=udp:127.0.0.1:$FLOOD_PORT-:9 \
    $(guest_qemu_disk_args "$LOG_DIR/v.img")
wait_for veneer "NET-GUEST looping|PANIC" 90
expect veneer "I e1000: [0-9a-f:.]+: MAC 52:54:00:12:34:56 \(from EEPROM\), link up" "e1000 reset, MAC from the EEPROM"
expect veneer "mediator e1000" "the e1000 taken by the VMM"
expect veneer "NET-GUEST e1000s=0" "the guest does not see the NIC"
expect veneer "I shell: debug shell on TCP port 23 \(password asked\)" "shell listening"

mkdir -p "$LOG_DIR/shell1" "$LOG_DIR/shell2"
python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell1" "$PASS" >"$LOG_DIR/shell1.out" 2>&1
note "$(cat "$LOG_DIR/shell1.out")"
S1=$LOG_DIR/shell1
check_file() { # FILE REGEX WHAT
    if grep -Eq -- "$2" "$1" 2>/dev/null; then
        echo "ok: $3"
    else
        echo "FAIL: $3 (no /$2/ in $1)"; FAILS=$((FAILS + 1))
    fi
}
check_file "$S1/wrong.txt" "wrong password" "a wrong password is refused"
# RFC 857: WILL ECHO before the password (a telnet client stops echoing
# it), WONT ECHO once it was right
if [ "$(head -c 3 "$S1/banner.txt" | od -An -tx1 | tr -d ' \n')" = fffb01 ] &&
        od -An -tx1 "$S1/authed.txt" | tr -d ' \n' | grep -q '^fffc01'; then
    echo "ok: telnet echo off for the password, back on after"
else
    echo "FAIL: no IAC WILL ECHO / WONT ECHO around the password"; FAILS=$((FAILS + 1))
fi
check_file "$S1/status.txt" "^Veneer [0-9]+\.[0-9]+" "status: version"
check_file "$S1/status.txt" "backend svm, 1 CPU" "status: backend and CPUs"
check_file "$S1/status.txt" "uptime [0-9]+\.[0-9]{3} s" "status: uptime"
check_file "$S1/status.txt" "net e1000 .*: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" "status: the address DHCP gave"
check_file "$S1/exits.txt" "^cpu0: .*cpuid [1-9][0-9]* .*total [1-9]" "exits: cpu0's CPUID exits counted"
check_file "$S1/storage.txt" "1 disk, 0 vmm.crypt= rules" "storage: the disk, no rules"
check_file "$S1/storage.txt" "disk ahci .* in the clear" "storage: the AHCI disk in the clear"
check_file "$S1/log.txt" "I e1000: .*MAC 52:54:00:12:34:56" "log: the ring holds the boot lines"
check_file "$S1/log.txt" "W shell: wrong password \(1 of 3 in this session\)" "log: this session's lines too"
check_file "$S1/long.txt" "line too long \(at most 127 characters\)" "an overlong line refused"
check_file "$S1/bogus.txt" "unknown command 'bogus': try help" "an unknown command named"
check_file "$S1/help.txt" "storage  disks" "help lists the commands"
check_file "$S1/quit.txt" "bye" "quit"
if tr -d '\r' <"$S1/pipelined.txt" | tr '\n' ' ' |
        grep -Eq "^cpu0: .*total [0-9]+ veneer> Veneer .*uptime .*veneer> status +version.*quit +end the session veneer> $"; then
    echo "ok: three pipelined commands answered in order"
else
    echo "FAIL: pipelined commands (see $S1/pipelined.txt)"; FAILS=$((FAILS + 1))
fi
log_bytes=$(wc -c <"$S1/log.txt")
if [ "$log_bytes" -gt 4096 ]; then
    echo "ok: log streamed past the shell's 4 KiB buffer ($log_bytes bytes)"
else
    echo "FAIL: log only $log_bytes bytes: the streaming is not exercised"; FAILS=$((FAILS + 1))
fi
check_file "$S1/log.txt" "I shell: session from" "log: up to the lines of this session"

python3 "$CLIENT" flood $SHELL_PORT $FLOOD_PORT "$LOG_DIR/flood.txt" >"$LOG_DIR/flood.out" 2>&1
note "$(cat "$LOG_DIR/flood.out")"
python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell2" "$PASS" >"$LOG_DIR/shell2.out" 2>&1
note "$(cat "$LOG_DIR/shell2.out")"
check_file "$LOG_DIR/shell2/status.txt" "uptime [0-9]+\.[0-9]{3} s" "after the flood: the shell answers"
check_file "$LOG_DIR/shell2/status.txt" "shell: [0-9]+ sessions, .* [1-9][0-9]* wrong passwords" "status counts the flood's sessions and wrong passwords"
rx1=$(sed -n 's/.* rx \([0-9]*\) .*/\1/p' "$S1/status.txt" | head -1)
rx2=$(sed -n 's/.* rx \([0-9]*\) .*/\1/p' "$LOG_DIR/shell2/status.txt" | head -1)
if [ -n "$rx1" ] && [ -n "$rx2" ] && [ "$rx2" -gt $((rx1 + 500)) ]; then
    echo "ok: the flood reached the VMM (rx $rx1 -> $rx2 frames)"
else
    echo "FAIL: the flood's frames not counted (rx '$rx1' -> '$rx2')"; FAILS=$((FAILS + 1))
fi
stop veneer
kill "${PIDS[syslog]}" 2>/dev/null
expect_not veneer "PANIC|lwip: assertion" "no panic, no lwIP assertion"
check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - e1000 - .*MAC 52:54:00:12:34:56" "syslog: a boot line, RFC 5424"
check_file "$LOG_DIR/syslog.txt" "^<132>1 - veneer veneer - shell - wrong password" "syslog: a warning from the session"
check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - options - command line: .*vmm.shell_password=\(hidden\)" "syslog: the command line, password hidden"
if grep -rq "$PASS" "$LOG_DIR/veneer.serial" "$LOG_DIR/syslog.txt" "$S1/log.txt"; then
    echo "FAIL: the password appears in a log"; FAILS=$((FAILS + 1))
else
    echo "ok: the password appears in no log"
fi

# the guest aims at the NIC's registers
bar=$(sed -n 's/.*I e1000: .*registers at 0x\([0-9a-f]*\) hidden.*/\1/p' "$LOG_DIR/veneer.serial" | head -1)
if [ -z "$bar" ]; then
    echo "FAIL: no register address in the e1000 line"; FAILS=$((FAILS + 1))
else
    cp "$IMG" "$LOG_DIR/poke.img"
    python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<I', 0x$bar))" |
        dd of="$LOG_DIR/poke.img" bs=1 seek=2044 conv=notrunc status=none
    mkiso "$LOG_DIR/static.iso" "vmm.net=vmm vmm.ip=10.0.2.15/24,10.0.2.2 vmm.shell_password=$PASS"
    qemu_start poke "$LOG_DIR/static.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -nic user,model=e1000,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23 \
        $(guest_qemu_disk_args "$LOG_DIR/poke.img")
    wait_for poke "NET-GUEST looping|PANIC" 90
    mkdir -p "$LOG_DIR/shell3"
    python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell3" "$PASS" >"$LOG_DIR/shell3.out" 2>&1
    stop poke
    perl -0pe 's/[IW] [a-z0-9]+: [^\n]*\n//g' "$LOG_DIR/poke.serial" >"$LOG_DIR/poke-guest.serial"
    expect poke-guest "NET-GUEST bar status=ffffffff" "the guest reads all ones from the NIC's registers"
    expect poke-guest "NET-GUEST bar written" "the guest's writes were survived"
    expect poke "W e1000: the guest wrote the VMM's NIC registers at 0x" "its writes refused with a line"
    check_file "$LOG_DIR/shell3/status.txt" "net e1000 .*: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(static\)" "after the guest's writes: the shell answers, on the static address"
    expect_not poke "PANIC" "no panic"
fi

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
