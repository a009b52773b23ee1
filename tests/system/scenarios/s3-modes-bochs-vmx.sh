#!/bin/bash
# timeout: 900
# The guest woken by S3 in 32-bit protected mode and in 64-bit mode on the
# VMX backend: Bochs corei7_skylake_x, 2 CPUs, the miniguest
# tests/miniguest/s3_modes.S as in s3-modes-qemu-svm (it rewrites the Bochs
# BIOS's version 0 FACS to version 1, then 2 with the 64-bit flags, as a
# newer firmware's table, and sets X_Firmware_Waking_Vector and
# 64BIT_WAKE_F as an OS would). Bochs 2.7 wakes at once at the sleep write
# (a hardware reset, its BIOS's s3_post jumps to the real-mode vector: the
# VMM's page; docs/sleep.md). At each vector the guest checks the CPU's
# mode, that it runs at the vector, the identity map of the vector's page
# (64-bit) and Veneer's hypercall; the VMM's lines show VMX entered again
# and the entry in each mode, the IA-32e mode guest entry control with it.
. "$(dirname "$0")/../lib.sh"
n=modes

mkiso "$LOG_DIR/intel.iso" "" "$ROOT/build/intel/veneer.elf"
cp "$ROOT/build/miniguest/s3_modes.img" "$LOG_DIR/modes.img"
BOCHS_CPUS=2 bochs_start $n corei7_skylake_x "$LOG_DIR/intel.iso" "$LOG_DIR/modes.img"
wait_for $n "^S3-MODES (PASS|FAIL)|PANIC" 840
wait_exit $n 60 || stop $n
expect $n "^S3-MODES boot facs=[0-9a-f]{8} version=0 vmm=yes" "the guest runs under the VMM, the Bochs BIOS's FACS is version 0"
expect $n "I sleep: S3 resume 1: the guest resumes at its waking vector 0x301230 \(X_Firmware_Waking_Vector, 32-bit protected mode\)" "the VMM resumed the guest in 32-bit protected mode"
expect $n "^S3-MODES wake32 eip=00301230 cr0=[0-9a-f]{8} cr4=[0-9a-f]{8} efer=[0-9a-f]{8} imm=12345678 flat=yes vmm=yes" "32-bit wake: at the vector, 32-bit code, flat segments, the hypercall answered"
expect $n "^S3-MODES wake32 PASS" "32-bit wake: CR0.PE, no paging, not long mode"
expect $n "I sleep: S3 resume 2: the guest resumes at its waking vector 0x401230 \(X_Firmware_Waking_Vector, 64-bit mode, identity page tables at 0x[0-9a-f]+\)" "the VMM resumed the guest in 64-bit mode"
expect $n "^S3-MODES wake64 rip=00401230 lm=1 cr0=[0-9a-f]{8} cr3=[0-9a-f]{8} cr4=[0-9a-f]{8} efer=[0-9a-f]{8} rflags=[0-9a-f]{8} map=00401000 vmm64=yes vmm=yes" "64-bit wake: at the vector, 64-bit code, the vector's page mapped to itself, the hypercall answered from 64-bit mode"
expect $n "^S3-MODES wake64 PASS" "64-bit wake: CR0.PG/PE, CR4.PAE, EFER.LME/LMA, interrupts off"
expect_count $n "I vmx: CPU 0: VMCS [0-9a-f]+ current again \(next entry VMLAUNCH\)" 2 "the BSP's VMCS current again at each wake"
expect_count $n "I smp: S3 wake: 1 AP back under the VMM" 2 "the AP back under the VMM at each wake"
expect $n "^S3-MODES PASS 2 wakes" "the guest's verdict"
expect_not $n "PANIC|refusing|refused|request is dropped|S3-MODES FAIL|triple|entry failed|VM entry" "no panic, no refusal, no failed entry"
finish
