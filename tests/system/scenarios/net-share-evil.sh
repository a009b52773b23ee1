#!/bin/bash
# timeout: 480
# A malicious guest on the shared NIC (vmm.net=share, docs/network.md):
# tests/miniguest/e1000_share_evil.S aims the e1000's descriptors and
# rings at the VMM's canary page (vmm.selftest=dma) and offers malformed
# descriptors, on QEMU q35 (SVM) without an IOMMU, so that only the share
# mode's checks stand between the guest and the VMM region. The guest is
# 10.0.2.15 on slirp and sends UDP to 10.0.2.2 (slirp's alias of the host's
# 127.0.0.1), where this scenario listens. The control datagram, from guest
# RAM, arrives; nothing of the canary does; the canary is unchanged; the RX
# control frame lands in guest RAM; each bad descriptor or ring is refused
# with a line; the VMM goes on. All of it again with a VT-d unit on.
. "$(dirname "$0")/../lib.sh"
CLIENT=$ROOT/tests/system/net_client.py
IMG=$ROOT/build/miniguest/e1000_share_evil.img
UDP_PORT=$((22003 + ($$ % 9000) * 4))

cp "$IMG" "$LOG_DIR/t.img"
printf "\\x$(printf %02x $((UDP_PORT >> 8)))\\x$(printf %02x $((UDP_PORT & 255)))" |
    dd of="$LOG_DIR/t.img" bs=1 seek=3576 conv=notrunc status=none
# run NAME MODE [QEMU ARGS]: the guest under vmm.net=MODE, datagrams
# into NAME.udp
run() {
    local name=$1 mode=$2
    shift 2
    cp "$LOG_DIR/t.img" "$LOG_DIR/$name.img"
    : >"$LOG_DIR/$name.udp"
    python3 "$CLIENT" syslog $UDP_PORT "$LOG_DIR/$name.udp" 100 &
    local listener=$!
    mkiso "$LOG_DIR/$name.iso" "vmm.net=$mode vmm.ip=10.0.2.30/24,10.0.2.2 vmm.selftest=dma"
    qemu_start $name "$LOG_DIR/$name.iso" -cpu EPYC,+svm,+npt -machine q35 "$@" \
        -netdev user,id=n0 -device e1000,netdev=n0,addr=5,romfile= \
        -device isa-debug-exit,iobase=0xf4 $(guest_qemu_disk_args "$LOG_DIR/$name.img")
    wait_for $name "SHARE-EVIL done|SHARE-EVIL no canary|PANIC" 180
    sleep 2 # the last datagrams through slirp
    stop $name
    kill $listener 2>/dev/null; wait $listener 2>/dev/null
    note "$name: the host received $(wc -l <"$LOG_DIR/$name.udp") datagram(s)"
}

# control: with vmm.net=pass (the guest programs the NIC itself, no IOMMU)
# the same guest does get VMM memory onto the wire. (Its RX tests receive
# nothing there: QEMU's e1000 programmed by this guest alone takes no
# frame from slirp; the share run's rx-good is the RX path's control.)
run pass pass
if grep -aq "CANARY" "$LOG_DIR/pass.udp"; then
    echo "ok   control (pass): the canary reached the wire without the share mode"
else
    echo "FAIL control (pass): no canary on the wire: the attack does not work"; FAILS=$((FAILS + 1))
fi
expect pass "SHARE-EVIL tx-vmm tx=00000001" "control (pass): the NIC sent from the canary"

# share_checks NAME: what the share mode must show for run NAME
share_checks() {
    local n=$1
    expect $n "I e1000-share: 00:05.0: shared with the guest" "the e1000 is shared"
    expect $n "SHARE-EVIL good tx=00000001" "good: the control packet sent"
    if grep -aq "VENEER-G" "$LOG_DIR/$n.udp"; then
        echo "ok   $n: host: the control datagram from guest RAM arrived"
    else
        echo "FAIL $n: host: no control datagram on 127.0.0.1:$UDP_PORT (the path the leak would take is dead)"
        FAILS=$((FAILS + 1))
    fi
    if grep -aq "CANARY" "$LOG_DIR/$n.udp"; then
        echo "FAIL $n: host: VMM memory (the canary) reached the wire"; FAILS=$((FAILS + 1))
    else
        echo "ok   $n: host: nothing of the canary reached the wire"
    fi
    local cnt
    cnt=$(wc -l <"$LOG_DIR/$n.udp")
    if [ "$cnt" = 1 ]; then
        echo "ok   $n: host: exactly one datagram (refused packets were not sent)"
    else
        echo "FAIL $n: host: $cnt datagrams, not 1"; FAILS=$((FAILS + 1))
    fi
    expect $n "SHARE-EVIL tx-vmm tx=00000001" "tx-vmm: completed for the guest's driver (unsent)"
    expect $n "W e1000-share: the guest's TX descriptor 3: buffer 0x[0-9a-f]+, 64 bytes: not in guest RAM: refused" "tx-vmm: refused with a line"
    expect $n "SHARE-EVIL malformed tx=00000001" "malformed: completed"
    expect $n "SHARE-EVIL malformed 4-7 statuses=01010101" "malformed: each completed"
    expect $n "W e1000-share: the guest's TX descriptor 4: buffer 0x[0-9a-f]+, 0 bytes: empty: refused" "malformed: length 0 refused"
    expect $n "W e1000-share: the guest's TX descriptor 5: buffer 0x[0-9a-f]+, 5000 bytes: longer than 4096 bytes: refused" "malformed: 5000 bytes refused"
    expect $n "W e1000-share: the guest's TX descriptor 6: buffer 0xfee00000, 64 bytes: not in guest RAM: refused" "malformed: the local APIC refused"
    expect $n "W e1000-share: the guest's TX descriptor 7: buffer 0x100000000, 64 bytes: not in guest RAM: refused" "malformed: above RAM refused"
    expect $n "W e1000-share: the guest's TX descriptor 8: .*: no such descriptor type: refused" "malformed: an unknown type refused"
    expect $n "W e1000-share: the guest's TX ring at 0x[0-9a-f]+ \(descriptor 0\) is not in guest RAM: refused" "tx-ring-vmm: refused"
    expect $n "SHARE-EVIL rx-vmm rx=00000007 err=00000080 len=00000000 arp-tx=00000001" "rx-vmm: the descriptor written back with RXE, no data"
    expect $n "W e1000-share: the guest's RX descriptor 0: buffer 0x[0-9a-f]+ .* is not guest RAM: refused" "rx-vmm: refused with a line"
    expect $n "SHARE-EVIL rx-good rx=00000007 err=00000000 len=000000[0-9a-f]{2} arp-tx=00000001" "rx-good: slirp's ARP reply received"
    expect $n "SHARE-EVIL rx-good ethertype=00000608" "rx-good: it is an ARP frame"
    expect $n "W e1000-share: the guest's RX ring at 0x[0-9a-f]+ \(descriptor 0\) is not in guest RAM" "rx-ring-vmm: refused"
    expect_count $n "SHARE-EVIL canary changed=00000000" 4 "the canary page is unchanged after each attack"
    expect $n "SHARE-EVIL done" "the guest ran to the end"
    expect_not $n "PANIC|#GP|exception" "the VMM survives"
}

run evil share
share_checks evil
# the same with a VT-d unit: the NIC in the trusted domain reaches only the
# VMM's rings and bounce buffers, and the guest's traffic still flows
run vtd share -device intel-iommu
expect vtd "I iommu: VT-d 0x[0-9a-f]+: DMA remapping on" "the VT-d unit in use"
share_checks vtd
expect_not vtd "DMA fault" "the NIC never faulted (it only touches the VMM's buffers)"
finish
