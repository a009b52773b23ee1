#!/bin/bash
# Benchmark: the real guest (build/guest/disk.img) booted bare, without
# Veneer, in Bochs from its IDE hard disk (ata0-slave, boot: disk), once
# per CPU model; prints the wall time from start to GUEST-VERDICT. Too slow
# for make check (minutes per boot). The guest gets $BOCHS_GUEST_PARAMS
# (tests/system/lib.sh, docs/testing-bochs.md) like every Bochs scenario.
#
#   tools/guest-bare-bochs.sh [MODEL...]   default: corei7_skylake_x ryzen
#   LOG_DIR=...                            logs (default build/bench/guest-bare-bochs)
#   LIMIT=900                              seconds allowed per boot
#   EXTRA_PARAMS="..."                     more kernel parameters (e.g. earlyprintk=serial,ttyS0,115200 loglevel=7)
#   NO_BOCHS_PARAMS=1                      leave $BOCHS_GUEST_PARAMS out (to measure without them)
#
# Output per model:
#   BENCH guest-bare-bochs model=M boot-to-verdict=Ns
#   and an indented line: wall time until /init printed its first line,
#   the guest's uptime at the verdict and what the cpu check took (guest
#   seconds; with tsc_early_khz these are Bochs ticks / ips).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/guest-bare-bochs}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
LIMIT=${LIMIT:-900}
models=("$@")
[ ${#models[@]} = 0 ] && models=(corei7_skylake_x ryzen)
params=${EXTRA_PARAMS:-}
[ "${NO_BOCHS_PARAMS:-0}" = 1 ] || params="$BOCHS_GUEST_PARAMS${params:+ $params}"

[ -f "$GUEST_DISK" ] || make -C "$ROOT" build/guest/disk.img >/dev/null || exit 1
for m in "${models[@]}"; do
    img=$LOG_DIR/disk-$m.img
    guest_disk "$img" "$params"
    t0=$(date +%s.%N)
    bochs_start_disk "bare-$m" "$m" "$img"
    # wall time at which /init printed its first line (the kernel is up)
    t_init=""
    rm -f "$LOG_DIR/bare-$m.init-time"
    ( while running "bare-$m"; do
          if grep -aq 'GUEST-INFO kernel' "$LOG_DIR/bare-$m.serial"; then
              date +%s.%N >"$LOG_DIR/bare-$m.init-time"; break
          fi
          sleep 0.2
      done ) &
    watcher=$!
    guest_verdict "bare-$m" "$LIMIT"
    t1=$(date +%s.%N)
    secs=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
    wait_exit "bare-$m" 60 || stop "bare-$m"
    wait $watcher 2>/dev/null
    [ -s "$LOG_DIR/bare-$m.init-time" ] && \
        t_init=$(awk "BEGIN{printf \"%.1f\", $(cat "$LOG_DIR/bare-$m.init-time") - $t0}")
    serial=$LOG_DIR/bare-$m.serial
    uptime=$(tr -d '\r' <"$serial" | sed -n 's/^GUEST-INFO uptime \([0-9.]*\)s.*/\1/p' | head -1)
    cpu=$(tr -d '\r' <"$serial" | sed -n 's/^GUEST-CHECK cpu PASS .*, \([0-9.]*\)s$/\1/p' | head -1)
    echo "BENCH guest-bare-bochs model=$m boot-to-verdict=${secs}s"
    echo "    init-started-at=${t_init:-?}s guest-uptime-at-verdict=${uptime:-?}s cpu-check=${cpu:-?}s (guest time) load: $(cut -d' ' -f1-3 /proc/loadavg)"
    rm -f "$LOG_DIR/bare-$m.init-time"
done
finish
