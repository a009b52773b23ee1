#!/usr/bin/env python3
"""Writes a well-formed multiboot2 information structure (command line,
loader name, a memory map, a module, an old RSDP, the end tag) as the
seed of multiboot2-fuzz: argv[1] is the output file."""
import struct
import sys


def tag(kind, body):
    t = struct.pack('<II', kind, 8 + len(body)) + body
    return t + b'\0' * (-len(t) % 8)


mmap = struct.pack('<II', 24, 0) + b''.join(
    struct.pack('<QQII', base, length, kind, 0)
    for base, length, kind in ((0, 0x9fc00, 1), (0x9fc00, 0x400, 2),
                               (0x100000, 0x3fee0000, 1), (0xfffc0000, 0x40000, 2)))
tags = (tag(1, b'vmm.loglevel=debug vmm.mem=64M\0') + tag(2, b'GRUB 2.06\0') +
        tag(3, struct.pack('<II', 0x200000, 0x201000) + b'veneer.key\0') +
        tag(6, mmap) + tag(14, b'RSD PTR ' + bytes(12)) + tag(0, b''))
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<II', 8 + len(tags), 0) + tags)
