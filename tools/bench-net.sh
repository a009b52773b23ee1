#!/bin/bash
# make bench (net-bench): the Linux guest's own network throughput through
# the shared e1000 (vmm.net=share: the VMM shadows the rings and copies
# every frame, docs/network.md) against the NIC passed through
# (vmm.net=pass), on QEMU q35 (SVM, TCG) with user networking. The netxfer
# check (tests/guest/init) serves NET_MB MiB over HTTP and takes NET_MB MiB
# on a TCP port; the host moves both through hostfwd on 127.0.0.1 and
# times each. Prints MB/s per mode and direction and share/pass ratios
# (above 1: the shared NIC is faster), from the best of NET_RUNS (2)
# alternating runs of each mode; the host is shared and noisy, so read
# the ratio, not the absolute rates.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/net}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
CLIENT=$ROOT/tests/system/net_client.py
MB=${NET_MB:-32}
BASE=$((23003 + ($$ % 9000) * 4))

run() {  # MODE: "down SECONDS up SECONDS" on stdout, or "fail"
    local mode=$1 http=$((BASE + 1)) up=$((BASE + 2))
    BASE=$((BASE + 4))
    guest_disk "$LOG_DIR/$mode.img" "veneer.test=netxfer veneer.net_mb=$MB"
    mkiso "$LOG_DIR/$mode.iso" "vmm.net=$mode vmm.ip=10.0.2.30/24,10.0.2.2"
    qemu_start "$mode" "$LOG_DIR/$mode.iso" -cpu EPYC,+svm,+npt -machine q35 \
        -nic user,model=e1000,restrict=on,hostfwd=tcp:127.0.0.1:$http-10.0.2.15:8080,hostfwd=tcp:127.0.0.1:$up-10.0.2.15:5001 \
        $(guest_qemu_disk_args "$LOG_DIR/$mode.img") >&2
    if ! wait_for "$mode" "GUEST-NET ready|GUEST-VERDICT|PANIC" 400 >&2 ||
            ! grep -aq "GUEST-NET ready" "$LOG_DIR/$mode.serial"; then
        stop "$mode" >&2; echo fail; return
    fi
    python3 "$CLIENT" xfer $http $up "$LOG_DIR/$mode.xfer" $MB >&2 || { stop "$mode" >&2; echo fail; return; }
    wait_for "$mode" "GUEST-VERDICT" 200 >&2
    stop "$mode" >&2
    local gd gu hd hu
    gd=$(grep -ao "GUEST-NET down $MB MiB sha256 [0-9a-f]*" "$LOG_DIR/$mode.serial" | awk '{print $NF}')
    gu=$(grep -ao "GUEST-NET up [0-9]* bytes sha256 [0-9a-f]*" "$LOG_DIR/$mode.serial" | awk '{print $NF}')
    hd=$(awk '/^down/{print $5}' "$LOG_DIR/$mode.xfer")
    hu=$(awk '/^up/{print $5}' "$LOG_DIR/$mode.xfer")
    if [ -z "$gd" ] || [ "$gd" != "$hd" ] || [ -z "$gu" ] || [ "$gu" != "$hu" ]; then
        echo "bench-net: $mode: the hashes differ" >&2; echo fail; return
    fi
    awk '{printf "%s %s ", $1, $7} END {print ""}' "$LOG_DIR/$mode.xfer"
}

rate() { awk -v mb=$MB -v s="$1" 'BEGIN{ if (s > 0) printf "%.2f", mb * 1.048576 / s; else print 0 }'; }

# Alternating runs (pass, share, pass, share, ...): each mode's best time
# per direction, so that a burst of load on the shared host hurts one run,
# not the ratio.
RUNS=${NET_RUNS:-2}
P="" S=""
for r in $(seq 1 "$RUNS"); do
    p=$(run pass)
    s=$(run share)
    if [ "$p" = fail ] || [ "$s" = fail ]; then
        echo "BENCH net qemu-svm: failed (pass: $p; share: $s; logs in $LOG_DIR)"
        exit 1
    fi
    echo "bench-net: run $r: pass $p; share $s" >&2
    P="$P $p" S="$S $s"
done
best() {  # DIRECTION "down S up S down S ...": the smallest S
    echo "$2" | awk -v d=$1 '{for (i = 1; i < NF; i++) if ($i == d && (m == "" || $(i + 1) < m)) m = $(i + 1)} END {print m}'
}
for dir in down up; do
    ps=$(best $dir "$P") ss=$(best $dir "$S")
    pr=$(rate "$ps") sr=$(rate "$ss")
    label=$([ $dir = down ] && echo "guest->host" || echo "host->guest")
    echo "BENCH net qemu-svm $label ${MB} MiB (best of $RUNS): pass=${pr} MB/s share=${sr} MB/s ratio=$(awk "BEGIN{ if ($pr > 0) printf \"%.2f\", $sr / $pr; else print \"n/a\" }")"
done
