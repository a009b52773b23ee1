#!/bin/bash
# timeout: 480
# Where the disk key comes from (docs/storage.md): a key file module checked
# against vmm.kcv= (and wiped from memory), a wrong key file or a malformed
# rule refused with a line naming it, and the passphrase prompt on the
# serial line and on the VGA screen with the PS/2 keyboard: a wrong
# passphrase is refused and asked again, the right one loads the key.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
CPU="-cpu EPYC,+svm,+npt"
ITER=20000   # PBKDF2 iterations: enough to exercise the KDF, quick in TCG

key=$LOG_DIR/veneer.key other=$LOG_DIR/other/veneer.key
mkdir -p "$LOG_DIR/other"
crypt_key "$key"; crypt_key "$other"
kcv=$(crypt_kcv "$key")
printf 'correct horse\n' >"$LOG_DIR/pass"
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$LOG_DIR/pass.key" >/dev/null
pkcv=$(crypt_kcv "$LOG_DIR/pass.key")

# A key file with its check value: loaded, then wiped from guest memory.
mkiso "$LOG_DIR/module.iso" "vmm.crypt=any/all/k0 vmm.kcv=$kcv" "$ELF" "$key"
qemu_start module "$LOG_DIR/module.iso" $CPU
wait_for module "running the guest|refusing" 60; stop module
expect module "I storage: rule 0: any/all/k0" "the rule is logged"
expect module "I storage: key 0 loaded \(AES-256-XTS, .* path\), check value matches" "key file loaded, check value matches"
expect module "I storage: key file module veneer.key wiped from memory" "key file wiped"
expect_not module "refusing" "starts"

# The wrong key file for this configuration: refused before anything runs.
mkiso "$LOG_DIR/wrong.iso" "vmm.crypt=any/all/k0 vmm.kcv=$kcv" "$ELF" "$other"
qemu_start wrong "$LOG_DIR/wrong.iso" $CPU
wait_for wrong "refusing to start" 60; stop wrong
expect wrong "E storage: key 0 of the key file does not match vmm.kcv=" "wrong key file named"
expect wrong "refusing to start" "refused"

# Malformed configuration: each refusal names what was wrong.
mkiso "$LOG_DIR/badrule.iso" "vmm.crypt=any/all/k9" "$ELF" "$key"
qemu_start badrule "$LOG_DIR/badrule.iso" $CPU
wait_for badrule "refusing to start" 60; stop badrule
expect badrule "E storage: vmm.crypt=any/all/k9: rule 'any/all/k9': key 'k9' is not k0 .. k3" "bad key slot named"
mkiso "$LOG_DIR/nokcv.iso" "vmm.crypt=any/all/k0 vmm.key=prompt"
qemu_start nokcv "$LOG_DIR/nokcv.iso" $CPU
wait_for nokcv "refusing to start" 60; stop nokcv
expect nokcv "E storage: the passphrase prompt needs vmm.kcv=" "prompt without a check value refused"
mkiso "$LOG_DIR/nomod.iso" "vmm.crypt=any/all/k0 vmm.key=module"
qemu_start nomod "$LOG_DIR/nomod.iso" $CPU
wait_for nomod "refusing to start" 60; stop nomod
expect nomod "E storage: vmm.key=module but no module named veneer.key was loaded" "missing key file named"

# The passphrase prompt, typed on the serial line, then on the keyboard.
mkiso "$LOG_DIR/prompt.iso" "vmm.crypt=any/all/k0 vmm.kcv=$pkcv vmm.kdf_iter=$ITER"
prompt_run() {
    local name=$1; shift
    console_run "$name" "$LOG_DIR/prompt.iso" "$@"
}
console_run() {
    local name=$1 iso=$2; shift 2
    rm -f "$LOG_DIR/$name.ssock" "$LOG_DIR/$name.msock"
    : >"$LOG_DIR/$name.serial"
    note "qemu $name (serial and monitor on sockets)"
    qemu-system-x86_64 -no-reboot -m 1024 $CPU -display none \
        -chardev socket,id=ser,path="$LOG_DIR/$name.ssock",server=on,wait=on \
        -serial chardev:ser \
        -monitor unix:"$LOG_DIR/$name.msock",server=on,wait=off \
        -cdrom "$iso" -boot order=d \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
    python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/$name.ssock" \
        "$LOG_DIR/$name.msock" "$LOG_DIR/$name.serial" "$@" \
        || echo "FAIL $name: the console session did not complete"
    stop "$name"
}
prompt_run serialpass \
    'wait:60:Veneer: disk passphrase: ' 'serial:wrong horse\n' \
    'wait:60:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    'serial:correct horse\n' 'wait:60:key 0 loaded|refusing'
expect serialpass "W storage: wrong passphrase \(attempt 1\): its key does not match vmm.kcv=" "wrong passphrase refused"
expect serialpass "Veneer: disk passphrase: \*{13}" "one star per character typed"
expect serialpass "I storage: key 0 loaded .*check value matches" "right passphrase loads the key"
expect_not serialpass "correct horse|wrong horse" "the passphrase is never echoed"

prompt_run kbdpass \
    'wait:60:Veneer: disk passphrase: ' 'keys:wrong horse\n' \
    'wait:60:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    "vga:$LOG_DIR/kbdpass.vga" 'keys:correct horse\n' 'wait:60:key 0 loaded|refusing'
expect kbdpass "W storage: wrong passphrase \(attempt 1\)" "wrong passphrase typed on the keyboard refused"
expect kbdpass "I storage: key 0 loaded .*check value matches" "right passphrase on the keyboard loads the key"
if grep -q "Veneer: wrong passphrase, try again." "$LOG_DIR/kbdpass.vga" 2>/dev/null &&
   grep -q "Veneer: disk passphrase: \*\{11\}" "$LOG_DIR/kbdpass.vga"; then
    echo "ok   kbdpass: the prompt and the retry are on the VGA screen"
else
    echo "FAIL kbdpass: the VGA screen ($LOG_DIR/kbdpass.vga) lacks the prompt"
    FAILS=$((FAILS + 1))
fi
# No copy of the key (key file) or of the passphrase is left in the guest's
# memory once the guest runs: all RAM outside the VMM region, dumped.
# (QEMU -m 1024: the region is 0x3de00000-0x3fdfffff, RAM ends 0x3ffe0000.)
# not_in_memory NAME WHAT FILE: FILE's bytes (or its first 16) appear in
# neither dump.
not_in_memory() {
    local name=$1 what=$2 secret=$3
    if python3 - "$secret" "$LOG_DIR/$name.low" "$LOG_DIR/$name.high" <<'PY'
import sys
secret = open(sys.argv[1], 'rb').read().rstrip(b'\n')
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    for probe in (secret, secret[:16]):
        if data.find(probe) >= 0:
            print('    found at 0x%x in %s' % (data.find(probe), path))
            sys.exit(1)
PY
    then echo "ok   $name: no copy of the $what in guest memory"
    else echo "FAIL $name: the $what is in guest memory"; FAILS=$((FAILS + 1)); fi
}
dumps() {
    echo "pmem:0:0x3de00000:$LOG_DIR/$1.low" "pmem:0x3fe00000:0x1e0000:$LOG_DIR/$1.high"
}
# shellcheck disable=SC2046
console_run keyleak "$LOG_DIR/module.iso" 'wait:60:running the guest' 'end:3' $(dumps keyleak)
expect keyleak "I mem: VMM region 000000003de00000-000000003fdfffff" "the VMM region where the dump expects it"
expect keyleak "key file module veneer.key wiped from memory" "key file wiped"
not_in_memory keyleak "key file" "$key"
# Deterministic, whatever the ISO's layout: GRUB's BIOS disk buffer
# (0x68000) keeps the last sectors it read (the key file's when it shares
# a read with veneer.elf's end): no sector of the boot medium is left in
# conventional memory once the guest runs (common/bios_boot.c wipes it).
expect keyleak "I guest: conventional memory 0x500-0x[0-9a-f]+ wiped" "conventional memory wiped"
if python3 - "$LOG_DIR/module.iso" "$LOG_DIR/keyleak.low" <<'PY'
import sys
iso = open(sys.argv[1], 'rb').read()
low = open(sys.argv[2], 'rb').read()[:0xa0000]
sectors = {iso[i:i + 2048] for i in range(0, len(iso), 2048)}
sectors.discard(bytes(2048))
hits = [a for a in range(0, len(low), 2048) if low[a:a + 2048] in sectors]
if hits:
    print('    boot medium sectors at ' + ' '.join('0x%x' % a for a in hits[:8]))
    sys.exit(1)
PY
then echo "ok   keyleak: no sector of the boot medium left below 640 KiB"
else echo "FAIL keyleak: sectors of the boot medium left in conventional memory"; FAILS=$((FAILS + 1)); fi
# shellcheck disable=SC2046
prompt_run passleak 'wait:60:Veneer: disk passphrase: ' 'keys:correct horse\n' \
    'wait:60:running the guest' 'end:3' $(dumps passleak)
expect passleak "I storage: key 0 loaded" "the passphrase loads the key"
not_in_memory passleak "passphrase" "$LOG_DIR/pass"
not_in_memory passleak "passphrase's key" "$LOG_DIR/pass.key"
rm -f "$LOG_DIR"/*.low "$LOG_DIR"/*.high
# A storage controller the mediator cannot take (a ninth NVMe controller:
# the mediator handles 8) while rules exist is disabled and concealed,
# never passed through: its disks would be reached in the clear. Without
# rules it passes through as any unmediated device.
nv=""
for i in 1 2 3 4 5 6 7 8 9; do
    truncate -s 1M "$LOG_DIR/nv$i.img"
    nv="$nv -drive file=$LOG_DIR/nv$i.img,format=raw,if=none,id=nv$i -device nvme,serial=nv$i,drive=nv$i"
done
# shellcheck disable=SC2086
qemu_start ninth "$LOG_DIR/module.iso" $CPU -machine q35 $nv
wait_for ninth "running the guest|refusing|PANIC" 90; stop ninth
expect ninth "W nvme: ([0-9a-f]{2}:[0-9a-f]{2}.[0-9a-f]): more than 8 NVMe controllers: not mediated" "the ninth controller declined"
expect ninth "E pci: [0-9a-f:.]+: not mediated while disk encryption is configured: disabled and concealed from the guest" "declined while rules exist: not passed through"
expect ninth "I pci: [0-9a-f:.]+ 1b36:0010 class 010802 rev 02 ecam disabled" "the controller is disabled"
expect ninth "I pci: [0-9a-f:.]+ disabled: command 0x[0-9a-f]{4} -> 0x[0-9a-f]{3}[08] \(reads back 0x[0-9a-f]{3}[08]\)" "its decoding and bus mastering are off"
expect_not ninth "refusing|PANIC" "the VMM starts"
mkiso "$LOG_DIR/norules.iso" ""
# shellcheck disable=SC2086
qemu_start ninthplain "$LOG_DIR/norules.iso" $CPU -machine q35 $nv
wait_for ninthplain "running the guest|refusing|PANIC" 90; stop ninthplain
expect ninthplain "W nvme: [0-9a-f:.]+: more than 8 NVMe controllers: not mediated" "control: the ninth controller declined"
expect_not ninthplain "not mediated while disk encryption is configured|ecam disabled" "control: without rules it passes through"
expect ninthplain "I pci: 15 functions \(0 disabled, 0 concealed, 9 mediated\)" "control: 8 NVMe and the AHCI mediated, nothing disabled"
finish
