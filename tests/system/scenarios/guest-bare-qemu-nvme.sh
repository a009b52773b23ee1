#!/bin/bash
# The real guest booted bare in QEMU q35/TCG from an NVMe disk (SeaBIOS
# boots NVMe): the guest's nvme modules find the scratch partition
# (nvme0n1p3) and the disk check passes.
# timeout: 180
. "$(dirname "$0")/../lib.sh"

img=$LOG_DIR/disk.img
guest_disk "$img" "veneer.test=cpu,disk,nohypercall"
GUEST_DISK_BUS=nvme qemu_start_disk nvme "$img" -cpu max
guest_verdict nvme 150
expect nvme '^GUEST-CHECK disk PASS /dev/nvme0n1p3 ' "disk check on NVMe"
expect nvme '^GUEST-CHECK nohypercall PASS' "no hypervisor answers veneerctl"
wait_exit nvme 30 || stop nvme
finish
