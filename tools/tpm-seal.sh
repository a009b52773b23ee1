#!/bin/sh
# tools/tpm-seal.sh: seals a disk key (64 bytes, as veneer.key) in a TPM 2.0
# for vmm.key=tpm (docs/storage.md, "TPM"), with Debian's tpm2-tools. The
# TPM is the one tpm2-tools reach (TPM2TOOLS_TCTI: e.g. "swtpm:path=SOCK"
# for swtpm, the default /dev/tpmrm0 on the machine itself).
#
#   tpm-seal.sh --key KEY --output veneer.tpm [--pcrs 0-7]
#               [--values-from-log SERIAL.log | --values-current]
#               [--parent 0x81000001] [--provision]
#
# The policy is TPM2_PolicyPCR over the SHA-256 bank's PCRs --pcrs plus
# PCR 15 at its reset value (zeros): Veneer extends PCR 15 once it has read
# the key, so the guest never satisfies it. The PCR values sealed to:
#   --values-from-log: the "I tpm: PCR N sha256 HEX" lines Veneer logs at
#       each boot with vmm.key=tpm (a first boot without the sealed object
#       prints them, then asks for the passphrase);
#   --values-current: the TPM's current values, for sealing from the OS
#       running under Veneer on the machine itself (PCRs 0-7 are the
#       firmware's as at Veneer's start; 15 is taken as zeros).
# --provision: creates the owner hierarchy's storage key (ECC P-256, the
# tpm2_createprimary default template) and persists it at --parent when
# nothing is there. The output is the sealed object's TPM2B_PRIVATE then
# its TPM2B_PUBLIC: the module `module2 /boot/veneer.tpm veneer.tpm`.
set -eu
key='' out='' pcrs=0-7 log='' current=0 parent=0x81000001 provision=0
die() { echo "tpm-seal: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --key) key=$2; shift 2 ;;
        --output) out=$2; shift 2 ;;
        --pcrs) pcrs=$2; shift 2 ;;
        --values-from-log) log=$2; shift 2 ;;
        --values-current) current=1; shift ;;
        --parent) parent=$2; shift 2 ;;
        --provision) provision=1; shift ;;
        *) die "unknown argument $1 (see the comment at the top)" ;;
    esac
done
[ -n "$key" ] && [ -n "$out" ] || die "--key and --output are required"
[ "$(wc -c <"$key")" = 64 ] || die "$key is not 64 bytes (one AES-256-XTS key)"
[ -n "$log" ] || [ $current = 1 ] || die "give --values-from-log LOG or --values-current"
command -v tpm2_create >/dev/null || die "tpm2-tools are not installed"

# the PCR list: 0-7 -> 0 1 2 ... 7, then 15 added
list=""
for part in $(echo "$pcrs" | tr ',' ' '); do
    case "$part" in
        *-*) a=${part%-*} b=${part#*-} ;;
        *) a=$part b=$part ;;
    esac
    case "$a$b" in *[!0-9]*|"") die "--pcrs $pcrs: want numbers and ranges" ;; esac
    [ "$b" -le 23 ] && [ "$a" -le "$b" ] || die "--pcrs $pcrs: PCRs are 0 to 23"
    i=$a
    while [ "$i" -le "$b" ]; do
        [ "$i" = 15 ] || list="$list $i"
        i=$((i + 1))
    done
done
list=$(echo "$list 15" | tr ' ' '\n' | grep . | sort -n | uniq | tr '\n' ' ')
sel=$(echo "$list" | sed 's/ *$//; s/ /,/g')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tpm-seal.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# the values, in PCR order, as one binary file
: >"$tmp/values.hex"
for i in $list; do
    if [ "$i" = 15 ]; then
        v=0000000000000000000000000000000000000000000000000000000000000000
    elif [ -n "$log" ]; then
        v=$(sed -n "s/.*I tpm: PCR $i sha256 \([0-9a-f]\{64\}\).*/\1/p" "$log" | tail -1)
        [ -n "$v" ] || die "$log has no 'I tpm: PCR $i sha256' line"
    else
        v=$(tpm2_pcrread "sha256:$i" | sed -n "s/^ *$i *: 0x\([0-9A-Fa-f]\{64\}\)$/\1/p")
        [ -n "$v" ] || die "tpm2_pcrread gave no SHA-256 value for PCR $i"
    fi
    echo "$v" >>"$tmp/values.hex"
done
# TPM2_PolicyPCR's policy digest (TPM 2.0 Library spec part 3, 23.7),
# computed here (tpm2_createpolicy takes at most 8 PCRs):
#   SHA-256(zeros || TPM_CC_PolicyPCR || TPML_PCR_SELECTION
#           || SHA-256(the selected PCRs' values in index order))
python3 - "$tmp/values.hex" "$sel" "$tmp/policy.digest" <<'PY'
import hashlib, struct, sys
values = bytes.fromhex(open(sys.argv[1]).read().replace('\n', ''))
mask = 0
for p in sys.argv[2].split(','):
    mask |= 1 << int(p)
sel = struct.pack('>IHB', 1, 0x000b, 3) + bytes([mask & 255, mask >> 8 & 255, mask >> 16 & 255])
digest = hashlib.sha256(bytes(32) + struct.pack('>I', 0x17f) + sel +
                        hashlib.sha256(values).digest()).digest()
open(sys.argv[3], 'wb').write(digest)
PY

if [ $provision = 1 ] && ! tpm2_readpublic -c "$parent" >/dev/null 2>&1; then
    tpm2_createprimary -Q -C o -g sha256 -G ecc -c "$tmp/primary.ctx"
    tpm2_evictcontrol -Q -C o -c "$tmp/primary.ctx" "$parent"
    tpm2_flushcontext -t
    echo "tpm-seal: storage key created and persisted at $parent"
fi
tpm2_readpublic -c "$parent" >/dev/null 2>&1 ||
    die "no storage key at $parent (--provision creates one)"

# no userwithauth: the policy is the only way to the data
tpm2_create -Q -C "$parent" -g sha256 -a "fixedtpm|fixedparent|noda" \
    -L "$tmp/policy.digest" -i "$key" -u "$tmp/sealed.pub" -r "$tmp/sealed.priv"
tpm2_flushcontext -t
cat "$tmp/sealed.priv" "$tmp/sealed.pub" >"$out"
echo "tpm-seal: $out sealed to PCRs $sel (SHA-256) under $parent; boot with vmm.key=tpm,prompt"
