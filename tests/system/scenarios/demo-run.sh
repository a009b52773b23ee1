#!/bin/bash
# timeout: 300
# `make run`'s demo (tools/run-demo.sh) on a pseudo-terminal, as a person
# would use it: Veneer asks for the disk passphrase on the terminal, a
# wrong one is refused and asked again, the right one boots the encrypted
# disk, the guest's checks pass and its shell answers; `poweroff -f` ends
# the demo. Afterwards the demo's disk holds no marker in the clear.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crypt.sh"
log=$LOG_DIR/demo.serial
python3 "$ROOT/tests/system/pty_run.py" "$log" \
    'wait:120:Veneer: disk passphrase: ' 'type:not the passphrase\n' \
    'wait:120:wrong passphrase, try again' \
    'wait:60:Veneer: disk passphrase: ' 'type:veneer demo\n' \
    'wait:240:GUEST-VERDICT' 'wait:60:# ' 'type:echo demo-shell-$((6*7))\n' \
    'wait:30:demo-shell-42' 'type:poweroff -f\n' 'end:60' \
    -- env DEMO_KDF_ITER=20000 DEMO_DIR="$LOG_DIR/demo" "$ROOT/tools/run-demo.sh"
echo "    (pty_run exit $?)"
expect demo "I storage: rule 0: ata/all/k0" "the demo's rule"
expect demo "W storage: wrong passphrase \(attempt 1\)" "wrong passphrase refused"
expect demo "I storage: key 0 loaded" "the right passphrase loads the key"
expect demo "^GUEST-VERDICT PASS" "the guest's checks pass"
expect demo "^GUEST-CHECK disk PASS" "the guest's disk works"
expect demo "demo-shell-42" "the guest's shell answers"
expect_not demo "PANIC|Kernel panic" "no panic"
marker=$(tr -d '\r' <"$log" | grep -a '^GUEST-CHECK disk PASS' | grep -ao 'VENEER-MARKER-[0-9a-f]*' | head -1)
if [ -n "$marker" ] && ! grep -aqF "$marker" "$LOG_DIR/demo/disk.img"; then
    echo "ok   demo: the marker $marker is not in the demo image in the clear"
else
    echo "FAIL demo: marker '$marker' missing from the log or in the image in the clear"
    FAILS=$((FAILS + 1))
fi
finish
