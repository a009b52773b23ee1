#!/bin/bash
# timeout: 600
# S3 requested while the guest writes to its encrypted disk (issue 19's
# "a suspend requested while a mediated command is in flight"): Linux on
# QEMU pc (PIIX4), NVMe, 2 CPUs, has a writer pass over 3 MiB of the
# scratch area in 4 KiB direct writes, two patterns in turn
# (tests/guest/init check_s3io), and while it runs writes mem to
# /sys/power/state. Linux freezes the writer and quiesces the controller;
# the VMM delivers what finished before the sleep and drops what the reset
# took (docs/sleep.md); after the wake the interrupted pass finishes, every
# write succeeded, the area reads back as the last pass's pattern, no I/O
# error or timeout is in the kernel log; the last disk marker is
# ciphertext in the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../sleep.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=disk,s3io,disk no_console_suspend loglevel=5 no_timer_check"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=nvme/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start io "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none -smp 2 \
    -global PIIX4_PM.disable_s3=0 $(guest_qemu_nvme_args "$img")
if s3_wake io 300; then
    guest_verdict io 300
    wait_exit io 10 || stop io
else
    stop io
fi
expect io "^GUEST-S3 suspending \(direct disk writes in flight" "the suspend started while the writes ran"
expect io "I sleep: S3: the guest's waking vector 0x[0-9a-f]+ kept" "the VMM took the sleep"
expect io "I nvme: [0-9a-f:.]+: S3 wake: the controller came back reset" "the NVMe mediator reset with the controller"
expect io "I sleep: S3 resume 1: the guest resumes at its waking vector" "the guest resumed"
expect io "^GUEST-S3 resumed \(rc=0" "the guest's suspend returned 0"
expect io "^GUEST-CHECK s3io PASS" "the write ended well and reads back as written"
expect_count io "^GUEST-CHECK disk PASS" 2 "the disk check before the sleep and after it"
expect_not io "PANIC|Kernel panic|refused|request is dropped" "no panic, no refusal"
crypt_check_marker io "$img" "$key"
finish
