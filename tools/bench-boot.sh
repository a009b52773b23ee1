#!/bin/bash
# make bench (boot-bench): the Linux guest booted bare and under Veneer in
# the same emulator, one after the other in one run; wall time from the
# emulator's start to the guest's verdict line, and the ratio. QEMU (SVM)
# always, from BIOS and (unless BENCH_UEFI=0) from UEFI; Bochs (VMX, and
# SVM) unless BENCH_BOCHS=0 — minutes each.
# Also prints the exit counts by kind for the Veneer boot.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/boot}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
PARAMS="veneer.test=cpu,disk,exits"
mkiso "$LOG_DIR/veneer.iso" ""

timed() {  # NAME START-COMMAND...: seconds to the verdict
    local name=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >&2
    wait_for "$name" '^GUEST-VERDICT' "${LIMIT:-1500}" >&2 || { stop "$name"; echo fail; return; }
    t1=$(date +%s.%N)
    stop "$name" >&2
    awk "BEGIN{printf \"%.1f\", $t1 - $t0}"
}

report() {  # LABEL BARE VENEER NAME
    echo "BENCH boot $1: bare=${2}s veneer=${3}s ratio=$(awk "BEGIN{ if ($2 > 0) printf \"%.2f\", $3 / $2; else print \"n/a\" }")"
    tr -d '\r' <"$LOG_DIR/$4.serial" | grep -a '^GUEST-EXITS' | grep -v ' 0$' | sed "s/^GUEST-EXITS/BENCH exits $1/"
}

guest_disk "$LOG_DIR/q-bare.img" "$PARAMS"
guest_disk "$LOG_DIR/q-veneer.img" "$PARAMS"
b=$(timed q-bare qemu_start_disk q-bare "$LOG_DIR/q-bare.img" -cpu EPYC,+svm,+npt)
v=$(timed q-veneer qemu_start q-veneer "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt \
    -machine q35 -nic none $(guest_qemu_disk_args "$LOG_DIR/q-veneer.img"))
report "qemu-svm" "$b" "$v" q-veneer

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
    b=$(timed u-bare uefi_qemu u-bare "$LOG_DIR/u-bare-esp.img" -smp 2 \
        $(guest_qemu_nvme_args "$LOG_DIR/u-bare.img"))
    v=$(timed u-veneer uefi_qemu u-veneer "$LOG_DIR/u-veneer-esp.img" -smp 2 \
        $(guest_qemu_nvme_args "$LOG_DIR/u-veneer.img"))
    report "qemu-uefi-svm" "$b" "$v" u-veneer
fi

[ "${BENCH_BOCHS:-1}" = 0 ] && exit 0
for model in ${BENCH_BOCHS_MODELS:-corei7_skylake_x ryzen}; do
    guest_disk "$LOG_DIR/b-bare-$model.img" "$PARAMS ${BOCHS_GUEST_PARAMS:-}"
    guest_disk "$LOG_DIR/b-veneer-$model.img" "$PARAMS ${BOCHS_GUEST_PARAMS:-}"
    b=$(timed "b-bare-$model" bochs_start_disk "b-bare-$model" "$model" "$LOG_DIR/b-bare-$model.img")
    v=$(timed "b-veneer-$model" bochs_start "b-veneer-$model" "$model" "$LOG_DIR/veneer.iso" "$LOG_DIR/b-veneer-$model.img")
    report "bochs-$model" "$b" "$v" "b-veneer-$model"
done
