#!/bin/bash
# timeout: 420
# The passphrase prompt under UEFI (OVMF, q35, SVM, 2 CPUs): veneer.efi
# starts Veneer with vmm.key=prompt; the VMM holds key 0 back, and
# veneer.efi, running on as the guest, asks on the firmware console
# (ConIn/ConOut: the serial terminal, the PS/2 keyboard, the screen) and
# hands what is typed to the VMM (`passphrase` hypercall), which derives
# the key (PBKDF2), checks it against vmm.kcv= and answers: a wrong one
# (typed on the serial line) is refused and asked again, the right one
# (typed on the PS/2 keyboard) loads the key; then the storage drivers are
# reconnected and GRUB EFI boots Linux, whose disk check goes through the
# cipher on the encrypted scratch disk (AHCI port 1). The passphrase is
# never echoed, and the call is closed once the key is in.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
ITER=20000
printf 'correct horse\n' >"$LOG_DIR/pass"
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$LOG_DIR/pass.key" >/dev/null
pkcv=$(crypt_kcv "$LOG_DIR/pass.key")
crypt_guest_disk "$LOG_DIR/scratch.img" "$LOG_DIR/pass.key" ""
UEFI_ESP_BUS=ahci
uefi_esp "$LOG_DIR/esp.img" "veneer.test=hypercall,nosvm,disk" \
    "vmm.crypt=ahci.1/all/k0 vmm.kcv=$pkcv vmm.kdf_iter=$ITER vmm.key=prompt"
UEFI_CONSOLE=1 uefi_qemu prompt "$LOG_DIR/esp.img" -smp 2 $(uefi_scratch_args "$LOG_DIR/scratch.img")
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/prompt.ssock" \
    "$LOG_DIR/prompt.mon" "$LOG_DIR/prompt.serial" \
    'wait:120:Veneer: disk passphrase: ' 'serial:wrong horse\n' \
    'wait:60:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    'keys:correct horse\n' 'wait:300:GUEST-VERDICT|refusing to start|PANIC' 'end:60' \
    || { echo "FAIL prompt: the console session did not complete"; FAILS=$((FAILS + 1)); }
stop prompt
expect prompt "I boot: UEFI boot by veneer.efi" "started by veneer.efi"
expect prompt "I storage: key 0 waits for the disk passphrase: veneer.efi asks on the firmware console" "the VMM leaves the prompt to veneer.efi"
expect prompt "W storage: wrong passphrase from veneer.efi \(attempt 1\): its key does not match vmm.kcv=" "wrong passphrase refused"
expect prompt "Veneer: disk passphrase: \*{11}" "one star per character typed (serial)"
expect prompt "Veneer: disk passphrase: \*{13}" "one star per character typed (PS/2 keyboard)"
expect prompt "I storage: key 0 loaded .*check value matches" "right passphrase loads the key"
expect prompt "I storage: key 0 from the passphrase veneer.efi passed on \(attempt 2\)" "taken at the second attempt"
expect prompt "veneer.efi: disk key accepted by the VMM" "the loader saw the key accepted"
expect prompt "veneer.efi: storage controller [0-9] reconnected" "storage reconnected after the key"
expect prompt "^GUEST-VERDICT PASS" "guest verdict PASS"
expect prompt "^GUEST-CHECK hypercall PASS" "Linux runs under Veneer"
expect prompt "^GUEST-CHECK disk PASS" "disk check through the cipher"
expect prompt "I storage: ahci [0-9a-f:.]+ p1: 512-byte sectors, encrypted by rule ahci.1/all/k0" "the scratch disk under the rule"
expect_not prompt "correct horse|wrong horse" "the passphrase is never echoed"
expect_not prompt "PANIC|Kernel panic|refusing" "no panic"
crypt_check_marker prompt "$LOG_DIR/scratch.img" "$LOG_DIR/pass.key"
finish
