# A Tang server for the scenarios (source after lib.sh): Debian's tangd
# behind socat on 127.0.0.1 only; QEMU's user networking takes the VMM's
# connection to 10.0.2.2:PORT there.
#
#   tang_keys DIR                  new server keys (tangd-keygen) in DIR
#   tang_start NAME DIR PORT       tangd with DIR's keys on 127.0.0.1:PORT
#   tang_stop NAME                 stops it (the listener and its children)
#   tang_bind NAME PORT KEY OUT    clevis encrypt tang of KEY (64 bytes) for
#                                  http://10.0.2.2:PORT, the advertisement
#                                  fetched from the running server NAME
TANGD=${TANGD:-/usr/libexec/tangd}

tang_keys() {
    mkdir -p "$1"
    /usr/libexec/tangd-keygen "$1" >/dev/null 2>&1 || {
        echo "FAIL tang_keys: tangd-keygen failed (apt-get install tang)"; exit 1; }
}

tang_start() {
    local name=$1 dir=$2 port=$3
    note "tang $name: tangd $dir on 127.0.0.1:$port"
    socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork \
        EXEC:"$TANGD $dir" >"$LOG_DIR/$name.tang.log" 2>&1 </dev/null &
    PIDS[$name]=$!
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$port/adv" >"$LOG_DIR/$name.adv.jws" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "FAIL tang_start: tangd on 127.0.0.1:$port does not answer"; exit 1
}

tang_stop() {
    local pid=${PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    pkill -P "$pid" 2>/dev/null
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "PIDS[$1]"
}

tang_bind() {
    local name=$1 port=$2 key=$3 out=$4
    clevis encrypt tang "{\"url\":\"http://10.0.2.2:$port\",\"adv\":\"$LOG_DIR/$name.adv.jws\"}" \
        <"$key" >"$out" 2>"$out.log" || {
        echo "FAIL tang_bind: clevis encrypt tang failed:"; cat "$out.log"; exit 1; }
}
