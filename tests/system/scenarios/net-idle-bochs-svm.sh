#!/bin/bash
# timeout: 500
# The VMM's network on SVM while the guest idles, in Bochs (docs/network.md):
# the ryzen model (SVM) with Bochs' e1000 (82540EM: no MSI, so no receive
# NMI) on slirp (hostfwd on 127.0.0.1). net_guest with idle byte 2 masks
# both PICs and runs STI; HLT for ever. SVM has no timer exit: the VMM
# intercepts the boot CPU's HLT and MWAIT and polls while it idles: DHCP
# completes, the debug shell answers (status, the idle HLT exits counted,
# the log, quit) twice, ten seconds apart; syslog reaches the host; the
# guest stays halted.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/system/net_shell.sh"

net_idle_bochs ryzen 2
expect idle "NET-GUEST halting with interrupts on" "the guest halts with interrupts on"
expect idle "I net: .*polled at guest exits .* only: the NIC has no MSI" "the 82540EM: no receive NMI"
expect idle "I net: [0-9a-f:.]+: no timer exit on this backend: polled while the guest idles \(HLT and MWAIT of cpu 0 intercepted\)" \
    "the idle polls set up"
wait_for idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15" 90
expect idle "I net: [0-9a-f:.]+: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(dhcp\)" \
    "DHCP completes with the guest halted"
net_idle_bochs_sessions svm "^cpu0: .*hlt [1-9][0-9]* .*total"
net_idle_end "no panic, no guest fault" idle on
finish
