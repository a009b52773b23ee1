#!/usr/bin/env python3
"""Drives a QEMU started with its serial port and monitor on Unix sockets
(servers): logs everything the serial port prints to LOG, and runs STEPS in
order, as a person at the machine would. Exits 0 when every step was done,
1 when a wait timed out (its regex is named on stderr).

  qemu_console.py SERIAL_SOCK MONITOR_SOCK LOG STEP...

  wait:SECONDS:REGEX  until REGEX appears in the serial output (from the
                      point the previous wait matched)
  serial:TEXT         types TEXT on the serial line (\\n sends a return)
  keys:TEXT           types TEXT on the PS/2 keyboard (monitor sendkey;
                      \\n sends a return)
  vga:FILE            writes the VGA text screen (0xb8000) to FILE as text
  pmem:ADDR:LEN:FILE  writes LEN bytes of guest-physical memory at ADDR
                      (hex or decimal) to FILE
  wake:SECONDS        until the monitor's `info status` says suspended
                      (S3), then `system_wakeup`
  end:SECONDS         keeps logging until QEMU exits or SECONDS pass
"""
import os
import re
import socket
import sys
import time

KEYNAMES = {' ': 'spc', '\n': 'ret', '-': 'minus', '=': 'equal', '.': 'dot',
            ',': 'comma', '/': 'slash', ';': 'semicolon'}


def connect(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.setblocking(False)
            return s
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


class Console:
    def __init__(self, serial, monitor, log):
        deadline = time.time() + 30
        self.serial = connect(serial, deadline)
        self.monitor = connect(monitor, deadline)
        self.log = open(log, 'ab', buffering=0)
        self.text = b''
        self.pos = 0
        self.alive = True

    def pump(self, seconds, monitor=True):
        end = time.time() + seconds
        while time.time() < end and self.alive:
            try:
                data = self.serial.recv(65536)
                if not data:
                    self.alive = False
                    break
                self.log.write(data)
                self.text += data
            except BlockingIOError:
                time.sleep(0.02)
            if monitor:
                self.drain_monitor()

    def drain_monitor(self):
        try:
            while self.monitor.recv(65536):
                pass
        except (BlockingIOError, OSError):
            pass

    def wait(self, seconds, regex):
        end = time.time() + seconds
        pat = re.compile(regex.encode())
        while True:
            m = pat.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return True
            if time.time() > end or not self.alive:
                return False
            self.pump(0.2)

    def monitor_cmd(self, cmd):
        self.monitor.sendall(cmd.encode() + b'\n')
        self.pump(0.15)

    def monitor_query(self, cmd):
        self.drain_monitor()
        self.monitor.sendall(cmd.encode() + b'\n')
        out = b''
        end = time.time() + 1
        while time.time() < end:
            try:
                data = self.monitor.recv(65536)
                if not data:
                    break
                out += data
            except BlockingIOError:
                self.pump(0.05, monitor=False)
        return out

    def wake(self, seconds):
        end = time.time() + seconds
        while time.time() < end and self.alive:
            if b'suspended' in self.monitor_query('info status'):
                self.monitor_cmd('system_wakeup')
                return True
            self.pump(1)
        return False

    def keys(self, text):
        for c in text:
            if c.isupper():
                name = 'shift-' + c.lower()
            else:
                name = KEYNAMES.get(c, c)
            self.monitor_cmd('sendkey ' + name)

    def pmem(self, addr, length, path, seconds=60):
        if os.path.exists(path):
            os.unlink(path)
        self.monitor_cmd('pmemsave %d %d "%s"' % (addr, length, path))
        for _ in range(int(seconds * 10)):
            if os.path.exists(path) and os.path.getsize(path) == length:
                return True
            self.pump(0.1)
        return False

    def vga(self, path):
        raw = path + '.raw'
        self.pmem(0xb8000, 4000, raw, 5)
        data = open(raw, 'rb').read()
        rows = [bytes(data[r * 160:(r + 1) * 160:2]).decode('latin-1').rstrip()
                for r in range(25)]
        open(path, 'w').write('\n'.join(rows) + '\n')
        os.unlink(raw)


def main():
    con = Console(sys.argv[1], sys.argv[2], sys.argv[3])
    for step in sys.argv[4:]:
        kind, _, arg = step.partition(':')
        arg = arg.replace('\\n', '\n')
        if kind == 'wait':
            secs, _, regex = arg.partition(':')
            if not con.wait(float(secs), regex):
                print('qemu_console: timed out waiting for /%s/' % regex,
                      file=sys.stderr)
                con.pump(1)
                return 1
        elif kind == 'serial':
            con.serial.sendall(arg.replace('\n', '\r').encode())
        elif kind == 'keys':
            con.keys(arg)
        elif kind == 'vga':
            con.vga(arg)
        elif kind == 'pmem':
            addr, length, path = arg.split(':', 2)
            if not con.pmem(int(addr, 0), int(length, 0), path):
                print('qemu_console: pmemsave %s to %s did not finish' % (addr, path),
                      file=sys.stderr)
                return 1
        elif kind == 'wake':
            if not con.wake(float(arg)):
                print('qemu_console: QEMU never entered S3', file=sys.stderr)
                con.pump(1)
                return 1
        elif kind == 'end':
            con.pump(float(arg))
        else:
            print('qemu_console: unknown step %r' % step, file=sys.stderr)
            return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
