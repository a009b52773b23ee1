#!/bin/bash
# timeout: 480
# The passphrase prompt under UEFI, on the encrypted-boot machine of
# uefi-crypt-nvme-qemu-svm (uefi.sh): vmm.key=prompt, no key file. The VMM
# holds key 0 back; veneer.efi, running on as the guest, asks on the
# firmware console (ConIn/ConOut: the serial terminal, the PS/2 keyboard,
# the screen) and hands what is typed to the VMM (`passphrase` hypercall),
# which derives the key (PBKDF2), checks it against vmm.kcv= and answers:
# a wrong one (typed on the serial line) is refused and asked again, the
# right one (typed on the PS/2 keyboard) loads the key. Only then does
# veneer.efi reconnect the disks and start the encrypted disk's GRUB EFI.
# The passphrase is never echoed, and the call is closed to the OS.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
ITER=20000
printf 'correct horse\n' >"$LOG_DIR/pass"
CRYPT_KEY=$LOG_DIR/pass.key
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$CRYPT_KEY" >/dev/null
CRYPT_OPTS="vmm.kcv=$(crypt_kcv "$CRYPT_KEY") vmm.kdf_iter=$ITER vmm.key=prompt"
uefi_crypt_boot_prepare
UEFI_CONSOLE=1 uefi_crypt_boot_start prompt
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/prompt.ssock" \
    "$LOG_DIR/prompt.mon" "$LOG_DIR/prompt.serial" \
    'wait:120:Veneer: disk passphrase: ' 'serial:wrong horse\n' \
    'wait:60:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    'keys:correct horse\n' 'wait:360:GUEST-VERDICT|refusing to start|PANIC' 'end:60' \
    || { echo "FAIL prompt: the console session did not complete"; FAILS=$((FAILS + 1)); }
stop prompt
expect prompt "I storage: key 0 waits for the disk passphrase: veneer.efi asks on the firmware console" "the VMM leaves the prompt to veneer.efi"
expect prompt "W storage: wrong passphrase from veneer.efi \(attempt 1\): its key does not match vmm.kcv=" "wrong passphrase refused"
expect prompt "Veneer: disk passphrase: \*{11}" "one star per character typed (serial)"
expect prompt "Veneer: disk passphrase: \*{13}" "one star per character typed (PS/2 keyboard)"
expect prompt "I storage: key 0 loaded .*check value matches" "right passphrase loads the key"
expect prompt "I storage: key 0 from the passphrase veneer.efi passed on \(attempt 2\)" "taken at the second attempt"
expect prompt "veneer.efi: disk key accepted by the VMM" "the loader saw the key accepted"
expect prompt "^GUEST-VERDICT PASS" "guest verdict PASS"
expect prompt "passphrase call closed" "the call is closed to the OS"
expect_not prompt "correct horse|wrong horse" "the passphrase is never echoed"
uefi_crypt_boot_expect prompt
finish
