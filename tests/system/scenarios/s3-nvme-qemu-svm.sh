#!/bin/bash
# timeout: 600
# S3 under Veneer (SVM) with an encrypted NVMe disk: a two-CPU Linux guest
# on QEMU pc (PIIX4) with S3 enabled in SeaBIOS checks its disk, suspends to RAM
# (echo mem > /sys/power/state); the VMM parks the AP, puts its own wake
# code behind the FACS waking vector and lets the machine sleep; the
# monitor's system_wakeup wakes it; SeaBIOS jumps to the VMM's code, which
# re-enters long mode, enables SVM on the BSP, starts the AP into the VMM
# and resumes the guest at its own waking vector. Linux brings CPU 1 back
# (INIT/SIPI through the VMM), resets the NVMe controller (the mediator
# rebuilds its shadow queues), both CPUs' exit counters grow, the disk
# check passes again, and its marker is ciphertext in the image. Twice:
# the second cycle reuses what the first set up (start-up page, stacks,
# host save areas). (pc, not q35: after a wake on q35 the ICH9's PM
# registers no longer answer, bare too, so a second S3 or the S5 at the
# end goes nowhere; s3-ahci-qemu-svm covers q35 with one cycle.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../sleep.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,cpu,disk,s3,s3 no_console_suspend loglevel=5"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=nvme/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start nvme "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine pc -nic none -smp 2 \
    -global PIIX4_PM.disable_s3=0 $(guest_qemu_nvme_args "$img")
if s3_wake nvme 300 1 && s3_wake nvme 120 2; then
    guest_verdict nvme 300
    # QEMU 7.2 with SeaBIOS does not power off after an S3 resume, with or
    # without Veneer (measured: the guest's S5 write is passed on, QEMU
    # runs on)
    wait_exit nvme 10 || stop nvme
else
    stop nvme # the guest's OS waits for a wake that cannot come
fi
s3_expect nvme 2
expect nvme "I sleep: S3 resume 2: the guest resumes at its waking vector" "a second sleep and wake"
expect nvme "I nvme: [0-9a-f:.]+: S3 wake: the controller came back reset; shadow queues dropped \(0 commands never completed, [01] asynchronous event requests? ended by the reset\)" "the NVMe mediator reset with the controller, nothing but the AER in flight"
expect_not nvme "nvme nvme0: .*timeout|nvme nvme0: .*completion polled" "no command timed out in the guest"
crypt_check_marker nvme "$img" "$key"
finish
