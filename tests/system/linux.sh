# The Linux guest under Veneer (sourced by the linux-* scenarios after
# lib.sh). linux_run START_FN HIDDEN_RANGE BACKEND LIMIT [CONTROL]: boots
# the guest disk under Veneer and asserts what the guest checked from
# inside and what the VMM logged. With CONTROL=bare it first boots the disk
# bare (the control: the hidden range is usable RAM there, and its MemTotal
# is the reference); the Bochs scenarios skip it (a bare Bochs boot costs
# minutes and shows nothing the QEMU control does not).
#   START_FN NAME ISO DISK  starts an emulator; ISO empty = boot the disk bare.
#   GUEST_EXTRA             more guest kernel parameters (Bochs scenarios:
#                           $BOCHS_GUEST_PARAMS, see lib.sh)

linux_run() {
    local start=$1 hidden=$2 backend=$3 limit=${4:-240} control=${5:-}
    local lo=${hidden%-*} hi=${hidden#*-} bare_mem=""

    if [ "$control" = bare ]; then
        guest_disk "$LOG_DIR/bare.img" "veneer.test=e820 veneer.hidden=$hidden ${GUEST_EXTRA:-}"
        "$start" bare "" "$LOG_DIR/bare.img"
        wait_for bare '^GUEST-VERDICT' "$limit"
        stop bare
        expect bare "^GUEST-CHECK e820 FAIL hidden $hidden overlapped" "control: bare, the range is usable RAM"
        bare_mem=$(sed -n 's/.*MemTotal=\([0-9]*\)kB.*/\1/p' "$LOG_DIR/bare.serial" | head -1)
    fi

    guest_disk "$LOG_DIR/guest.img" "veneer.test=all veneer.hidden=$hidden ${GUEST_EXTRA:-}"
    mkiso "$LOG_DIR/veneer.iso" ""
    "$start" veneer "$LOG_DIR/veneer.iso" "$LOG_DIR/guest.img"
    guest_verdict veneer "$limit"
    wait_exit veneer 60 || stop veneer
    printf -v lo16 '%016x' "$lo"; printf -v hi16 '%016x' "$hi"
    expect veneer "I mem: VMM region $lo16-$hi16 " "VMM region where the guest is told it is"
    expect veneer "backend $backend" "backend $backend"
    expect veneer "I guest: boot sector of drive 0x80 read" "boot sector read through INT 13h"
    expect veneer "I guest: the guest read the memory map \(INT 15h E820" "E820 answered by the hook"
    expect veneer "^GUEST-CHECK hypercall PASS veneer [0-9.]+ $backend" "hypercall answers with the version"
    expect veneer "^GUEST-CHECK e820 PASS hidden $hidden absent" "VMM region absent from the guest's E820"
    expect veneer "^GUEST-CHECK nosvm PASS" "no svm/vmx flag in /proc/cpuinfo"
    expect veneer "^GUEST-CHECK cpu PASS" "CPU workload"
    expect veneer "^GUEST-CHECK disk PASS" "disk write and read-back"
    expect veneer "^GUEST-CHECK simd PASS .*registers preserved, MXCSR preserved" "the VMM's vector work leaves the guest's registers alone"
    expect veneer "^GUEST-EXITS cpuid [1-9]" "exit counters reported"
    expect veneer "reboot: Power down" "guest powered off"
    expect veneer "I acpi: the guest requests S5 \(soft off\) through PM1a" "the VMM saw the S5 request"
    expect_not veneer "PANIC|Kernel panic|refusing" "no panic"
    local mem
    mem=$(sed -n 's/.*e820 PASS.*MemTotal=\([0-9]*\)kB.*/\1/p' "$LOG_DIR/veneer.serial" | head -1)
    if [ "$control" != bare ]; then
        :
    elif [ -n "$mem" ] && [ -n "$bare_mem" ] && [ "$mem" -lt "$bare_mem" ]; then
        echo "ok   MemTotal under Veneer ${mem} kB < bare ${bare_mem} kB"
    else
        echo "FAIL MemTotal under Veneer '${mem}' kB not below bare '${bare_mem}' kB"
        FAILS=$((FAILS + 1))
    fi
    tr -d '\r' <"$LOG_DIR/veneer.serial" | grep -a '^GUEST-EXITS' | grep -v ' 0$' | sed 's/^/    /'
}
