#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/acpi_fuzz.c into tests/fuzz/acpi-corpus
from the dumped tables (tests/data/acpi/<plat>/SIG@ADDR.dat) and the
iasl-compiled ASL cases (build/acpi/*.aml; run `make acpi-aml` first).
The first byte of each file is the fuzzer's mode (see acpi_fuzz.c)."""
import glob, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, 'acpi-corpus')
BASE = 0x10000
os.makedirs(OUT, exist_ok=True)


def put(name, data):
    open(os.path.join(OUT, name), 'wb').write(data)


def fix(t):
    t = bytearray(t)
    t[9] = 0
    t[9] = (-sum(t)) & 0xff
    return bytes(t)


def image(plat):
    """RSDP at the start, then the tables packed 16-byte aligned, pointers
    rewritten for a map at BASE."""
    tabs = {}
    for f in sorted(glob.glob(os.path.join(TOP, 'tests/data/acpi', plat, '*@*.dat'))):
        sig = os.path.basename(f)[:4]
        tabs[sig] = open(f, 'rb').read()
    out = bytearray(64)
    addr = {}
    for sig in [s for s in tabs if s not in ('RSDP', 'RSDT', 'XSDT')]:
        while len(out) % 16:
            out.append(0)
        addr[sig] = BASE + len(out)
        out += tabs[sig]
    fadt = bytearray(tabs['FACP'])
    off = addr['FACP'] - BASE
    struct.pack_into('<II', fadt, 36, addr.get('FACS', 0), addr['DSDT'])
    if len(fadt) >= 148:
        struct.pack_into('<QQ', fadt, 132, 0, addr['DSDT'])
    out[off:off + len(fadt)] = fix(fadt)
    entries = [a for s, a in addr.items() if s not in ('DSDT', 'FACS')]
    while len(out) % 16:
        out.append(0)
    xsdt_addr = BASE + len(out)
    hdr = bytearray((tabs.get('XSDT') or tabs['RSDT'])[:36])
    hdr[0:4] = b'XSDT'
    body = b''.join(struct.pack('<Q', a) for a in entries)
    struct.pack_into('<I', hdr, 4, 36 + len(body))
    out += fix(bytes(hdr) + body)
    rsdp = bytearray(36)
    rsdp[0:8] = b'RSD PTR '
    rsdp[9:15] = b'VENEER'
    rsdp[15] = 2
    struct.pack_into('<IIQ', rsdp, 16, 0, 36, xsdt_addr)
    rsdp[8] = (-sum(rsdp[:20])) & 0xff
    rsdp[32] = (-sum(rsdp)) & 0xff
    out[0:36] = rsdp
    return bytes(out)


for d in sorted(glob.glob(os.path.join(TOP, 'tests/data/acpi/*/'))):
    plat = os.path.basename(d.rstrip('/'))
    if not glob.glob(d + 'FACP@*.dat'):
        continue
    for f in sorted(glob.glob(d + '*@*.dat')):
        sig = os.path.basename(f)[:4]
        t = open(f, 'rb').read()
        if sig in ('DSDT', 'SSDT'):
            put('aml-%s-%s' % (plat, sig), b'\x00' + t[36:])
        elif sig not in ('RSDP', 'FACS'):
            put('table-%s-%s' % (plat, sig), b'\x01' + t)
    put('image-%s' % plat, b'\x02' + image(plat))
for f in sorted(glob.glob(os.path.join(TOP, 'build/acpi/*.aml'))):
    name = os.path.basename(f)[:-4]
    t = open(f, 'rb').read()
    if len(t) < 60000:
        put('aml-asl-%s' % name, b'\x00' + t[36:])
for f in sorted(glob.glob(os.path.join(TOP, 'build/acpi/tmpl/*.aml'))):
    put('table-iasl-template-%s' % os.path.basename(f)[:-4], b'\x01' + open(f, 'rb').read())
feat = os.path.join(TOP, 'build/acpi/features.aml')
ext = os.path.join(TOP, 'build/acpi/ssdt-ext.aml')
if os.path.exists(feat) and os.path.exists(ext):
    a, b = open(feat, 'rb').read()[36:], open(ext, 'rb').read()[36:]
    put('two-features-ext', b'\x03' + bytes([len(a) * 255 // (len(a) + len(b))]) + a + b)
print('corpus:', len(os.listdir(OUT)), 'files in', OUT)
