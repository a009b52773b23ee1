# The foundation's checks, the same on every emulator configuration
# (sourced by the foundation-* scenarios after lib.sh):
#   foundation_run START_FN BACKEND_LINE_REGEX
# START_FN NAME ISO starts the emulator. Two boots: one with
# vmm.selftest=fault (boot summary, then a symbolized panic report), one
# with malformed options (each refused by name, and the VMM does not start).

foundation_run() {
    local start=$1 backend_re=$2
    mkiso "$LOG_DIR/fault.iso" "vmm.selftest=fault"
    "$start" fault "$LOG_DIR/fault.iso"
    wait_for fault "PANIC: end of report|refusing to start" 240
    stop fault
    expect fault "^Veneer [0-9.]+ .* starting" "banner"
    expect fault "I boot: BIOS boot" "BIOS boot recognised"
    expect fault "I mem: physical memory map from GRUB" "memory map printed"
    expect fault "I mem: +0000000000100000-[0-9a-f]+ usable" "usable RAM listed"
    expect fault "I mem: VMM region [0-9a-f]+-[0-9a-f]+ \(32 MiB\) reserved at the top of usable RAM below 4 GiB" "VMM region reserved"
    expect fault "$backend_re" "backend named with its capabilities"
    expect fault "I acpi: (RSDT|XSDT) at 0x[0-9a-f]+: [0-9]+ tables: FACP" "ACPI tables found"
    expect fault "I acpi: sleep states \(SLP_TYPa/SLP_TYPb\):.* S5=[0-9]+/[0-9]+" "sleep states logged"
    expect fault "I acpi: MCFG: " "MCFG logged"
    expect fault "I acpi: PM1a control at port 0x[0-9a-f]+" "PM1a control owned"
    expect fault "PANIC: CPU 0: unexpected #PF page fault \(vector 14\)" "page-fault panic"
    expect fault "CR2 0x000000000dead000" "faulting address reported"
    expect fault "RIP 0008:ffffffff8" "RIP in the VMM image"
    symbolize fault >/dev/null
    if grep -q "backtrace: #0 .* selftest_fault " "$LOG_DIR/fault.symbolized" &&
        grep -q "backtrace: #[1-9] .* run_init_stage " "$LOG_DIR/fault.symbolized"; then
        echo "ok   fault: backtrace symbolizes (selftest_fault ... run_init_stage)"
    else
        echo "FAIL fault: backtrace does not symbolize as expected"
        FAILS=$((FAILS + 1))
    fi
    grep "backtrace:" "$LOG_DIR/fault.symbolized"

    mkiso "$LOG_DIR/badopt.iso" "vmm.mem=banana vmm.loglevel=chatty vmm.nosuch=1 novalue"
    "$start" badopt "$LOG_DIR/badopt.iso"
    wait_for badopt "refusing to start" 240
    stop badopt
    expect badopt "E options: option 'vmm.mem=banana' refused: 'banana' is not a number" "bad size refused"
    expect badopt "E options: option 'vmm.loglevel=chatty' refused: 'chatty' is not one of: error warn info debug" "bad choice refused"
    expect badopt "E options: option 'vmm.nosuch=1' refused: unknown option 'vmm.nosuch'" "unknown key refused"
    expect badopt "E options: option 'novalue' refused: not of the form key=value" "word without = refused"
    expect badopt "E veneer: refusing to start: 4 options refused" "VMM does not start"
    expect_not badopt "I mem: VMM region" "nothing reserved after a refusal"
}
