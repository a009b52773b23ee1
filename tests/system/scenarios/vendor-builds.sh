#!/bin/bash
# timeout: 240
# VENDOR=intel and VENDOR=amd images hold only their backend (symbol
# table), are multiboot2 kernels, and each boots on its vendor's CPU.
. "$(dirname "$0")/../lib.sh"

check_syms() {
    local elf=$1 must=$2 mustnot=$3
    if nm "$elf" | grep -qE " ${must}_"; then
        echo "ok   $elf: has ${must}_ symbols"
    else
        echo "FAIL $elf: no ${must}_ symbols"; FAILS=$((FAILS + 1))
    fi
    local bad
    bad=$(nm "$elf" | grep -E " ${mustnot}_" | head -3)
    if [ -z "$bad" ]; then
        echo "ok   $elf: no ${mustnot}_ symbols"
    else
        echo "FAIL $elf: contains $bad"; FAILS=$((FAILS + 1))
    fi
    if grub-file --is-x86-multiboot2 "$elf"; then
        echo "ok   $elf: multiboot2 image"
    else
        echo "FAIL $elf: not multiboot2"; FAILS=$((FAILS + 1))
    fi
}
check_syms "$ROOT/build/intel/veneer.elf" vmx svm
check_syms "$ROOT/build/amd/veneer.elf" svm vmx
check_syms "$ROOT/build/veneer.elf" vmx vmx_nothing_to_exclude

mkiso "$LOG_DIR/amd.iso" "" "$ROOT/build/amd/veneer.elf"
qemu_start amd "$LOG_DIR/amd.iso" -cpu EPYC,+svm,+npt
wait_for amd "backend svm" 60; stop amd
expect amd "backends: amd" "amd-only banner"
expect amd "backend svm" "amd-only build runs the svm backend"

mkiso "$LOG_DIR/intel.iso" "" "$ROOT/build/intel/veneer.elf"
bochs_start intel corei7_skylake_x "$LOG_DIR/intel.iso"
wait_for intel "backend vmx|refusing" 120; stop intel
expect intel "backends: intel" "intel-only banner"
expect intel "backend vmx" "intel-only build runs the vmx backend"
finish
