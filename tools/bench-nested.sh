#!/bin/bash
# make bench (nested-bench): host instructions per nested SVM round trip in
# Bochs ryzen, and per nested VMX round trip in Bochs corei7_skylake_x,
# whose TSCs count retired instructions (issue 20, item 6). SVM: a
# tiny L1 (tests/miniguest/nested_bench.S) times N rounds of: VMRUN of an L2
# whose CPUID it intercepts and the exit back (refl: the reflected exit),
# one L2 running N CPUIDs it does not intercept (handled: each one an exit
# Veneer answers for L2 itself; one VMRUN and HLT exit subtracted), N CPUIDs
# of its own (l1), the empty loop (base), and refl again with L2 on L1's
# nested page tables (nrefl: under Veneer, NPT02). Bare runs of the same sector
# give the CPU's own cost, for the ratio. Veneer runs with vmm.nested=1.
# VMX (tests/miniguest/nested_bench_vmx.S): refl is L1's VMWRITE of
# GUEST_RIP, its VMRESUME and L2's CPUID exit back to L1 (CPUID exits
# unconditionally in VMX non-root operation); handled is L2's read of port
# 0xcf8 (Veneer's PCI configuration port, not in L1's I/O bitmap), which
# Veneer answers for L2 itself; l1 the same read by L1; fill is an L2 on
# L1's EPT reading N pages it has not touched (each an EPT violation
# Veneer handles itself, filling EPT02), warm the same reads again.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/nested}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
IMG=$ROOT/build/miniguest/nested_bench.img
mkiso "$LOG_DIR/veneer.iso" "vmm.nested=1"
RE='NESTED-BENCH n=([0-9a-f]+) refl=([0-9a-f]+) handled=([0-9a-f]+) l1=([0-9a-f]+) base=([0-9a-f]+) nrefl=([0-9a-f]+)'

run() {  # NAME [ISO [MODEL IMG RE]]: prints the groups of RE ("n refl handled l1 base [nrefl]")
    local name=$1 iso=${2:-} model=${3:-ryzen} img=${4:-$IMG} re=${5:-$RE}
    cp "$img" "$LOG_DIR/$name.img"
    {
        if [ -n "$iso" ]; then
            bochs_start "$name" "$model" "$iso" "$LOG_DIR/$name.img"
        else
            bochs_start_disk "$name" "$model" "$LOG_DIR/$name.img"
        fi
        wait_for "$name" "$re|NESTED-BENCH(-VMX)? no (SVM|VMX)|unexpected" 300
        stop "$name"
    } >&2
    local i refs=
    for ((i = 1; i <= $(tr -cd '(' <<<"$re" | wc -c); i++)); do refs+="${refs:+ }\\$i"; done
    sed -nE "s/.*$re.*/$refs/p" "$LOG_DIR/$name.serial" | head -1
}

per() {  # N DELTA BASE: instructions per round, the loop's own cost removed
    echo $(( (0x$2 - 0x$3) / 0x$1 ))
}

read -r n r h l b nr < <(run veneer "$LOG_DIR/veneer.iso")
read -r bn br bh bl bb bnr < <(run bare)
if [ -z "${n:-}" ] || [ -z "${bn:-}" ]; then
    echo "BENCH nested model=ryzen: no result (see $LOG_DIR)"
    n=
fi
if [ -n "$n" ]; then
    vr=$(per "$n" "$r" "$b"); br_=$(per "$bn" "$br" "$bb")
    # handled: one VMRUN + HLT round trip (about one refl) is in the delta too
    vh=$(( (0x$h - 0x$r / 0x$n) / 0x$n )); bh_=$(( (0x$bh - 0x$br / 0x$bn) / 0x$bn ))
    vl=$(per "$n" "$l" "$b"); bl_=$(per "$bn" "$bl" "$bb")
    vnr=$(per "$n" "$nr" "$b"); bnr_=$(per "$bn" "$bnr" "$bb")
    echo "BENCH nested model=ryzen instructions per L2 CPUID exit reflected to L1 (with L1's VMRUN): veneer=$vr bare=$br_"
    echo "BENCH nested model=ryzen instructions per L2 CPUID exit Veneer handles itself: veneer=$vh bare=$bh_"
    echo "BENCH nested model=ryzen instructions per L1 CPUID exit: veneer=$vl bare=$bl_"
    echo "BENCH nested model=ryzen instructions per L2 CPUID exit reflected to L1, L2 on L1's nested paging: veneer=$vnr bare=$bnr_"
fi

# VMX
VIMG=$ROOT/build/miniguest/nested_bench_vmx.img
VRE='NESTED-BENCH-VMX n=([0-9a-f]+) refl=([0-9a-f]+) handled=([0-9a-f]+) l1=([0-9a-f]+) base=([0-9a-f]+) fill=([0-9a-f]+) warm=([0-9a-f]+)'
M=corei7_skylake_x
read -r n r h l b f w < <(run veneer-vmx "$LOG_DIR/veneer.iso" $M "$VIMG" "$VRE")
read -r bn br bh bl bb bf bw < <(run bare-vmx "" $M "$VIMG" "$VRE")
if [ -z "${n:-}" ] || [ -z "${bn:-}" ]; then
    echo "BENCH nested model=$M: no result (see $LOG_DIR)"
    exit 0
fi
vr=$(per "$n" "$r" "$b"); br_=$(per "$bn" "$br" "$bb")
# handled: one VMRESUME + HLT round trip (about one refl) is in the delta too
vh=$(( (0x$h - 0x$r / 0x$n) / 0x$n )); bh_=$(( (0x$bh - 0x$br / 0x$bn) / 0x$bn ))
vl=$(per "$n" "$l" "$b"); bl_=$(per "$bn" "$bl" "$bb")
echo "BENCH nested model=$M instructions per L2 CPUID exit reflected to L1 (with L1's VMWRITE and VMRESUME): veneer=$vr bare=$br_"
echo "BENCH nested model=$M instructions per L2 exit Veneer handles itself (IN from 0xcf8): veneer=$vh bare=$bh_"
echo "BENCH nested model=$M instructions per L1 exit Veneer handles (IN from 0xcf8): veneer=$vl bare=$bl_"
# fill - warm: N EPT violations of L2 on L1's EPT, each handled by Veneer
vf=$(( (0x$f - 0x$w) / 0x$n )); bf_=$(( (0x$bf - 0x$bw) / 0x$bn ))
echo "BENCH nested model=$M instructions per L2 EPT violation Veneer handles itself (EPT02 filled from L1's EPT): veneer=$vf bare=$bf_"
