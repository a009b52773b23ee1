# Encrypted guest disks for the storage scenarios (source after lib.sh).
#
#   crypt_key OUT                     a fresh random AES-256-XTS key (64 bytes)
#   crypt_kcv KEY                     prints its check value (for vmm.kcv=)
#   crypt_guest_disk OUT KEY "PARAMS" the guest disk with PARAMS set, then
#                                     encrypted whole with KEY (vdisk)
#   crypt_check_marker NAME IMG KEY   the marker the guest's (last) disk check
#                                     wrote (on NAME's serial log) is absent
#                                     from IMG and present in IMG decrypted
VDISK=${VDISK:-$ROOT/build/tools/vdisk}

crypt_key() {
    head -c 64 /dev/urandom >"$1"
}

crypt_kcv() {
    "$VDISK" kcv --key-file "$1"
}

crypt_guest_disk() {
    local out=$1 key=$2 params=${3-}
    guest_disk "$out" "$params"
    "$VDISK" encrypt "$out" --key-file "$key" >"$out.vdisk.log" 2>&1 || {
        echo "crypt_guest_disk: vdisk encrypt failed:"; cat "$out.vdisk.log"; exit 1; }
    if grep -aq "VENEER-SCRATCH v1" "$out"; then
        echo "FAIL crypt_guest_disk: the scratch header is still readable in $out"
        FAILS=$((FAILS + 1))
    fi
}

crypt_check_marker() {
    local name=$1 img=$2 key=$3 marker plain
    plain="$LOG_DIR/$name.decrypted.img"
    marker=$(tr -d '\r' <"$LOG_DIR/$name.serial" | grep -a '^GUEST-CHECK disk PASS' |
             grep -ao 'VENEER-MARKER-[0-9a-f]*' | tail -1)
    if [ -z "$marker" ]; then
        echo "FAIL $name: no marker: the guest's disk check did not pass"
        FAILS=$((FAILS + 1))
        return
    fi
    if grep -aqF "$marker" "$img"; then
        echo "FAIL $name: the marker $marker is in the image in plaintext"
        FAILS=$((FAILS + 1))
    else
        echo "ok   $name: the marker $marker is absent from the image"
    fi
    "$VDISK" decrypt "$img" --key-file "$key" --output "$plain" >/dev/null 2>&1
    if grep -aqF "$marker" "$plain"; then
        echo "ok   $name: the marker is in the image decrypted offline"
    else
        echo "FAIL $name: the marker is not in the image decrypted offline"
        FAILS=$((FAILS + 1))
    fi
    rm -f "$plain"
}

# tpm_expect_pcr15 LABEL: the guest's GUEST-CHECK tpm line in LABEL's serial
# log shows PCR 15 as Veneer leaves it (one extend of "Veneer started the
# guest" from zeros), the value a sealing policy after Veneer can expect.
tpm_expect_pcr15() {
    local want got
    want=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes(32) + hashlib.sha256(b"Veneer started the guest").digest()).hexdigest())')
    got=$(grep -a '^GUEST-CHECK tpm' "$LOG_DIR/$1.serial" | sed -n 's/.*pcr15=\([0-9A-Fa-f]*\).*/\1/p' | tr 'A-F' 'a-f')
    if [ "$got" = "$want" ]; then
        echo "ok   $1: the guest sees PCR 15 = SHA-256(zeros || SHA-256(\"Veneer started the guest\"))"
    else
        echo "FAIL $1: the guest sees PCR 15 = '$got', want $want"; FAILS=$((FAILS + 1))
    fi
}
