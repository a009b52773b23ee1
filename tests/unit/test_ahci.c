/* The AHCI mediator's pure parts (devices/storage/ahci/ahci_cmd.c): the command FIS
 * decode (LBA28, LBA48, NCQ with its count in the features and its tag in
 * the count, control FIS, refused forms) and the PRDT walk on a fake
 * guest memory, with each malformed entry the mediator must refuse, and
 * the shadow PRDT over a bounce buffer. */
#include "check.h"
#include <devices/storage/ahci/ahci_cmd.h>
#include <stdlib.h>
#include <string.h>

/* ---- the command FIS ---------------------------------------------------- */

static void fis(u8 *f, u8 cmd, u64 lba, u16 count, u16 features)
{
    memset(f, 0, 64);
    f[0] = SATA_FIS_REG_H2D;
    f[1] = SATA_FIS_H2D_C;
    f[2] = cmd;
    f[3] = (u8)features;
    f[4] = (u8)lba;
    f[5] = (u8)(lba >> 8);
    f[6] = (u8)(lba >> 16);
    f[7] = (u8)(0x40 | ((lba >> 24) & 0x0f));
    f[8] = (u8)(lba >> 24);
    f[9] = (u8)(lba >> 32);
    f[10] = (u8)(lba >> 40);
    f[11] = (u8)(features >> 8);
    f[12] = (u8)count;
    f[13] = (u8)(count >> 8);
}

static void test_decode(void)
{
    u8 f[64];
    struct ahci_ata_cmd c;

    /* READ DMA EXT as SeaBIOS sends it */
    fis(f, 0x25, 0x123456789aULL, 8, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_READ);
    CHECK_EQ(c.lba, 0x123456789aULL);
    CHECK_EQ(c.sectors, 8);
    CHECK(!c.ncq);
    CHECK_STR(c.name, "READ DMA EXT");
    /* LBA48 count 0 is 65536 */
    fis(f, 0x35, 2048, 0, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_WRITE);
    CHECK_EQ(c.sectors, 65536);
    /* LBA28: bits 27:24 in the device byte, count 0 is 256 */
    fis(f, 0xc8, 0x0abcdef1, 0, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.lba, 0x0abcdef1);
    CHECK_EQ(c.sectors, 256);
    /* NCQ: the count in the features, the tag in count 7:3 */
    fis(f, 0x60, 4096, 17 << 3, 0x0102);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_READ);
    CHECK(c.ncq);
    CHECK_EQ(c.tag, 17);
    CHECK_EQ(c.sectors, 0x0102);
    CHECK_EQ(c.lba, 4096);
    fis(f, 0x61, 1, 3 << 3, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_WRITE);
    CHECK_EQ(c.sectors, 65536);
    CHECK_STR(c.name, "WRITE FPDMA QUEUED");
    /* no media data: passed */
    static const u8 pass[] = { 0xec, 0xe7, 0xea, 0xef, 0x2f, 0x06, 0xa0, 0xf8 };
    for (size_t i = 0; i < sizeof(pass); i++) {
        fis(f, pass[i], 0, 1, 0);
        ahci_decode_cfis(f, 5, &c);
        CHECK_EQ(c.xfer, AHCI_XFER_NONE);
    }
    /* unshadowed media commands: refused */
    static const u8 refuse[] = { 0x22, 0x32, 0x26, 0x36, 0xc7, 0xcc, 0x2a, 0x3b };
    for (size_t i = 0; i < sizeof(refuse); i++) {
        fis(f, refuse[i], 0, 1, 0);
        ahci_decode_cfis(f, 5, &c);
        CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
        CHECK_EQ(c.opcode, refuse[i]);
        CHECK(!c.bad_fis);
    }
    /* LBA28 with the LBA bit clear: a CHS address, refused */
    fis(f, 0xca, 0x111, 8, 0);
    f[7] = 0xa0;
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
    CHECK(c.chs);
    fis(f, 0xca, 0x111, 8, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK(!c.chs);
    CHECK_EQ(c.xfer, AHCI_XFER_WRITE);
    /* firmware download: refused */
    fis(f, 0x92, 0, 1, 7);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
    fis(f, 0x93, 0, 1, 7);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
    /* TRIM and SCT: no media data, but the device writes media */
    fis(f, 0x06, 0, 1, 1);
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_NONE);
    CHECK(c.unciphered);
    fis(f, 0x57, 0xe0, 1, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK(c.unciphered);
    fis(f, 0x57, 0x30, 1, 0); /* another log: passed */
    ahci_decode_cfis(f, 5, &c);
    CHECK(!c.unciphered);
    fis(f, 0xb0, 0xe0, 1, 0xd6);
    ahci_decode_cfis(f, 5, &c);
    CHECK(c.unciphered);
    fis(f, 0xb0, 0xe0, 1, 0xd5); /* SMART READ LOG: passed */
    ahci_decode_cfis(f, 5, &c);
    CHECK(!c.unciphered);
    fis(f, 0xec, 0, 1, 0);
    ahci_decode_cfis(f, 5, &c);
    CHECK(!c.unciphered);
    /* a control FIS (C clear: SRST) passes */
    fis(f, 0, 0, 0, 0);
    f[1] = 0;
    f[15] = 0x04;
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_NONE);
    CHECK_STR(c.name, "control FIS");
    /* another FIS type, or a CFL out of range: refused */
    fis(f, 0x25, 0, 1, 0);
    f[0] = 0x46;
    ahci_decode_cfis(f, 5, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
    fis(f, 0x25, 0, 1, 0);
    CHECK(c.bad_fis);
    ahci_decode_cfis(f, 4, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
    CHECK(c.bad_fis);
    ahci_decode_cfis(f, 17, &c);
    CHECK_EQ(c.xfer, AHCI_XFER_REFUSE);
}

/* ---- the PRDT walk ------------------------------------------------------ */

/* Fake guest memory: 1 MiB of RAM at 0, a "VMM region" at 0x80000-0x8ffff
 * that is not RAM. */
#define RAM (1u << 20)
static u8 *ram;

static bool fake_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    if (!len || gpa + len < gpa || gpa + len > RAM)
        return false;
    return gpa + len <= 0x80000 || gpa >= 0x90000;
}

static int fake_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    if (!fake_ok(ctx, gpa, len))
        return -E_FAULT;
    memcpy(buf, ram + gpa, len);
    return 0;
}

static const struct ahci_mem_ops fake = { fake_read, fake_ok, NULL };

static void entry(u64 table, unsigned i, u64 addr, u32 count)
{
    struct ahci_prd p = { (u32)addr, (u32)(addr >> 32), 0, count - 1 };
    memcpy(ram + table + i * sizeof(p), &p, sizeof(p));
}

static struct ahci_prdt_walk w;

static void test_walk_good(void)
{
    entry(0x1000, 0, 0x20000, 0x1000);
    entry(0x1000, 1, 0x30000, 0x200);
    CHECK_EQ(ahci_prdt_walk(0x1000, 2, true, &fake, &w), 0);
    CHECK_EQ(w.n, 2);
    CHECK_EQ(w.bytes, 0x1200);
    CHECK_EQ(w.r[0].addr, 0x20000);
    CHECK_EQ(w.r[1].len, 0x200);
    /* no entries: a command without data */
    CHECK_EQ(ahci_prdt_walk(0x1000, 0, true, &fake, &w), 0);
    CHECK_EQ(w.n, 0);
    /* a 4 MiB entry (DBC 0x3fffff) is the largest: it is outside our RAM */
    entry(0x1000, 0, 0, AHCI_PRD_MAX_BYTES);
    CHECK_EQ(ahci_prdt_walk(0x1000, 1, true, &fake, &w), -E_INVAL);
    CHECK_EQ(w.error, AHCI_ERR_OUTSIDE);
}

static void expect_refusal(u64 table, unsigned n, bool addr64, enum ahci_error e,
                           unsigned bad)
{
    CHECK_EQ(ahci_prdt_walk(table, n, addr64, &fake, &w), -E_INVAL);
    CHECK_EQ(w.error, e);
    CHECK_EQ(w.bad, bad);
}

static void test_walk_refusals(void)
{
    /* in the VMM region, at the second entry */
    entry(0x1000, 0, 0x20000, 0x1000);
    entry(0x1000, 1, 0x80000, 0x1000);
    expect_refusal(0x1000, 2, true, AHCI_ERR_OUTSIDE, 1);
    CHECK_EQ(w.bad_entry.dba, 0x80000);
    /* straddling into it */
    entry(0x1000, 0, 0x7f000, 0x2000);
    expect_refusal(0x1000, 1, true, AHCI_ERR_OUTSIDE, 0);
    /* outside RAM */
    entry(0x1000, 0, 0x80000000ULL, 0x1000);
    expect_refusal(0x1000, 1, true, AHCI_ERR_OUTSIDE, 0);
    /* wrapping past 2^64 */
    entry(0x1000, 0, 0xfffffffffffff000ULL, 0x2000);
    expect_refusal(0x1000, 1, true, AHCI_ERR_WRAP, 0);
    /* past 4 GiB on a 32-bit HBA, and a high dword there */
    entry(0x1000, 0, 0xfffff000ULL, 0x2000);
    expect_refusal(0x1000, 1, false, AHCI_ERR_WRAP, 0);
    entry(0x1000, 0, 0x100000000ULL, 0x1000);
    expect_refusal(0x1000, 1, false, AHCI_ERR_WRAP, 0);
    /* odd address, odd count */
    entry(0x1000, 0, 0x20001, 0x1000);
    expect_refusal(0x1000, 1, true, AHCI_ERR_ODD, 0);
    entry(0x1000, 0, 0x20000, 0x201);
    expect_refusal(0x1000, 1, true, AHCI_ERR_ODD, 0);
    /* too many entries */
    expect_refusal(0x1000, AHCI_PRDT_MAX + 1, true, AHCI_ERR_TOO_MANY, AHCI_PRDT_MAX);
    /* the PRDT itself in the VMM region, or running into it */
    expect_refusal(0x80000, 1, true, AHCI_ERR_TABLE_OUTSIDE, 0);
    expect_refusal(0x7fff0, 2, true, AHCI_ERR_TABLE_OUTSIDE, 0);
    /* the good entries before a bad one are not kept as valid */
    entry(0x1000, 0, 0x20000, 0x1000);
    entry(0x1000, 1, 0x20001, 0x1000);
    expect_refusal(0x1000, 2, true, AHCI_ERR_ODD, 1);
    for (unsigned e = 0; e < AHCI_ERR_COUNT; e++)
        CHECK(ahci_error_name((enum ahci_error)e) != NULL &&
              ahci_error_name((enum ahci_error)e)[0] != '?');
}

static void test_build(void)
{
    struct ahci_prd out[4];

    CHECK_EQ(ahci_prdt_build(0x12340000, 0x1000, out, 4), 1);
    CHECK_EQ(out[0].dba, 0x12340000);
    CHECK_EQ(out[0].dbc, 0xfff);
    /* 4 MiB per entry at most, 64-bit addresses kept */
    CHECK_EQ(ahci_prdt_build(0x100000000ULL, (9u << 20), out, 4), 3);
    CHECK_EQ(out[0].dbau, 1);
    CHECK_EQ(out[0].dbc, AHCI_PRD_DBC_MASK);
    CHECK_EQ(out[1].dba, 0x400000);
    CHECK_EQ(out[2].dbc, (1u << 20) - 1);
    /* does not fit */
    CHECK_EQ(ahci_prdt_build(0, 17u << 20, out, 4), 0);
    /* a built PRDT walks back to the same buffer */
    ram = calloc(1, RAM);
    struct ahci_prd *t = (struct ahci_prd *)(ram + 0x2000);
    CHECK_EQ(ahci_prdt_build(0x40000, 0x3000, t, 4), 1);
    CHECK_EQ(ahci_prdt_walk(0x2000, 1, false, &fake, &w), 0);
    CHECK_EQ(w.bytes, 0x3000);
    CHECK_EQ(w.r[0].addr, 0x40000);
}

/* QEMU q35's map with SeaBIOS: its AHCI structures sit in the reserved
 * range right after the last usable RAM below 4 GiB. */
static void test_identify(void)
{
    u16 w[256] = { 0 };

    CHECK_EQ(ahci_identify_sector_size(w), 512);   /* word 106 not valid */
    w[106] = 0x4000;
    CHECK_EQ(ahci_identify_sector_size(w), 512);   /* valid, bit 12 clear */
    w[106] = 0x5000;
    w[117] = 2048;                                 /* 4096 bytes in words */
    CHECK_EQ(ahci_identify_sector_size(w), 4096);
    w[106] = 0xd000;                               /* bit 15 set: invalid */
    CHECK_EQ(ahci_identify_sector_size(w), 512);
}

int main(void)
{
    test_identify();
    test_decode();
    test_build();
    test_walk_good();
    test_walk_refusals();
    free(ram);
    return check_done("ahci");
}
