#!/bin/bash
# timeout: 420
# The VMM's network on SVM while the guest idles and nothing else brings
# exits (docs/network.md): QEMU's e1000 (82540EM: no MSI, so no receive
# NMI) and SVM (no timer exit of its own). net_guest masks both PICs and
# runs STI; HLT for ever: no timer tick, no I/O, an empty IDT (any
# interrupt would triple-fault it). The VMM intercepts that CPU's HLT and
# MWAIT while its network is on and polls the NIC and lwIP's timers while
# the guest idles: DHCP binds, the debug shell answers every command (the
# log streamed past its buffer), twice, ten seconds apart; the shell's
# exit counters show the idle HLT exits; UDP syslog reaches the host.
# Then the same guest with CLI; HLT (an interrupt could never end its
# HLT): the VMM still polls and the shell still answers.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

idle_boot() { # NAME FLAG HALT SESSIONS: net_guest with idle_flag FLAG
    local name=$1 flag=$2 halt=$3 sessions=$4 n S log_bytes
    net_idle_prepare "$name" "$flag"
    qemu_start "$name" "$LOG_DIR/$name.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -nic user,model=e1000,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:23 \
        $(guest_qemu_disk_args "$LOG_DIR/$name.img")
    wait_for "$name" "NET-GUEST halting|PANIC" 90
    expect "$name" "NET-GUEST halting with interrupts $halt" "the guest halts with interrupts $halt"
    expect "$name" "I net: .*lwIP .* polled at guest exits \(at most every 1000 us\) only: the NIC has no MSI" \
        "the e1000 has no receive NMI"
    expect "$name" "I net: [0-9a-f:.]+: no timer exit on this backend: polled while the guest idles \(HLT and MWAIT of cpu 0 intercepted\)" \
        "the idle polls set up"
    # DHCP's exchange runs at the idle exits once the guest halted
    wait_for "$name" "I net: [0-9a-f:.]+: address 10\.0\.2\.15" 90
    expect "$name" "I net: [0-9a-f:.]+: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
        "DHCP completes"
    for n in $(seq 1 "$sessions"); do
        S=$LOG_DIR/$name-shell$n
        mkdir -p "$S"
        python3 "$CLIENT" shell $SHELL_PORT "$S" "$PASS" >"$S.out" 2>&1
        note "$(cat "$S.out")"
        check_file "$S/status.txt" "uptime [0-9]+\.[0-9]{3} s" "$name session $n: status answers"
        check_file "$S/status.txt" "net e1000 [0-9a-f:.]+: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
            "$name session $n: DHCP completed with the guest idle"
        check_file "$S/exits.txt" "^cpu0: .*hlt [1-9][0-9]* .*total" "$name session $n: idle HLT exits counted"
        check_file "$S/quit.txt" "bye" "$name session $n: quit"
        if grep -q "retrying" "$S.out"; then
            echo "FAIL: $name session $n: the first connection got no banner"; FAILS=$((FAILS + 1))
        else
            echo "ok: $name session $n: the banner came on the first connection"
        fi
        log_bytes=$(wc -c <"$S/log.txt")
        if [ "$log_bytes" -gt 4096 ]; then
            echo "ok: $name session $n: the log streamed past the shell's 4 KiB buffer ($log_bytes bytes)"
        else
            echo "FAIL: $name session $n: log only $log_bytes bytes"; FAILS=$((FAILS + 1))
        fi
        [ "$n" -lt "$sessions" ] && sleep 10
    done
    net_idle_end "no panic, the guest took no interrupt" "$name" "$halt"
}

idle_boot idle 2 on 2
idle_boot idlecli 1 off 1
finish
