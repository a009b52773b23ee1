# S3 in QEMU scenarios (source after lib.sh; docs/sleep.md).
#
#   s3_wake NAME SECS [N]  waits (up to SECS) until the guest printed
#                       "GUEST-S3 suspending" (the Nth time), then (up to 120 s) until QEMU
#                       NAME is suspended (monitor: info status), then wakes it
#                       (system_wakeup). Counts a FAIL when QEMU never
#                       sleeps (a dropped request leaves the guest's OS
#                       waiting for WAK_STS).
s3_wake() {
    local name=$1 secs=$2 nth=${3:-1} end st="$LOG_DIR/$1.status"
    end=$((SECONDS + secs))
    while [ "$(grep -ac '^GUEST-S3 suspending' "$LOG_DIR/$name.serial")" -lt "$nth" ]; do
        if ! running "$name" || [ $SECONDS -ge $end ]; then
            echo "FAIL $name: the guest never started its suspend number $nth"
            FAILS=$((FAILS + 1))
            where_stuck "$name"
            return 1
        fi
        sleep 0.5
    done
    note "$name: the guest starts its suspend number $nth"
    # the guest's OS takes a few seconds to quiesce its devices first
    end=$((SECONDS + 120))
    : >"$st"
    while :; do
        "$ROOT/tests/system/qemu_monitor.py" "$LOG_DIR/$name.mon" "$st" "info status" || true
        grep -q 'suspended' "$st" 2>/dev/null && break
        if ! running "$name" || [ $SECONDS -ge $end ]; then
            echo "FAIL $name: QEMU never entered S3 ($(tr -d '\r' <"$st" | grep -a 'VM status' | head -1))"
            FAILS=$((FAILS + 1))
            where_stuck "$name"
            return 1
        fi
        sleep 1
    done
    echo "ok   $name: QEMU is in S3 ($(grep -a 'VM status' "$st" | head -1 | tr -d '\r'))"
    : >"$st"
    "$ROOT/tests/system/qemu_monitor.py" "$LOG_DIR/$name.mon" "$st" "system_wakeup" "info status" || true
    note "$name: system_wakeup sent: $(grep -a 'VM status' "$st" | head -1 | tr -d '\r')"
}

# s3_expect NAME [CYCLES]: the VMM's side of each S3 cycle, and the guest's
# after it.
s3_expect() {
    local name=$1 cycles=${2:-1}
    expect "$name" "I sleep: S3: the guest's waking vector 0x[0-9a-f]+ kept; the firmware will wake the VMM at 0x[0-9a-f]+" "the VMM took the waking vector for the sleep"
    expect "$name" "I sleep: S3 wake: the BSP is back in the VMM" "the BSP came back through the VMM's wake code"
    expect "$name" "I svm: CPU 0: SVM enabled" "SVM enabled again on the BSP"
    expect "$name" "I smp: S3 wake: 1 AP back under the VMM" "the AP back under the VMM"
    expect "$name" "I sleep: S3 resume 1: the guest resumes at its waking vector [0-9a-f]{4}:[0-9a-f]{4}" "the guest resumed at its own waking vector"
    expect "$name" "^GUEST-S3 resumed \(rc=0" "the guest's suspend returned 0"
    s3_expect_facs "$name"
    expect "$name" "^GUEST-CHECK s3 PASS" "both CPUs online after the resume, exits grew on each"
    expect_count "$name" "^GUEST-CHECK s3 PASS" "$cycles" "every S3 cycle passed ($cycles)"
    expect_count "$name" "^GUEST-CHECK disk PASS" $((cycles + 1)) "the disk check passed before the sleep and after each wake"
    expect_not "$name" "PANIC|Kernel panic|refusing|refused|request is dropped" "no panic, no refusal"
}

# s3_expect_facs NAME: the FACS holds the guest's own vector again before
# the guest runs (Linux itself writes 0 there once resumed: the guest
# cannot tell), as the VMM read it back from memory and logged it.
s3_expect_facs() {
    local name=$1 kept back
    kept=$(grep -ao "the guest's waking vector 0x[0-9a-f]* kept" "$LOG_DIR/$name.serial" | head -1 | awk '{print $5}')
    back=$(grep -ao "S3 wake: FACS waking vector 0x[0-9a-f]* again" "$LOG_DIR/$name.serial" | head -1 | awk '{print $6}')
    if [ -n "$kept" ] && [ "$kept" = "$back" ]; then
        echo "ok   $name: the FACS got the guest's waking vector ($kept) back at the wake"
    else
        echo "FAIL $name: the FACS waking vector at the wake is '$back', the guest's was '$kept'"
        FAILS=$((FAILS + 1))
    fi
}
