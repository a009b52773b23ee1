#!/bin/bash
# tools/symbolize.sh ELF < serial.log: every "backtrace: #N 0xADDR" line
# gets the function and source line from the ELF's debug information.
# Return addresses (#1 on) are looked up at ADDR-1, inside the call.
elf=$1
while IFS= read -r line; do
    line=$(printf '%s' "$line" | tr -d '\r')
    case $line in
    *"backtrace: #"*" 0x"*)
        n=$(printf '%s' "$line" | sed -n 's/.*backtrace: #\([0-9]*\) 0x\([0-9a-fA-F]*\).*/\1/p')
        a=$(printf '%s' "$line" | sed -n 's/.*backtrace: #\([0-9]*\) 0x\([0-9a-fA-F]*\).*/\2/p')
        if [ -n "$a" ]; then
            [ "$n" != 0 ] && a=$(printf '%x' $((0x$a - 1)))
            where=$(addr2line -f -C -e "$elf" "0x$a" | paste -sd' ' -)
            printf '%s  %s\n' "$line" "$where"
            continue
        fi
        ;;
    esac
    printf '%s\n' "$line"
done
