#!/bin/bash
# timeout: 400
# The real cryptsetup against tools/vdisk, in both directions. This sandbox
# has no device-mapper, so cryptsetup runs inside a QEMU guest: Debian's
# own kernel (linux-image-amd64) with dm-crypt, and Debian's cryptsetup
# with its libraries in a busybox initramfs. The guest
#   1. opens vdisk-encrypted images with
#        cryptsetup open --type plain -c aes-xts-plain64 --key-size 512 --key-file
#      (512-byte sectors; 4 KiB sectors with --sector-size 4096
#      --iv-large-sectors) and checks the plaintext's SHA-256,
#   2. writes the plaintext through a cryptsetup mapping onto a blank disk,
# and the host then decrypts that disk with vdisk and compares.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$ROOT"
LOG_DIR=${LOG_DIR:-$ROOT/build/test-logs/vdisk-cryptsetup-qemu.d}
mkdir -p "$LOG_DIR"
W=$(mktemp -d "$LOG_DIR/work.XXXXXX")
trap 'rm -rf "$W"' EXIT
VDISK=build/tools/vdisk
[ -x $VDISK ] || make -s build/tools/vdisk >"$W/make.log" 2>&1 || {
    cat "$W/make.log"; exit 1; }

KVER=$(ls /lib/modules | grep -E 'amd64$' | sort -V | tail -1)
KERNEL=/boot/vmlinuz-$KVER
CRYPTSETUP=$(PATH=$PATH:/usr/sbin:/sbin command -v cryptsetup)
BUSYBOX=$(command -v busybox)
for need in "$KERNEL" "$CRYPTSETUP" "$BUSYBOX" /usr/bin/qemu-system-x86_64; do
    [ -n "$need" ] && [ -e "$need" ] || {
        echo "missing ${need:-cryptsetup or busybox} (make deps installs it)"; exit 1; }
done

FAILS=0
ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# ---- images and key ---------------------------------------------------------
MB=4
head -c $((MB * 1024 * 1024)) /dev/urandom >"$W/plain.img"
head -c 64 /dev/urandom >"$W/key.bin"
$VDISK encrypt "$W/plain.img" --key-file "$W/key.bin" --output "$W/enc512.img" >/dev/null
$VDISK encrypt "$W/plain.img" --key-file "$W/key.bin" --sector-size 4096 \
    --output "$W/enc4k.img" >/dev/null
truncate -s $((MB * 1024 * 1024)) "$W/blank.img"
sum=$(sha256sum "$W/plain.img" | cut -c1-64)

# ---- initramfs: busybox, cryptsetup and its libraries, the modules ----------
R="$W/root"
mkdir -p "$R"/{bin,sbin,dev,proc,sys,run,tmp,lib/modules/$KVER}
cp "$BUSYBOX" "$R/bin/busybox"
for a in sh mount echo cat sha256sum insmod poweroff sleep ls dd sync head; do
    ln -s busybox "$R/bin/$a"
done
cp "$CRYPTSETUP" "$R/sbin/cryptsetup"
for lib in $(ldd "$CRYPTSETUP" | grep -o '/[^ ]*'); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done
# Modules and what they depend on, in load order (modules.dep lists a
# module's dependencies, the last to be loaded first).
MODDIR=/lib/modules/$KVER
declare -A seen
order=()
add_mod() {
    local rel=$1 deps d
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    deps=$(grep "^$rel:" "$MODDIR/modules.dep" | cut -d: -f2)
    for d in $(echo $deps | tr ' ' '\n' | tac); do add_mod "$d"; done
    order+=("$rel")
}
# xts(aes) is built from ecb(aes); with no modprobe in the guest the
# kernel cannot load them on demand.
for m in virtio_pci virtio_blk dm-crypt ecb xts; do
    rel=$(grep -E "/$m\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | cut -d: -f1 | head -1)
    [ -n "$rel" ] || { echo "module $m not found for $KVER"; exit 1; }
    add_mod "$rel"
done
: >"$R/modules.list"
for rel in "${order[@]}"; do
    mkdir -p "$R/lib/modules/$KVER/$(dirname "$rel")"
    cp "$MODDIR/$rel" "$R/lib/modules/$KVER/$rel"
    echo "/lib/modules/$KVER/$rel" >>"$R/modules.list"
done
cp "$W/key.bin" "$R/key.bin"

cat >"$R/init" <<EOF
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in \$(cat /modules.list); do insmod \$m 2>/dev/null; done
sleep 1
export DM_DISABLE_UDEV=1
CS="cryptsetup --disable-locks open --type plain -c aes-xts-plain64 --key-size 512 --key-file /key.bin"
check() { # disk name expected-sum [options]
    d=\$1 n=\$2 want=\$3; shift 3
    if \$CS "\$@" /dev/\$d \$n; then
        got=\$(sha256sum /dev/mapper/\$n | head -c 64)
        if [ "\$got" = "\$want" ]; then echo "VDISK-CS: \$n PASS"; else echo "VDISK-CS: \$n FAIL sum \$got"; fi
        cryptsetup close \$n
    else
        echo "VDISK-CS: \$n FAIL open"
    fi
}
check vda plain512 $sum
check vdb plain4k $sum --sector-size 4096 --iv-large-sectors
# the other direction: write the plaintext (vdd) through dm-crypt onto vdc
if \$CS /dev/vdc w512; then
    dd if=/dev/vdd of=/dev/mapper/w512 bs=1M 2>/dev/null
    sync
    cryptsetup close w512
    echo "VDISK-CS: w512 WRITTEN"
else
    echo "VDISK-CS: w512 FAIL open"
fi
sync
echo "VDISK-CS: DONE"
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$W/initrd.gz"

# ---- the guest ----------------------------------------------------------------
echo "booting $KERNEL in QEMU (TCG) with cryptsetup $("$CRYPTSETUP" --version | cut -d' ' -f2)"
timeout 300 qemu-system-x86_64 -machine q35 -cpu max -m 512 -smp 1 \
    -nographic -no-reboot -kernel "$KERNEL" -initrd "$W/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet" \
    -drive file="$W/enc512.img",format=raw,if=virtio \
    -drive file="$W/enc4k.img",format=raw,if=virtio \
    -drive file="$W/blank.img",format=raw,if=virtio \
    -drive file="$W/plain.img",format=raw,if=virtio,readonly=on \
    </dev/null >"$LOG_DIR/guest.serial" 2>&1
grep 'VDISK-CS' "$LOG_DIR/guest.serial" | tr -d '\r'

grep -q 'VDISK-CS: DONE' "$LOG_DIR/guest.serial" ||
    fail "the guest did not finish (serial log: $LOG_DIR/guest.serial)"
grep -q 'VDISK-CS: plain512 PASS' "$LOG_DIR/guest.serial" &&
    ok "cryptsetup open --type plain -c aes-xts-plain64 reads vdisk's 512-byte-sector image" ||
    fail "cryptsetup on vdisk's 512-byte-sector image"
grep -q 'VDISK-CS: plain4k PASS' "$LOG_DIR/guest.serial" &&
    ok "cryptsetup ... --sector-size 4096 --iv-large-sectors reads vdisk's 4 KiB-sector image" ||
    fail "cryptsetup on vdisk's 4 KiB-sector image"
if grep -q 'VDISK-CS: w512 WRITTEN' "$LOG_DIR/guest.serial"; then
    if $VDISK verify "$W/blank.img" --against "$W/plain.img" --key-file "$W/key.bin" >/dev/null; then
        ok "vdisk decrypts what cryptsetup (dm-crypt) wrote"
    else
        fail "vdisk verify of the dm-crypt-written disk"
    fi
else
    fail "the guest could not write through dm-crypt"
fi
echo "$FAILS failure(s)"
[ $FAILS = 0 ]
