#!/bin/bash
# timeout: 600
# S3 under Veneer (SVM) with an encrypted AHCI disk: as s3-nvme-qemu-svm,
# with the guest's disk on an AHCI HBA of QEMU q35: after the wake Linux
# resets the HBA (GHC.HR) and starts its ports again; the mediator gives
# the HBA its shadow command lists again and the disk check passes. The
# wake starts CPU 1 into the VMM again (INIT-SIPI-SIPI), which the guest
# then brings online (docs/sleep.md: the waits that starved it under TCG).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../sleep.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,cpu,disk,s3 no_console_suspend loglevel=5 no_timer_check"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ahci/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start ahci "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none -smp 2 \
    -global ICH9-LPC.disable_s3=0 $(guest_qemu_disk_args "$img")
if s3_wake ahci 300; then
    guest_verdict ahci 300
    # QEMU 7.2 with SeaBIOS does not power off after an S3 resume, with or
    # without Veneer (measured: the guest's S5 write is passed on, QEMU
    # runs on)
    wait_exit ahci 10 || stop ahci
else
    stop ahci # the guest's OS waits for a wake that cannot come
fi
s3_expect ahci
expect ahci "I ahci: HBA at 0x[0-9a-f]+: S3 wake: [1-9][0-9]* mediated ports? reset" "the AHCI mediator reset with the HBA"
expect_not ahci "W ahci: .*S3 with commands" "nothing in flight at the sleep"
crypt_check_marker ahci "$img" "$key"

finish
