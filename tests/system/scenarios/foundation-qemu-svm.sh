#!/bin/bash
# timeout: 300
# Foundation on QEMU -cpu EPYC,+svm,+npt (no NRIPS): boot summary, symbolized panic, refused options.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../foundation.sh"
qemu_svm() { qemu_start "$1" "$2" -cpu EPYC,+svm,+npt -machine q35; }
bochs_vmx() { bochs_start "$1" corei7_skylake_x "$2"; }
bochs_svm() { bochs_start "$1" ryzen "$2"; }
foundation_run qemu_svm 'I cpu: AuthenticAMD .*svm rev [0-9]+: npt=yes nrips=no.*backend svm'
finish
