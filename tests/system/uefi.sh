# UEFI boots through veneer.efi (sourced by the uefi-* scenarios after
# lib.sh; docs/uefi.md).
#   uefi_esp OUT.img KERNEL_PARAMS [VMM_OPTIONS [KEY_FILE]]
#       a FAT ESP (mtools, no loop devices): \EFI\BOOT\BOOTX64.EFI is GRUB
#       EFI (grub-mkstandalone) whose only entry chainloads
#       \EFI\veneer\veneer.efi (with veneer.elf and veneer.cfg = VMM_OPTIONS)
#       and, when that returns, boots the test guest's kernel and initramfs
#       from the ESP with KERNEL_PARAMS (UEFI_BARE=1: without veneer.efi).
#       veneer.efi, after starting Veneer, starts this boot option again
#       (a fresh GRUB: the first holds pointers into the disk drivers it
#       reconnected); that GRUB's veneer.efi finds Veneer running and returns
#   uefi_qemu NAME ESP [QEMU ARGS]
#       QEMU q35/TCG, SVM, OVMF (read-only code, a copy of the variables),
#       the ESP as the disk that boots first (UEFI_ESP_BUS=nvme, the
#       default: an NVMe controller; ahci: on the chipset's AHCI HBA);
#       serial -> NAME.serial
#   uefi_linux_run
#       the uefi-linux-* scenarios: find the region, boot Linux through
#       GRUB EFI and veneer.efi with 2 CPUs, assert. UEFI_KEY=FILE: the
#       scratch disk is encrypted whole with it (crypt.sh), veneer.key on
#       the ESP, UEFI_VMM_OPTS the option line (the rule for that disk)
EFI_IMG=${EFI_IMG:-$ROOT/build/veneer.efi}
GUEST_KERNEL=${GUEST_KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}
GUEST_INITRD=${GUEST_INITRD:-$ROOT/build/guest/initramfs.cpio.gz}

uefi_esp() {
    local out=$1 params=$2 opts=${3:-} key=${4:-} d
    d=$(mktemp -d "$out.XXXXXX")
    cat >"$d/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial
search --file --set=root /EFI/veneer/veneer.efi
menuentry "Veneer, then the test guest" {
$([ "${UEFI_BARE:-0}" = 1 ] || printf '%s\n' \
    '    echo "GUEST-GRUB-EFI chainloading veneer.efi"' \
    '    chainloader /EFI/veneer/veneer.efi' '    boot')
$([ "${UEFI_BARE:-0}" = 1 ] && echo '    echo "GUEST-GRUB-EFI booting Linux"' ||
    echo '    echo "GUEST-GRUB-EFI veneer.efi returned; booting Linux"')
    linux /boot/vmlinuz console=ttyS0,115200 quiet panic=5 no_timer_check $params
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
        mcopy -i "$out" "$GUEST_INITRD" ::/boot/initrd.gz &&
        { [ -z "$key" ] || mcopy -i "$out" "$key" ::/EFI/veneer/veneer.key; } || {
            echo "uefi_esp: mtools failed"; rm -rf "$d"; exit 1; }
    rm -rf "$d"
}

#   uefi_veneer_esp OUT.img VMM_OPTIONS [KEY_FILE [FILE...]]
#       a FAT ESP whose \EFI\BOOT\BOOTX64.EFI is veneer.efi itself (with
#       veneer.elf, veneer.cfg, veneer.key and the FILEs - veneer.jwe,
#       veneer.tpm - beside it): the firmware starts Veneer first, and
#       veneer.efi starts the next boot option
uefi_veneer_esp() {
    local out=$1 opts=$2 key=${3:-} d f
    shift 2; [ $# -gt 0 ] && shift
    d=$(mktemp -d "$out.XXXXXX")
    printf '%s\n' "$opts" >"$d/veneer.cfg"
    rm -f "$out"
    truncate -s 40M "$out"
    mformat -i "$out" -F :: &&
        mmd -i "$out" ::/EFI ::/EFI/BOOT &&
        mcopy -i "$out" "$EFI_IMG" ::/EFI/BOOT/BOOTX64.EFI &&
        mcopy -i "$out" "$ELF" ::/EFI/BOOT/veneer.elf &&
        mcopy -i "$out" "$d/veneer.cfg" ::/EFI/BOOT/veneer.cfg &&
        { [ -z "$key" ] || mcopy -i "$out" "$key" ::/EFI/BOOT/veneer.key; } || {
            echo "uefi_veneer_esp: mtools failed"; rm -rf "$d"; exit 1; }
    for f in "$@"; do
        mcopy -i "$out" "$f" ::/EFI/BOOT/ || { echo "uefi_veneer_esp: $f"; exit 1; }
    done
    rm -rf "$d"
}

uefi_esp_device() {
    case "${UEFI_ESP_BUS:-nvme}" in
        ahci) echo "-device ide-hd,drive=esp,bus=ide.0,bootindex=0" ;;
        *) echo "-device nvme,serial=veneer-esp,drive=esp,bootindex=0" ;;
    esac
}

# the scratch disk (the guest's disk check) on the same kind of controller
uefi_scratch_args() {
    case "${UEFI_ESP_BUS:-nvme}" in
        ahci) echo "-drive file=$1,format=raw,if=none,id=gdisk -device ide-hd,drive=gdisk,bus=ide.1" ;;
        *) guest_qemu_nvme_args "$1" ;;
    esac
}

uefi_qemu() {
    local name=$1 esp=$2; shift 2
    local serial="$LOG_DIR/$name.serial" console="-serial file:$LOG_DIR/$name.serial"
    : >"$serial"
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$LOG_DIR/$name.vars.fd"
    # UEFI_CONSOLE=1: the serial line on a socket, for qemu_console.py
    if [ "${UEFI_CONSOLE:-0}" = 1 ]; then
        rm -f "$LOG_DIR/$name.ssock"
        console="-chardev socket,id=ser,path=$LOG_DIR/$name.ssock,server=on,wait=on -serial chardev:ser"
    fi
    note "qemu $name (OVMF): $*"
    qemu-system-x86_64 -nographic -no-reboot -m ${QEMU_MEM:-1024} \
        -machine q35 -cpu EPYC,+svm,+npt -nic "${UEFI_NIC:-none}" \
        -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
        -drive if=pflash,format=raw,file="$LOG_DIR/$name.vars.fd" \
        $console -display none \
        -monitor unix:"$LOG_DIR/$name.mon",server=on,wait=off \
        -drive file="$esp",format=raw,if=none,id=esp $(uefi_esp_device) "$@" \
        >"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
    PIDS[$name]=$!
}

uefi_linux_run() {
    local region lo hi
    if [ -n "${UEFI_KEY:-}" ]; then
        crypt_guest_disk "$LOG_DIR/scratch.img" "$UEFI_KEY" ""
    else
        guest_disk "$LOG_DIR/scratch.img" ""
    fi
    # Where the loader puts the region depends on what OVMF and GRUB allocated
    # before it: a first boot, stopped once the VMM names it, finds it; the
    # same machine and ESP give the same place.
    uefi_esp "$LOG_DIR/esp.img" "veneer.test=none" "${UEFI_VMM_OPTS:-}" "${UEFI_KEY:-}"
    uefi_qemu probe "$LOG_DIR/esp.img" -smp 2 $(uefi_scratch_args "$LOG_DIR/scratch.img")
    wait_for probe "I mem: VMM region|refusing|PANIC" 120
    stop probe
    region=$(sed -n 's/.*I mem: VMM region \([0-9a-f]*\)-\([0-9a-f]*\) .*/0x\1-0x\2/p' "$LOG_DIR/probe.serial" | head -1)
    [ -n "$region" ] || { echo "FAIL probe: the VMM named no region"; exit 1; }
    lo=$(printf '%016x' $((${region%-*}))); hi=$(printf '%016x' $((${region#*-})))
    HIDDEN=$(printf '0x%x-0x%x' $((${region%-*})) $((${region#*-})))
    uefi_esp "$LOG_DIR/esp.img" "veneer.test=all,smp veneer.uefi=1 veneer.hidden=$HIDDEN veneer.cpus=2" \
        "${UEFI_VMM_OPTS:-}" "${UEFI_KEY:-}"
    uefi_qemu veneer "$LOG_DIR/esp.img" -smp 2 $(uefi_scratch_args "$LOG_DIR/scratch.img")
    # a VMM that refuses or panics ends the wait at once
    wait_for veneer '^GUEST-VERDICT|refusing to start|PANIC' 300
    guest_verdict veneer 5
    if grep -aq "^GUEST-VERDICT" "$LOG_DIR/veneer.serial"; then
        wait_exit veneer 60 || stop veneer
    else
        stop veneer
    fi
    expect veneer "I boot: UEFI boot by veneer.efi" "started by veneer.efi, boot services running"
    expect veneer "I mem: VMM region $lo-$hi \(32 MiB\) reserved by the UEFI loader" "region reserved by the loader where the guest is told it is"
    expect veneer "backend svm" "backend svm"
    expect veneer "I smp: UEFI: the APs stay with the firmware's MP services" "APs left to the firmware at boot"
    expect veneer "I guest: starting the guest in long mode in the UEFI loader" "guest starts in the loader, in long mode"
    expect veneer "veneer.efi: Veneer is running" "the loader ran on as the guest"
    expect veneer "veneer.efi: storage controller [0-9] reconnected \(mediated\): Success" "the firmware's storage drivers reconnected under the VMM"
    expect veneer "veneer.efi: starting Boot[0-9A-F]{4} " "the loader started the boot option GRUB came from (GRUB holds stale disk pointers)"
    expect veneer "veneer.efi: Veneer is already running \(started earlier in this boot\); going on" "the second GRUB's veneer.efi found Veneer running"
    expect veneer "GUEST-GRUB-EFI veneer.efi returned; booting Linux" "GRUB EFI went on after veneer.efi"
    expect veneer "I smp: UEFI: the guest's first INIT: 1 AP brought under the VMM" "the AP brought under the VMM at the first INIT"
    expect veneer "I smp: CPU 1 \(APIC ID 1\) started by the guest" "the guest started CPU 1 through the VMM"
    expect veneer "^GUEST-CHECK hypercall PASS veneer [0-9.]+ svm" "hypercall answers"
    expect veneer "^GUEST-CHECK e820 PASS hidden $HIDDEN absent .*UEFI: reserved" "region reserved, not usable, in the EFI memory map and /proc/iomem"
    expect veneer "^GUEST-CHECK nosvm PASS" "no svm flag"
    expect veneer "^GUEST-CHECK smp PASS" "2 CPUs online"
    expect veneer "^GUEST-CHECK disk PASS" "disk write and read-back"
    expect veneer "reboot: Power down" "guest powered off"
    expect_not veneer "PANIC|Kernel panic|refusing" "no panic"
}

# The encrypted-boot machine (uefi-crypt-nvme-qemu-svm, uefi-prompt-qemu-svm):
#   00:02.0  the Veneer ESP (plain, first in BootOrder): veneer.efi as
#            \EFI\BOOT\BOOTX64.EFI, veneer.elf, veneer.cfg (CRYPT_OPTS plus
#            the rules below) and, with CRYPT_ESP_KEY, veneer.key
#   00:03.0  os.img: a FAT ESP with GRUB EFI, the kernel and the initramfs,
#            encrypted whole with CRYPT_KEY (second in BootOrder)
#   00:04.0  scratch.img: the guest's disk, encrypted whole with CRYPT_KEY
# uefi_crypt_boot_prepare: the disks, and a first boot (stopped once the
# VMM names its region) that finds where the region goes; sets HIDDEN.
# uefi_crypt_boot_start NAME: boots the machine for the real run.
# CRYPT_ESP_FILES: more files beside veneer.efi (veneer.jwe, veneer.tpm);
# uefi_crypt_hook NAME, when the scenario defines it, runs before each
# boot and may set UEFI_EXTRA (more QEMU arguments: a TPM); UEFI_NIC the
# -nic argument; UEFI_PROBE_UNTIL what ends the first boot (default: the
# region's line).
CRYPT_RULES="vmm.crypt=nvme@00:03.0/all/k0,nvme@00:04.0/all/k0"
uefi_crypt_os_disk() {
    UEFI_BARE=1 uefi_esp "$LOG_DIR/os.img" "$1"
    grep -aq "GUEST-GRUB-EFI booting Linux" "$LOG_DIR/os.img" ||
        { echo "FAIL os.img: GRUB's configuration not found in the plain image"; exit 1; }
    "$VDISK" encrypt "$LOG_DIR/os.img" --key-file "$CRYPT_KEY" >"$LOG_DIR/os.vdisk.log" 2>&1 || {
        echo "FAIL vdisk encrypt os.img:"; cat "$LOG_DIR/os.vdisk.log"; exit 1; }
    if grep -aq "GUEST-GRUB-EFI booting Linux" "$LOG_DIR/os.img"; then
        echo "FAIL os.img: GRUB's configuration is readable in the encrypted image"
        FAILS=$((FAILS + 1))
    fi
}
uefi_crypt_boot_start() {
    UEFI_EXTRA=
    if declare -F uefi_crypt_hook >/dev/null; then uefi_crypt_hook "$1"; fi
    # shellcheck disable=SC2086
    uefi_qemu "$1" "$LOG_DIR/veneer-esp.img" -smp 2 $UEFI_EXTRA \
        -drive file="$LOG_DIR/os.img",format=raw,if=none,id=os \
        -device nvme,serial=veneer-os,drive=os,bootindex=1 \
        $(guest_qemu_nvme_args "$LOG_DIR/scratch.img")
}
uefi_crypt_boot_prepare() {
    local region
    crypt_guest_disk "$LOG_DIR/scratch.img" "$CRYPT_KEY" ""
    # shellcheck disable=SC2086
    uefi_veneer_esp "$LOG_DIR/veneer-esp.img" "$CRYPT_RULES $CRYPT_OPTS" "${CRYPT_ESP_KEY:-}" \
        ${CRYPT_ESP_FILES:-}
    uefi_crypt_os_disk "veneer.test=none"
    uefi_crypt_boot_start probe
    wait_for probe "${UEFI_PROBE_UNTIL:-I mem: VMM region}|refusing|PANIC" 180
    stop probe
    region=$(sed -n 's/.*I mem: VMM region \([0-9a-f]*\)-\([0-9a-f]*\) .*/0x\1-0x\2/p' "$LOG_DIR/probe.serial" | head -1)
    [ -n "$region" ] || { echo "FAIL probe: the VMM named no region"; exit 1; }
    HIDDEN=$(printf '0x%x-0x%x' $((${region%-*})) $((${region#*-})))
    uefi_crypt_os_disk "veneer.test=all,smp veneer.uefi=1 veneer.hidden=$HIDDEN veneer.cpus=2"
}
# what both scenarios check once the guest ran (NAME's serial log)
uefi_crypt_boot_expect() {
    local n=$1
    expect "$n" "veneer.efi: read \\\\EFI\\\\BOOT\\\\veneer.elf" "veneer.efi started by the firmware from the Veneer ESP"
    expect "$n" "veneer.efi: storage controller 00:03.0 \(class 010802\): firmware driver disconnected" "the firmware's NVMe driver disconnected before the VMM"
    expect "$n" "I nvme: 00:02.0: left enabled by the firmware, whose driver veneer.efi disconnected" "no takeover of the firmware's queues on UEFI"
    expect "$n" "I storage: nvme 00:03.0 n1: 512-byte sectors, encrypted by rule nvme@00:03.0/all/k0" "the OS namespace under the rule"
    expect "$n" "I storage: nvme 00:04.0 n1: 512-byte sectors, encrypted by rule nvme@00:04.0/all/k0" "the scratch namespace under the rule"
    expect "$n" "veneer.efi: storage controller [0-9] reconnected \(mediated\): Success" "the driver reconnected under the VMM"
    expect "$n" "veneer.efi: Boot[0-9A-F]{4} skipped: veneer.efi itself" "veneer.efi skips its own boot option"
    expect "$n" "veneer.efi: starting Boot[0-9A-F]{4} \"UEFI QEMU NVMe Ctrl veneer-os" "veneer.efi starts the encrypted disk's boot option"
    expect "$n" "GUEST-GRUB-EFI booting Linux" "GRUB EFI read from the encrypted namespace through the mediator"
    expect "$n" "I smp: CPU 1 \(APIC ID 1\) started by the guest" "the guest started CPU 1 through the VMM"
    expect "$n" "^GUEST-CHECK hypercall PASS veneer [0-9.]+ svm" "Linux runs under Veneer"
    expect "$n" "^GUEST-CHECK e820 PASS hidden $HIDDEN absent .*UEFI: reserved" "the region reserved in the EFI memory map, absent from /proc/iomem"
    expect "$n" "^GUEST-CHECK nosvm PASS" "no svm flag"
    expect "$n" "^GUEST-CHECK smp PASS" "2 CPUs online"
    expect "$n" "^GUEST-CHECK disk PASS" "disk check through the cipher"
    expect "$n" "I nvme: 00:03.0: [1-9][0-9]* sectors through the mediator" "the OS disk read through the mediator"
    expect "$n" "reboot: Power down" "guest powered off"
    expect_not "$n" "refused|#GP|PANIC|Kernel panic|refusing" "no refusal, no panic"
    crypt_check_marker "$n" "$LOG_DIR/scratch.img" "$CRYPT_KEY"
}

