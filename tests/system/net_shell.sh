# The net-shell scenarios' shared part (tests/system/scenarios/net-shell*.sh),
# per NIC model (QEMU's -nic model=: e1000, e1000e): sourced after lib.sh.
#
#   net_shell_boot MODEL   boots net_guest with vmm.net=vmm on one MODEL NIC
#                          (hostfwd on 127.0.0.1 only), drives the debug shell
#                          (password, every command, pipelining, a flood,
#                          a squatter without the password,
#                          the shell again) and checks the UDP syslog
#   net_shell_poke MODEL   boots again with a static vmm.ip= and the NIC's
#                          register address (from the first boot's log)
#                          patched into the guest: its reads give all ones,
#                          its writes are refused, the shell still answers
CLIENT=$ROOT/tests/system/net_client.py
IMG=$ROOT/build/miniguest/net_guest.img
base=$((20000 + ($$ % 10000) * 4))
SHELL_PORT=$base SYSLOG_PORT=$((base + 1)) FLOOD_PORT=$((base + 2))
PASS=opensesame21

check_file() { # FILE REGEX WHAT
    if grep -Eq -- "$2" "$1" 2>/dev/null; then
        echo "ok: $3"
    else
        echo "FAIL: $3 (no /$2/ in $1)"; FAILS=$((FAILS + 1))
    fi
}

net_shell_boot() { # MODEL
    local model=$1
    python3 "$CLIENT" syslog $SYSLOG_PORT "$LOG_DIR/syslog.txt" 100000 &
    PIDS[syslog]=$!
    : >"$LOG_DIR/syslog.txt"

    mkiso "$LOG_DIR/net.iso" "vmm.net=vmm vmm.syslog=10.0.2.2:$SYSLOG_PORT vmm.shell_password=$PASS"
    cp "$IMG" "$LOG_DIR/v.img"
    qemu_start veneer "$LOG_DIR/net.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -nic user,model=$model,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23,hostfwd=udp:127.0.0.1:$FLOOD_PORT-:9 \
        $(guest_qemu_disk_args "$LOG_DIR/v.img")
    wait_for veneer "NET-GUEST looping|PANIC" 90
    expect veneer "I $model: [0-9a-f:.]+: MAC 52:54:00:12:34:56 \(from EEPROM\), link up" "$model reset, MAC from the EEPROM"
    expect veneer "concealed mediator $model[[:space:]]*$" "the $model taken by the VMM"
    expect veneer "NET-GUEST e1000s=0" "the guest does not see the NIC"
    expect veneer "I net: random numbers \(TCP sequence numbers, ports, DHCP IDs\) from RDRAND" \
        "lwIP's random numbers from RDRAND (QEMU's EPYC has it)"
    expect veneer "I shell: debug shell on TCP port 23 \(password asked\)" "shell listening"

    mkdir -p "$LOG_DIR/shell1" "$LOG_DIR/shell2"
    python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell1" "$PASS" >"$LOG_DIR/shell1.out" 2>&1
    note "$(cat "$LOG_DIR/shell1.out")"
    S1=$LOG_DIR/shell1
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
    check_file "$S1/status.txt" "net $model [0-9a-f:.]+: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" "status: the address DHCP gave"
    check_file "$S1/exits.txt" "^cpu0: .*cpuid [1-9][0-9]* .*total [1-9]" "exits: cpu0's CPUID exits counted"
    check_file "$S1/storage.txt" "1 disk, 0 vmm.crypt= rules" "storage: the disk, no rules"
    check_file "$S1/storage.txt" "disk ahci .* in the clear" "storage: the AHCI disk in the clear"
    check_file "$S1/log.txt" "I $model: .*MAC 52:54:00:12:34:56" "log: the ring holds the boot lines"
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
    # one session at a time: a connection that never gives the password
    # does not keep the owner out (devices/net/shell.c SHELL_LOGIN_US)
    python3 "$CLIENT" squat $SHELL_PORT "$LOG_DIR/squat.txt" >"$LOG_DIR/squat.out" 2>&1
    note "$(cat "$LOG_DIR/squat.out")"
    check_file "$LOG_DIR/squat.txt" "^second: closed" "a second connection refused while the first holds the shell"
    check_file "$LOG_DIR/squat.txt" "^first: told .*no password within" "the squatter told why"
    check_file "$LOG_DIR/squat.txt" "^first: closed by the VMM" "the squatter's session closed by the VMM"
    check_file "$LOG_DIR/squat.txt" "^third: banner" "the shell answers after the squatter"
    stop veneer
    kill "${PIDS[syslog]}" 2>/dev/null
    expect_not veneer "PANIC|lwip: assertion" "no panic, no lwIP assertion"
    check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - $model - .*MAC 52:54:00:12:34:56" "syslog: a boot line, RFC 5424"
    check_file "$LOG_DIR/syslog.txt" "^<132>1 - veneer veneer - shell - wrong password" "syslog: a warning from the session"
    check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - options - command line: .*vmm.shell_password=\(hidden\)" "syslog: the command line, password hidden"
    if grep -rq "$PASS" "$LOG_DIR/veneer.serial" "$LOG_DIR/syslog.txt" "$S1/log.txt"; then
        echo "FAIL: the password appears in a log"; FAILS=$((FAILS + 1))
    else
        echo "ok: the password appears in no log"
    fi
}

net_shell_poke() { # MODEL
    local model=$1
    # the guest aims at the NIC's registers
    bar=$(sed -n "s/.*I $model: .*registers at 0x\([0-9a-f]*\) hidden.*/\1/p" "$LOG_DIR/veneer.serial" | head -1)
    if [ -z "$bar" ]; then
        echo "FAIL: no register address in the $model line"; FAILS=$((FAILS + 1))
    else
        cp "$IMG" "$LOG_DIR/poke.img"
        python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<I', 0x$bar))" |
            dd of="$LOG_DIR/poke.img" bs=1 seek=2044 conv=notrunc status=none
        mkiso "$LOG_DIR/static.iso" "vmm.net=vmm vmm.ip=10.0.2.15/24,10.0.2.2 vmm.shell_password=$PASS"
        qemu_start poke "$LOG_DIR/static.iso" -cpu EPYC,+svm,+npt -machine q35 \
            -nic user,model=$model,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23 \
            $(guest_qemu_disk_args "$LOG_DIR/poke.img")
        wait_for poke "NET-GUEST looping|PANIC" 90
        mkdir -p "$LOG_DIR/shell3"
        python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell3" "$PASS" >"$LOG_DIR/shell3.out" 2>&1
        stop poke
        perl -0pe 's/[IW] [a-z0-9]+: [^\n]*\n//g' "$LOG_DIR/poke.serial" >"$LOG_DIR/poke-guest.serial"
        expect poke-guest "NET-GUEST bar status=ffffffff" "the guest reads all ones from the NIC's registers"
        expect poke-guest "NET-GUEST bar written" "the guest's writes were survived"
        expect poke "W $model: the guest wrote the VMM's NIC registers at 0x" "its writes refused with a line"
        check_file "$LOG_DIR/shell3/status.txt" "net $model [0-9a-f:.]+: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(static\)" "after the guest's writes: the shell answers, on the static address"
        expect_not poke "PANIC" "no panic"
    fi
}

# net_idle_prepare NAME FLAG: for an idle net_guest NAME, starts the syslog
# listener (PIDS[syslog]), writes NAME.iso (vmm.net=vmm, syslog to the
# host, the shell's password) and NAME.img with idle byte FLAG (1: CLI;
# HLT, 2: both PICs masked, STI; HLT).
net_idle_prepare() {
    python3 "$CLIENT" syslog $SYSLOG_PORT "$LOG_DIR/syslog.txt" 100000 &
    PIDS[syslog]=$!
    : >"$LOG_DIR/syslog.txt"
    mkiso "$LOG_DIR/$1.iso" "vmm.net=vmm vmm.syslog=10.0.2.2:$SYSLOG_PORT vmm.shell_password=$PASS"
    cp "$IMG" "$LOG_DIR/$1.img"
    printf "\\00$2" | dd of="$LOG_DIR/$1.img" bs=1 seek=2040 conv=notrunc status=none
}

# net_idle_bochs MODEL FLAG: the idle net_guest "idle" (net_idle_prepare)
# in Bochs MODEL with Bochs' e1000 (82540EM) on slirp, hostfwd to the
# shell on 127.0.0.1; returns once the guest halted.
net_idle_bochs() {
    net_idle_prepare idle "$2"
    printf '# slirp config\nhostfwd = tcp:127.0.0.1:%s-:23\n' $SHELL_PORT >"$LOG_DIR/slirp.conf"
    BOCHS_EXTRA="pci: enabled=1, chipset=i440fx, slot1=e1000
e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=$LOG_DIR/slirp.conf" \
        bochs_start idle "$1" "$LOG_DIR/idle.iso" "$LOG_DIR/idle.img"
    wait_for idle "NET-GUEST halting|PANIC" 300
}

# net_idle_bochs_sessions BACKEND EXITS: two shell sessions ten seconds
# apart with the Bochs idle guest: status names BACKEND, the exits line of
# cpu0 matches EXITS, the log streams, quit.
net_idle_bochs_sessions() {
    local n S
    for n in 1 2; do
        mkdir -p "$LOG_DIR/shell$n"
        python3 "$CLIENT" shell $SHELL_PORT "$LOG_DIR/shell$n" "$PASS" >"$LOG_DIR/shell$n.out" 2>&1
        note "$(cat "$LOG_DIR/shell$n.out")"
        S=$LOG_DIR/shell$n
        check_file "$S/status.txt" "backend $1, 1 CPU" "session $n: status answers ($1)"
        check_file "$S/exits.txt" "$2" "session $n: the exits that kept the network alive counted"
        check_file "$S/log.txt" "I shell: session from" "session $n: the log streamed"
        check_file "$S/quit.txt" "bye" "session $n: quit"
        [ $n = 1 ] && sleep 10
    done
}

# net_idle_end WHAT [NAME [HALT]]: after an idle net_guest's shell sessions
# (the guest NAME, "idle" unless named, halted, the syslog listener in
# PIDS[syslog]): stops both, checks the sessions' syslog lines, that
# nothing panicked (WHAT names it) and that the guest's last line is still
# "NET-GUEST halting with interrupts HALT" (off unless named).
net_idle_end() {
    local name=${2:-idle} halt=${3:-off}
    sleep 2
    stop "$name"
    kill "${PIDS[syslog]}" 2>/dev/null
    check_file "$LOG_DIR/syslog.txt" "^<134>1 - veneer veneer - shell - session from" "syslog: the sessions' lines reach the host"
    perl -0pe 's/[IWE] [a-z0-9]+: [^\n]*\n//g' "$LOG_DIR/$name.serial" >"$LOG_DIR/$name-guest.serial"
    expect_not "$name" "PANIC|triple-faulted|lwip: assertion" "$1"
    if [ "$(grep -a 'NET-GUEST' "$LOG_DIR/$name-guest.serial" | tail -1 | tr -d '\r')" = "NET-GUEST halting with interrupts $halt" ]; then
        echo "ok: the guest's last line is still its halt"
    else
        echo "FAIL: the guest printed after its halt"; FAILS=$((FAILS + 1))
    fi
}
