#!/bin/bash
# make bench (disk-bench): guest disk throughput, bare and under Veneer, in
# one run of the same QEMU (TCG; SVM under Veneer), for each controller of
# BENCH_BUSES (default "ide ahci nvme"). The guest (veneer.test=ddbench,
# tests/guest/init) writes then reads BENCH_MB MiB (default 64)
# sequentially in 1 MiB direct requests on a disk of its own:
#   ide   pc machine, boot and bench disks on the PIIX IDE (the bench
#         disk found by its size: veneer.bench=sectors:N)
#   ahci  q35, boot and bench disks on an AHCI HBA, ports 0 and 1 (same)
#   nvme  pc machine, boot disk on IDE, bench disk on an NVMe controller
#         (/dev/nvme0n1)
# Three boots each: bare; Veneer with no rule (the mediator passes the data
# through); Veneer encrypting the bench disk (vmm.crypt=BUS/all/k0).
# Prints MB/s and the ratios to bare.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOG_DIR=${LOG_DIR:-$ROOT/build/bench/disk}
mkdir -p "$LOG_DIR"
. "$ROOT/tests/system/lib.sh"
. "$ROOT/tests/system/crypt.sh"
MB=${BENCH_MB:-64}
key=$LOG_DIR/veneer.key
crypt_key "$key"
field() { sed -n "s/.* $2=\([0-9.]*\)MB\/s.*/\1/p" <<<"$1"; }
met() { awk "BEGIN{ print (\"$1\" != \"n/a\" && $1 + 0 >= $2) ? \"met\" : \"not met\" }"; }
ratio() { awk "BEGIN{ if (\"$1\" != \"\" && \"$2\" != \"\" && $1 + 0 > 0) printf \"%.2f\", $2 / $1; else print \"n/a\" }"; }

for bus in ${BENCH_BUSES:-ide ahci nvme}; do
    case $bus in
        # the bench disk by its size: Linux names the two disks sda/sdb
        # in either order
        ide) rule=ata dev=sectors:$(((MB + 16) * 2048)) ;;
        ahci) rule=ahci dev=sectors:$(((MB + 16) * 2048)) ;;
        nvme) rule=nvme dev=/dev/nvme0n1 ;;
        *) echo "bench-disk: unknown bus '$bus' (ide, ahci, nvme)"; exit 1 ;;
    esac
    PARAMS="veneer.test=ddbench veneer.bench=$dev veneer.bench_mb=$MB"
    mkiso "$LOG_DIR/plain.iso" ""
    mkiso "$LOG_DIR/crypt-$bus.iso" "vmm.crypt=$rule/all/k0 vmm.kcv=$(crypt_kcv "$key")" "$ELF" "$key"

    run() {  # NAME ISO (empty: bare) BOOT-DISK
        local name=$1 iso=$2 disk=$3 drives
        rm -f "$LOG_DIR/$name.bench.img"
        truncate -s $((MB + 16))M "$LOG_DIR/$name.bench.img"
        case $bus in
            ide) drives=(-machine pc -nic none
                    -drive file="$disk",format=raw,if=ide,index=0,media=disk
                    -drive file="$LOG_DIR/$name.bench.img",format=raw,if=ide,index=1,media=disk) ;;
            ahci) drives=(-machine q35 -nic none -device ahci,id=bahci
                    -drive file="$disk",format=raw,if=none,id=d0
                    -device ide-hd,drive=d0,bus=bahci.0
                    -drive file="$LOG_DIR/$name.bench.img",format=raw,if=none,id=d1
                    -device ide-hd,drive=d1,bus=bahci.1) ;;
            nvme) drives=(-machine pc -nic none
                    -drive file="$disk",format=raw,if=ide,index=0,media=disk
                    -drive file="$LOG_DIR/$name.bench.img",format=raw,if=none,id=d1
                    -device nvme,serial=veneer-bench,drive=d1) ;;
        esac
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
    if [ $bus = nvme ]; then
        guest_disk "$LOG_DIR/crypt.img" "$PARAMS"   # boots from IDE, in the clear
    else
        crypt_guest_disk "$LOG_DIR/crypt.img" "$key" "$PARAMS"
    fi
    bare=$(run $bus-bare "" "$LOG_DIR/bare.img")
    plain=$(run $bus-plain "$LOG_DIR/plain.iso" "$LOG_DIR/plain.img")
    crypt=$(run $bus-crypt "$LOG_DIR/crypt-$bus.iso" "$LOG_DIR/crypt.img")
    for dir in write read; do
        b=$(field "$bare" $dir); p=$(field "$plain" $dir); c=$(field "$crypt" $dir)
        echo "BENCH disk $bus $dir ${MB}MiB: bare=${b:-?}MB/s veneer=${p:-?}MB/s ($(ratio "$b" "$p") of bare) veneer+xts=${c:-?}MB/s ($(ratio "$b" "$c") of bare)"
        echo "BENCH target disk (issue 23) $bus $dir: no rule >= 0.80x bare: $(ratio "$b" "$p") ($(met "$(ratio "$b" "$p")" 0.80)); encrypted >= 0.80x no rule: $(ratio "$p" "$c") ($(met "$(ratio "$p" "$c")" 0.80))"
    done
done
