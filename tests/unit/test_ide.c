/* The IDE mediator's pure parts (devices/storage/ide/ide_prd.c): the task file shadow
 * and the command decode (LBA28, LBA48 through the HOB bytes, CHS through
 * the drive's geometry), IDENTIFY data, and the PRD walk on a fake guest
 * memory, with each malformed table the mediator must refuse. */
#include "check.h"
#include <devices/storage/ide/ide_prd.h>
#include <stdlib.h>

/* ---- task file ----------------------------------------------------------- */

static void tf_lba28(struct ata_taskfile *tf, u8 cmd, u32 lba, u8 count, u8 drive)
{
    ata_tf_write(tf, ATA_REG_COUNT, count);
    ata_tf_write(tf, ATA_REG_LBA_LO, (u8)lba);
    ata_tf_write(tf, ATA_REG_LBA_MID, (u8)(lba >> 8));
    ata_tf_write(tf, ATA_REG_LBA_HI, (u8)(lba >> 16));
    ata_tf_write(tf, ATA_REG_DEVICE, (u8)(0xa0 | ATA_DEV_LBA | drive << 4 | ((lba >> 24) & 0xf)));
    tf->command = cmd;
}

static void test_lba28(void)
{
    struct ata_taskfile tf = { 0 };
    struct ata_cmd c;

    tf_lba28(&tf, 0x20, 0x0abcdef1, 8, 1);
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK_EQ(c.xfer, ATA_XFER_PIO_IN);
    CHECK_EQ(c.lba, 0x0abcdef1);
    CHECK_EQ(c.sectors, 8);
    CHECK_EQ(c.drive, 1);
    CHECK(!c.lba48);
    CHECK_STR(c.name, "READ SECTORS");
    /* count 0 is 256 sectors */
    tf_lba28(&tf, 0xca, 2048, 0, 0);
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK_EQ(c.xfer, ATA_XFER_DMA_OUT);
    CHECK_EQ(c.sectors, 256);
    CHECK_EQ(c.lba, 2048);
    CHECK_EQ(c.drive, 0);
    /* what SeaBIOS and Linux send */
    static const struct { u8 op; enum ata_xfer x; } ops[] = {
        { 0x30, ATA_XFER_PIO_OUT }, { 0xc4, ATA_XFER_PIO_IN },
        { 0xc5, ATA_XFER_PIO_OUT }, { 0xc8, ATA_XFER_DMA_IN },
        { 0xec, ATA_XFER_NONE }, { 0xa0, ATA_XFER_NONE }, { 0xef, ATA_XFER_NONE },
        { 0x32, ATA_XFER_REFUSE }, { 0xcc, ATA_XFER_REFUSE },
        { 0x92, ATA_XFER_REFUSE }, { 0x93, ATA_XFER_REFUSE },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        tf.command = ops[i].op;
        CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
        CHECK_EQ(c.xfer, ops[i].x);
        CHECK(!c.unciphered);
    }
    /* TRIM and SCT writes: no media data, but the device writes media */
    tf.command = 0x06;
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK(c.unciphered);
    CHECK_EQ(c.xfer, ATA_XFER_NONE);
    tf.command = 0x57;
    tf.lba_lo[0] = 0xe0;
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK(c.unciphered);
    tf.command = 0xb0;
    tf.feature[0] = 0xd6;
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK(c.unciphered);
    tf.feature[0] = 0xd5; /* SMART READ LOG */
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK(!c.unciphered);
    tf.command = 0x3f;
    tf.lba_lo[0] = 0x30; /* another log */
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK(!c.unciphered);
}

static void test_lba48(void)
{
    struct ata_taskfile tf = { 0 };
    struct ata_cmd c;

    /* Linux's order: the HOB bytes first, then the low ones (ACS 7.1) */
    ata_tf_write(&tf, ATA_REG_COUNT, 0x01);
    ata_tf_write(&tf, ATA_REG_LBA_LO, 0x44);
    ata_tf_write(&tf, ATA_REG_LBA_MID, 0x55);
    ata_tf_write(&tf, ATA_REG_LBA_HI, 0x66);
    ata_tf_write(&tf, ATA_REG_COUNT, 0x02);
    ata_tf_write(&tf, ATA_REG_LBA_LO, 0x11);
    ata_tf_write(&tf, ATA_REG_LBA_MID, 0x22);
    ata_tf_write(&tf, ATA_REG_LBA_HI, 0x33);
    ata_tf_write(&tf, ATA_REG_DEVICE, 0x40);
    tf.command = 0x25;
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK_EQ(c.xfer, ATA_XFER_DMA_IN);
    CHECK(c.lba48);
    CHECK_EQ(c.lba, 0x665544332211ull);
    CHECK_EQ(c.sectors, 0x0102);
    /* count 0:0 is 65536 */
    ata_tf_write(&tf, ATA_REG_COUNT, 0);
    ata_tf_write(&tf, ATA_REG_COUNT, 0);
    tf.command = 0x34;
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK_EQ(c.sectors, 65536);
    CHECK_EQ(c.xfer, ATA_XFER_PIO_OUT);
    /* the device register's low nibble is no LBA48 address bit */
    ata_tf_write(&tf, ATA_REG_DEVICE, 0x4f);
    CHECK_EQ(ata_decode(&tf, NULL, &c), 0);
    CHECK_EQ(c.lba, 0x665544332211ull);
}

static void test_chs(void)
{
    /* Bochs' BIOS addresses a small disk by CHS: 16 heads, 63 sectors */
    struct ata_geometry g = { 30, 16, 63 };
    struct ata_taskfile tf = { 0 };
    struct ata_cmd c;

    ata_tf_write(&tf, ATA_REG_COUNT, 1);
    ata_tf_write(&tf, ATA_REG_LBA_LO, 1);   /* sector 1 */
    ata_tf_write(&tf, ATA_REG_LBA_MID, 0);  /* cylinder 0 */
    ata_tf_write(&tf, ATA_REG_LBA_HI, 0);
    ata_tf_write(&tf, ATA_REG_DEVICE, 0xa0);
    tf.command = 0x20;
    CHECK_EQ(ata_decode(&tf, &g, &c), 0);
    CHECK_EQ(c.lba, 0);
    /* C 2 H 5 S 7: (2 * 16 + 5) * 63 + 6 */
    ata_tf_write(&tf, ATA_REG_LBA_LO, 7);
    ata_tf_write(&tf, ATA_REG_LBA_MID, 2);
    ata_tf_write(&tf, ATA_REG_DEVICE, 0xb5);
    CHECK_EQ(ata_decode(&tf, &g, &c), 0);
    CHECK_EQ(c.lba, (2 * 16 + 5) * 63 + 6);
    CHECK_EQ(c.drive, 1);
    /* sector 0, a sector or head beyond the geometry, no geometry */
    ata_tf_write(&tf, ATA_REG_LBA_LO, 0);
    CHECK_EQ(ata_decode(&tf, &g, &c), -E_INVAL);
    CHECK_EQ(c.xfer, ATA_XFER_PIO_IN);
    ata_tf_write(&tf, ATA_REG_LBA_LO, 64);
    CHECK_EQ(ata_decode(&tf, &g, &c), -E_INVAL);
    ata_tf_write(&tf, ATA_REG_LBA_LO, 1);
    CHECK_EQ(ata_decode(&tf, NULL, &c), -E_INVAL);
    g.heads = 4;
    CHECK_EQ(ata_decode(&tf, &g, &c), -E_INVAL);
}

static void test_identify(void)
{
    u16 w[256] = { 0 };
    struct ata_identity id;

    /* a 15 MiB disk as QEMU describes it: 30720 sectors, C/H/S 30/16/63 */
    w[0] = 0x0040;
    w[1] = 30; w[3] = 16; w[6] = 63;
    w[53] = 0x0007; w[54] = 30; w[55] = 16; w[56] = 63;
    w[60] = 30720; w[61] = 0;
    w[83] = 0x7400; /* 48-bit supported */
    w[100] = 30720;
    ata_parse_identify(w, &id);
    CHECK(!id.atapi);
    CHECK(id.lba48);
    CHECK_EQ(id.sectors, 30720);
    CHECK_EQ(id.geo.heads, 16);
    CHECK_EQ(id.geo.sectors, 63);
    /* LBA28 only: words 60-61 */
    w[83] = 0x4000;
    w[60] = 0x5678; w[61] = 0x0123;
    ata_parse_identify(w, &id);
    CHECK(!id.lba48);
    CHECK_EQ(id.sectors, 0x01235678);
    /* no current geometry: the default one */
    w[53] = 0; w[3] = 15;
    ata_parse_identify(w, &id);
    CHECK_EQ(id.geo.heads, 15);
    /* a CD-ROM (ATAPI) */
    w[0] = 0x85c0;
    ata_parse_identify(w, &id);
    CHECK(id.atapi);
    CHECK(ata_is_packet_signature(0x14, 0xeb));
    CHECK(!ata_is_packet_signature(0, 0));
}

/* ---- PRD walk on a fake guest memory -------------------------------------- */

#define MEM_SIZE 0x40000u      /* 256 KiB of "guest RAM" at 0 */
#define VMM_BASE 0x30000u      /* a hidden range inside it */
#define VMM_END  0x38000u
static u8 *mem;
static unsigned reads;

static int fake_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa + len > MEM_SIZE)
        return -E_FAULT;
    memcpy(buf, mem + gpa, len);
    reads++;
    return 0;
}

static bool fake_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    return gpa + len <= MEM_SIZE && gpa + len >= gpa &&
           (gpa + len <= VMM_BASE || gpa >= VMM_END);
}

static const struct ide_mem_ops fake = { fake_read, fake_ok, NULL };

static void put(u32 at, u32 addr, u16 count, u16 flags)
{
    struct ide_prd p = { addr, count, flags };
    memcpy(mem + at, &p, sizeof(p));
}

static struct ide_prd_walk w;

static void test_walk_good(void)
{
    memset(mem, 0, MEM_SIZE);
    put(0x1000, 0x2000, 0x1000, 0);
    put(0x1008, 0x8000, 0, 0);           /* 0 = 64 KiB */
    put(0x1010, 0x20000, 0x200, IDE_PRD_EOT);
    put(0x1018, 0x0bad0000, 0x200, 0);   /* after EOT: never read */
    reads = 0;
    CHECK_EQ(ide_prd_walk(0x1000, 1 << 20, &fake, &w), 0);
    CHECK_EQ(w.n, 3);
    CHECK_EQ(w.bytes, 0x1000 + 0x10000 + 0x200);
    CHECK_EQ(w.r[1].addr, 0x8000);
    CHECK_EQ(w.r[1].len, 0x10000);
    CHECK_EQ(w.r[2].len, 0x200);
    CHECK_EQ(reads, 3);
    /* the low two bits of the table address are ignored */
    CHECK_EQ(ide_prd_walk(0x1003, 1 << 20, &fake, &w), 0);
    CHECK_EQ(w.n, 3);
}

static void expect_refused(u32 table, u64 max, enum ide_prd_error e, unsigned bad)
{
    CHECK_EQ(ide_prd_walk(table, max, &fake, &w), -E_INVAL);
    CHECK_EQ(w.error, e);
    CHECK_EQ(w.bad, bad);
}

static void test_walk_bad(void)
{
    memset(mem, 0, MEM_SIZE);
    /* an entry pointing into the VMM region */
    put(0x1000, 0x2000, 0x200, 0);
    put(0x1008, VMM_BASE + 0x1000, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_OUTSIDE, 1);
    CHECK_EQ(w.bad_entry.addr, VMM_BASE + 0x1000);
    CHECK_STR(ide_prd_error_name(w.error), "region outside guest RAM (or in the VMM region)");
    /* one that ends inside it */
    put(0x1008, VMM_BASE - 0x100, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_OUTSIDE, 1);
    /* outside RAM */
    put(0x1008, 0xf0000000u, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_OUTSIDE, 1);
    /* a count that runs past 4 GiB */
    put(0x1008, 0xffffff00u, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_WRAP, 1);
    /* odd address, odd count */
    put(0x1008, 0x3001, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_ODD, 1);
    put(0x1008, 0x3000, 0x1ff, IDE_PRD_EOT);
    expect_refused(0x1000, 1 << 20, IDE_PRD_ODD, 1);
    /* more bytes than the command can move */
    put(0x1008, 0x3000, 0x200, IDE_PRD_EOT);
    expect_refused(0x1000, 0x3ff, IDE_PRD_TOO_LONG, 1);
    CHECK_EQ(ide_prd_walk(0x1000, 0x400, &fake, &w), 0);
    /* no EOT: runs off its 64 KiB bound (the whole table is valid
     * entries), or into a run of more entries than the mediator takes */
    for (u32 at = 0x10000 - 8 * 8; at < 0x10000; at += 8)
        put(at, 0x2000, 0x200, 0);
    expect_refused(0x10000 - 8 * 8, 1ull << 40, IDE_PRD_NO_EOT, 8);
    for (u32 at = 0x11000; at < 0x11000 + 8 * (IDE_PRD_MAX + 1); at += 8)
        put(at, 0x2000, 0x200, 0);
    expect_refused(0x11000, 1ull << 40, IDE_PRD_TOO_MANY, IDE_PRD_MAX);
    /* the table itself in the VMM region or outside RAM */
    expect_refused(VMM_BASE, 1 << 20, IDE_PRD_TABLE_OUTSIDE, 0);
    expect_refused(MEM_SIZE + 0x100, 1 << 20, IDE_PRD_TABLE_OUTSIDE, 0);
}

static void test_build(void)
{
    struct ide_prd p[8];

    /* 130 KiB from 16 KiB below a 64 KiB boundary: 16 KiB, 64 KiB, 50 KiB */
    CHECK_EQ(ide_prd_build(0x100000 - 0x4000, 0x20800, p, 8), 3);
    CHECK_EQ(p[0].addr, 0xfc000);
    CHECK_EQ(p[0].count, 0x4000);
    CHECK_EQ(p[0].flags, 0);
    CHECK_EQ(p[1].addr, 0x100000);
    CHECK_EQ(p[1].count, 0); /* 64 KiB */
    CHECK_EQ(p[2].count, 0x20800 - 0x4000 - 0x10000);
    CHECK_EQ(p[2].flags, IDE_PRD_EOT);
    CHECK_EQ(ide_prd_build(0x100000, 0x10000 * 9, p, 8), 0);
    CHECK_EQ(ide_prd_build(0xffff0000ull, 0x20000, p, 8), 0);
}

int main(void)
{
    mem = calloc(1, MEM_SIZE);
    test_lba28();
    test_lba48();
    test_chs();
    test_identify();
    test_walk_good();
    test_walk_bad();
    test_build();
    free(mem);
    return check_done("ide");
}
