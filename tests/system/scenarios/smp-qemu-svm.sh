#!/bin/bash
# timeout: 900
# Linux with 2 and with 4 CPUs under Veneer on QEMU (SVM, pc machine, IDE
# disk): every CPU is started into the VMM at boot and waits there for the
# guest's SIPI, which the VMM takes from the intercepted local APIC ICR.
# The guest brings all CPUs online, runs one pinned job per CPU, sends an
# NMI to every CPU (sysrq l: the NMI backtrace), reads the per-CPU exit
# counters, reboots (back through the firmware into Veneer and the guest
# again), and powers off.
. "$(dirname "$0")/../lib.sh"

mkiso "$LOG_DIR/veneer.iso" ""
for n in 2 4; do
    name=smp$n
    guest_disk "$LOG_DIR/$name.img" "veneer.test=hypercall,nosvm,cpu,smp veneer.cpus=$n veneer.reboot=1"
    QEMU_REBOOT=1 qemu_start $name "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt \
        -machine pc -nic none -smp $n \
        -drive file="$LOG_DIR/$name.img",format=raw,if=ide,index=0,media=disk
    guest_verdict $name 400
    wait_exit $name 60 || stop $name
    expect $name "^GUEST-REBOOT first boot: rebooting" "$n CPUs: the guest rebooted once"
    expect_count $name "Veneer .* starting" 2 "the reboot came back through the firmware into Veneer (2 boots)"
    expect_count $name "I smp: $n CPUs under the VMM \(the boot CPU and $((n - 1)) AP" 2 "all $n CPUs under the VMM at both boots"
    for ((c = 1; c < n; c++)); do
        expect $name "I smp: CPU $c \(APIC ID [0-9]+\) started by the guest at" "CPU $c started by the guest's SIPI (through the VMM)"
    done
    expect_halted $name
    expect $name "^GUEST-CHECK reboot PASS" "$n CPUs: the second boot found the first boot's mark"
    expect $name "^GUEST-CHECK smp PASS $n CPUs online" "$n CPUs online, jobs, NMIs and exits on each"
    expect $name "^GUEST-CHECK nosvm PASS" "no svm/vmx flag"
    expect $name "^GUEST-CHECK hypercall PASS" "the guest runs under Veneer"
    expect $name "I acpi: the guest requests S5" "poweroff ends the run"
    expect_not $name "PANIC|Kernel panic|refusing|did not answer|could not be brought" "no panic, no CPU left out"
    grep -a '^GUEST-SMP' "$LOG_DIR/$name.serial" | sed 's/^/    /'
done
finish
