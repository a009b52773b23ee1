#!/bin/bash
# Runs every unit test program and every system scenario, each with a time
# limit, keeps every log under build/test-logs/, prints one line per test
# and closes with "N passed, N failed" (exit 1 on any failure).
#
#   T='glob ...' run only tests whose name matches one glob (e.g. T='qemu-* xts')
#   CHECK_JOBS  how many tests run at once (default 2)
set -u
cd "$(dirname "$0")/.."
LOGS=build/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.result
JOBS=${CHECK_JOBS:-2}
FILTER=${T:-*}

tests=()
for u in ${UNIT_TESTS:-}; do tests+=("unit:$u"); done
for s in tests/system/scenarios/*.sh; do
    [ -e "$s" ] || continue
    tests+=("system:$(basename "$s" .sh)")
done

run_one() {
    local spec=$1 kind=${1%%:*} name=${1#*:}
    local log="$LOGS/$name.log" start end rc limit
    start=$(date +%s)
    if [ "$kind" = unit ]; then
        limit=600
        timeout -k 10 $limit "build/unit/$name" >"$log" 2>&1
        rc=$?
    else
        limit=$(sed -n 's/^# *timeout: *\([0-9]*\).*/\1/p' "tests/system/scenarios/$name.sh" | head -1)
        limit=${limit:-600}
        LOG_DIR="$LOGS/$name.d" timeout -k 10 "$limit" \
            bash "tests/system/scenarios/$name.sh" >"$log" 2>&1
        rc=$?
    fi
    end=$(date +%s)
    local verdict=PASS
    [ $rc = 0 ] || verdict=FAIL
    [ $rc = 124 ] && echo "time limit of ${limit}s reached" >>"$log"
    printf '%s %s %ss\n' "$verdict" "$name" $((end - start)) >"$LOGS/$name.result"
    printf '%-4s %-40s %4ss' "$verdict" "$name" $((end - start))
    [ $verdict = PASS ] || printf '   (log: %s)' "$log"
    printf '\n'
    if [ $verdict = FAIL ]; then
        # what failed first (a long log's tail may not show it), then the tail
        grep -aE '^FAIL |time limit of|GUEST-CHECK [^ ]+ FAIL' "$log" | head -15 | sed 's/^/    ! /'
        sed 's/^/    | /' "$log" | tail -25
    fi
}
export -f run_one
export LOGS

selected=()
set -f
for t in "${tests[@]}"; do
    for g in $FILTER; do
        # shellcheck disable=SC2254
        case "${t#*:}" in $g) selected+=("$t"); break ;; esac
    done
done
set +f

if [ ${#selected[@]} = 0 ]; then
    echo "no test matches '$FILTER'"
    echo "0 passed, 1 failed"
    exit 1
fi

printf '%s\n' "${selected[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {}

passed=0 failed=0
for t in "${selected[@]}"; do
    r="$LOGS/${t#*:}.result"
    if [ -f "$r" ] && grep -q '^PASS' "$r"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
