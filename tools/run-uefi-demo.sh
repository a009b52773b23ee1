#!/bin/bash
# make run-uefi: the encrypted-disk demo on UEFI (docs/uefi.md). OVMF boots
# GRUB EFI from an ESP (q35's AHCI port 0), which chainloads veneer.efi;
# veneer.efi starts Veneer and asks for the passphrase on the firmware's
# console (your terminal), the VMM refuses a wrong one, and the GRUB
# veneer.efi starts again boots Linux, whose data disk
# (AHCI port 1) is encrypted whole and read through the mediator. The guest
# runs its checks and leaves you a shell; Ctrl-A X quits.
set -eu
cd "$(dirname "$0")/.."
pass=${DEMO_PASSPHRASE:-veneer demo}
iter=${DEMO_KDF_ITER:-200000}
export LOG_DIR=${DEMO_DIR:-build/demo-uefi}
mkdir -p "$LOG_DIR"
. tests/system/lib.sh
. tests/system/uefi.sh
trap - EXIT
printf '%s\n' "$pass" >"$LOG_DIR/passphrase"
"$ROOT/build/tools/vdisk" derive-key --passphrase-file "$LOG_DIR/passphrase" \
    --iterations "$iter" --output "$LOG_DIR/disk.key" >/dev/null
guest_disk "$LOG_DIR/disk.img" ""
"$ROOT/build/tools/vdisk" encrypt "$LOG_DIR/disk.img" --key-file "$LOG_DIR/disk.key" >/dev/null
kcv=$("$ROOT/build/tools/vdisk" kcv --key-file "$LOG_DIR/disk.key")
rm -f "$LOG_DIR/disk.key"
uefi_esp "$LOG_DIR/esp.img" "veneer.test=hypercall,nosvm,cpu,disk veneer.shell=1" \
    "vmm.crypt=ahci.1/all/k0 vmm.key=prompt vmm.kcv=$kcv vmm.kdf_iter=$iter"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$LOG_DIR/vars.fd"
cat >&2 <<MSG
veneer UEFI demo: $LOG_DIR/disk.img is encrypted whole (AES-256-XTS; the key
comes from the passphrase "$pass"). OVMF and GRUB EFI start veneer.efi,
which asks for the passphrase once Veneer runs. Ctrl-A X quits QEMU.
MSG
exec qemu-system-x86_64 -nographic -no-reboot -m 1024 \
    -cpu EPYC,+svm,+npt -machine q35 -smp 2 -nic none \
    -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,file="$LOG_DIR/vars.fd" \
    -serial mon:stdio -display none \
    -drive file="$LOG_DIR/esp.img",format=raw,if=none,id=esp \
    -device ide-hd,drive=esp,bus=ide.0,bootindex=0 \
    -drive file="$LOG_DIR/disk.img",format=raw,if=none,id=gdisk \
    -device ide-hd,drive=gdisk,bus=ide.1
