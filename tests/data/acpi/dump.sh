#!/bin/bash
# Dumps the ACPI tables of the emulated platforms into tests/data/acpi/<plat>/.
# Run once by hand; the results are committed as test data.
#
#   tests/data/acpi/dump.sh [platform...]
#   platforms: qemu-i440fx qemu-q35-vtd qemu-q35-amdvi ovmf bochs (default: all)
#
# Each platform boots Debian's kernel with a busybox initramfs whose /init
# prints, on the serial console, the "ACPI: SIG 0xADDR LEN" lines of dmesg,
# every such table read from /dev/mem at its physical address, every file of
# /sys/firmware/acpi/tables (and dynamic/), the EFI system table summary and,
# on BIOS boots, the 0xE0000-0xFFFFF BIOS area. The host then decodes it:
#   <plat>/tables.txt          the dmesg lines (signature, address, length)
#   <plat>/SIG@ADDR.dat        a table, as found at ADDR in physical memory
#   <plat>/sys/NAME.dat        the sysfs copy (Linux's name: DSDT, SSDT1, ...)
#   <plat>/bios-e0000.dat      128 KiB BIOS area (BIOS boots only)
#   <plat>/systab.txt          /sys/firmware/efi/systab (UEFI boots only)
# Only one emulator runs at a time. Bochs takes a few minutes.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d /tmp/acpi-dump.XXXXXX)}
KERNEL=${KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}
PLATS=${*:-qemu-i440fx qemu-q35-vtd qemu-q35-amdvi ovmf bochs}

build_initramfs() {
    local root=$WORK/root
    rm -rf "$root"; mkdir -p "$root"/{bin,dev,proc,sys}
    cp /bin/busybox "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cat >"$root/init" <<'EOF'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs dev /dev
emit() { # name, then data on stdin
    echo "@@BEGIN $1"
    $B base64
    echo "@@END $1"
}
echo "@@DUMP-START"
$B dmesg | $B grep -E 'ACPI: [A-Z0-9!_]{4} 0x[0-9A-F]+ [0-9A-F]+' |
    $B sed 's/^\[[^]]*\] *//' >/tables.txt
echo "@@BEGIN-TEXT tables.txt"; $B cat /tables.txt; echo "@@END-TEXT"
# read() of /dev/mem fails with EFAULT on these reserved ranges; mmap (with
# nopat on the command line) works, so read 32-bit words with devmem.
while read -r _ sig addr len _; do
    a=$(($addr)); l=$((0x$len)); o=0
    [ "$l" -gt 0 ] || continue
    echo "@@BEGIN-WORDS $(printf '%s@%x.dat' "$sig" "$a") $l"
    while [ $o -lt $l ]; do $B devmem $((a + o)) 32; o=$((o + 4)); done
    echo "@@END"
done </tables.txt
for f in /sys/firmware/acpi/tables/* /sys/firmware/acpi/tables/dynamic/*; do
    [ -f "$f" ] || continue
    case "$f" in */dynamic/*) n="sys/dynamic-${f##*/}" ;; *) n="sys/${f##*/}" ;; esac
    $B cat "$f" | emit "$n.dat"
done
if [ -f /sys/firmware/efi/systab ]; then
    echo "@@BEGIN-TEXT systab.txt"; $B cat /sys/firmware/efi/systab; echo "@@END-TEXT"
else
    $B dd if=/dev/mem bs=4096 skip=224 count=32 2>/dev/null | emit bios-e0000.dat
fi
echo "@@DUMP-END"
# let the UART drain before powering off (Bochs loses the tail otherwise)
$B sleep 3
$B poweroff -f
EOF
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -9) >"$WORK/initrd.gz"
}

decode() { # serial log, output dir
    python3 - "$1" "$2" <<'EOF'
import base64, os, sys
log, out = sys.argv[1], sys.argv[2]
lines = open(log, 'rb').read().decode('latin-1').replace('\r', '').split('\n')
if not any(l.strip() == '@@DUMP-END' for l in lines):
    sys.exit('dump incomplete in ' + log)
os.makedirs(os.path.join(out, 'sys'), exist_ok=True)
name, buf, text = None, [], False
for l in lines:
    l = l.strip()
    if l.startswith('@@BEGIN-TEXT '):
        name, buf, text, words = l.split(' ', 1)[1], [], True, None
    elif l.startswith('@@BEGIN-WORDS '):
        _, name, size = l.split(' ')
        buf, text, words = [], False, int(size)
    elif l.startswith('@@BEGIN '):
        name, buf, text, words = l.split(' ', 1)[1], [], False, None
    elif l in ('@@END-TEXT', '@@END') or l.startswith('@@END '):
        path = os.path.join(out, name)
        if text:
            open(path, 'w').write('\n'.join(buf) + '\n')
        elif words is not None:
            data = b''.join(int(w, 16).to_bytes(4, 'little') for w in buf)
            if len(data) < words:
                sys.exit('short word dump for ' + name)
            open(path, 'wb').write(data[:words])
        else:
            open(path, 'wb').write(base64.b64decode(''.join(buf)))
        name = None
    elif name is not None:
        buf.append(l)
print('decoded into', out)
EOF
}

run_qemu() { # plat, extra args...
    local plat=$1; shift
    timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
        -serial file:"$WORK/$plat.log" -monitor none -display none \
        -kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
        -append "console=ttyS0 loglevel=1 panic=-1 iomem=relaxed nopat" "$@" </dev/null
}

run_bochs() {
    local iso=$WORK/bochs.iso dir=$WORK/iso
    rm -rf "$dir"; mkdir -p "$dir/boot/grub"
    cp "$KERNEL" "$dir/boot/vmlinuz"; cp "$WORK/initrd.gz" "$dir/boot/initrd.gz"
    cat >"$dir/boot/grub/grub.cfg" <<'EOF'
set timeout=0
menuentry dump {
    linux /boot/vmlinuz console=ttyS0 loglevel=1 panic=-1 iomem=relaxed nopat
    initrd /boot/initrd.gz
}
EOF
    grub-mkrescue -o "$iso" "$dir" >/dev/null 2>&1
    cat >"$WORK/bochsrc" <<EOF
megs: 512
cpu: model=corei7_skylake_x, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$WORK/bochs.log
log: $WORK/bochs-emu.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
speaker: enabled=0
clock: sync=none, time0=local
EOF
    echo c >"$WORK/cmds"
    : >"$WORK/bochs.log"
    (cd "$WORK" && exec timeout 900 bochs -q -f bochsrc -rc cmds </dev/null >bochs-out.log 2>&1) &
    local pid=$!
    # Bochs exits on ACPI power off; stop it as soon as the dump is complete.
    for _ in $(seq 900); do
        grep -q '@@DUMP-END' "$WORK/bochs.log" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 1
    done
    sleep 2
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
}

build_initramfs
for plat in $PLATS; do
    echo "== $plat"
    case $plat in
    qemu-i440fx)    run_qemu $plat -machine pc -smp 2 ;;
    qemu-q35-vtd)   run_qemu $plat -machine q35 -smp 4 -device intel-iommu ;;
    qemu-q35-amdvi) run_qemu $plat -machine q35 -smp 2 -device amd-iommu ;;
    ovmf)
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
        run_qemu $plat -machine q35 -smp 2 \
            -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
            -drive if=pflash,format=raw,file="$WORK/vars.fd" ;;
    bochs)          run_bochs ;;
    *) echo "unknown platform $plat" >&2; exit 1 ;;
    esac
    rm -rf "${HERE:?}/$plat"
    decode "$WORK/$plat.log" "$HERE/$plat"
done
echo "work files in $WORK"
