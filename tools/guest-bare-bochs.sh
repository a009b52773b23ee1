#!/bin/bash
# Benchmark: the real guest (build/guest/disk.img) booted bare, without
# Veneer, in Bochs from its IDE hard disk (ata0-slave, boot: disk), once
# per CPU model; prints the wall time from start to GUEST-VERDICT. Too slow
# for make check (minutes per boot).
#
#   tools/guest-bare-bochs.sh [MODEL...]   default: corei7_skylake_x ryzen
#   LOG_DIR=...                            logs (default build/bench/guest-bare-bochs)
#   LIMIT=900                              seconds allowed per boot
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/guest-bare-bochs}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
LIMIT=${LIMIT:-900}
models=("$@")
[ ${#models[@]} = 0 ] && models=(corei7_skylake_x ryzen)

[ -f "$GUEST_DISK" ] || make -C "$ROOT" build/guest/disk.img >/dev/null || exit 1
for m in "${models[@]}"; do
    img=$LOG_DIR/disk-$m.img
    guest_disk "$img" ""
    t0=$(date +%s.%N)
    bochs_start_disk "bare-$m" "$m" "$img"
    guest_verdict "bare-$m" "$LIMIT"
    t1=$(date +%s.%N)
    secs=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
    wait_exit "bare-$m" 60 || stop "bare-$m"
    echo "BENCH guest-bare-bochs model=$m boot-to-verdict=${secs}s"
done
finish
