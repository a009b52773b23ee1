#!/bin/bash
# timeout: 400
# The VMM's network while the guest makes no exits, on VMX (docs/network.md):
# Bochs corei7_skylake_x with Bochs' e1000 (82540EM: no MSI, so no receive
# NMI) on slirp (hostfwd on 127.0.0.1); net_guest with its idle byte set
# runs CLI; HLT for ever. The VMX-preemption timer brings an exit every
# 20 ms: DHCP completes, the debug shell answers (status, exits with the
# timer's exits counted as "none", the log, quit) twice, ten seconds
# apart; syslog reaches the host; the guest stays halted.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

net_idle_bochs corei7_skylake_x 1
expect idle "NET-GUEST halting with interrupts off" "the guest halts with interrupts off"
expect idle "I net: .*polled at guest exits .* only: the NIC has no MSI" "the 82540EM: no receive NMI"
expect idle "I net: [0-9a-f:.]+: also polled every 20 ms at the latest \(the backend's timer exit\)" \
    "the VMX-preemption timer exit set up"
wait_for idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15" 60
expect idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
    "DHCP completes with the guest halted"
net_idle_bochs_sessions vmx "^cpu0: none [1-9][0-9]* .*total"
net_idle_end "no panic, no guest fault"
finish
