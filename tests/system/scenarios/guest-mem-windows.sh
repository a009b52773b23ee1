#!/bin/bash
# timeout: 120
# The VMM's accesses for the guest's CPU (string I/O here; page walks, TSS
# and instruction bytes go through the same guest_phys_read/write) touch
# memory only, never a device window (common/guest_mem.c guest_mem_ok): a
# miniguest (tests/miniguest/mem_evil.S, booted by SeaBIOS from the NVMe
# controller) on QEMU q35 (SVM) does REP INSW from the mediated IDE data
# port into the NVMe controller's command register in ECAM. The VMM
# refuses (#GP to the guest, one line) and the register is unchanged.
. "$(dirname "$0")/../lib.sh"
IMG=$ROOT/build/miniguest/mem_evil.img

cp "$IMG" "$LOG_DIR/evil.img"
mkiso "$LOG_DIR/veneer.iso" ""
qemu_start qemu "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 -nic none \
    -device piix3-ide,id=pide,addr=5 -device ide-cd,bus=pide.0 \
    -drive file="$LOG_DIR/evil.img",format=raw,if=none,id=evil -device nvme,serial=evil,drive=evil,addr=4
wait_for qemu "MEM-EVIL done|PANIC" 90; stop qemu

q=qemu
perl -0pe 's/[IWE] (io|guest): [^\n]*\n//g' "$LOG_DIR/$q.serial" >"$LOG_DIR/joined.serial"
expect $q "MEM-EVIL done" "the guest ran to its end"
before=$(grep -aoE "MEM-EVIL ins cmd=[0-9a-f]{8}" "$LOG_DIR/joined.serial" | grep -oE "[0-9a-f]{8}$")
expect joined "MEM-EVIL ins cmd=$before->$before fault=1" "REP INSW into ECAM: #GP, the NVMe command register unchanged ($before)"
expect $q "W io: INS of port 0x1f0: guest buffer at linear 0xb0020004 not mapped; #GP to the guest" "the refusal logged"
expect_not $q "PANIC" "the VMM survives"
finish
