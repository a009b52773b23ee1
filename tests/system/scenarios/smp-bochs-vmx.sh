#!/bin/bash
# timeout: 900
# Linux with 2 CPUs under Veneer on Bochs corei7_skylake_x (VMX, the
# Intel-only image): the AP is started into the VMM at boot and waits
# there; the guest's INIT and SIPI reach it through the intercepted local
# APIC (the default; Bochs 2.7 cannot run VMX's own INIT exits, see
# docs/smp.md). The guest brings both CPUs online, runs a pinned job on each,
# sends an NMI to every CPU (sysrq l), reads the per-CPU exit counters and
# powers off. No reboot here (SMP_REBOOT=1 tries it): Bochs 2.7 keeps
# IA32_FEATURE_CONTROL locked across the reset, and its BIOS then writes
# it, takes a #GP with no IDT and triple-faults, bare as under Veneer
# (docs/smp.md); smp-qemu-svm covers the reboot.
. "$(dirname "$0")/../lib.sh"
ELF=$ROOT/build/intel/veneer.elf

mkiso "$LOG_DIR/veneer.iso" ""
guest_disk "$LOG_DIR/smp.img" "veneer.test=hypercall,novmx,smp veneer.cpus=2 veneer.reboot=${SMP_REBOOT:-0} $BOCHS_GUEST_PARAMS"
BOCHS_CPUS=2 bochs_start smp corei7_skylake_x "$LOG_DIR/veneer.iso" "$LOG_DIR/smp.img"
guest_verdict smp 800
wait_exit smp 60 || stop smp
expect smp "I smp: 2 CPUs under the VMM \(the boot CPU and 1 AP\); the APs wait for the guest's SIPI, delivered by the VMM" "both CPUs under the VMM"
expect smp "I smp: CPU 1 \(APIC ID [0-9]+\) started by the guest at" "the AP started by the guest's SIPI (through the VMM)"
expect_halted smp
if [ "${SMP_REBOOT:-0}" = 1 ]; then
    expect smp "^GUEST-REBOOT first boot: rebooting" "the guest rebooted once"
    expect_count smp "Veneer .* starting" 2 "the reboot came back through the BIOS into Veneer (2 boots)"
    expect smp "^GUEST-CHECK reboot PASS" "the second boot found the first boot's mark"
fi
expect smp "^GUEST-CHECK smp PASS 2 CPUs online" "2 CPUs online, jobs, NMIs and exits on each"
expect smp "^GUEST-CHECK novmx PASS" "no svm/vmx flag"
expect smp "^GUEST-CHECK hypercall PASS veneer [0-9.]+ vmx" "the guest runs under Veneer (VMX)"
expect_not smp "PANIC|Kernel panic|refusing|did not answer|could not be brought" "no panic, no CPU left out"
grep -a '^GUEST-SMP' "$LOG_DIR/smp.serial" | sed 's/^/    /'
finish
