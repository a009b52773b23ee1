#!/bin/bash
# timeout: 240
# The VMM refuses, with one line naming what is missing, a machine it
# cannot run on: no NPT, no virtualization at all, a build without the
# CPU's backend, a region that does not fit.
. "$(dirname "$0")/../lib.sh"

mkiso "$LOG_DIR/plain.iso" ""
mkiso "$LOG_DIR/intel.iso" "" "$ROOT/build/intel/veneer.elf"
mkiso "$LOG_DIR/huge.iso" "vmm.mem=1G"

qemu_start nonpt "$LOG_DIR/plain.iso" -cpu EPYC,+svm,-npt
wait_for nonpt "refusing to start" 60; stop nonpt
expect nonpt "E veneer: refusing to start: this CPU cannot run the svm backend: missing nested paging \(NPT\)" "no NPT"

qemu_start novirt "$LOG_DIR/plain.iso" -cpu qemu64,-svm
wait_for novirt "refusing to start" 60; stop novirt
expect novirt "E veneer: refusing to start: this CPU offers neither VMX nor SVM" "no VMX or SVM"

qemu_start intelonly "$LOG_DIR/intel.iso" -cpu EPYC,+svm,+npt
wait_for intelonly "refusing to start" 60; stop intelonly
expect intelonly "backends: intel" "intel-only build"
expect intelonly "E veneer: refusing to start: this CPU offers SVM but this build \(VENDOR=intel\) has only the vmx backend" "wrong vendor build"

qemu_start huge "$LOG_DIR/huge.iso" -cpu EPYC,+svm,+npt
wait_for huge "refusing to start" 60; stop huge
expect huge "E veneer: refusing to start: no usable range below 4 GiB holds a 1024 MiB VMM region" "region too large"
finish
