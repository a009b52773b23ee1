#!/bin/bash
# timeout: 180
# The guest moves its TSC (IA32_TIME_STAMP_COUNTER, then IA32_TSC_ADJUST
# back) and checks RDTSC and TSC_ADJUST follow as the SDM says; under
# Veneer both writes only move the guest's TSC offset (seed 004), shown by
# the VMM's debug log. Bochs only: QEMU's TCG ignores TSC writes even bare.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/tsc_test.img
mkiso "$LOG_DIR/debug.iso" "vmm.loglevel=debug"

cp "$IMG" "$LOG_DIR/bare.img"
bochs_start_disk bare corei7_skylake_x "$LOG_DIR/bare.img"
wait_for bare "TSC-TEST" 60; stop bare
expect bare "TSC-TEST write=ok adjust=ok PASS" "control: bare Bochs"

for m in corei7_skylake_x:vmx ryzen:svm; do
    model=${m%:*}
    cp "$IMG" "$LOG_DIR/$model.img"
    bochs_start "$model" "$model" "$LOG_DIR/debug.iso" "$LOG_DIR/$model.img"
    wait_for "$model" "TSC-TEST" 60; stop "$model"
    expect "$model" "TSC-TEST write=ok adjust=(ok|none) PASS" "$model: TSC and TSC_ADJUST behave"
    expect "$model" "D msr: guest TSC write: offset now 0x" "$model: the write moved the offset only"
done
expect corei7_skylake_x "D msr: guest TSC_ADJUST write: offset now" "VMX: TSC_ADJUST through the offset"
finish
