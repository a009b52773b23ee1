#!/bin/sh
# Installs, from Debian's packages, whatever the build and the tests need and
# this machine lacks; enables deb-src for the configured mirror when absent
# (apt-get source fetches BearSSL into build/). Idempotent: a machine that
# has everything is left alone and no network is touched.
set -eu

PKGS="gcc binutils make gcc-multilib clang lld llvm
grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools
qemu-system-x86 qemu-utils bochs bochsbios vgabios bochs-sdl
busybox-static cpio linux-image-amd64 ovmf gnu-efi acpica-tools
libssl-dev openssl dpkg-dev cryptsetup-bin python3 kmod faketime libclang-rt-14-dev
swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0
tang clevis jose socat curl"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done

need_src=0
if [ "${1:-}" = "--src" ]; then
    if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        need_src=1
    fi
fi

[ -z "$missing" ] && [ $need_src = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing; run as root (or apt-get install them)" >&2
    exit 1
fi

if [ $need_src = 1 ]; then
    echo "install-deps: enabling deb-src for the configured Debian mirror"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed -i -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f"
    done
    if [ -f /etc/apt/sources.list ]; then
        grep -E '^deb [^[]*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /tmp/veneer-src.list || true
        if [ -s /tmp/veneer-src.list ]; then
            cat /tmp/veneer-src.list >> /etc/apt/sources.list
        fi
        rm -f /tmp/veneer-src.list
    fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -q --no-install-recommends $missing
