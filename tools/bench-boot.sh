#!/bin/bash
# make bench (boot-bench): the Linux guest booted bare and under Veneer in
# the same emulator, in one run; from the emulator's start to the guest's
# verdict line, the emulator process's CPU time (user + system, from
# /proc: what the machine's other load does not inflate as much as wall
# time) and wall time, and their ratios. QEMU (SVM) always, from BIOS and
# (unless BENCH_UEFI=0) from UEFI, BENCH_ROUNDS (default 2) rounds of bare
# then Veneer, interleaved, the ratio of the sums; Bochs (VMX, and SVM)
# unless BENCH_BOCHS=0 — minutes each, one round.
# Also prints the exit counts by kind for the Veneer boot, and issue 23's
# target for the QEMU BIOS boot (CPU time <= 1.10x bare).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/boot}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
PARAMS="veneer.test=cpu,disk,exits"
mkiso "$LOG_DIR/veneer.iso" ""

# CHILD_CPU: CPU seconds (user + system) of this shell's reaped children,
# from the `times` builtin, run in this shell (in a pipeline or $(...) it
# would count a subshell's children instead).
children_cpu() {
    times >"$LOG_DIR/times.txt"
    CHILD_CPU=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/);
                   printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
        "$LOG_DIR/times.txt")
}

timed() {  # NAME START-COMMAND...: "CPU-SECONDS WALL-SECONDS" to the verdict
    local name=$1; shift
    local t0 t1 c0 c1
    # The emulator's CPU time: this shell's children reaped from its start
    # to its stop (bash reaps an exited background child at once, so the
    # reading must bracket the whole run); that includes the wait loop's
    # grep and sleep, about 1% of a QEMU boot's CPU time, on both sides.
    children_cpu; c0=$CHILD_CPU
    t0=$(date +%s.%N)
    "$@" >&2
    wait_for "$name" '^GUEST-VERDICT' "${LIMIT:-1500}" >&2 || { stop "$name"; echo "fail fail"; return; }
    t1=$(date +%s.%N)
    # The guest powers off after its verdict (Veneer logs its exit
    # summaries then): up to 30 s for the emulator to end by itself, for
    # both boots alike.
    for _ in $(seq 150); do running "$name" || break; sleep 0.2; done
    stop "$name" >&2
    children_cpu; c1=$CHILD_CPU
    awk "BEGIN{printf \"%.2f %.1f\", $c1 - $c0, $t1 - $t0}"
}

ratio() { awk "BEGIN{ if (\"$1\" != \"fail\" && \"$2\" != \"fail\" && $1 + 0 > 0) printf \"%.2f\", $2 / $1; else print \"n/a\" }"; }
add() { awk "BEGIN{ if (\"$1\" == \"fail\" || \"$2\" == \"fail\") print \"fail\"; else printf \"%.2f\", $1 + $2 }"; }

# interleaved LABEL VENEER-NAME ROUNDS BARE-CMD... -- VENEER-CMD...: the
# bare and Veneer boots taking turns; prints the summed times and ratios.
interleaved() {
    local label=$1 vname=$2 rounds=$3; shift 3
    local bare=() ven=() sep=0 a r bc=0 bw=0 vc=0 vw=0 c w
    for a in "$@"; do
        if [ "$a" = -- ]; then sep=1; continue; fi
        if [ $sep = 0 ]; then bare+=("$a"); else ven+=("$a"); fi
    done
    for ((r = 1; r <= rounds; r++)); do
        read -r c w < <(timed "${bare[@]}")
        bc=$(add "$bc" "$c"); bw=$(add "$bw" "$w")
        read -r c w < <(timed "${ven[@]}")
        vc=$(add "$vc" "$c"); vw=$(add "$vw" "$w")
    done
    echo "BENCH boot $label ($rounds rounds, interleaved): CPU bare=${bc}s veneer=${vc}s ratio=$(ratio "$bc" "$vc"); wall bare=${bw}s veneer=${vw}s ratio=$(ratio "$bw" "$vw")"
    tr -d '\r' <"$LOG_DIR/$vname.serial" | grep -a '^GUEST-EXITS' | grep -v ' 0$' | sed "s/^GUEST-EXITS/BENCH exits $label/"
    LAST_RATIO=$(ratio "$bc" "$vc")
}
ROUNDS=${BENCH_ROUNDS:-2}

guest_disk "$LOG_DIR/q-bare.img" "$PARAMS"
guest_disk "$LOG_DIR/q-veneer.img" "$PARAMS"
interleaved qemu-svm q-veneer "$ROUNDS" \
    q-bare qemu_start_disk q-bare "$LOG_DIR/q-bare.img" -cpu EPYC,+svm,+npt -- \
    q-veneer qemu_start q-veneer "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt \
    -machine q35 -nic none $(guest_qemu_disk_args "$LOG_DIR/q-veneer.img")
echo "BENCH target boot (issue 23): Linux boot under Veneer, QEMU CPU time, <= 1.10x bare: ${LAST_RATIO} ($(awk "BEGIN{ print (\"$LAST_RATIO\" != \"n/a\" && $LAST_RATIO + 0 <= 1.10) ? \"met\" : \"not met\" }"))"

# UEFI (OVMF, q35, 2 CPUs): GRUB EFI from an NVMe ESP boots Linux, bare
# (UEFI_BARE=1: the same ESP without veneer.efi) and through veneer.efi
# (which starts Veneer, reconnects the disks, starts GRUB again); the
# scratch disk on a second NVMe controller. docs/uefi.md.
if [ "${BENCH_UEFI:-1}" = 1 ]; then
    . "$ROOT/tests/system/uefi.sh"
    guest_disk "$LOG_DIR/u-bare.img" ""
    guest_disk "$LOG_DIR/u-veneer.img" ""
    UEFI_BARE=1 uefi_esp "$LOG_DIR/u-bare-esp.img" "$PARAMS veneer.cpus=2"
    uefi_esp "$LOG_DIR/u-veneer-esp.img" "$PARAMS veneer.cpus=2"
    interleaved qemu-uefi-svm u-veneer "$ROUNDS" \
        u-bare uefi_qemu u-bare "$LOG_DIR/u-bare-esp.img" -smp 2 \
        $(guest_qemu_nvme_args "$LOG_DIR/u-bare.img") -- \
        u-veneer uefi_qemu u-veneer "$LOG_DIR/u-veneer-esp.img" -smp 2 \
        $(guest_qemu_nvme_args "$LOG_DIR/u-veneer.img")
fi

[ "${BENCH_BOCHS:-1}" = 0 ] && exit 0
for model in ${BENCH_BOCHS_MODELS:-corei7_skylake_x ryzen}; do
    guest_disk "$LOG_DIR/b-bare-$model.img" "$PARAMS ${BOCHS_GUEST_PARAMS:-}"
    guest_disk "$LOG_DIR/b-veneer-$model.img" "$PARAMS ${BOCHS_GUEST_PARAMS:-}"
    interleaved "bochs-$model" "b-veneer-$model" 1 \
        "b-bare-$model" bochs_start_disk "b-bare-$model" "$model" "$LOG_DIR/b-bare-$model.img" -- \
        "b-veneer-$model" bochs_start "b-veneer-$model" "$model" "$LOG_DIR/veneer.iso" "$LOG_DIR/b-veneer-$model.img"
done
