#!/bin/bash
# timeout: 600
# Fixed IPIs between two CPUs from the AP's start on (issue 18 item 5:
# an AP started by the guest that never ran). tests/miniguest/ipi_test.S
# starts the AP 64 times (INIT; odd rounds an IPI to it before the SIPI,
# even rounds the SIPI right behind the INIT; an IPI right after the SIPI)
# and each time both CPUs exchange IPIs with each other and themselves at
# once, 8 of each; every IPI must arrive, and the AP must run its first
# instruction every time. A bare QEMU control first, then
# QEMU SVM and Bochs VMX under Veneer. Under Veneer the two IPIs sent
# around the start-up signals always arrive (the guest's INIT never
# reaches the APIC, so nothing wipes them); bare QEMU applies INIT on the
# AP's own thread, after or before them (0..32 and 0..64).
# SMP_IPI_RUNS=N repeats the QEMU SVM part N times, one after another
# (make check: once; `make soak SOAK_TEST=ipi` loops the same guest two at
# a time beside busy processes, tools/soak-smp.sh).
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/ipi_test.img
RUNS=${SMP_IPI_RUNS:-1}
VERDICT='IPI-TEST rounds=64/64 bsp=512/512 ap=512/512 self=1024/1024'

cp "$IMG" "$LOG_DIR/bare.img"
qemu_start bare "" -cpu EPYC -machine pc -smp 2 -boot order=c \
    -drive file="$LOG_DIR/bare.img",format=raw,if=ide,index=0,media=disk \
    -device isa-debug-exit,iobase=0xf4
wait_for bare "IPI-TEST rounds" 120; stop bare
expect bare "$VERDICT early=[0-9]+/32 late=[0-9]+/64 nmi=0 PASS" \
    "control: bare QEMU, every IPI of the exchange arrives"

mkiso "$LOG_DIR/veneer.iso" "vmm.loglevel=debug"
check() {
    local n=$1 what=$2
    expect $n "I smp: 2 CPUs under the VMM" "$what: both CPUs under the VMM"
    expect_count $n "I smp: CPU 1 \(APIC ID 1\) started by the guest at 1000:0000" 64 \
        "$what: the AP started by the guest 64 times"
    expect $n "$VERDICT early=32/32 late=64/64 nmi=0 PASS" \
        "$what: every IPI arrived, the AP ran every time"
    expect_not $n "PANIC|IPI-TEST unexpected" "$what: no panic, no unexpected exception"
    # each SIPI goes to a CPU after INIT: none may be taken for one to a
    # running CPU (the race of issue 18 item 5, docs/smp.md)
    expect_not $n "SIPI 0x10 while running: ignored" "$what: no SIPI dropped"
}

for ((r = 1; r <= RUNS; r++)); do
    n=qemu what="QEMU SVM"
    [ "$RUNS" = 1 ] || n=qemu$r what="QEMU SVM run $r"
    cp "$IMG" "$LOG_DIR/$n.img"
    qemu_start $n "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -smp 2 \
        -drive file="$LOG_DIR/$n.img",format=raw,if=ide,index=0,media=disk \
        -device isa-debug-exit,iobase=0xf4
    wait_for $n "IPI-TEST rounds" 240; stop $n
    check $n "$what"
    [ "$RUNS" = 1 ] || rm -f "$LOG_DIR/$n.img"
done
[ "$RUNS" = 1 ] || { finish; exit; }

mkiso "$LOG_DIR/intel.iso" "vmm.loglevel=debug" "$ROOT/build/intel/veneer.elf"
cp "$IMG" "$LOG_DIR/b.img"
BOCHS_CPUS=2 bochs_start bochs corei7_skylake_x "$LOG_DIR/intel.iso" "$LOG_DIR/b.img"
wait_for bochs "IPI-TEST rounds" 400; stop bochs
check bochs "Bochs VMX"
finish
