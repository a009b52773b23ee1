#!/bin/bash
# timeout: 480
# Network-bound disk encryption (docs/storage.md "Tang"): the disk key,
# bound to a Tang server by Debian's `clevis encrypt tang` (tangd behind
# socat on 127.0.0.1; QEMU's user networking takes the VMM's connection to
# 10.0.2.2 there), recovered by the VMM over its own network (vmm.net=vmm,
# the e1000 hidden from the guest) before the guest runs: Linux boots from
# its encrypted AHCI disk with no prompt (vmm.key=tang,prompt), its disk
# check passes, and the marker it wrote is ciphertext in the image. The
# server logged the VMM's one recovery request.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../tang.sh"
TANG_PORT=$((21001 + ($$ % 10000) * 4))

key=$LOG_DIR/veneer.key img=$LOG_DIR/guest.img
mkdir -p "$LOG_DIR/mods"
crypt_key "$key"
tang_keys "$LOG_DIR/tang-db"
tang_start tangd "$LOG_DIR/tang-db" $TANG_PORT
tang_bind tangd $TANG_PORT "$key" "$LOG_DIR/mods/veneer.jwe"
kid=$(cut -d. -f1 "$LOG_DIR/mods/veneer.jwe" | jose b64 dec -i- | jose fmt -j- -g kid -u-)
note "binding for kid $kid: $(wc -c <"$LOG_DIR/mods/veneer.jwe") bytes"
if grep -aqF "$(head -c 16 "$key")" "$LOG_DIR/mods/veneer.jwe"; then
    echo "FAIL the key is in the binding in the clear"; FAILS=$((FAILS + 1))
fi
crypt_guest_disk "$img" "$key" "veneer.test=hypercall,disk"
mkiso "$LOG_DIR/veneer.iso" "vmm.crypt=ahci/all/k0 vmm.kcv=$(crypt_kcv "$key") \
vmm.key=tang,prompt vmm.net=vmm vmm.tang_timeout=60" "$ELF" "$LOG_DIR/mods/veneer.jwe"
# shellcheck disable=SC2046
qemu_start tang "$LOG_DIR/veneer.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic user,model=e1000 $(guest_qemu_disk_args "$img")
guest_verdict tang 360
wait_exit tang 60 || stop tang
tang_stop tangd
expect tang "I storage: key methods from tang on wait for the VMM's network" "the key waits for the network, before the guest"
expect tang "I storage: tang: asking http://10\.0\.2\.2:$TANG_PORT for key $kid" "the VMM asks the binding's server"
expect tang "I storage: key 0 loaded \(AES-256-XTS, .* path\), check value matches" "the recovered key matches vmm.kcv="
expect tang "I storage: keys from method tang \(vmm.key=tang,prompt\)" "tang gave the key"
expect tang "^GUEST-CHECK disk PASS" "Linux reads and writes its encrypted disk"
expect_not tang "disk passphrase|PANIC|Kernel panic|refusing" "no prompt, no panic, no refusal"
if grep -q "POST /rec/$kid => 200" "$LOG_DIR/tangd.tang.log"; then
    echo "ok   tangd answered the VMM's recovery request (POST /rec/$kid => 200)"
else
    echo "FAIL tangd logged no recovery request for $kid"; FAILS=$((FAILS + 1))
fi
crypt_check_marker tang "$img" "$key"
finish
