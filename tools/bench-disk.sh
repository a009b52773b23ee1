#!/bin/bash
# make bench (disk-bench): guest disk throughput, bare and under Veneer, in
# one run of the same QEMU (TCG, pc machine, IDE; SVM under Veneer). The
# guest (veneer.test=ddbench, tests/guest/init) writes then reads
# BENCH_MB MiB (default 64) sequentially in 1 MiB direct requests on a
# second IDE disk of its own (/dev/sdb). Three boots: bare; Veneer with no
# rule (the IDE mediator passes the data through); Veneer encrypting every
# disk (vmm.crypt=ata/all/k0: the bench disk is ciphertext). Prints MB/s
# and the ratios to bare.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/disk}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
. "$ROOT/tests/system/crypt.sh"
MB=${BENCH_MB:-64}
PARAMS="veneer.test=ddbench veneer.bench=/dev/sdb veneer.bench_mb=$MB"
key=$LOG_DIR/veneer.key
crypt_key "$key"
mkiso "$LOG_DIR/plain.iso" ""
mkiso "$LOG_DIR/crypt.iso" "vmm.crypt=ata/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"

run() {  # NAME ISO (empty: bare) BOOT-DISK
    local name=$1 iso=$2 disk=$3
    rm -f "$LOG_DIR/$name.bench.img"
    truncate -s $((MB + 16))M "$LOG_DIR/$name.bench.img"
    local drives=(-machine pc -nic none
        -drive file="$disk",format=raw,if=ide,index=0,media=disk
        -drive file="$LOG_DIR/$name.bench.img",format=raw,if=ide,index=1,media=disk)
    if [ -n "$iso" ]; then
        qemu_start "$name" "$iso" -cpu EPYC,+svm,+npt "${drives[@]}"
    else
        qemu_start "$name" /dev/null -cpu EPYC,+svm,+npt -boot order=c "${drives[@]}"
    fi
    wait_for "$name" '^GUEST-VERDICT' 600 >/dev/null || true
    stop "$name"
    tr -d '\r' <"$LOG_DIR/$name.serial" | grep -a '^GUEST-CHECK ddbench' | head -1
}

guest_disk "$LOG_DIR/bare.img" "$PARAMS"
guest_disk "$LOG_DIR/plain.img" "$PARAMS"
crypt_guest_disk "$LOG_DIR/crypt.img" "$key" "$PARAMS"
bare=$(run bare "" "$LOG_DIR/bare.img")
plain=$(run plain "$LOG_DIR/plain.iso" "$LOG_DIR/plain.img")
crypt=$(run crypt "$LOG_DIR/crypt.iso" "$LOG_DIR/crypt.img")
field() { sed -n "s/.* $2=\([0-9.]*\)MB\/s.*/\1/p" <<<"$1"; }
ratio() { awk "BEGIN{ if (\"$1\" != \"\" && \"$2\" != \"\" && $1 + 0 > 0) printf \"%.2f\", $2 / $1; else print \"n/a\" }"; }
for dir in write read; do
    b=$(field "$bare" $dir); p=$(field "$plain" $dir); c=$(field "$crypt" $dir)
    echo "BENCH disk ide $dir ${MB}MiB: bare=${b:-?}MB/s veneer=${p:-?}MB/s ($(ratio "$b" "$p") of bare) veneer+xts=${c:-?}MB/s ($(ratio "$b" "$c") of bare)"
done
