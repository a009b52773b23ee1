#!/bin/bash
# timeout: 600
# S3 under Veneer (SVM) with an encrypted AHCI disk: as s3-nvme-qemu-svm,
# with the guest's disk on an AHCI HBA of QEMU q35: after the wake Linux
# resets the HBA (GHC.HR) and starts its ports again; the mediator gives
# the HBA its shadow command lists again and the disk check passes. Then
# the refusal with an IOMMU on (not handled at the wake yet).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../sleep.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,cpu,disk,s3 no_console_suspend loglevel=5"
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

# With an AMD-Vi unit on, S3 is refused (its units are not set up again
# after a wake yet): one clear line, the request dropped, nothing else
img2=$LOG_DIR/guest-iommu.img
crypt_guest_disk "$img2" "$key" "veneer.test=s3 no_console_suspend loglevel=5"
# shellcheck disable=SC2046
qemu_start iommu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -device amd-iommu \
    -nic none -smp 2 -global ICH9-LPC.disable_s3=0 $(guest_qemu_disk_args "$img2")
wait_for iommu "W sleep: the guest requests S3" 300
stop iommu
expect iommu "W sleep: the guest requests S3 \(suspend to RAM\): the IOMMU is on and its units are not set up again after a wake yet; the request is dropped" "S3 refused with the IOMMU on, in one line"
expect_not iommu "I sleep: S3:|PANIC" "no sleep attempted, no panic"
finish
