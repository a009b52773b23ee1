#!/bin/bash
# make bench (cpuid-bench): host instructions per CPUID exit round trip on
# both backends in Bochs, whose TSC counts retired instructions. A
# boot-sector guest (tests/miniguest/cpuid_bench.S) times N CPUIDs and the
# same loop without them; (cpuid - base) / N is the cost of one exit and
# re-entry through Veneer, VMM instructions included. Bare runs of the same
# sector give the cost of CPUID without Veneer, for the ratio. The same
# guest then writes the xAPIC ICR high register M times (an MMIO exit
# each, through the APIC hook's fetch and decode): icr-write is its cost.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/cpuid}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
IMG=$ROOT/build/miniguest/cpuid_bench.img
mkiso "$LOG_DIR/veneer.iso" ""

run() {  # NAME MODEL [ISO]
    local name=$1 model=$2 iso=${3:-}
    cp "$IMG" "$LOG_DIR/$name.img"
    {
        if [ -n "$iso" ]; then
            bochs_start "$name" "$model" "$iso" "$LOG_DIR/$name.img"
        else
            bochs_start_disk "$name" "$model" "$LOG_DIR/$name.img"
        fi
        wait_for "$name" "ICR-BENCH n=[0-9A-F]+ icr=[0-9A-F]+ base=[0-9A-F]+" 300
        stop "$name"
    } >&2
    sed -n 's/.*CPUID-BENCH n=\([0-9A-F]*\) cpuid=\([0-9A-F]*\) base=\([0-9A-F]*\).*/\1 \2 \3/p' \
        "$LOG_DIR/$name.serial" | head -1
}

icr() {  # NAME: the ICR-BENCH figures of run NAME
    sed -n 's/.*ICR-BENCH n=\([0-9A-F]*\) icr=\([0-9A-F]*\) base=\([0-9A-F]*\).*/\1 \2 \3/p' \
        "$LOG_DIR/$1.serial" | head -1
}

for model in corei7_skylake_x ryzen; do
    read -r n c b < <(run "veneer-$model" "$model" "$LOG_DIR/veneer.iso")
    read -r bn bc bb < <(run "bare-$model" "$model")
    if [ -z "${n:-}" ] || [ -z "${bn:-}" ]; then
        echo "BENCH cpuid model=$model: no result (see $LOG_DIR)"
        continue
    fi
    v=$(( (0x$c - 0x$b) / 0x$n )); bare=$(( (0x$bc - 0x$bb) / 0x$bn ))
    # Bare, CPUID retires as one instruction like the one it replaces: 0 extra.
    echo "BENCH cpuid model=$model instructions-per-cpuid: veneer=$v bare=$bare ratio=$(awk "BEGIN{printf \"%.1f\", $v / ($bare > 0 ? $bare : 1)}")"
    echo "BENCH target cpuid (issue 23) model=$model: <= 300 host instructions per CPUID round trip: $v ($([ "$v" -le 300 ] && echo met || echo "not met"))"
    read -r n c b < <(icr "veneer-$model")
    read -r bn bc bb < <(icr "bare-$model")
    if [ -n "${n:-}" ] && [ -n "${bn:-}" ]; then
        v=$(( (0x$c - 0x$b) / 0x$n )); bare=$(( (0x$bc - 0x$bb) / 0x$bn ))
        echo "BENCH icr-write model=$model instructions-per-xapic-icr-write: veneer=$v bare=$bare"
    fi
done
