#!/bin/bash
# timeout: 420
# The shared NIC (vmm.net=share, docs/network.md): Debian's Linux boots
# under Veneer on QEMU q35 (SVM) with its own e1000 driver on the NIC whose
# rings the VMM shadows; it gets an address by DHCP from slirp (10.0.2.15)
# while the VMM has its own MAC and a static 10.0.2.30. With a debug-shell
# session open (status read before and after), the host downloads an 8 MiB
# file from the guest's httpd and uploads 8 MiB to the guest's nc, both
# through hostfwd on 127.0.0.1, and compares the SHA-256 of each with the
# guest's. QEMU user networking with restrict=on: nothing leaves the host.
# The guest then idles at a console shell (veneer.shell=1), so that the
# session's second status never races its power-off.
. "$(dirname "$0")/../lib.sh"
CLIENT=$ROOT/tests/system/net_client.py
BASE=$((21003 + ($$ % 9000) * 4))
SHELL_PORT=$BASE HTTP_PORT=$((BASE + 1)) UP_PORT=$((BASE + 2))
PASS=share21
MB=8

guest_disk "$LOG_DIR/disk.img" "veneer.test=hypercall,netxfer veneer.net_mb=$MB veneer.shell=1"
mkiso "$LOG_DIR/net.iso" "vmm.net=share vmm.ip=10.0.2.30/24,10.0.2.2 vmm.shell_password=$PASS"
qemu_start veneer "$LOG_DIR/net.iso" -cpu EPYC,+svm,+npt -machine q35 \
    -nic user,model=e1000,restrict=on,hostfwd=tcp:127.0.0.1:$SHELL_PORT-10.0.2.30:23,hostfwd=tcp:127.0.0.1:$HTTP_PORT-10.0.2.15:8080,hostfwd=tcp:127.0.0.1:$UP_PORT-10.0.2.15:5001 \
    $(guest_qemu_disk_args "$LOG_DIR/disk.img")
wait_for veneer "GUEST-NET ready|GUEST-VERDICT|PANIC" 300
expect veneer "I e1000-share: [0-9a-f:.]+: shared with the guest" "the e1000 is shared"
expect veneer "GUEST-NET address 10\.0\.2\.15/24 on eth" "Linux got its address by DHCP through the shared NIC"

rm -rf "$LOG_DIR/hold"; mkdir -p "$LOG_DIR/hold"
python3 "$CLIENT" hold $SHELL_PORT "$LOG_DIR/hold" "$PASS" >"$LOG_DIR/hold.out" 2>&1 &
HOLD=$!
for i in $(seq 1 120); do
    grep -q "status read" "$LOG_DIR/hold.out" 2>/dev/null && break
    kill -0 $HOLD 2>/dev/null || break
    sleep 1
done
python3 "$CLIENT" xfer $HTTP_PORT $UP_PORT "$LOG_DIR/xfer.txt" $MB >"$LOG_DIR/xfer.out" 2>&1
note "$(cat "$LOG_DIR/xfer.out")"
touch "$LOG_DIR/hold/stop"
wait $HOLD
note "$(cat "$LOG_DIR/hold.out")"
wait_for veneer "GUEST-VERDICT|PANIC" 200

down=$(grep -ao "GUEST-NET down $MB MiB sha256 [0-9a-f]*" "$LOG_DIR/veneer.serial" | awk '{print $NF}')
up=$(grep -ao "GUEST-NET up [0-9]* bytes sha256 [0-9a-f]*" "$LOG_DIR/veneer.serial" | awk '{print $NF}')
hdown=$(awk '/^down/{print $5}' "$LOG_DIR/xfer.txt" 2>/dev/null)
hup=$(awk '/^up/{print $5}' "$LOG_DIR/xfer.txt" 2>/dev/null)
if [ -n "$down" ] && [ "$down" = "$hdown" ]; then
    echo "ok   guest -> host: $MB MiB, sha256 $down on both sides"
else
    echo "FAIL guest -> host: guest sha256 '$down', host '$hdown'"; FAILS=$((FAILS + 1))
fi
if [ -n "$up" ] && [ "$up" = "$hup" ]; then
    echo "ok   host -> guest: $MB MiB, sha256 $up on both sides"
else
    echo "FAIL host -> guest: host sha256 '$hup', guest '$up'"; FAILS=$((FAILS + 1))
fi
for n in 1 2; do
    if grep -q "backend svm" "$LOG_DIR/hold/status$n.txt" 2>/dev/null; then
        echo "ok   the VMM's shell answered status ($n) with the session held over the transfer"
    else
        echo "FAIL no status $n from the VMM's shell (see $LOG_DIR/hold*)"; FAILS=$((FAILS + 1))
    fi
done
expect veneer "GUEST-VERDICT PASS" "Linux passes its checks on the shared NIC"
stop veneer
expect_not veneer "PANIC" "no panic"
expect_not veneer "W e1000-share: .*refused" "no refusal: Linux's e1000 driver stays within the rules"
finish
