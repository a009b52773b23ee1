#!/bin/bash
# timeout: 600
# The guest woken by S3 in 32-bit protected mode and in 64-bit mode (QEMU
# pc with S3 enabled, SeaBIOS, SVM, 2 CPUs; docs/sleep.md "The guest's
# waking vectors"). QEMU's FACS is an ACPI 1.0 table (version 0), so the
# miniguest tests/miniguest/s3_modes.S plays a newer firmware's part: it
# rewrites the FACS to version 1, then to version 2 with
# 64BIT_WAKE_SUPPORTED_F, and sets X_Firmware_Waking_Vector (3 MiB +
# 0x1230, then 4 MiB + 0x1230) and, the second time, 64BIT_WAKE_F, as an
# OS would. Each time it suspends and the scenario wakes it
# (system_wakeup). At each vector the guest checks the CPU's mode (32-bit:
# EIP at the vector, CR0.PE without PG, not long mode, 32-bit decoding,
# flat stack and data; 64-bit: RIP at the vector, 64-bit decoding (CS.L),
# CR0.PG/PE, CR4.PAE, EFER.LME/LMA, interrupts off), that CR3's tables map
# the vector's page to itself, and Veneer's hypercall (from 64-bit mode
# too): the CPU is still under the VMM. The scenario checks that the
# tables the guest got lie in memory its map shows as reserved, and the
# VMM's lines for each wake.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sleep.sh"
n=modes

mkiso "$LOG_DIR/veneer.iso" ""
cp "$ROOT/build/miniguest/s3_modes.img" "$LOG_DIR/modes.img"
# shellcheck disable=SC2046
qemu_start $n "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none -smp 2 \
    -global PIIX4_PM.disable_s3=0 -device isa-debug-exit,iobase=0xf4 \
    $(guest_qemu_disk_args "$LOG_DIR/modes.img")
if s3_wake $n 180 1 && s3_wake $n 120 2; then
    wait_for $n "^S3-MODES (PASS|FAIL)|PANIC" 120
    wait_exit $n 30 || stop $n
else
    wait_for $n "^S3-MODES (PASS|FAIL)|PANIC" 30
    stop $n
fi
expect $n "^S3-MODES boot facs=[0-9a-f]{8} version=0 vmm=yes" "the guest runs under the VMM, QEMU's FACS is version 0"
expect $n "I sleep: S3 resume 1: the guest resumes at its waking vector 0x301230 \(X_Firmware_Waking_Vector, 32-bit protected mode\)" "the VMM resumed the guest in 32-bit protected mode"
expect $n "^S3-MODES wake32 eip=00301230 cr0=[0-9a-f]{8} cr4=[0-9a-f]{8} efer=[0-9a-f]{8} imm=12345678 flat=yes vmm=yes" "32-bit wake: at the vector, 32-bit code, flat segments, the hypercall answered"
expect $n "^S3-MODES wake32 PASS" "32-bit wake: CR0.PE, no paging, not long mode"
expect $n "I sleep: S3 wake: FACS waking vector 0x[0-9a-f]+ again \(the guest's\), 64-bit 0x301230" "the FACS got the guest's 32-bit X vector back"
expect $n "I sleep: S3 resume 2: the guest resumes at its waking vector 0x401230 \(X_Firmware_Waking_Vector, 64-bit mode, identity page tables at 0x[0-9a-f]+\)" "the VMM resumed the guest in 64-bit mode"
expect $n "^S3-MODES wake64 rip=00401230 lm=1 cr0=[0-9a-f]{8} cr3=[0-9a-f]{8} cr4=[0-9a-f]{8} efer=[0-9a-f]{8} rflags=[0-9a-f]{8} map=00401000 vmm64=yes vmm=yes" "64-bit wake: at the vector, 64-bit code, the vector's page mapped to itself, the hypercall answered from 64-bit mode"
expect $n "^S3-MODES wake64 PASS" "64-bit wake: CR0.PG/PE, CR4.PAE, EFER.LME/LMA, interrupts off"
expect $n "I sleep: S3 wake: FACS waking vector 0x[0-9a-f]+ again \(the guest's\), 64-bit 0x401230" "the FACS got the guest's 64-bit X vector back"
expect_count $n "I smp: S3 wake: 1 AP back under the VMM" 2 "the AP back under the VMM at each wake"
expect $n "^S3-MODES PASS 2 wakes" "the guest's verdict"
s3_expect_facs $n

# The tables the guest got (its CR3, as the VMM logged them too) lie in a
# range the guest's memory map marks reserved, outside the VMM region.
cr3=$(grep -ao "^S3-MODES wake64 .* cr3=[0-9a-f]*" "$LOG_DIR/$n.serial" | sed 's/.*cr3=//' | head -1)
logged=$(grep -ao "identity page tables at 0x[0-9a-f]*" "$LOG_DIR/$n.serial" | sed 's/.*0x//' | head -1)
in=no
while read -r lo hi; do
    if [ -n "$cr3" ] && [ $((16#$cr3)) -ge $((16#$lo)) ] &&
        [ $((16#$cr3 + 10 * 4096 - 1)) -le $((16#$hi)) ]; then
        in=yes
    fi
done < <(grep -a "I guest:   [0-9a-f]\{16\}-[0-9a-f]\{16\} reserved" "$LOG_DIR/$n.serial" |
    awk '{ split($3, r, "-"); print r[1], r[2] }')
if [ -n "$cr3" ] && [ $((16#$cr3)) = $((16#${logged:-0})) ] && [ "$in" = yes ]; then
    echo "ok   $n: the 64-bit wake's page tables at 0x$cr3 lie in memory the guest's map marks reserved"
else
    echo "FAIL $n: the 64-bit wake's page tables (guest CR3 '$cr3', VMM '$logged') are not in a reserved range of the guest's map"
    FAILS=$((FAILS + 1))
fi
expect_not $n "PANIC|refusing|refused|request is dropped|S3-MODES FAIL|triple" "no panic, no refusal, no wrong mode"
finish
