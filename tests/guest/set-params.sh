#!/bin/sh
# Sets the extra kernel parameters of a test-guest disk image in place:
# writes a GRUB environment block with veneer_args="PARAMS" into partition
# 2 of IMG (GRUB appends it to the kernel command line). No root needed.
#
#   set-params.sh IMG "veneer.test=hypercall,e820 veneer.hidden=0x..-0x.."
#   set-params.sh IMG ""          back to a bare boot (cpu,disk)
#   set-params.sh --check IMG     verify the partition layout only
#   set-params.sh --show IMG      print the current parameters
#   set-params.sh --scratch IMG   print "START_LBA SECTORS" of partition 3
#   set-params.sh --swap IMG      print "START_LBA SECTORS" of partition 4
#                                 (the swap area)
set -eu
mode=set
case "${1:-}" in
    --check|--show|--scratch|--swap) mode=${1#--}; shift ;;
esac
img=${1:?usage: set-params.sh [--check|--show|--scratch|--swap] IMG [PARAMS]}

# MBR partition entry N: type, start LBA, sector count
part() {
    off=$((446 + 16 * ($1 - 1)))
    ptype=$(od -An -tx1 -j $((off + 4)) -N1 "$img" | tr -d ' ')
    pstart=$(od -An -tu4 -j $((off + 8)) -N4 "$img" | tr -d ' ')
    pcount=$(od -An -tu4 -j $((off + 12)) -N4 "$img" | tr -d ' ')
}

sig=$(od -An -tx1 -j 510 -N2 "$img" | tr -d ' ')
[ "$sig" = 55aa ] || { echo "set-params: $img: no MBR signature" >&2; exit 1; }
part 2
[ "$ptype" = da ] && [ "$pcount" -ge 2 ] || {
    echo "set-params: $img: partition 2 is not the parameter block" >&2; exit 1; }
envstart=$pstart
part 3
[ "$ptype" = da ] || { echo "set-params: $img: partition 3 is not the scratch area" >&2; exit 1; }
od -An -c -j $((pstart * 512)) -N 17 "$img" | tr -d ' \n' | grep -q 'VENEER-SCRATCHv1' || {
    echo "set-params: $img: partition 3 lacks the VENEER-SCRATCH header" >&2; exit 1; }

scratch="$pstart $pcount"
# partition 4, the swap area: checked where it is asked for (a disk built
# before it existed still takes parameters)
if [ $mode = check ] || [ $mode = swap ]; then
    part 4
    [ "$ptype" = 82 ] && [ "$pcount" -ge 2048 ] || {
        echo "set-params: $img: partition 4 is not the swap area" >&2; exit 1; }
fi

case $mode in
    check) exit 0 ;;
    scratch) echo "$scratch"; exit 0 ;;
    swap) echo "$pstart $pcount"; exit 0 ;;
    show)
        dd if="$img" bs=512 skip="$envstart" count=2 2>/dev/null | \
            sed -n 's/^veneer_args=//p'
        exit 0 ;;
esac

params=${2-}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
grub-editenv "$tmp" create
[ -z "$params" ] || grub-editenv "$tmp" set "veneer_args=$params"
[ "$(stat -c %s "$tmp")" = 1024 ] || { echo "set-params: parameters too long" >&2; exit 1; }
dd if="$tmp" of="$img" bs=512 seek="$envstart" count=2 conv=notrunc 2>/dev/null
