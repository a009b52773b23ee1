#!/bin/bash
# timeout: 900
# The disk key sealed in a TPM 2.0 when Veneer starts from UEFI
# (docs/storage.md "TPM", docs/uefi.md), on the encrypted-boot machine of
# uefi-crypt-nvme-qemu-svm (uefi.sh) with Debian's swtpm as QEMU's TPM
# (tpm-tis) and OVMF measuring the boot (veneer.efi into PCR 4);
# veneer.efi measures veneer.elf into PCR 9 and the option line into PCR 8
# and passes veneer.tpm, beside it on the ESP, to the VMM:
#  probe:   no sealed object yet (vmm.key=tpm,prompt): the VMM logs PCRs
#           0-9 and 15 (the UEFI default), says what is missing and
#           veneer.efi asks for the passphrase; the values are sealed to
#           (tools/tpm-seal.sh --pcrs 0-9);
#  unseal:  the sealed object on the ESP: the key unseals, Linux boots from
#           the encrypted NVMe namespace with no prompt; OVMF still holds
#           locality 0 (Veneer left it so) and goes on measuring what it
#           loads; in the guest PCR 15 holds Veneer's extend and the
#           guest's own unseal of the same object fails;
#  changed: the same ESP with one more option in veneer.cfg: PCR 8
#           differs, TPM2_Unseal fails, veneer.efi asks for the passphrase,
#           which unlocks the disk (the disk key is the passphrase's);
#  badblob: a truncated veneer.tpm: refused by the VMM in one line, and an
#           empty veneer.jwe: refused by veneer.efi in one line; the prompt.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
ITER=20000
for t in swtpm swtpm_setup tpm2_create; do
    command -v $t >/dev/null || { echo "FAIL: $t is not installed (tools/install-deps.sh)"; exit 1; }
done
state=$LOG_DIR/tpmstate
rm -rf "$state"; mkdir -p "$state"
swtpm_setup --tpm2 --tpmstate "$state" --pcr-banks sha256 >"$LOG_DIR/swtpm_setup.log" 2>&1 ||
    { echo "FAIL: swtpm_setup"; cat "$LOG_DIR/swtpm_setup.log"; exit 1; }
printf 'correct horse\n' >"$LOG_DIR/pass"
CRYPT_KEY=$LOG_DIR/pass.key
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$CRYPT_KEY" >/dev/null
CRYPT_OPTS="vmm.kcv=$(crypt_kcv "$CRYPT_KEY") vmm.kdf_iter=$ITER vmm.key=tpm,prompt"

# each boot: a fresh swtpm on the same state, QEMU's TPM on the TIS
uefi_crypt_hook() {
    local sock=$LOG_DIR/$1.tpm
    rm -f "$sock"
    swtpm socket --tpm2 --tpmstate dir="$state" --ctrl type=unixio,path="$sock" \
        --terminate --log file="$LOG_DIR/$1.swtpm.log" &
    PIDS[$1.swtpm]=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    UEFI_EXTRA="-chardev socket,id=chrtpm,path=$sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0"
}
pcr() {     # pcr NAME N: the value Veneer logged for PCR N
    sed -n "s/.*I tpm: PCR $2 sha256 \([0-9a-f]*\).*/\1/p" "$LOG_DIR/$1.serial" | tr -d '\r' | tail -1
}

UEFI_PROBE_UNTIL="Veneer: disk passphrase: "
uefi_crypt_boot_prepare
stop probe.swtpm
expect probe "veneer.efi: veneer.elf measured into PCR 9" "veneer.efi measures veneer.elf"
expect probe "veneer.efi: veneer.cfg option line measured into PCR 8" "veneer.efi measures the option line"
expect probe "veneer.efi: vmm.key= lists tpm but \\\\EFI\\\\BOOT\\\\veneer.tpm cannot be read: Not Found" "veneer.efi names the missing sealed object"
expect probe "I tpm: PCR 9 sha256 [0-9a-f]{64}" "PCRs 0-9 (the UEFI default) logged"
expect probe "I tpm: PCR 15 sha256 0{64}" "PCR 15 at its reset value"
expect probe "W storage: key method tpm failed: no module named veneer.tpm was loaded .*; trying prompt" "the missing sealed object named"
expect probe "I tpm: locality 0 was active before Veneer used the TPM \(the firmware's\): left active for it" "OVMF's locality left to it"
# what veneer.efi extended: SHA-256 of the option line (veneer.cfg's one
# line) into PCR 8, of veneer.elf into PCR 9, each once onto zeros
extended() { python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes(32) + hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).hexdigest())' "$1"; }
printf '%s' "$CRYPT_RULES $CRYPT_OPTS" >"$LOG_DIR/probe.cfg"
if [ "$(pcr probe 8)" = "$(extended "$LOG_DIR/probe.cfg")" ] && [ "$(pcr probe 9)" = "$(extended "$ELF")" ]; then
    echo "ok   probe: PCR 8 = the option line's extend, PCR 9 = veneer.elf's"
else
    echo "FAIL probe: PCR 8/9 are not the option line's and veneer.elf's extends"; FAILS=$((FAILS + 1))
fi
for i in 0 4 7 8 9; do
    if [ -z "$(pcr probe $i)" ] || [ "$(pcr probe $i)" = "$(printf '%064d' 0)" ]; then
        echo "FAIL probe: PCR $i is not measured"; FAILS=$((FAILS + 1))
    fi
done

# seal the disk key to those values (swtpm as a server for tpm2-tools)
sock=$LOG_DIR/tools.sock
swtpm socket --tpm2 --tpmstate dir="$state" --server type=unixio,path="$sock" \
    --ctrl type=unixio,path="$sock.ctrl" --flags not-need-init,startup-clear \
    --log file="$LOG_DIR/tools.swtpm.log" &
PIDS[tools]=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
TPM2TOOLS_TCTI="swtpm:path=$sock" "$ROOT/tools/tpm-seal.sh" --key "$CRYPT_KEY" \
    --output "$LOG_DIR/veneer.tpm" --values-from-log "$LOG_DIR/probe.serial" \
    --pcrs 0-9 --provision >"$LOG_DIR/seal.log" 2>&1 || { echo "FAIL: tpm-seal.sh"; cat "$LOG_DIR/seal.log"; }
stop tools
cat "$LOG_DIR/seal.log"
mcopy -i "$LOG_DIR/veneer-esp.img" "$LOG_DIR/veneer.tpm" ::/EFI/BOOT/veneer.tpm
blob=$(od -An -tx1 -v "$LOG_DIR/veneer.tpm" | tr -d ' \n')
uefi_crypt_os_disk "veneer.test=all,smp,tpm veneer.uefi=1 veneer.hidden=$HIDDEN veneer.cpus=2 veneer.tpmsel=ff8300 veneer.tpmblob=$blob"

# unseal: unchanged boot
uefi_crypt_boot_start unseal
wait_for unseal '^GUEST-VERDICT|refusing to start|PANIC|disk passphrase' 400
guest_verdict unseal 5
if grep -aq "^GUEST-VERDICT" "$LOG_DIR/unseal.serial"; then wait_exit unseal 60 || stop unseal; else stop unseal; fi
stop unseal.swtpm
expect unseal "veneer.efi: read \\\\EFI\\\\BOOT\\\\veneer.tpm" "veneer.efi read the sealed object from the ESP"
expect unseal "I tpm: key unsealed \(PCRs 0-9 and 15, parent 0x81000001\)" "the key unseals on an unchanged boot"
expect unseal "I storage: key 0 loaded \(AES-256-XTS, .* path\), check value matches" "the unsealed key matches vmm.kcv="
expect unseal "I storage: keys from method tpm \(vmm.key=tpm,prompt\)" "the key came from the TPM"
expect unseal "I tpm: PCR 15 extended" "PCR 15 extended before the guest runs"
expect_not unseal "disk passphrase" "no prompt"
expect unseal "^GUEST-CHECK tpm PASS the guest cannot unseal the disk key: TPM_RC_POLICY_FAIL" "the guest's own unseal of the same object fails"
tpm_expect_pcr15 unseal
uefi_crypt_boot_expect unseal
for i in 0 1 2 3 4 5 6 7 8 9; do
    [ "$(pcr probe $i)" = "$(pcr unseal $i)" ] || {
        echo "FAIL unseal: PCR $i differs from the first boot's"; FAILS=$((FAILS + 1)); }
done

# changed: one more (harmless) option in veneer.cfg: PCR 8 differs
printf '%s\n' "$CRYPT_RULES $CRYPT_OPTS vmm.tang_timeout=11" >"$LOG_DIR/changed.cfg"
mcopy -o -i "$LOG_DIR/veneer-esp.img" "$LOG_DIR/changed.cfg" ::/EFI/BOOT/veneer.cfg
UEFI_CONSOLE=1 uefi_crypt_boot_start changed
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/changed.ssock" \
    "$LOG_DIR/changed.mon" "$LOG_DIR/changed.serial" \
    'wait:240:Veneer: disk passphrase: |refusing|PANIC' 'serial:correct horse\n' \
    'wait:60:disk key accepted|refusing|PANIC' \
    || { echo "FAIL changed: the console session did not complete"; FAILS=$((FAILS + 1)); }
stop changed; stop changed.swtpm
expect changed "W storage: key method tpm failed: TPM2_Unseal: response code 0x99d \(TPM_RC_POLICY_FAIL: the PCRs differ from those the key was sealed to\); trying prompt" "a changed option line: no unseal, named"
expect changed "I storage: key 0 from the passphrase veneer.efi passed on" "the passphrase unlocks"
expect changed "veneer.efi: disk key accepted by the VMM" "veneer.efi saw the key accepted"
expect_not changed "I tpm: key unsealed|PANIC|refusing" "nothing unsealed, no panic"
if [ "$(pcr changed 8)" != "$(pcr unseal 8)" ] && [ "$(pcr changed 9)" = "$(pcr unseal 9)" ] &&
   [ "$(pcr changed 4)" = "$(pcr unseal 4)" ]; then
    echo "ok   changed: PCR 8 (the option line) differs, PCR 4 and 9 are the same"
else
    echo "FAIL changed: PCR 8 should differ and PCR 4, 9 not"; FAILS=$((FAILS + 1))
fi

# badblob: a truncated sealed object (refused by the VMM in one line) and
# an empty veneer.jwe (refused by veneer.efi, not passed) on the ESP
head -c 200 "$LOG_DIR/veneer.tpm" >"$LOG_DIR/short.tpm"
: >"$LOG_DIR/veneer.jwe"
mcopy -o -i "$LOG_DIR/veneer-esp.img" "$LOG_DIR/short.tpm" ::/EFI/BOOT/veneer.tpm
mcopy -o -i "$LOG_DIR/veneer-esp.img" "$LOG_DIR/veneer.jwe" ::/EFI/BOOT/veneer.jwe
uefi_crypt_boot_start badblob
wait_for badblob 'Veneer: disk passphrase: |refusing|PANIC' 240
stop badblob; stop badblob.swtpm
expect badblob "veneer.efi: \\\\EFI\\\\BOOT\\\\veneer.jwe is 0 bytes \(want 1 to 16384\): not passed to the VMM" "an empty file refused by veneer.efi in one line"
expect badblob "W storage: key method tpm failed: the sealed object has no TPM2B_PUBLIC after its [0-9]+-byte TPM2B_PRIVATE; trying prompt" "a truncated sealed object refused in one line"
expect badblob "I tpm: PCR 15 extended" "PCR 15 extended all the same"
expect badblob "Veneer: disk passphrase: " "veneer.efi asks for the passphrase"
finish
