#!/usr/bin/env python3
"""Host side of the net-shell scenario (docs/network.md).

  net_client.py syslog PORT OUT MAX       receive UDP syslog on 127.0.0.1:PORT,
                                          one datagram a line into OUT, until
                                          MAX datagrams or TERM
  net_client.py shell PORT OUTDIR PASS    talk to the VMM's debug shell through
                                          the hostfwd at 127.0.0.1:PORT: a wrong
                                          password, then PASS, then status, exits,
                                          storage, log, an overlong line, quit;
                                          each answer into OUTDIR/<cmd>.txt
  net_client.py xfer HTTPPORT UPPORT OUT MB
                                          the guest's own network (netxfer check,
                                          docs/network.md): GET /down from the
                                          guest's httpd, then MB MiB of random
                                          bytes to the guest's nc on UPPORT; the
                                          sizes, hashes and seconds into OUT
  net_client.py hold PORT OUTDIR PASS     a shell session held open: status,
                                          then status again once OUTDIR/stop
                                          exists (at most 600 s), then quit
  net_client.py flood TCPPORT UDPPORT OUT garbage: UDP datagrams of random
                                          sizes (some fragmented) to UDPPORT and
                                          TCP sessions sending random bytes to
                                          TCPPORT; a fixed count, a count line
                                          into OUT

Every wait has a bound (a dead VMM ends the scenario, never hangs it); no
measurement of time is asserted anywhere.
"""
import os
import random
import socket
import sys
import time


def recv_until(s, marker, limit=30.0, count=1):
    buf = b""
    end = time.monotonic() + limit
    while buf.count(marker) < count:
        if time.monotonic() > end:
            raise TimeoutError("no %r after %r" % (marker, buf[-200:]))
        s.settimeout(max(0.1, end - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed after %r" % buf[-200:])
        buf += chunk
    return buf


def connect(port, limit=90.0):
    """The hostfwd accepts at once even while the VMM is not listening yet
    (slirp then resets): retry until the banner comes."""
    end = time.monotonic() + limit
    last = None
    while time.monotonic() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            banner = recv_until(s, b": ", 10.0)
            return s, banner
        except (OSError, TimeoutError, ConnectionError) as e:
            if last is None or str(e) != str(last):
                print("shell: retrying after: %s" % e)
            last = e
            time.sleep(1)
    raise SystemExit("shell: no banner on port %d: %s" % (port, last))


def shell(port, outdir, password):
    s, banner = connect(port)
    with open(os.path.join(outdir, "banner.txt"), "wb") as f:
        f.write(banner)
    s.sendall(b"not-the-password\r\n")
    out = recv_until(s, b"password: ")
    with open(os.path.join(outdir, "wrong.txt"), "wb") as f:
        f.write(out)
    s.sendall(password.encode() + b"\r\n")
    out = recv_until(s, b"veneer> ")
    with open(os.path.join(outdir, "authed.txt"), "wb") as f:
        f.write(out)
    # telnet negotiation bytes and an overlong line are ignored or refused
    cmds = [("status", b"status\r\n"), ("exits", b"\xff\xfb\x01exits\r\n"),
            ("storage", b"storage\r\n"), ("log", b"log\r\n"),
            ("long", b"x" * 300 + b"\r\n"), ("bogus", b"bogus\r\n"),
            ("help", b"help\n")]
    for name, line in cmds:
        s.sendall(line)
        out = recv_until(s, b"veneer> ")
        with open(os.path.join(outdir, name + ".txt"), "wb") as f:
            f.write(out)
    # pipelined: three commands in one segment, the first a long answer;
    # each answered in order, each followed by its prompt
    s.sendall(b"exits\r\nstatus\r\nhelp\r\n")
    out = recv_until(s, b"veneer> ", count=3)
    with open(os.path.join(outdir, "pipelined.txt"), "wb") as f:
        f.write(out)
    s.sendall(b"quit\r\n")
    out = recv_until(s, b"bye")
    with open(os.path.join(outdir, "quit.txt"), "wb") as f:
        f.write(out)
    s.close()
    print("shell: done")


def squat(port, out):
    """Holds the one session without a password: a second connection is
    refused meanwhile; the VMM ends the squatter's session by itself, and
    then the shell answers again."""
    lines = []
    s, banner = connect(port)
    lines.append("first: banner %r" % banner[-40:])
    try:
        s2 = socket.create_connection(("127.0.0.1", port), timeout=5)
        s2.settimeout(15)
        got = s2.recv(200)
        lines.append("second: %s" % ("banner" if b"Veneer" in got else "closed %r" % got))
        s2.close()
    except OSError as e:
        lines.append("second: closed (%s)" % e.__class__.__name__)
    try:
        out_b = recv_until(s, b"no password within", limit=120)
        lines.append("first: told %r" % out_b[-60:])
        s.settimeout(60)
        while s.recv(4096):
            pass
        lines.append("first: closed by the VMM")
    except (OSError, TimeoutError, ConnectionError) as e:
        lines.append("first: %s" % e)
    s.close()
    s3, banner = connect(port, limit=60)
    lines.append("third: %s" % ("banner" if b"Veneer" in banner or b"password" in banner else repr(banner)))
    s3.close()
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def login(port, outdir, password):
    s, banner = connect(port)
    s.sendall(password.encode() + b"\r\n")
    out = recv_until(s, b"veneer> ")
    with open(os.path.join(outdir, "authed.txt"), "wb") as f:
        f.write(banner + out)
    return s


def hold(port, outdir, password):
    s = login(port, outdir, password)
    s.sendall(b"status\r\n")
    with open(os.path.join(outdir, "status1.txt"), "wb") as f:
        f.write(recv_until(s, b"veneer> "))
    print("hold: status read, holding the session")
    sys.stdout.flush()
    end = time.monotonic() + 600
    while not os.path.exists(os.path.join(outdir, "stop")) and time.monotonic() < end:
        time.sleep(0.5)
    s.sendall(b"status\r\n")
    with open(os.path.join(outdir, "status2.txt"), "wb") as f:
        f.write(recv_until(s, b"veneer> "))
    s.sendall(b"quit\r\n")
    recv_until(s, b"bye")
    s.close()
    print("hold: done")


def xfer(http_port, up_port, out, mb):
    import hashlib
    import urllib.request
    lines = []
    t0 = time.monotonic()
    body = None
    for attempt in range(30):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/down" % http_port,
                                        timeout=300) as r:
                body = r.read()
            break
        except OSError as e:
            last = e
            time.sleep(2)
            t0 = time.monotonic()
    if body is None:
        raise SystemExit("xfer: no download: %s" % last)
    t1 = time.monotonic()
    lines.append("down %d bytes sha256 %s seconds %.3f" %
                 (len(body), hashlib.sha256(body).hexdigest(), t1 - t0))
    data = random.Random(2121).randbytes(mb << 20)
    for attempt in range(30):
        try:
            s = socket.create_connection(("127.0.0.1", up_port), timeout=60)
            t0 = time.monotonic()
            s.settimeout(300)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            s.close()
            break
        except OSError as e:
            last = e
            time.sleep(2)
    else:
        raise SystemExit("xfer: no upload: %s" % last)
    t1 = time.monotonic()
    lines.append("up %d bytes sha256 %s seconds %.3f" %
                 (len(data), hashlib.sha256(data).hexdigest(), t1 - t0))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def syslog(port, out, maxn):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    n = 0
    with open(out, "ab", buffering=0) as f:
        while n < maxn:
            data, _ = u.recvfrom(4096)
            f.write(data.replace(b"\n", b" ") + b"\n")
            n += 1


def flood(tcp_port, udp_port, out):
    rnd = random.Random(21)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp = 0
    for i in range(1500):
        size = rnd.choice([0, 1, 7, 64, 512, 1400, 1472, 1473, 3000, 8000])
        u.sendto(bytes(rnd.getrandbits(8) for _ in range(size)),
                 ("127.0.0.1", udp_port))
        udp += 1
        if i % 100 == 99:
            time.sleep(0.05)  # slirp's queue is bounded: let it drain
    tcp = 0
    for i in range(200):
        try:
            s = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.choice([1, 200, 2000]))))
            if i % 5 == 0:
                s.sendall(b"\xff" * 500 + b"\r\n" * 50)
            s.close()
            tcp += 1
        except OSError:
            pass
    with open(out, "w") as f:
        f.write("flood: %d udp datagrams, %d tcp sessions\n" % (udp, tcp))
    print("flood: %d udp datagrams, %d tcp sessions" % (udp, tcp))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "shell":
        shell(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "syslog":
        syslog(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif cmd == "xfer":
        xfer(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif cmd == "hold":
        hold(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "squat":
        squat(int(sys.argv[2]), sys.argv[3])
    elif cmd == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit("unknown command " + cmd)
