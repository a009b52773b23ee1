#!/bin/bash
# timeout: 900
# S3 with vmm.s3_prompt=1 (docs/sleep.md): the disk key comes from the
# passphrase typed on the serial line at boot; at the sleep the VMM wipes
# it, and at the wake, before the guest runs again, asks for the
# passphrase once more: a wrong one is refused (its key does not match
# vmm.kcv=) and asked again, the right one brings key 0 back, and the
# guest's disk check after the wake passes (its data is decrypted with the
# re-derived key). Linux guest, QEMU pc (PIIX4), NVMe, 2 CPUs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
ITER=20000   # PBKDF2 iterations: enough to exercise the KDF, quick in TCG

printf 'correct horse\n' >"$LOG_DIR/pass"
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$LOG_DIR/pass.key" >/dev/null
img=$LOG_DIR/guest.img
crypt_guest_disk "$img" "$LOG_DIR/pass.key" "veneer.test=hypercall,disk,s3 no_console_suspend loglevel=5 no_timer_check"
mkiso "$LOG_DIR/prompt.iso" "vmm.crypt=nvme/all/k0 vmm.kcv=$(crypt_kcv "$LOG_DIR/pass.key") vmm.kdf_iter=$ITER vmm.s3_prompt=1"

name=s3prompt
rm -f "$LOG_DIR/$name.ssock" "$LOG_DIR/$name.msock"
: >"$LOG_DIR/$name.serial"
note "qemu $name (serial and monitor on sockets)"
# shellcheck disable=SC2046
qemu-system-x86_64 -no-reboot -m 1024 -cpu EPYC,+svm,+npt -machine pc -nic none \
    -smp 2 -global PIIX4_PM.disable_s3=0 -display none \
    -chardev socket,id=ser,path="$LOG_DIR/$name.ssock",server=on,wait=on \
    -serial chardev:ser \
    -monitor unix:"$LOG_DIR/$name.msock",server=on,wait=off \
    -cdrom "$LOG_DIR/prompt.iso" -boot order=d $(guest_qemu_nvme_args "$img") \
    >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
PIDS[$name]=$!
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/$name.ssock" \
    "$LOG_DIR/$name.msock" "$LOG_DIR/$name.serial" \
    'wait:120:Veneer: disk passphrase: ' 'serial:correct horse\n' \
    'wait:600:GUEST-S3 suspending' 'wake:180' \
    'wait:120:Veneer: disk passphrase: ' 'serial:wrong horse\n' \
    'wait:120:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    'serial:correct horse\n' 'wait:400:GUEST-VERDICT' \
    || echo "FAIL $name: the console session did not complete"
stop $name
q=$name
expect $q "I storage: key 0 loaded .*check value matches" "the passphrase at boot loads key 0"
expect $q "I storage: S3: key 0 wiped from memory \(vmm.s3_prompt=1" "key 0 wiped at the sleep"
expect $q "I sleep: S3 wake: the BSP is back in the VMM" "the BSP came back through the VMM's wake code"
expect $q "I storage: S3 wake: asking for the disk passphrase again before the guest runs" "asked again at the wake"
expect $q "W storage: wrong passphrase \(attempt 1\): its key does not match vmm.kcv=" "a wrong passphrase at the wake refused"
expect_count $q "I storage: key 0 loaded .*check value matches" 2 "the right passphrase at the wake loads key 0 again"
# the order: wiped, asked, refused, loaded, then the guest resumes
order=$(grep -aoE "key 0 wiped|asking for the disk passphrase again|wrong passphrase \(attempt 1\)|key 0 loaded|S3 resume 1: the guest resumes" "$LOG_DIR/$q.serial" | tr '\n' '|')
if [ "$order" = "key 0 loaded|key 0 wiped|asking for the disk passphrase again|wrong passphrase (attempt 1)|key 0 loaded|S3 resume 1: the guest resumes|" ]; then
    echo "ok   $q: the guest resumes only after the right passphrase"
else
    echo "FAIL $q: the order of the key's steps is '$order'"
    FAILS=$((FAILS + 1))
fi
expect $q "^GUEST-S3 resumed \(rc=0" "the guest's suspend returned 0"
expect_count $q "^GUEST-CHECK disk PASS" 2 "the disk check passed before the sleep and after the wake"
expect $q "^GUEST-VERDICT PASS" "the guest's verdict"
expect_not $q "correct horse|wrong horse" "the passphrase is never echoed"
expect_not $q "PANIC|Kernel panic|request is dropped" "no panic, no refusal"
crypt_check_marker $q "$img" "$LOG_DIR/pass.key"
finish
