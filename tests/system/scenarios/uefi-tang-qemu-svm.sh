#!/bin/bash
# timeout: 900
# Network-bound disk encryption when Veneer starts from UEFI
# (docs/storage.md "Tang", docs/uefi.md), on the encrypted-boot machine of
# uefi-crypt-nvme-qemu-svm (uefi.sh) plus an e1000 with no option ROM
# (romfile=: OVMF has no driver for it, so the firmware never drives the
# NIC the VMM takes). The binding, made by Debian's clevis against tangd
# on 127.0.0.1 (QEMU's user networking takes the VMM's connection to
# 10.0.2.2 there), is veneer.jwe beside veneer.efi on the ESP; veneer.efi
# passes it to the VMM, which recovers the key over its own network
# before veneer.efi runs on as the guest:
#  unlock:  vmm.key=tang,prompt: no prompt; the firmware reads GRUB, the
#           kernel and the initramfs from the encrypted namespace, Linux
#           boots and passes its disk check; tangd logged the request;
#  rom:     the e1000 with QEMU's iPXE option ROM and a boot index, so
#           OVMF connects it and binds the ROM's UEFI driver (as a laptop's
#           firmware drives its NIC): veneer.efi disconnects it (OVMF
#           answers Not Found, yet no driver holds the NIC after) before the
#           VMM takes the NIC, and no driver binds to it after; the key is
#           recovered all the same, and Linux starts;
#  stopped: the server stopped (vmm.tang_timeout=5): one line, then
#           veneer.efi asks for the passphrase (the disk key is the
#           passphrase's), which the VMM accepts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../uefi.sh"
. "$(dirname "$0")/../tang.sh"
TANG_PORT=$((21001 + ($$ % 10000) * 4))
ITER=20000
printf 'correct horse\n' >"$LOG_DIR/pass"
CRYPT_KEY=$LOG_DIR/pass.key
"$VDISK" derive-key --passphrase-file "$LOG_DIR/pass" --iterations $ITER \
    --output "$CRYPT_KEY" >/dev/null
tang_keys "$LOG_DIR/tang-db"
tang_start tangd "$LOG_DIR/tang-db" $TANG_PORT
mkdir -p "$LOG_DIR/mods"
tang_bind tangd $TANG_PORT "$CRYPT_KEY" "$LOG_DIR/mods/veneer.jwe"
kid=$(cut -d. -f1 "$LOG_DIR/mods/veneer.jwe" | jose b64 dec -i- | jose fmt -j- -g kid -u-)
note "binding for kid $kid: $(wc -c <"$LOG_DIR/mods/veneer.jwe") bytes"
CRYPT_OPTS="vmm.kcv=$(crypt_kcv "$CRYPT_KEY") vmm.kdf_iter=$ITER vmm.key=tang,prompt vmm.net=vmm"
CRYPT_ESP_FILES="$LOG_DIR/mods/veneer.jwe"
# the NIC at 00:10.0, after the disks' slots; no option ROM
uefi_crypt_hook() {
    UEFI_EXTRA="-netdev user,id=n0 -device e1000,netdev=n0,romfile=,addr=10.0"
}
uefi_crypt_boot_prepare

# unlock: the server answers
uefi_crypt_boot_start unlock
wait_for unlock '^GUEST-VERDICT|refusing to start|PANIC|disk passphrase' 400
guest_verdict unlock 5
if grep -aq "^GUEST-VERDICT" "$LOG_DIR/unlock.serial"; then wait_exit unlock 60 || stop unlock; else stop unlock; fi
expect unlock "veneer.efi: read \\\\EFI\\\\BOOT\\\\veneer.jwe" "veneer.efi read the binding from the ESP"
expect unlock "I e1000: 00:10.0: MAC .*link up" "the VMM drives the e1000 under OVMF"
expect unlock "I storage: key methods from tang on wait for the VMM's network" "the key waits for the network, before the guest"
expect unlock "I storage: tang: asking http://10\.0\.2\.2:$TANG_PORT for key $kid" "the VMM asks the binding's server"
expect unlock "I storage: key 0 loaded \(AES-256-XTS, .* path\), check value matches" "the recovered key matches vmm.kcv="
expect unlock "I storage: keys from method tang \(vmm.key=tang,prompt\)" "tang gave the key"
expect_not unlock "disk passphrase" "no prompt"
expect unlock "veneer.efi: network controller 00:10.0 \(class 020000\): no firmware driver bound" "no option ROM: OVMF has no driver on the e1000"
expect unlock "veneer.efi: network controller 0 taken by the VMM \(it reads as absent\)" "the NIC the VMM took stays concealed from the firmware"
if grep -q "POST /rec/$kid => 200" "$LOG_DIR/tangd.tang.log"; then
    echo "ok   tangd answered the VMM's recovery request (POST /rec/$kid => 200)"
else
    echo "FAIL tangd logged no recovery request for $kid"; FAILS=$((FAILS + 1))
fi
uefi_crypt_boot_expect unlock

# rom: the firmware drives the NIC (its option ROM's driver; OVMF connects
# only the devices QEMU's boot order names, hence the bootindex)
uefi_crypt_hook() {
    UEFI_EXTRA="-netdev user,id=n0 -device e1000,netdev=n0,addr=10.0,bootindex=5"
}
uefi_crypt_boot_start rom
wait_for rom '^GUEST-CHECK hypercall|refusing to start|PANIC|disk passphrase' 400
stop rom
expect rom "veneer.efi: network controller 00:10.0 \(class 020000\): firmware driver disconnected: .* \(drivers bound: [1-9][0-9]* before, 0 after\)" "the ROM's driver was bound, and is disconnected"
expect rom "veneer.efi: network controller 0 taken by the VMM \(it reads as absent\): left without a firmware driver" "the NIC left without a firmware driver"
expect rom "I e1000: 00:10.0: MAC .*link up" "the VMM takes the NIC"
expect rom "I storage: keys from method tang \(vmm.key=tang,prompt\)" "tang gave the key through the NIC the firmware had driven"
expect rom "^GUEST-CHECK hypercall PASS" "Linux runs under Veneer"
expect_not rom "disk passphrase|PANIC|refusing" "no prompt, no panic"
tang_stop tangd
uefi_crypt_hook() {
    UEFI_EXTRA="-netdev user,id=n0 -device e1000,netdev=n0,romfile=,addr=10.0"
}

# stopped: no server; veneer.efi's prompt takes over
printf '%s\n' "$CRYPT_RULES $CRYPT_OPTS vmm.tang_timeout=5" >"$LOG_DIR/stopped.cfg"
mcopy -o -i "$LOG_DIR/veneer-esp.img" "$LOG_DIR/stopped.cfg" ::/EFI/BOOT/veneer.cfg
UEFI_CONSOLE=1 uefi_crypt_boot_start stopped
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/stopped.ssock" \
    "$LOG_DIR/stopped.mon" "$LOG_DIR/stopped.serial" \
    'wait:240:Veneer: disk passphrase: |refusing|PANIC' 'serial:correct horse\n' \
    'wait:60:disk key accepted|refusing|PANIC' \
    || { echo "FAIL stopped: the console session did not complete"; FAILS=$((FAILS + 1)); }
stop stopped
expect stopped "I storage: tang: asking http://10\.0\.2\.2:$TANG_PORT for key $kid \(up to 5 s\)" "the VMM asks the binding's server"
expect stopped "W storage: key method tang failed: http://10\.0\.2\.2:$TANG_PORT: no answer within 5 s after [0-9]+ connection attempts? \(last: .*\); trying prompt" "the server down: one line, then the prompt"
expect stopped "I storage: key 0 waits for the disk passphrase: veneer.efi asks" "the VMM leaves the prompt to veneer.efi"
expect stopped "I storage: key 0 from the passphrase veneer.efi passed on \(attempt 1\)" "the passphrase unlocks"
expect stopped "veneer.efi: disk key accepted by the VMM" "veneer.efi saw the key accepted"
expect_not stopped "PANIC|refusing" "no panic, no refusal"
finish
