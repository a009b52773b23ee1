#!/bin/bash
# timeout: 1200
# The disk key sealed in a TPM 2.0 (docs/storage.md, "TPM"): Debian's swtpm
# as QEMU's TPM (tpm-tis at 0xFED40000), the key sealed with tools/tpm-seal.sh
# (tpm2-tools) to the SHA-256 PCRs 0-7 SeaBIOS measured and PCR 15 at zero.
#  learn:   vmm.key=tpm,prompt without the sealed object: Veneer logs the PCRs,
#           says what is missing and asks for the passphrase;
#  unseal:  the sealed object as a module: the key unseals, Linux boots from
#           the encrypted disk (AHCI, SVM) with no prompt; in the guest, PCR
#           15 holds Veneer's "started the guest" extend and the guest's own
#           TPM2_PolicyPCR/TPM2_Unseal of the same object fails
#           (TPM_RC_POLICY_FAIL);
#  badblob: a truncated sealed object: refused in one line, the prompt;
#  changed: another firmware configuration (an SMBIOS serial: PCR 1 differs):
#           TPM2_Unseal fails, the prompt appears, the passphrase (the same
#           key, PBKDF2) unlocks the disk and Linux boots.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
CPU="-cpu EPYC,+svm,+npt"
ITER=20000
for t in swtpm swtpm_setup tpm2_create; do
    command -v $t >/dev/null || { echo "FAIL: $t is not installed (tools/install-deps.sh)"; exit 1; }
done

state=$LOG_DIR/tpmstate key=$LOG_DIR/pass.key
rm -rf "$state"; mkdir -p "$state"
swtpm_setup --tpm2 --tpmstate "$state" --pcr-banks sha256 >"$LOG_DIR/swtpm_setup.log" 2>&1 ||
    { echo "FAIL: swtpm_setup"; cat "$LOG_DIR/swtpm_setup.log"; exit 1; }
printf 'correct horse\n' >"$LOG_DIR/pass"
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$key" >/dev/null
kcv=$(crypt_kcv "$key")
OPTS="vmm.crypt=ahci/all/k0 vmm.kcv=$kcv vmm.key=tpm,prompt vmm.kdf_iter=$ITER"

# tpm_boot NAME ISO DISK "EXTRA QEMU ARGS" STEP...: QEMU (q35, the disk on
# an AHCI HBA) with a fresh swtpm on the state, driven by qemu_console.py
tpm_boot() {
    local name=$1 iso=$2 disk=$3 extra=$4; shift 4
    local sock=$LOG_DIR/$name.tpm
    rm -f "$sock" "$LOG_DIR/$name.ssock" "$LOG_DIR/$name.msock"
    : >"$LOG_DIR/$name.serial"
    swtpm socket --tpm2 --tpmstate dir="$state" --ctrl type=unixio,path="$sock" \
        --terminate --log file="$LOG_DIR/$name.swtpm.log" &
    PIDS[$name.swtpm]=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    note "qemu $name (swtpm, serial and monitor on sockets) $extra"
    # shellcheck disable=SC2046,SC2086
    qemu-system-x86_64 -no-reboot -m 1024 $CPU -machine q35 -nic none -display none \
        -chardev socket,id=ser,path="$LOG_DIR/$name.ssock",server=on,wait=on \
        -serial chardev:ser \
        -monitor unix:"$LOG_DIR/$name.msock",server=on,wait=off \
        -chardev socket,id=chrtpm,path="$sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
        -device tpm-tis,tpmdev=tpm0 \
        -cdrom "$iso" -boot order=d $(guest_qemu_disk_args "$disk") $extra \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
    python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/$name.ssock" \
        "$LOG_DIR/$name.msock" "$LOG_DIR/$name.serial" "$@" \
        || { echo "FAIL $name: the console session did not complete"; FAILS=$((FAILS + 1)); }
    stop "$name"; stop "$name.swtpm"
}
pcr() {     # pcr NAME N: the value Veneer logged for PCR N
    sed -n "s/.*I tpm: PCR $2 sha256 \([0-9a-f]*\).*/\1/p" "$LOG_DIR/$1.serial" | tr -d '\r' | tail -1
}

# learn: no sealed object yet (a throwaway disk: the CD boots, the disk's
# contents are not measured)
guest_disk "$LOG_DIR/learn.img" ""
mkiso "$LOG_DIR/learn.iso" "$OPTS"
tpm_boot learn "$LOG_DIR/learn.iso" "$LOG_DIR/learn.img" "" \
    'wait:120:Veneer: disk passphrase: |refusing'
expect learn "I tpm: PCR 0 sha256 [0-9a-f]{64}" "the PCRs the policy covers are logged"
expect learn "I tpm: PCR 15 sha256 0{64}" "PCR 15 at its reset value before Veneer extends it"
expect learn "I tpm: PCR 15 extended with SHA-256\(\"Veneer started the guest\"\)" "PCR 15 extended even without a sealed key"
expect learn "W storage: key method tpm failed: no module named veneer.tpm was loaded.*; trying prompt" "the missing sealed object named"
expect learn "Veneer: disk passphrase: " "falls back to the prompt"

# seal the disk key to those values (swtpm as a server for tpm2-tools)
sock=$LOG_DIR/tools.sock
swtpm socket --tpm2 --tpmstate dir="$state" --server type=unixio,path="$sock" \
    --ctrl type=unixio,path="$sock.ctrl" --flags not-need-init,startup-clear \
    --log file="$LOG_DIR/tools.swtpm.log" &
PIDS[tools]=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
TPM2TOOLS_TCTI="swtpm:path=$sock" "$ROOT/tools/tpm-seal.sh" --key "$key" \
    --output "$LOG_DIR/veneer.tpm" --values-from-log "$LOG_DIR/learn.serial" \
    --provision >"$LOG_DIR/seal.log" 2>&1 || { echo "FAIL: tpm-seal.sh"; cat "$LOG_DIR/seal.log"; }
stop tools
cat "$LOG_DIR/seal.log"
blob=$(od -An -tx1 -v "$LOG_DIR/veneer.tpm" | tr -d ' \n')

img=$LOG_DIR/guest.img
crypt_guest_disk "$img" "$key" \
    "veneer.test=hypercall,disk,tpm veneer.tpmsel=ff8000 veneer.tpmblob=$blob"
mkiso "$LOG_DIR/veneer.iso" "$OPTS" "$ELF" "$LOG_DIR/veneer.tpm"

# unseal: unchanged boot
tpm_boot unseal "$LOG_DIR/veneer.iso" "$img" "" 'wait:400:GUEST-VERDICT' 'end:60'
guest_verdict unseal 1
expect unseal "I tpm: key unsealed \(PCRs 0-7 and 15, parent 0x81000001\)" "the key unseals on an unchanged boot"
expect unseal "I storage: key 0 loaded \(AES-256-XTS, .* path\), check value matches" "the unsealed key matches vmm.kcv="
expect unseal "I tpm: PCR 15 extended" "PCR 15 extended after unsealing"
expect_not unseal "disk passphrase|refusing|PANIC|Kernel panic" "no prompt, no refusal"
expect unseal "^GUEST-CHECK disk PASS" "Linux reads and writes the encrypted disk"
expect unseal "^GUEST-CHECK tpm PASS the guest cannot unseal the disk key: TPM_RC_POLICY_FAIL" "the guest's own unseal of the same object fails"
tpm_expect_pcr15 unseal
crypt_check_marker unseal "$img" "$key"
for i in 0 1 2 3 4 5 6 7; do
    [ "$(pcr learn $i)" = "$(pcr unseal $i)" ] || {
        echo "FAIL unseal: PCR $i differs from the learning boot's"; FAILS=$((FAILS + 1)); }
done

# badblob: a truncated sealed object is refused in one line before any
# TPM2_Load, and the prompt appears
mkdir -p "$LOG_DIR/short"
head -c 200 "$LOG_DIR/veneer.tpm" >"$LOG_DIR/short/veneer.tpm"
mkiso "$LOG_DIR/badblob.iso" "$OPTS" "$ELF" "$LOG_DIR/short/veneer.tpm"
tpm_boot badblob "$LOG_DIR/badblob.iso" "$img" "" 'wait:120:Veneer: disk passphrase: |refusing'
expect badblob "W storage: key method tpm failed: the sealed object has no TPM2B_PUBLIC after its [0-9]+-byte TPM2B_PRIVATE; trying prompt" "a truncated sealed object refused in one line"
expect badblob "I tpm: PCR 15 extended" "PCR 15 extended all the same"

# changed: another SMBIOS serial (SeaBIOS measures the SMBIOS tables into
# PCR 1): no unseal; the passphrase, typed on the serial line, unlocks
tpm_boot changed "$LOG_DIR/veneer.iso" "$img" "-smbios type=1,serial=another-machine" \
    'wait:120:Veneer: disk passphrase: |refusing' 'serial:correct horse\n' \
    'wait:400:GUEST-VERDICT' 'end:60'
guest_verdict changed 1
expect changed "W storage: key method tpm failed: TPM2_Unseal: response code 0x99d \(TPM_RC_POLICY_FAIL: the PCRs differ from those the key was sealed to\); trying prompt" "a changed PCR: no unseal, named"
expect changed "I storage: key 0 loaded .*check value matches" "the passphrase unlocks"
expect_not changed "I tpm: key unsealed" "nothing unsealed"
expect changed "^GUEST-CHECK disk PASS" "Linux boots from the encrypted disk after the prompt"
expect changed "^GUEST-CHECK tpm PASS the guest cannot unseal" "the guest cannot unseal either"
if [ "$(pcr changed 1)" != "$(pcr unseal 1)" ] && [ "$(pcr changed 0)" = "$(pcr unseal 0)" ] &&
   [ "$(pcr changed 4)" = "$(pcr unseal 4)" ]; then
    echo "ok   changed: PCR 1 differs, PCR 0 and 4 are the same"
else
    echo "FAIL changed: PCR 1 should differ and PCR 0, 4 not"; FAILS=$((FAILS + 1))
fi
finish
