# UEFI boots through veneer.efi (sourced by the uefi-* scenarios after
# lib.sh; docs/uefi.md).
#   uefi_esp OUT.img KERNEL_PARAMS [VMM_OPTIONS]
#       a FAT ESP (mtools, no loop devices): \EFI\BOOT\BOOTX64.EFI is GRUB
#       EFI (grub-mkstandalone) whose only entry chainloads
#       \EFI\veneer\veneer.efi (with veneer.elf and veneer.cfg = VMM_OPTIONS)
#       and, when that returns, boots the test guest's kernel and initramfs
#       from the ESP with KERNEL_PARAMS
#   uefi_qemu NAME ESP [QEMU ARGS]
#       QEMU q35/TCG, SVM, OVMF (read-only code, a copy of the variables),
#       the ESP as an NVMe disk that boots first; serial -> NAME.serial
EFI_IMG=${EFI_IMG:-$ROOT/build/veneer.efi}
GUEST_KERNEL=${GUEST_KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}
GUEST_INITRD=${GUEST_INITRD:-$ROOT/build/guest/initramfs.cpio.gz}

uefi_esp() {
    local out=$1 params=$2 opts=${3:-} d
    d=$(mktemp -d "$out.XXXXXX")
    cat >"$d/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial
search --file --set=root /EFI/veneer/veneer.efi
menuentry "Veneer, then the test guest" {
    echo "GUEST-GRUB-EFI chainloading veneer.efi"
    chainloader /EFI/veneer/veneer.efi
    boot
    echo "GUEST-GRUB-EFI veneer.efi returned; booting Linux"
    linux /boot/vmlinuz console=ttyS0,115200 quiet panic=5 $params
    initrd /boot/initrd.gz
}
CFG
    grub-mkstandalone -O x86_64-efi -o "$d/BOOTX64.EFI" \
        --modules="part_gpt part_msdos fat search search_fs_file chain linux echo serial terminal" \
        --locales= --fonts= --themes= "boot/grub/grub.cfg=$d/grub.cfg" >"$d/log" 2>&1 ||
        { cat "$d/log"; rm -rf "$d"; exit 1; }
    printf '%s\n' "$opts" >"$d/veneer.cfg"
    rm -f "$out"
    truncate -s 64M "$out"
    mformat -i "$out" -F :: &&
        mmd -i "$out" ::/EFI ::/EFI/BOOT ::/EFI/veneer ::/boot &&
        mcopy -i "$out" "$d/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI &&
        mcopy -i "$out" "$EFI_IMG" ::/EFI/veneer/veneer.efi &&
        mcopy -i "$out" "$ELF" ::/EFI/veneer/veneer.elf &&
        mcopy -i "$out" "$d/veneer.cfg" ::/EFI/veneer/veneer.cfg &&
        mcopy -i "$out" "$GUEST_KERNEL" ::/boot/vmlinuz &&
        mcopy -i "$out" "$GUEST_INITRD" ::/boot/initrd.gz || {
            echo "uefi_esp: mtools failed"; rm -rf "$d"; exit 1; }
    rm -rf "$d"
}

uefi_qemu() {
    local name=$1 esp=$2; shift 2
    local serial="$LOG_DIR/$name.serial"
    : >"$serial"
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$LOG_DIR/$name.vars.fd"
    note "qemu $name (OVMF): $*"
    qemu-system-x86_64 -nographic -no-reboot -m ${QEMU_MEM:-1024} \
        -machine q35 -cpu EPYC,+svm,+npt -nic none \
        -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
        -drive if=pflash,format=raw,file="$LOG_DIR/$name.vars.fd" \
        -serial file:"$serial" -display none \
        -monitor unix:"$LOG_DIR/$name.mon",server=on,wait=off \
        -drive file="$esp",format=raw,if=none,id=esp \
        -device nvme,serial=veneer-esp,drive=esp,bootindex=0 "$@" \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
}
