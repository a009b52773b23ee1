#!/bin/bash
# tools/profile-exit.sh MODEL [cpuid|icr|ADDR]: where the host instructions
# of one exit round trip go, per VMM function. Boots Veneer in Bochs
# (MODEL: corei7_skylake_x for VMX, ryzen for SVM) with the cpuid-bench
# guest (tests/miniguest/cpuid_bench.S), stops with the Bochs debugger at
# the guest instruction (cpuid: the bench's CPUID, the default; icr: its
# xAPIC ICR-high store; or a guest-physical ADDR), traces every instruction from its third execution to its fourth, and
# prints the count per function (build/veneer.elf's debug information;
# an inlined function counts under its own name). The total is the round
# trip tools/bench-cpuid.sh measures as an average.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
model=${1:?usage: $0 corei7_skylake_x|ryzen [guest-physical-address]}
what=${2:-cpuid}
out=${LOG_DIR:-$ROOT/build/bench/profile-$model}
elf=$ROOT/build/veneer.elf
img=$ROOT/build/miniguest/cpuid_bench.img
mkdir -p "$out"
find() {  # the guest-physical address (0x7c00: 31744) of the first occurrence of these bytes
    od -An -tx1 -v "$ROOT/build/miniguest/cpuid_bench.bin" | tr -s ' \n' '  ' |
        awk -v pat="$*" '{ n = split(pat, p, " ")
            for (i = 1; i <= NF - n; i++) { ok = 1
                for (j = 1; j <= n; j++) if ($(i + j - 1) != p[j]) { ok = 0; break }
                if (ok) { printf "0x%x\n", 31744 + i - 1; exit } } }'
}
case $what in
cpuid) addr=$(find 0f a2) ;;
icr) addr=$(find 64 67 66 89 1f) ;;  # mov %ebx, %fs:(%edi)
*) addr=$what ;;
esac
"$ROOT/boot/mkiso.sh" "$elf" "$out/veneer.iso" "" >/dev/null
cp "$img" "$out/guest.img"
rm -f "$out/guest.img.lock"
cat >"$out/bochsrc" <<EOF
megs: 512
cpu: model=$model, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$out/veneer.iso, status=inserted
ata0-slave: type=disk, path=$out/guest.img, mode=flat
boot: cdrom
com1: enabled=1, mode=file, dev=$out/serial
log: $out/bochs.log
panic: action=fatal
info: action=ignore
debug: action=ignore
clock: sync=none, time0=local
EOF
printf 'pb %s\nc\nc\nc\ntrace on\nc\ntrace off\nquit\n' "$addr" >"$out/cmds"
(cd "$out" && timeout 600 bochs -q -f bochsrc -rc cmds >trace.txt 2>&1 </dev/null)
# "(0).[tick] [phys] 0008:ffffffff8002... (unk. ctxt): insn ; bytes"
grep -a '^(0)\.\[' "$out/trace.txt" | sed -n 's/.*:\(ffffffff[0-9a-f]*\) .*/\1/p' >"$out/addrs"
if [ ! -s "$out/addrs" ]; then
    echo "profile-exit: no VMM instructions traced (see $out/trace.txt)"
    exit 1
fi
sort -u "$out/addrs" >"$out/uaddrs"
sed 's/^/0x/' "$out/uaddrs" | addr2line -f -e "$elf" | paste - - | awk '{ print $1 }' |
    paste -d' ' "$out/uaddrs" - >"$out/map"
echo "profile-exit model=$model address=$addr (one round trip, VMM instructions per function):"
awk 'NR == FNR { f[$1] = $2; next } { c[f[$1]]++; n++ }
     END { for (k in c) printf "%6d %s\n", c[k], k; printf "%6d TOTAL\n", n }' \
    "$out/map" "$out/addrs" | sort -rn
