#!/bin/sh
# Fetches a Debian source package into the build tree with apt-get source
# (never committed to this repository).
#
#   crypto/fetch-src.sh bearssl DIR     unpacked source tree in DIR
#   crypto/fetch-src.sh lwip DIR        unpacked source tree in DIR (devices/net)
#   crypto/fetch-src.sh openssl-xts DIR DIR/evpciph_aes_common.txt only
#
# apt-get source picks the newest version apt knows; when the mirror lacks
# that version's .dsc (seen here: debian-security listed a version whose
# files 404), the other listed versions are tried in turn. For openssl only
# the upstream tarball is needed, and only one test file is taken from it.
set -eu
pkg=$1 dest=$2
src=$pkg
[ "$pkg" = openssl-xts ] && src=openssl
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
dl=$(mktemp -d "${TMPDIR:-/tmp}/veneer-src.XXXXXX")
trap 'rm -rf "$dl"' EXIT
cd "$dl"
# apt's _apt user must be able to write here, or it warns and runs as root.
chmod 755 "$dl" 2>/dev/null || true

have_files() {
    if [ "$src" = openssl ]; then
        ls ./openssl_*.orig.tar.* >/dev/null 2>&1
    else
        ls ./"$src"_*.dsc >/dev/null 2>&1
    fi
}

apt-get source --download-only "$src" >apt.log 2>&1 || true
if ! have_files; then
    for v in $(apt-cache showsrc "$src" | sed -n 's/^Version: //p'); do
        rm -f ./"$src"_*
        apt-get source --download-only "$src=$v" >>apt.log 2>&1 || true
        have_files && break
    done
fi
if ! have_files; then
    echo "fetch-src: apt-get source $src failed (is deb-src enabled? run 'make deps' as root):" >&2
    tail -5 apt.log >&2
    exit 1
fi

mkdir -p "$dest"
if [ "$pkg" = bearssl ] || [ "$pkg" = lwip ]; then
    dpkg-source --no-check -x ./"$pkg"_*.dsc tree >/dev/null
    rm -rf "$dest"
    mv tree "$dest"
    ls ./"$pkg"_*.dsc | sed 's/^\.\///' >"$dest/.debian-source"
else
    f=test/recipes/30-test_evp_data/evpciph_aes_common.txt
    tarball=$(ls ./openssl_*.orig.tar.* | head -1)
    tar -xf "$tarball" --wildcards "*/$f"
    cp ./openssl-*/"$f" "$dest/evpciph_aes_common.txt"
    echo "$tarball" | sed 's/^\.\///' >"$dest/.debian-source"
fi
