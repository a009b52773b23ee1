#!/bin/bash
# timeout: 600
# S3 under Veneer on Bochs corei7_skylake_x (VMX, the Intel-only image), 2
# CPUs, the miniguest tests/miniguest/s3_test.S: two sleep/wake cycles
# through PM1a control. Bochs 2.7 "sleeps" by a hardware reset at the
# write (iodev/acpi.cc: CMOS shutdown status 0xfe, then every CPU and
# device reset, RAM kept) and its BIOS (rombios s3_post) jumps to the
# FACS's waking vector in real mode: docs/sleep.md. After each wake the
# guest checks its RAM, a hypercall answered on the boot CPU and on the AP
# (started again by the guest: real mode, VMCALL), so both CPUs are back
# under the VMM; the VMM's lines show VMX entered again on each CPU with
# each VMCS current again and launched afresh. (The BIOS's resume path
# locks IA32_FEATURE_CONTROL with VMX allowed on every CPU, as at boot:
# the MSR left open is covered by the unit test vmx_cpu.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sleep.sh"
IMG=$ROOT/build/miniguest/s3_test.img

mkiso "$LOG_DIR/intel.iso" "" "$ROOT/build/intel/veneer.elf"
cp "$IMG" "$LOG_DIR/s3.img"
BOCHS_CPUS=2 bochs_start s3 corei7_skylake_x "$LOG_DIR/intel.iso" "$LOG_DIR/s3.img"
wait_for s3 "^S3-TEST (PASS|FAIL)|PANIC" 540
wait_exit s3 60 || stop s3
n=s3
expect $n "^S3-TEST boot vmm=yes ap=1" "before the sleep: hypercalls answered on both CPUs"
expect $n "I sleep: S3: the guest's waking vector 0x[0-9a-f]+ kept; the firmware will wake the VMM at 0x[0-9a-f]+" "the VMM took the waking vector for the sleep"
expect $n "I sleep: S3 wake: the BSP is back in the VMM" "the BSP came back through the VMM's wake code"
expect_count $n "I vmx: CPU 0: VMX operation entered \(VMXON region [0-9a-f]+\)" 3 "VMX operation entered on the BSP at boot and again at each wake"
expect_count $n "I vmx: CPU 1: VMX operation entered \(VMXON region [0-9a-f]+\)" 3 "VMX operation entered on the AP at boot and again at each wake"
expect_count $n "I vmx: CPU 0: VMCS [0-9a-f]+ current again \(next entry VMLAUNCH\)" 2 "the BSP's VMCS current again at each wake"
expect_count $n "I vmx: CPU 1: VMCS [0-9a-f]+ current again \(next entry VMLAUNCH\)" 2 "the AP's VMCS current again at each wake"
expect_count $n "I smp: S3 wake: 1 AP back under the VMM" 2 "the AP back under the VMM at each wake"
expect $n "I sleep: S3 resume 2: the guest resumes at its waking vector [0-9a-f]{4}:[0-9a-f]{4}" "the guest resumed at its own waking vector twice"
s3_expect_facs $n
expect $n "^S3-TEST wake 1 ram=ok vmm=yes ap=1" "first wake: RAM kept, both CPUs under the VMM"
expect $n "^S3-TEST wake 2 ram=ok vmm=yes ap=1" "second wake: the same"
expect $n "^S3-TEST PASS 2 cycles" "the guest's verdict"
expect_not $n "PANIC|refusing|refused|request is dropped|S3-TEST FAIL|did not answer" "no panic, no refusal"
finish
