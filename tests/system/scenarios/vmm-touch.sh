#!/bin/bash
# timeout: 400
# Every guest access to the VMM region is a #GP and a log line, rate-limited
# per call site (issue 16 item 11; platform/log.h log_ratelimited): a
# miniguest (tests/miniguest/vmm_touch.S) on QEMU q35 (SVM) and on Bochs
# (VMX) reads and writes the region 10000 times. The guest gets all 10000 #GPs, the log
# holds the first 8 lines, the notice, then only the 16th, 32nd, ...
# 8192nd (18 in all), and the VMM goes on serving the guest.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/vmm_touch.img
region=0x3de00000

cp "$IMG" "$LOG_DIR/touch.img"
mkiso "$LOG_DIR/veneer.iso" ""
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device isa-debug-exit,iobase=0xf4 $(guest_qemu_disk_args "$LOG_DIR/touch.img")
wait_for qemu "VMM-TOUCH done|PANIC" 120; stop qemu

# Bochs (VMX, 512 MiB): the region lower; the miniguest reads its base
# from image offset 2044
cp "$IMG" "$LOG_DIR/bochs.img"
printf '\000\000\340\035' | dd of="$LOG_DIR/bochs.img" bs=1 seek=2044 conv=notrunc status=none
bochs_start bochs corei7_skylake_x "$LOG_DIR/veneer.iso" "$LOG_DIR/bochs.img"
wait_for bochs "VMM-TOUCH done|PANIC" 300; stop bochs

for q in qemu bochs; do
    case $q in
        qemu) base=3de00000 hi=3d[ef] vendor=68747541 ;;
        bochs) base=1de00000 hi=1d[ef] vendor=756e6547 ;;
    esac
    line="W guest: access to guest-physical 0x$hi[0-9a-f]{5} \((read|write)\) at 0008:[0-9a-f]+ is outside guest memory"
    expect $q "I mem: VMM region 00000000$base" "$q: the VMM region where the guest touches it"
    expect $q "VMM-TOUCH faults=10000" "$q: the guest got a #GP for each of its 10000 accesses"
    expect_count $q "$line" 18 "$q: 18 lines for 10000 accesses: the first 8, then the 16th, 32nd, ... 8192nd"
    expect $q "W guest: \(the line above is rate-limited from now on: only its 16th, 32nd, 64th, ... repeat is printed\)" "$q: the rate limit said once"
    expect $q "VMM-TOUCH after ebx=$vendor" "$q: the VMM still serves the guest (CPUID after)"
    expect_not $q "PANIC|VMM-TOUCH unexpected" "$q: the VMM survives"
done
finish
