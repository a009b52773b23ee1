#!/bin/bash
# timeout: 420
# The disk of a two-CPU guest, encrypted whole (vdisk, AES-256-XTS), on QEMU q35's NVMe
# controller, Veneer with the key as a module (SVM): SeaBIOS, which set the
# controller up before Veneer started, reads the MBR and GRUB through the
# NVMe mediator on its own queues (taken over at attach, decrypted), Linux's
# nvme driver resets the controller and reads and writes through its own
# admin and I/O queues, the guest's disk check passes, and its marker is
# ciphertext in the image and plaintext after an offline decryption. A
# second namespace of 4096-byte sectors on the same controller (random bytes,
# encrypted whole with vdisk --sector-size 4096) gets 4 MiB of zeros written
# and read back by the guest (ddbench) after both CPUs wrote and read back
# 2 MiB regions of it at once (pardisk): decrypted offline they are zeros.
# Linux gives each CPU its own I/O queue pair and signals admin completions
# on vector 0 whichever CPU submitted: the kernel's warnings are shown
# (loglevel=5) so that a completion signalled before the VMM posted it
# shows as a command timeout ("completion polled"). An AMD-Vi unit keeps
# device DMA out of the VMM region; the mediated controller (the trusted
# domain) and its MSI-X keep working (docs/iommu.md).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
crypt_key "$key"
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,nosvm,cpu,disk,pardisk,ddbench veneer.bench=/dev/nvme0n2 veneer.bench_mb=4 loglevel=5"
img4k=$LOG_DIR/disk4k.img
head -c $((8 << 20)) /dev/urandom >"$img4k"
"$VDISK" encrypt "$img4k" --key-file "$key" --sector-size 4096 >/dev/null || exit 1
# vmm.iommu_intr=pass: QEMU 7.2's amd-iommu drops every interrupt message
# under the default filter without intremap=on, and with it turns the
# forwarded fixed ones into vector 0 (docs/iommu.md); Linux needs its MSI-X
# and IOAPIC interrupts
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=nvme/all/k0 vmm.kcv=$(crypt_kcv "$key") vmm.iommu_intr=pass" "$ELF" "$key"
# shellcheck disable=SC2046
qemu_start nvme "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -device amd-iommu -nic none -smp 2 \
    -drive file="$img",format=raw,if=none,id=gdisk -drive file="$img4k",format=raw,if=none,id=d4k \
    -device nvme,id=nvme0,serial=veneer-guest \
    -device nvme-ns,bus=nvme0,drive=gdisk,nsid=1 \
    -device nvme-ns,bus=nvme0,drive=d4k,nsid=2,logical_block_size=4096,physical_block_size=4096
guest_verdict nvme 300
wait_exit nvme 60 || stop nvme
expect nvme "I nvme: [0-9a-f:.]+: NVMe controller, BAR0" "the NVMe controller found"
expect nvme "I iommu: AMD-Vi 0x[0-9a-f]+: DMA remapping on" "AMD-Vi DMA remapping on"
expect nvme "I iommu: AMD-Vi: [0-9a-f:.]+ is mediated: its DMA may reach the mediators. buffers in the VMM region" "the NVMe controller in the trusted domain (its buffers only)"
expect nvme "I nvme: [0-9a-f:.]+: MSI-X table \([0-9]+ vectors\) at BAR0\+0x[0-9a-f]+ hooked" "the MSI-X table hooked"
expect nvme "I smp: 2 CPUs under the VMM" "two CPUs"
expect nvme "I nvme: [0-9a-f:.]+: adopted the firmware's I/O SQ 1" "SeaBIOS's queues taken over"
expect nvme "I storage: nvme [0-9a-f:.]+ n1: 512-byte sectors, encrypted by rule nvme/all/k0" "the namespace under the rule"
expect nvme "I storage: nvme [0-9a-f:.]+ n2: 4096-byte sectors, encrypted by rule nvme/all/k0" "the 4096-byte-sector namespace under the rule"
expect nvme "^GUEST-CHECK pardisk PASS" "both CPUs wrote and read their regions of the 4096-byte-sector namespace at once"
expect nvme "^GUEST-CHECK ddbench PASS" "4 MiB written and read on the 4096-byte-sector namespace"
expect nvme "I guest: boot sector of drive 0x80 read" "boot sector read through INT 13h"
expect nvme "I nvme: [0-9a-f:.]+: the guest reset the controller" "Linux takes the controller over"
expect nvme "^GUEST-CHECK hypercall PASS" "the guest runs under Veneer"
expect nvme "^GUEST-CHECK disk PASS /dev/nvme0n1p3 " "disk write and read-back through the mediator"
expect_not nvme "PANIC|Kernel panic|refusing|refused|W nvme" "no panic, no refusal"
expect_not nvme "nvme nvme0: .*timeout|nvme nvme0: .*completion polled" "no command timed out in the guest (no completion signalled before it was posted)"
expect nvme "I nvme: [0-9a-f:.]+: [1-9][0-9]* sectors through the mediator before the guest's first controller reset \(firmware\), [1-9][0-9]* after \(OS\); 0 refusals" "BIOS and Linux both mediated"
expect nvme "I nvme: [0-9a-f:.]+: .* at most ([2-9]|[1-9][0-9]+) commands in flight as the guest ran, on [0-9]+ I/O queues at once" "several commands in flight at the controller while the guest ran (no wait at the doorbell)"
expect nvme "I storage: nvme [0-9a-f:.]+ n2: [0-9]+ sectors read, (51[2-9][0-9]|5[2-9][0-9][0-9]) written, [0-9]+ of them through the cipher" "16 MiB (pardisk) and 4 MiB (ddbench) written as 4096-byte sectors"
expect nvme "I storage: nvme [0-9a-f:.]+ n1: [0-9]+ sectors read, [1-9][0-9]* written, [1-9][0-9]* of them through the cipher" "the guest wrote through the cipher"
crypt_check_marker nvme "$img" "$key"
if "$VDISK" decrypt "$img4k" --key-file "$key" --sector-size 4096 --output "$img4k.plain" >/dev/null &&
   cmp -s -n $((4 << 20)) "$img4k.plain" /dev/zero; then
    echo "ok   nvme: the 4096-byte-sector disk decrypts offline to the zeros written"
else
    echo "FAIL nvme: the 4096-byte-sector disk does not decrypt to the zeros written"
    FAILS=$((FAILS + 1))
fi
if cmp -s -n $((4 << 20)) "$img4k" /dev/zero; then
    echo "FAIL nvme: zeros in the clear on the 4096-byte-sector disk"; FAILS=$((FAILS + 1))
fi
rm -f "$img4k.plain"
finish
