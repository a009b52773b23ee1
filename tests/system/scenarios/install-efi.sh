#!/bin/bash
# timeout: 60
# make install-efi's script (tools/install-efi.sh, docs/uefi.md) on a
# directory standing for a mounted ESP, with a stand-in efibootmgr first in
# PATH that keeps its boot entries in a file and prints them as efibootmgr
# 17 does ("Boot0004* Veneer") or as 18 does (a tab and the device path
# after the label), so that the script's calls and its parsing of the
# listing are checked without touching this machine's firmware: the files
# copied, the option line written, the entry created for the right disk,
# partition and loader path, and --remove deleting both the files and
# exactly the "Veneer" entry (not "Veneer2", not the OS's).
. "$(dirname "$0")/../lib.sh"
bin=$LOG_DIR/bin esp=$LOG_DIR/esp state=$LOG_DIR/entries calls=$LOG_DIR/calls
mkdir -p "$bin" "$esp/EFI/debian"
cat >"$bin/efibootmgr" <<'FAKE'
#!/bin/bash
# a stand-in for efibootmgr: entries "NUM LABEL" in $EFI_STATE
echo "efibootmgr $*" >>"$EFI_CALLS"
num="" label="" create=0 delete=0
while [ $# -gt 0 ]; do
    case $1 in
        -c) create=1 ;; -B) delete=1 ;; -q) ;;
        -b) num=$2; shift ;; -L) label=$2; shift ;;
        -d|-p|-l) shift ;;
    esac
    shift
done
if [ $create = 1 ]; then
    n=$(printf '%04X' $(( $(wc -l <"$EFI_STATE") + 3 )))
    echo "$n $label" >>"$EFI_STATE"; exit 0
fi
if [ $delete = 1 ]; then
    grep -q "^$num " "$EFI_STATE" || { echo "Boot$num not found" >&2; exit 1; }
    grep -v "^$num " "$EFI_STATE" >"$EFI_STATE.new"; mv "$EFI_STATE.new" "$EFI_STATE"; exit 0
fi
echo "BootCurrent: 0001"
while read -r n l; do
    if [ "${EFI_V18:-0}" = 1 ]; then
        printf 'Boot%s* %s\tHD(1,GPT,0f0e,0x800,0x100000)/File(\\EFI\\%s.efi)\n' "$n" "$l" "$l"
    else
        printf 'Boot%s* %s\n' "$n" "$l"
    fi
done <"$EFI_STATE"
FAKE
chmod +x "$bin/efibootmgr"
export EFI_STATE=$state EFI_CALLS=$calls PATH=$bin:$PATH

for v18 in 0 1; do
    printf '0001 debian\n0002 Veneer2\n' >"$state"; : >"$calls"
    rm -rf "$esp/EFI/veneer"
    export EFI_V18=$v18
    "$ROOT/tools/install-efi.sh" "$esp" "vmm.crypt=nvme@00:03.0/all/k0 vmm.key=prompt" \
        --bootentry /dev/nvme9n1 1 >"$LOG_DIR/install$v18.serial" 2>&1
    cp "$calls" "$LOG_DIR/calls$v18.serial"
    for f in veneer.efi veneer.elf; do
        if cmp -s "$ROOT/build/$f" "$esp/EFI/veneer/$f"; then
            echo "ok   v18=$v18: $f copied to the ESP"
        else
            echo "FAIL v18=$v18: $f not on the ESP"; FAILS=$((FAILS + 1))
        fi
    done
    cp "$esp/EFI/veneer/veneer.cfg" "$LOG_DIR/cfg$v18.serial"
    expect "cfg$v18" "^vmm.crypt=nvme@00:03.0/all/k0 vmm.key=prompt$" "v18=$v18: veneer.cfg holds the option line"
    expect "calls$v18" "^efibootmgr -q -c -d /dev/nvme9n1 -p 1 -L Veneer -l \\\\EFI\\\\veneer\\\\veneer.efi$" "v18=$v18: the entry created for that disk, partition and loader"
    expect "install$v18" "boot entry Veneer added first in BootOrder" "v18=$v18: says so"
    "$ROOT/tools/install-efi.sh" --remove "$esp" >"$LOG_DIR/remove$v18.serial" 2>&1
    cp "$calls" "$LOG_DIR/calls$v18.serial"
    expect "calls$v18" "^efibootmgr -q -b 0005 -B$" "v18=$v18: --remove deletes the Veneer entry (Boot0005)"
    expect "remove$v18" "removed .*/EFI/veneer and boot entry Boot0005" "v18=$v18: says which"
    cp "$state" "$LOG_DIR/state$v18.serial"
    expect "state$v18" "^0001 debian$" "v18=$v18: the OS's entry kept"
    expect "state$v18" "^0002 Veneer2$" "v18=$v18: an entry merely starting with Veneer kept"
    expect_not "state$v18" " Veneer$" "v18=$v18: no Veneer entry left"
    if [ -e "$esp/EFI/veneer" ]; then
        echo "FAIL v18=$v18: $esp/EFI/veneer still there"; FAILS=$((FAILS + 1))
    fi
done
finish
