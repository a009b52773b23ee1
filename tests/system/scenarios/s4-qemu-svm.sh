#!/bin/bash
# timeout: 600
# S4 (hibernate) under Veneer (SVM), end to end: a two-CPU Linux guest on
# QEMU pc (SeaBIOS) with its disk on NVMe, encrypted by two rules: the
# disk up to the swap partition (partition 4) under key 0, the swap
# partition to the end under key 1 (the image encrypted offline the same
# way with vdisk). First boot: the guest's disk check, then the s4 check:
# mkswap and swapon on partition 4, a random value kept in tmpfs, `echo
# disk > /sys/power/state`; Linux writes its hibernation image through the
# NVMe mediator and makes the ACPI S4 request, which the VMM passes on, and
# QEMU powers off. Offline: the swap signature S1SUSPEND (HIBERNATE_SIG,
# kernel/power/swap.c) is nowhere in the raw image and is at the end of
# the swap area's first page once the swap range is decrypted with key 1.
# Second boot of the same image through Veneer: init finds the signature
# and writes the partition's MAJ:MIN to /sys/power/resume; the kernel reads
# the image back through the mediator and resumes the hibernated kernel,
# whose `echo disk` returns: tmpfs still holds the value and the boot id is
# the first boot's (it resumed, it did not boot afresh), the swap's
# signature is restored (through the mediator and, offline, under key 1),
# the disk check passes again and its marker is ciphertext in the image.
# Neither boot's VMM log has a panic or a refusal.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"

k0=$LOG_DIR/k0.key k1=$LOG_DIR/k1.key keys=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$k0"
crypt_key "$k1"
cat "$k0" "$k1" >"$keys"        # the key module: slot 0, then slot 1
guest_disk "$img" "veneer.test=hypercall,disk,s4 no_console_suspend"
read -r swap_start swap_count < <("$ROOT/tests/guest/set-params.sh" --swap "$img")
[ -n "$swap_count" ] || { echo "FAIL no swap partition in $img"; exit 1; }
"$VDISK" encrypt "$img" --key-file "$k0" --count "$swap_start" >/dev/null &&
    "$VDISK" encrypt "$img" --key-file "$k1" --offset "$swap_start" >/dev/null ||
    { echo "FAIL vdisk encrypt"; exit 1; }
rules="nvme/0-$((swap_start - 1))/k0,nvme/$swap_start-end/k1"
note "swap partition: LBA $swap_start, $swap_count sectors; vmm.crypt=$rules"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=$rules vmm.kcv=$(crypt_kcv "$k0"),$(crypt_kcv "$k1")" "$ELF" "$keys"
boot() {
    # shellcheck disable=SC2046
    qemu_start "$1" "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none -smp 2 \
        $(guest_qemu_nvme_args "$img")
}

# swap_page IMG: the swap area's first 4 KiB page of IMG on stdout
swap_page() {
    dd if="$1" bs=512 skip="$swap_start" count=8 2>/dev/null
}
# swap_sig WANT WHAT: the image with the swap range decrypted under key 1
# has the swap signature WANT (the last 10 bytes of the area's first page)
swap_sig() {
    local plain=$LOG_DIR/swap.plain sig
    "$VDISK" decrypt "$img" --key-file "$k1" --offset "$swap_start" --output "$plain" >/dev/null 2>&1
    sig=$(swap_page "$plain" | tail -c 10 | tr -d '\0' | tr -c '[:print:]' '.')
    rm -f "$plain"
    if [ "$sig" = "$1" ]; then
        echo "ok   offline: $2: the swap signature decrypted with key 1 is $1"
    else
        echo "FAIL offline: $2: the swap signature decrypted with key 1 is '$sig', not $1"
        FAILS=$((FAILS + 1))
    fi
}
# not_raw TEXT WHAT: TEXT is nowhere in the raw image
not_raw() {
    if grep -aqF "$1" "$img"; then
        echo "FAIL offline: $1 is in the raw image: $2 in plaintext"
        FAILS=$((FAILS + 1))
    else
        echo "ok   offline: no $1 in the raw image"
    fi
}

# ---- first boot: the guest hibernates; QEMU powers off at its S4 ----------
boot hib
if wait_for hib '^GUEST-S4 hibernating|^GUEST-VERDICT' 400 &&
   grep -aq '^GUEST-S4 hibernating' "$LOG_DIR/hib.serial"; then
    # the image is written, then the S4 request (whatever the VMM does
    # with it, it logs it), then QEMU goes off if the request reached it
    if wait_for hib 'the guest requests S4' 400 && wait_exit hib 60; then
        echo "ok   hib: QEMU powered off after the guest's hibernation"
    else
        echo "FAIL hib: QEMU did not power off at the guest's S4 (the guest's OS waits for the machine to go off)"
        FAILS=$((FAILS + 1))
        where_stuck hib
        stop hib
    fi
else
    echo "FAIL hib: the guest never started its hibernation"
    FAILS=$((FAILS + 1))
    where_stuck hib
    stop hib
fi
grep -a '^GUEST-' "$LOG_DIR/hib.serial" | tr -d '\r' | sed 's/^/    /'
expect hib "I storage: nvme [0-9a-f:.]+ n1: 512-byte sectors, encrypted by rule nvme/$swap_start-end/k1" "the swap partition under its own rule (key 1)"
expect hib "^GUEST-CHECK hypercall PASS" "the guest runs under Veneer"
expect hib "^GUEST-CHECK disk PASS" "the disk check before the hibernation"
expect hib "I acpi: the guest requests S4 \(hibernate\) through PM1a; passing it on" "the VMM passed the S4 request on"
# (had the S4 write not reached QEMU, ACPICA would write SLP_EN again 10 s
# later with SLP_TYP 0, which is S5 on QEMU: the machine would go off all
# the same, as a soft off)
expect_not hib "the guest requests S5" "QEMU went off at the S4 request itself, not at ACPICA's retry (an S5)"
expect_not hib "GUEST-S4 resumed|GUEST-VERDICT" "no return from the hibernation in the first boot"
expect_not hib "PANIC|Kernel panic|refusing|refused|request is dropped" "first boot: no panic, no refusal"
mark=$(tr -d '\r' <"$LOG_DIR/hib.serial" | sed -n 's/^GUEST-S4 hibernating.*tmpfs holds \(VENEER-S4-[0-9a-f]*\), boot id \([0-9a-f-]*\)$/\1 \2/p' | head -1)
boot_id=${mark#* } mark=${mark%% *}

# ---- offline: the image on the disk is ciphertext ---------------------------
not_raw S1SUSPEND "the hibernation image's signature"
not_raw SWAPSPACE2 "the swap area's header"
swap_sig S1SUSPEND "after the hibernation"

# ---- second boot of the same image: the guest resumes ---------------------
boot res
guest_verdict res 400
wait_exit res 60 || stop res
expect res "I storage: nvme [0-9a-f:.]+ n1: 512-byte sectors, encrypted by rule nvme/$swap_start-end/k1" "second boot: the swap partition under its rule"
expect res "^GUEST-S4 resuming from /dev/nvme0n1p4 \([0-9]+:[0-9]+\): its signature is S1SUSPEND" "init found the image through the mediator and asked for the resume"
if [ -n "$mark" ] && [ -n "$boot_id" ]; then
    expect res "^GUEST-S4 resumed \(rc=0 \): tmpfs holds $mark, boot id $boot_id, swap SWAPSPACE2" "the hibernated kernel resumed: tmpfs value $mark and boot id $boot_id kept"
else
    echo "FAIL res: no tmpfs value and boot id from the first boot"
    FAILS=$((FAILS + 1))
fi
expect res "^GUEST-CHECK s4 PASS" "the guest's s4 check passed after the resume"
expect_count res "^GUEST-CHECK disk PASS" 1 "the disk check after the resume (the boot kernel ran none)"
expect_count res "^GUEST-INFO kernel" 1 "one kernel booted (the resumed one did not boot)"
expect_not res "^GUEST-S4 hibernating" "no second hibernation"
expect res "I acpi: the guest requests S5 \(soft off\) through PM1a" "the resumed guest powered off"
expect_not res "PANIC|Kernel panic|refusing|refused|request is dropped" "second boot: no panic, no refusal"
expect_not res "nvme nvme0: .*timeout|I/O error" "no NVMe timeout or I/O error in the guest"
swap_sig SWAPSPACE2 "after the resume, a swap area again"
crypt_check_marker res "$img" "$k0"
finish
