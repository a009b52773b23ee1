#!/bin/bash
# The real guest (build/guest/disk.img) booted bare, without Veneer, in QEMU
# q35/TCG from its AHCI hard disk: the reference the Veneer scenarios are
# compared with. Default checks (cpu, disk); veneerctl must find no
# hypervisor.
# timeout: 180
. "$(dirname "$0")/../lib.sh"

img=$LOG_DIR/disk.img
guest_disk "$img" ""
t0=$(date +%s.%N)
qemu_start_disk bare "$img" -cpu max
guest_verdict bare 150
t1=$(date +%s.%N)
note "bare boot to verdict: $(echo "$t1 - $t0" | bc 2>/dev/null || awk "BEGIN{print $t1-$t0}")s"
expect bare '^GUEST-CHECK cpu PASS' "cpu check"
expect bare '^GUEST-CHECK disk PASS' "disk check"
expect bare '^GUEST-INFO hypervisor: .*not running under Veneer' "no hypervisor answers veneerctl"
expect_not bare 'Kernel panic' "no kernel panic"
# the marker the guest wrote is on the disk image, in clear
marker=$(grep -ao 'VENEER-MARKER-[0-9a-f]*' "$LOG_DIR/bare.serial" | head -1)
wait_exit bare 30 || stop bare
if [ -n "$marker" ] && grep -qa "$marker" "$img"; then
    echo "ok   bare: $marker found on the disk image"
else
    echo "FAIL bare: marker '$marker' not found on the disk image"
    FAILS=$((FAILS + 1))
fi
finish
