#!/bin/sh
# Builds the test guest's initramfs (gzip'd newc cpio) without root:
# busybox-static, the init script, veneerctl, kvmtest, and the storage
# modules of kernel KVER with their dependencies (resolved through
# modules.dep, listed in load order in /etc/guest-modules, which /init
# loads at boot), and KVM's (kvm_amd, kvm_intel and theirs, listed in
# /etc/kvm-modules, loaded only by the kvm check).
#
#   mkinitramfs.sh OUT.cpio.gz KVER INIT VENEERCTL KVMTEST
set -eu
out=$1 kver=$2 init=$3 veneerctl=$4 kvmtest=$5
mods=/lib/modules/$kver
busybox=/bin/busybox

# The drivers a test machine's disk needs: AHCI/IDE (QEMU q35, Bochs),
# NVMe, and the SCSI disk layer.
WANT="ahci libahci libata ata_piix ata_generic nvme nvme-core sd_mod scsi_mod
crct10dif_generic crct10dif-pclmul crc64_rocksoft_generic"
# KVM for the kvm check (nested virtualization, docs/guest.md)
WANT_KVM="kvm_amd kvm_intel"

[ -f "$mods/modules.dep" ] || { echo "mkinitramfs: no $mods/modules.dep" >&2; exit 1; }
[ -x "$busybox" ] || { echo "mkinitramfs: no $busybox (busybox-static)" >&2; exit 1; }
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || \
    ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || \
    { echo "mkinitramfs: $busybox is not static (install busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d "${out}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" \
    "$root/dev" "$root/tmp" "$root/lib/modules" "$root/root"

# Dependency order: a module's deps (modules.dep lists them, nearest
# first) are loaded before it, each module once.
order=$tmp/order
add() {     # add RELPATH
    grep -qxF "$1" "$order" && return 0
    deps=$(awk -v m="$1:" '$1 == m { for (i = NF; i > 1; i--) print $i }' "$mods/modules.dep")
    for d in $deps; do add "$d"; done
    grep -qxF "$1" "$order" || echo "$1" >>"$order"
}
# modules LIST OUT: the modules of LIST and their deps, in load order,
# into /lib/modules (uncompressed), their names into OUT
modules() {
    : >"$order"
    for w in $1; do
        # module names use - and _ interchangeably
        pat=$(echo "$w" | sed 's/[-_]/[-_]/g')
        rel=$(grep -E "(^|/)$pat\.ko(\.xz|\.zst|\.gz)?:" "$mods/modules.dep" | head -1 | cut -d: -f1)
        if [ -z "$rel" ]; then
            grep -qE "/$pat\.ko" "$mods/modules.builtin" 2>/dev/null || \
                echo "mkinitramfs: note: module $w not found in $kver" >&2
            continue
        fi
        add "$rel"
    done
    : >"$2"
    while read -r rel; do
        base=$(basename "$rel")
        case "$base" in
            *.ko.xz)  xz -dc "$mods/$rel" >"$root/lib/modules/${base%.xz}"; base=${base%.xz} ;;
            *.ko.zst) zstd -qdc "$mods/$rel" >"$root/lib/modules/${base%.zst}"; base=${base%.zst} ;;
            *.ko.gz)  gzip -dc "$mods/$rel" >"$root/lib/modules/${base%.gz}"; base=${base%.gz} ;;
            *)        cp "$mods/$rel" "$root/lib/modules/$base" ;;
        esac
        echo "$base" >>"$2"
    done <"$order"
}
modules "$WANT" "$root/etc/guest-modules"
modules "$WANT_KVM" "$root/etc/kvm-modules"

# The e1000 driver for the netxfer check, loaded by that check only (not in
# guest-modules: the other checks run without a network driver).
rel=$(grep -E "(^|/)e1000\.ko(\.xz|\.zst|\.gz)?:" "$mods/modules.dep" | head -1 | cut -d: -f1)
if [ -n "$rel" ]; then
    case "$rel" in
        *.xz)  xz -dc "$mods/$rel" >"$root/lib/modules/e1000.ko" ;;
        *.zst) zstd -qdc "$mods/$rel" >"$root/lib/modules/e1000.ko" ;;
        *.gz)  gzip -dc "$mods/$rel" >"$root/lib/modules/e1000.ko" ;;
        *)     cp "$mods/$rel" "$root/lib/modules/e1000.ko" ;;
    esac
else
    echo "mkinitramfs: note: module e1000 not found in $kver" >&2
fi

cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list-full); do
    case "$a" in
        bin/busybox|linuxrc) continue ;;
        bin/*) ln -sf busybox "$root/$a" ;;
        sbin/*|usr/bin/*|usr/sbin/*) ln -sf ../bin/busybox "$root/sbin/${a##*/}" ;;
    esac
done
cp "$veneerctl" "$root/bin/veneerctl"
cp "$kvmtest" "$root/bin/kvmtest"
cp "$init" "$root/init"
chmod 755 "$root/init" "$root/bin/veneerctl" "$root/bin/kvmtest" "$root/bin/busybox"
echo "$kver" >"$root/etc/guest-kernel"

# Reproducible archive: fixed order, owner and times.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | \
    cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$tmp/out"
mv "$tmp/out" "$out"
echo "mkinitramfs: $out: $(wc -l <"$root/etc/guest-modules") modules:" \
    "$(tr '\n' ' ' <"$root/etc/guest-modules")" \
    "KVM: $(tr '\n' ' ' <"$root/etc/kvm-modules")"
