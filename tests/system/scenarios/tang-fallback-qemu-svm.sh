#!/bin/bash
# timeout: 420
# When Tang cannot give the key (docs/storage.md "Tang"), the VMM says why
# in one line and goes on with the next method of vmm.key=, never with a
# wrong key:
#   stopped: the server is down: after vmm.tang_timeout= seconds of refused
#            connections the passphrase prompt appears (vmm.key=tang,prompt),
#            a wrong passphrase is refused, the right one loads the key;
#   other:   another Tang server (other keys) answers at the binding's URL:
#            it has no key with the binding's kid (HTTP 404): refused, and
#            with vmm.key=tang alone the VMM refuses to start;
#   wrongkey: the right server opens a binding of another disk's key: the
#            key does not match vmm.kcv=: refused, the start too;
#   badlist: vmm.key=prompt,tang refused before anything runs.
# The disk key is the passphrase's (vdisk derive-key), so both methods
# give the same key; the binding is made by Debian's clevis.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
. "$(dirname "$0")/../tang.sh"
TANG_PORT=$((21001 + ($$ % 10000) * 4))
ITER=1000
CPU="-cpu EPYC,+svm,+npt -machine q35"

mkdir -p "$LOG_DIR/mods" "$LOG_DIR/mods-wrong"
printf 'correct horse\n' >"$LOG_DIR/pass"
"$VDISK" derive-key --output "$LOG_DIR/veneer.key" --passphrase-file "$LOG_DIR/pass" \
    --iterations $ITER >/dev/null
kcv=$(crypt_kcv "$LOG_DIR/veneer.key")
crypt_key "$LOG_DIR/other.key"
tang_keys "$LOG_DIR/db-a"
tang_keys "$LOG_DIR/db-b"
tang_start tang-a "$LOG_DIR/db-a" $TANG_PORT
tang_bind tang-a $TANG_PORT "$LOG_DIR/veneer.key" "$LOG_DIR/mods/veneer.jwe"
tang_bind tang-a $TANG_PORT "$LOG_DIR/other.key" "$LOG_DIR/mods-wrong/veneer.jwe"
kid=$(cut -d. -f1 "$LOG_DIR/mods/veneer.jwe" | jose b64 dec -i- | jose fmt -j- -g kid -u-)
OPTS="vmm.crypt=any/all/k0 vmm.kcv=$kcv vmm.kdf_iter=$ITER vmm.net=vmm"

# wrongkey: server A answers, the binding holds another key
mkiso "$LOG_DIR/wrongkey.iso" "$OPTS vmm.key=tang vmm.tang_timeout=60" "$ELF" \
    "$LOG_DIR/mods-wrong/veneer.jwe"
qemu_start wrongkey "$LOG_DIR/wrongkey.iso" $CPU -nic user,model=e1000
wait_for wrongkey "refusing to start|PANIC|key 0 loaded" 180; stop wrongkey
expect wrongkey "E storage: key 0 from tang does not match vmm.kcv=" "another disk's key from the server refused by the check value"
expect wrongkey "refusing to start: no key method of vmm.key=tang gave the disk keys" "no other method: the start refused"
expect_not wrongkey "key 0 loaded|PANIC" "no key loaded, no panic"
tang_stop tang-a

# other: server B at the binding's URL
tang_start tang-b "$LOG_DIR/db-b" $TANG_PORT
mkiso "$LOG_DIR/other.iso" "$OPTS vmm.key=tang vmm.tang_timeout=60" "$ELF" \
    "$LOG_DIR/mods/veneer.jwe"
qemu_start other "$LOG_DIR/other.iso" $CPU -nic user,model=e1000
wait_for other "refusing to start|PANIC|key 0 loaded" 180; stop other
expect other "E storage: http://10\.0\.2\.2:$TANG_PORT answered HTTP 404 \(it holds no key with that kid" "another server's keys: the kid is unknown there"
expect other "refusing to start: no key method of vmm.key=tang gave the disk keys" "the start refused"
expect_not other "key 0 loaded|PANIC" "no key loaded, no panic"
if grep -q "POST /rec/$kid => 404" "$LOG_DIR/tang-b.tang.log"; then
    echo "ok   server B was asked and answered 404"
else
    echo "FAIL server B logged no request for $kid"; FAILS=$((FAILS + 1))
fi
tang_stop tang-b

# stopped: no server; the prompt takes over
mkiso "$LOG_DIR/stopped.iso" "$OPTS vmm.key=tang,prompt vmm.tang_timeout=5" "$ELF" \
    "$LOG_DIR/mods/veneer.jwe"
rm -f "$LOG_DIR/stopped.ssock" "$LOG_DIR/stopped.msock"
: >"$LOG_DIR/stopped.serial"
note "qemu stopped (serial and monitor on sockets)"
qemu-system-x86_64 -no-reboot -m 1024 $CPU -nic user,model=e1000 -display none \
    -chardev socket,id=ser,path="$LOG_DIR/stopped.ssock",server=on,wait=on \
    -serial chardev:ser \
    -monitor unix:"$LOG_DIR/stopped.msock",server=on,wait=off \
    -cdrom "$LOG_DIR/stopped.iso" -boot order=d \
    >"$LOG_DIR/stopped.qemu.log" 2>&1 </dev/null &
PIDS[stopped]=$!
python3 "$ROOT/tests/system/qemu_console.py" "$LOG_DIR/stopped.ssock" \
    "$LOG_DIR/stopped.msock" "$LOG_DIR/stopped.serial" \
    'wait:180:Veneer: disk passphrase: ' 'serial:wrong horse\n' \
    'wait:60:wrong passphrase, try again' 'wait:20:Veneer: disk passphrase: ' \
    'serial:correct horse\n' 'wait:60:key 0 loaded|refusing' \
    || echo "FAIL stopped: the console session did not complete"
stop stopped
expect stopped "I storage: tang: asking http://10\.0\.2\.2:$TANG_PORT for key $kid \(up to 5 s\)" "the VMM asks the binding's server"
expect stopped "W storage: key method tang failed: http://10\.0\.2\.2:$TANG_PORT: no answer within 5 s after [0-9]+ connection attempts? \(last: .*\); trying prompt" "the server down: one line, then the prompt"
expect stopped "W storage: wrong passphrase \(attempt 1\)" "a wrong passphrase refused"
expect stopped "I storage: key 0 loaded .*check value matches" "the passphrase unlocks"
expect stopped "I storage: keys from method prompt \(vmm.key=tang,prompt\)" "the key came from the prompt"
expect_not stopped "PANIC|refusing" "no panic, no refusal"

# a malformed list is refused before anything runs
mkiso "$LOG_DIR/badlist.iso" "$OPTS vmm.key=prompt,tang" "$ELF" "$LOG_DIR/mods/veneer.jwe"
qemu_start badlist "$LOG_DIR/badlist.iso" $CPU -nic user,model=e1000
wait_for badlist "refusing to start|PANIC|key 0 loaded" 120; stop badlist
expect badlist "E storage: vmm.key=prompt,tang: 'prompt' must be the last method" "a method after the prompt refused"
expect badlist "refusing to start" "the start refused"
finish
