#!/usr/bin/env python3
"""Runs human-monitor commands on a QEMU whose monitor is a Unix socket
(server) and writes what they print to OUT. Used when a scenario gives up
waiting, so that its log says where each CPU was.

  qemu_monitor.py SOCK OUT COMMAND...

Exits 1 when the socket cannot be reached within 5 s.
"""
import socket
import sys
import time


def drain(s, quiet):
    """Reads until the monitor has been silent for QUIET seconds."""
    out = b''
    last = time.time()
    while time.time() - last < quiet:
        try:
            data = s.recv(65536)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        if not data:
            break
        out += data
        last = time.time()
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, outpath, cmds = sys.argv[1], sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.time() + 5
    while True:
        try:
            s.connect(path)
            break
        except OSError as e:
            if time.time() > deadline:
                print('qemu_monitor: %s: %s' % (path, e), file=sys.stderr)
                sys.exit(1)
            time.sleep(0.1)
    s.setblocking(False)
    drain(s, 0.5)  # the banner
    with open(outpath, 'wb') as out:
        for cmd in cmds:
            s.sendall(cmd.encode() + b'\n')
            out.write(drain(s, 1.0).replace(b'\r', b''))
    s.close()


if __name__ == '__main__':
    main()
