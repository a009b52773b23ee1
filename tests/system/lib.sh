# Shared vocabulary for system scenarios (sourced by tests/system/scenarios/*.sh).
#
# A scenario boots an emulator in the background with its serial console in
# a file, waits for lines on it, asserts, and stops the emulator. Everything
# it makes stays under $LOG_DIR (build/test-logs/<scenario>.d).
#
#   mkiso OUT.iso "OPTIONS" [ELF [MODULE...]]
#                                     a GRUB image whose entry passes OPTIONS
#                                     (and loads each MODULE, named by its
#                                     basename)
#   qemu_start NAME ISO [QEMU ARGS]   QEMU/TCG, serial -> $LOG_DIR/NAME.serial
#   bochs_start NAME MODEL ISO [DISK] Bochs, serial -> $LOG_DIR/NAME.serial
#   wait_for NAME REGEX SECONDS       until REGEX appears (or the emulator ends)
#   expect NAME REGEX [WHAT]          assert REGEX is in the serial log
#   expect_not NAME REGEX [WHAT]      assert it is not
#   expect_count NAME REGEX N [WHAT]  assert it is on exactly N lines
#   expect_halted NAME                the APs waited for their SIPI halted
#   wait_exit NAME SECONDS            until the emulator exits by itself
#   stop NAME                         kill the emulator
#   symbolize NAME [ELF]              print the panic backtrace, symbolized
#   finish                            exit 0 if no assertion failed
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOG_DIR=${LOG_DIR:-$ROOT/build/test-logs/manual.d}
mkdir -p "$LOG_DIR"
LOG_DIR=$(cd "$LOG_DIR" && pwd)
ELF=${ELF:-$ROOT/build/veneer.elf}

# Bochs: emulated instructions per emulated second (cpu: ips=). With
# `clock: sync=none` (below) guest time is Bochs ticks / BOCHS_IPS, an idle
# (HLT/MWAIT) CPU skips ahead to the next timer event, and the guest's TSC
# counts the same ticks: BOCHS_IPS ticks per second.
BOCHS_IPS=${BOCHS_IPS:-50000000}
# Kernel parameters for a Linux guest booted in Bochs: every scenario that
# boots the test guest in Bochs (bare or under Veneer) appends them to its
# guest parameters (guest_disk IMG "... $BOCHS_GUEST_PARAMS"). Bochs only:
# in QEMU the TSC runs at the host's rate and tsc_early_khz would be wrong.
# docs/testing-bochs.md has the measurements.
#   tsc_early_khz=  the TSC's true rate. corei7_skylake_x declares 3.5 GHz in
#                   CPUID leaves 0x15/0x16 and Linux >= 4.8 believes it
#                   without calibrating: udelay() spun 70x too long and its
#                   clock lagged (a 35 s computation measured 0.51 s). ryzen
#                   calibrates against the PIT and finds the same value.
#   cryptomgr.notests  skips the crypto self-tests run at late_initcall
#                   (crypto_algapi_init): 15 s of guest time, 0.75e9
#                   instructions, the largest initcall by far.
#   rodata=off      skips mark_rodata_ro() and its W+X page-table walk
#                   (CONFIG_DEBUG_WX): 3 s of guest time.
BOCHS_GUEST_PARAMS="tsc_early_khz=$((BOCHS_IPS / 1000)) cryptomgr.notests rodata=off"
FAILS=0
declare -A PIDS

# Emulators never outlive their scenario, however it ends (the runner's
# time limit sends TERM).
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'cleanup; exit 143' TERM INT

note() { echo "[$(date +%T)] $*"; }

mkiso() {
    local out=$1 opts=$2 elf=${3:-$ELF}
    shift $(($# < 3 ? $# : 3))
    # xorriso has crashed (SIGSEGV) at exit after writing a good image,
    # once in a loaded run: one more try before giving up
    "$ROOT/boot/mkiso.sh" "$elf" "$out" "$opts" "$@" >"$out.log" 2>&1 ||
        "$ROOT/boot/mkiso.sh" "$elf" "$out" "$opts" "$@" >"$out.log" 2>&1 || {
        echo "mkiso failed:"; cat "$out.log"; exit 1; }
}

qemu_start() {
    local name=$1 iso=$2; shift 2
    local serial="$LOG_DIR/$name.serial"
    : >"$serial"
    note "qemu $name: $*"
    # QEMU_REBOOT=1: a guest reboot resets the machine instead of ending QEMU
    qemu-system-x86_64 -nographic $([ "${QEMU_REBOOT:-0}" = 1 ] || echo -no-reboot) \
        -m ${QEMU_MEM:-1024} \
        -serial file:"$serial" -display none \
        -monitor unix:"$LOG_DIR/$name.mon",server=on,wait=off \
        -cdrom "$iso" -boot order=d "$@" \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
}

# bochs_run NAME MODEL ISO DISK BOOT: writes NAME.bochsrc (ISO empty: an
# empty CD drive; DISK empty: none) and starts Bochs in the background.
bochs_run() {
    local name=$1 model=$2 iso=$3 disk=$4 boot=$5
    local serial="$LOG_DIR/$name.serial" rc="$LOG_DIR/$name.bochsrc"
    : >"$serial"
    {
        echo "megs: ${BOCHS_MEGS:-512}"
        echo "cpu: model=$model, count=${BOCHS_CPUS:-1}, ips=$BOCHS_IPS, reset_on_triple_fault=0"
        echo "romimage: file=/usr/share/bochs/BIOS-bochs-latest"
        echo "vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest"
        echo "display_library: rfb, options=\"timeout=0\""
        if [ -n "$iso" ]; then
            echo "ata0-master: type=cdrom, path=$iso, status=inserted"
        else
            echo "ata0-master: type=cdrom, path=none, status=ejected"
        fi
        # (a Bochs killed by a time limit leaves its lock file behind)
        [ -n "$disk" ] && rm -f "$disk.lock" && echo "ata0-slave: type=disk, path=$disk, mode=flat"
        echo "boot: $boot"
        echo "com1: enabled=1, mode=file, dev=$serial"
        echo "log: $LOG_DIR/$name.bochs.log"
        echo "panic: action=fatal"
        echo "error: action=report"
        echo "info: action=ignore"
        echo "debug: action=ignore"
        echo "speaker: enabled=0"
        echo "clock: sync=none, time0=local"
        echo "port_e9_hack: enabled=1"
        # BOCHS_EXTRA: more bochsrc lines (a NIC: net-shell-bochs-vmx)
        if [ -n "${BOCHS_EXTRA:-}" ]; then printf '%s\n' "$BOCHS_EXTRA"; fi
    } >"$rc"
    echo c >"$LOG_DIR/$name.cmds"
    note "bochs $name: model=$model${disk:+ disk=$disk}"
    (cd "$LOG_DIR" && exec bochs -q -f "$rc" -rc "$LOG_DIR/$name.cmds" \
        >"$LOG_DIR/$name.bochs.out" 2>&1 </dev/null) &
    PIDS[$name]=$!
}

bochs_start() {
    bochs_run "$1" "$2" "$3" "${4:-}" cdrom
}

running() { kill -0 "${PIDS[$1]}" 2>/dev/null; }

wait_for() {
    local name=$1 re=$2 secs=$3 t=0
    while ! grep -aqE -- "$re" "$LOG_DIR/$name.serial"; do
        if ! running "$name"; then
            grep -aqE -- "$re" "$LOG_DIR/$name.serial" && return 0
            note "$name: emulator ended before /$re/"
            return 1
        fi
        if [ $t -ge $((secs * 5)) ]; then
            note "$name: /$re/ not seen within ${secs}s"
            where_stuck "$name"
            return 1
        fi
        sleep 0.2; t=$((t + 1))
    done
    note "$name: saw /$re/"
}

# where_stuck NAME: after a wait gave up, says how long the serial console
# has been silent and its last line, and for QEMU (monitor socket NAME.mon)
# writes every CPU's registers to NAME.regs and prints each CPU's RIP line
# (a VMM address: addr2line -f -e build/veneer.elf ADDR).
where_stuck() {
    local name=$1 serial="$LOG_DIR/$1.serial" idle
    idle=$(($(date +%s) - $(stat -c %Y "$serial")))
    note "$name: serial silent for ${idle}s; last line: $(grep -a . "$serial" | tail -1 | tr -cd '[:print:]' | cut -c1-120)"
    [ -S "$LOG_DIR/$name.mon" ] && running "$name" || return 0
    if "$ROOT/tests/system/qemu_monitor.py" "$LOG_DIR/$name.mon" "$LOG_DIR/$name.regs" \
        "info registers -a" "info registers -a"; then
        # twice, a second apart: a CPU whose RIP does not move is stuck there
        grep -aE '^CPU#|^[RE]IP=|^CS =|^CR0=' "$LOG_DIR/$name.regs" | sed 's/^/    /'
    fi
}

# expect_halted NAME: each AP the guest started had waited for its SIPI
# halted in the VMM (a few wake-ups: the INIT, the SIPI), not spinning.
expect_halted() {
    local name=$1
    expect "$name" "started by the guest at [0-9a-f]{4}:0000 \([0-9]+ halts? while it waited\)" \
        "the APs' wait for their SIPI is counted"
    expect_not "$name" "started by the guest at [0-9a-f]{4}:0000 \([0-9]{3,} halts" \
        "each AP waited for its SIPI halted (fewer than 100 wake-ups)"
}

wait_exit() {
    local name=$1 secs=$2 t=0
    while running "$name"; do
        [ $t -ge $((secs * 5)) ] && { note "$name: still running after ${secs}s"; return 1; }
        sleep 0.2; t=$((t + 1))
    done
}

stop() {
    local name=$1
    kill "${PIDS[$name]}" 2>/dev/null
    wait "${PIDS[$name]}" 2>/dev/null
    unset "PIDS[$name]"
}

expect() {
    local name=$1 re=$2 what=${3:-$2}
    if grep -aqE -- "$re" "$LOG_DIR/$name.serial"; then
        echo "ok   $name: $what"
    else
        echo "FAIL $name: $what (no /$re/ in $LOG_DIR/$name.serial)"
        FAILS=$((FAILS + 1))
    fi
}

# expect_count NAME REGEX N [WHAT]: REGEX is on exactly N lines
expect_count() {
    local name=$1 re=$2 want=$3 what=${4:-$2} n
    n=$(grep -acE -- "$re" "$LOG_DIR/$name.serial")
    if [ "$n" = "$want" ]; then
        echo "ok   $name: $what"
    else
        echo "FAIL $name: $what (/$re/ on $n lines of $LOG_DIR/$name.serial, not $want)"
        FAILS=$((FAILS + 1))
    fi
}

expect_not() {
    local name=$1 re=$2 what=${3:-not $2}
    if grep -aqE -- "$re" "$LOG_DIR/$name.serial"; then
        echo "FAIL $name: $what (found /$re/ in $LOG_DIR/$name.serial)"
        FAILS=$((FAILS + 1))
    else
        echo "ok   $name: $what"
    fi
}

symbolize() {
    local name=$1 elf=${2:-$ELF}
    "$ROOT/tools/symbolize.sh" "$elf" <"$LOG_DIR/$name.serial" >"$LOG_DIR/$name.symbolized"
    cat "$LOG_DIR/$name.symbolized"
}

finish() {
    echo "--- serial logs in $LOG_DIR"
    [ $FAILS = 0 ]
}

# ---- the real Linux guest (tests/guest, docs/guest.md) ---------------------
#   guest_disk OUT.img [PARAMS]        a copy of build/guest/disk.img whose
#                                      kernel gets PARAMS (veneer.test=...)
#   guest_qemu_disk_args IMG           QEMU args: IMG as an AHCI hard disk
#   guest_qemu_nvme_args IMG           QEMU args: IMG as an NVMe disk
#   qemu_start_disk NAME IMG [ARGS]    QEMU q35/TCG booting IMG as its hard
#                                      disk (no CD), serial -> NAME.serial;
#                                      GUEST_DISK_BUS=nvme: as an NVMe disk
#   bochs_start_disk NAME MODEL IMG    Bochs booting IMG (ata0-slave IDE
#                                      disk, empty CD drive as master)
#   guest_verdict NAME SECONDS         wait for GUEST-VERDICT, assert PASS
GUEST_DISK=${GUEST_DISK:-$ROOT/build/guest/disk.img}

guest_disk() {
    local out=$1 params=${2-}
    # a killed Bochs leaves OUT.lock behind, which makes the next one refuse OUT
    rm -f "$out.lock"
    cp --sparse=always "$GUEST_DISK" "$out" || { echo "guest_disk: no $GUEST_DISK"; exit 1; }
    "$ROOT/tests/guest/set-params.sh" "$out" "$params" || exit 1
}

guest_qemu_disk_args() {
    echo "-drive file=$1,format=raw,if=none,id=gdisk -device ahci,id=gahci -device ide-hd,drive=gdisk,bus=gahci.0"
}

guest_qemu_nvme_args() {
    echo "-drive file=$1,format=raw,if=none,id=gdisk -device nvme,serial=veneer-guest,drive=gdisk"
}

qemu_start_disk() {
    local name=$1 img=$2; shift 2
    local serial="$LOG_DIR/$name.serial"
    : >"$serial"
    note "qemu $name (disk $img): $*"
    # shellcheck disable=SC2046
    qemu-system-x86_64 -machine q35 -nographic -no-reboot -m ${QEMU_MEM:-1024} \
        -serial file:"$serial" -display none -nic none \
        -monitor unix:"$LOG_DIR/$name.mon",server=on,wait=off \
        $(guest_qemu_${GUEST_DISK_BUS:-disk}_args "$img") -boot order=c "$@" \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
}

bochs_start_disk() {
    bochs_run "$1" "$2" "" "$3" disk
}

guest_verdict() {
    local name=$1 secs=$2
    if wait_for "$name" '^GUEST-VERDICT' "$secs"; then
        grep -a '^GUEST-CHECK\|^GUEST-VERDICT\|^GUEST-INFO' "$LOG_DIR/$name.serial" | sed 's/^/    /'
    fi
    expect "$name" '^GUEST-VERDICT PASS' "guest verdict PASS"
}
