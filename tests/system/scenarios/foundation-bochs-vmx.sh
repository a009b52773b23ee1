#!/bin/bash
# timeout: 300
# Foundation on Bochs corei7_skylake_x (VMX): boot summary, symbolized panic, refused options.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../foundation.sh"
qemu_svm() { qemu_start "$1" "$2" -cpu EPYC,+svm,+npt -machine q35; }
bochs_vmx() { bochs_start "$1" corei7_skylake_x "$2"; }
bochs_svm() { bochs_start "$1" ryzen "$2"; }
foundation_run bochs_vmx 'I cpu: GenuineIntel .*vmx rev 0x[0-9a-f]+: ept=yes unrestricted-guest=yes vpid=yes.*backend vmx'
finish
