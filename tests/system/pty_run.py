#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would:
logs everything it prints to LOG and runs STEPS in order. Exits 0 when
every step was done, 1 when a wait timed out (its regex is named on
stderr); the command is killed at the end if it still runs.

  pty_run.py LOG STEP... -- COMMAND [ARG...]

  wait:SECONDS:REGEX  until REGEX appears in the output (from the point
                      the previous wait matched)
  type:TEXT           types TEXT (\\n sends a return)
  end:SECONDS         keeps logging until the command exits or SECONDS pass
"""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    sep = args.index('--')
    log_path, steps, cmd = args[0], args[1:sep], args[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()
    mark = 0
    log = open(log_path, 'wb')
    alive = True

    def pump(timeout):
        nonlocal alive
        if not alive:
            time.sleep(min(timeout, 0.1))
            return
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if not data:
                alive = False
                return
            out.extend(data)
            log.write(data)
            log.flush()

    status = 0
    for step in steps:
        kind, _, rest = step.partition(':')
        if kind == 'wait':
            secs, _, regex = rest.partition(':')
            deadline = time.time() + float(secs)
            rx = re.compile(regex.encode())
            while True:
                m = rx.search(out, mark)
                if m:
                    mark = m.end()
                    break
                if time.time() > deadline or not alive:
                    print(f"pty_run: timed out waiting for /{regex}/",
                          file=sys.stderr)
                    status = 1
                    break
                pump(0.2)
            if status:
                break
        elif kind == 'type':
            text = rest.replace('\\n', '\r')
            for ch in text:
                os.write(fd, ch.encode())
                pump(0.05)
        elif kind == 'end':
            deadline = time.time() + float(rest)
            while alive and time.time() < deadline:
                pump(0.2)
    if alive:
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    sys.exit(status)


main()
