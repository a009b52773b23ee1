#!/bin/sh
# Checks a library (or object) built for the VMM: no stack-protector canary reads
# (%fs:0x28) and no GOT references (-fPIC code). (R_X86_64_PLT32 on a call
# is what binutils emits for any direct call, PIC or not.)
set -eu
lib=$1
dis=$(objdump -dr --no-show-raw-insn "$lib")
bad=0
if echo "$dis" | grep -q '%fs:0x28'; then
    echo "check-freestanding: $lib reads %fs:0x28 (stack protector)" >&2
    bad=1
fi
if echo "$dis" | grep -Eq 'R_X86_64_(GOTPCREL|GOTPCRELX|REX_GOTPCRELX|GOTOFF64|GOTPC32|GOT64|GOTPCREL64)'; then
    echo "check-freestanding: $lib has GOT/PLT relocations:" >&2
    echo "$dis" | grep -E 'R_X86_64_(GOTPCREL|GOTPCRELX|REX_GOTPCRELX|GOTOFF64|GOTPC32|GOT64|GOTPCREL64)' | head -5 >&2
    bad=1
fi
if echo "$dis" | grep -q "_GLOBAL_OFFSET_TABLE_"; then
    echo "check-freestanding: $lib refers to the PLT/GOT" >&2
    bad=1
fi
# -mno-red-zone: nothing is addressed below %rsp (an interrupt taken on
# the VMM's stack would overwrite it).
if echo "$dis" | grep -Eq -- '-0x[0-9a-f]+\(%rsp\)'; then
    echo "check-freestanding: $lib uses the red zone:" >&2
    echo "$dis" | grep -E -- '-0x[0-9a-f]+\(%rsp\)' | head -3 >&2
    bad=1
fi
[ $bad = 0 ] && echo "check-freestanding: $lib: no %fs:0x28, no GOT, no red zone"
exit $bad
