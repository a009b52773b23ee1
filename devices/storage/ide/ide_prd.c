/* Task file decode, IDENTIFY data and the PRD walk (ide_prd.h). Pure. */
#include <devices/storage/ide/ide_prd.h>
#include <string.h>

/* ---- task file ----------------------------------------------------------- */

void ata_tf_write(struct ata_taskfile *tf, unsigned reg, u8 value)
{
    u8 *pair;

    switch (reg) {
    case ATA_REG_FEATURE: pair = tf->feature; break;
    case ATA_REG_COUNT: pair = tf->count; break;
    case ATA_REG_LBA_LO: pair = tf->lba_lo; break;
    case ATA_REG_LBA_MID: pair = tf->lba_mid; break;
    case ATA_REG_LBA_HI: pair = tf->lba_hi; break;
    case ATA_REG_DEVICE: tf->device = value; return;
    default: return;
    }
    pair[1] = pair[0];
    pair[0] = value;
}

/* The media-access commands (ACS-3 table 183 and the obsolete ones BIOSes
 * still send); every other opcode moves no media data the mediator must
 * transform and passes through. */
struct ata_op {
    u8 opcode;
    enum ata_xfer xfer;
    bool lba48;
    const char *name;
};

static const struct ata_op ata_ops[] = {
    { 0x20, ATA_XFER_PIO_IN, false, "READ SECTORS" },
    { 0x21, ATA_XFER_PIO_IN, false, "READ SECTORS (no retry)" },
    { 0x24, ATA_XFER_PIO_IN, true, "READ SECTORS EXT" },
    { 0x29, ATA_XFER_PIO_IN, true, "READ MULTIPLE EXT" },
    { 0xc4, ATA_XFER_PIO_IN, false, "READ MULTIPLE" },
    { 0x30, ATA_XFER_PIO_OUT, false, "WRITE SECTORS" },
    { 0x31, ATA_XFER_PIO_OUT, false, "WRITE SECTORS (no retry)" },
    { 0x34, ATA_XFER_PIO_OUT, true, "WRITE SECTORS EXT" },
    { 0x39, ATA_XFER_PIO_OUT, true, "WRITE MULTIPLE EXT" },
    { 0xc5, ATA_XFER_PIO_OUT, false, "WRITE MULTIPLE" },
    { 0xce, ATA_XFER_PIO_OUT, true, "WRITE MULTIPLE FUA EXT" },
    { 0xc8, ATA_XFER_DMA_IN, false, "READ DMA" },
    { 0xc9, ATA_XFER_DMA_IN, false, "READ DMA (no retry)" },
    { 0x25, ATA_XFER_DMA_IN, true, "READ DMA EXT" },
    { 0xca, ATA_XFER_DMA_OUT, false, "WRITE DMA" },
    { 0xcb, ATA_XFER_DMA_OUT, false, "WRITE DMA (no retry)" },
    { 0x35, ATA_XFER_DMA_OUT, true, "WRITE DMA EXT" },
    { 0x3d, ATA_XFER_DMA_OUT, true, "WRITE DMA FUA EXT" },
    { 0x22, ATA_XFER_REFUSE, false, "READ LONG" },
    { 0x23, ATA_XFER_REFUSE, false, "READ LONG (no retry)" },
    { 0x32, ATA_XFER_REFUSE, false, "WRITE LONG" },
    { 0x33, ATA_XFER_REFUSE, false, "WRITE LONG (no retry)" },
    { 0x26, ATA_XFER_REFUSE, true, "READ DMA QUEUED EXT" },
    { 0x36, ATA_XFER_REFUSE, true, "WRITE DMA QUEUED EXT" },
    { 0x3e, ATA_XFER_REFUSE, true, "WRITE DMA QUEUED FUA EXT" },
    { 0xc7, ATA_XFER_REFUSE, false, "READ DMA QUEUED" },
    { 0xcc, ATA_XFER_REFUSE, false, "WRITE DMA QUEUED" },
    { 0x2a, ATA_XFER_REFUSE, true, "READ STREAM DMA EXT" },
    { 0x2b, ATA_XFER_REFUSE, true, "READ STREAM EXT" },
    { 0x3a, ATA_XFER_REFUSE, true, "WRITE STREAM DMA EXT" },
    { 0x3b, ATA_XFER_REFUSE, true, "WRITE STREAM EXT" },
    { 0x60, ATA_XFER_REFUSE, true, "READ FPDMA QUEUED" },
    { 0x61, ATA_XFER_REFUSE, true, "WRITE FPDMA QUEUED" },
    /* new firmware: the device becomes whatever DMA master it says */
    { 0x92, ATA_XFER_REFUSE, false, "DOWNLOAD MICROCODE" },
    { 0x93, ATA_XFER_REFUSE, false, "DOWNLOAD MICROCODE DMA" },
};

static const struct ata_op *find_op(u8 opcode)
{
    for (size_t i = 0; i < ARRAY_SIZE(ata_ops); i++)
        if (ata_ops[i].opcode == opcode)
            return &ata_ops[i];
    return NULL;
}

static int decode_chs(const struct ata_taskfile *tf, const struct ata_geometry *g,
                      u64 *lba)
{
    u32 cyl = tf->lba_mid[0] | (u32)tf->lba_hi[0] << 8;
    u32 head = tf->device & 0x0f, sector = tf->lba_lo[0];

    if (!g || !g->heads || !g->sectors || !sector || sector > g->sectors ||
        head >= g->heads)
        return -E_INVAL;
    *lba = ((u64)cyl * g->heads + head) * g->sectors + sector - 1;
    return 0;
}

/* Commands without media data of their own whose data makes the device
 * write media (ACS-3 7.5 DATA SET MANAGEMENT / TRIM; SCT command transport,
 * ACS-3 8.3: logs 0xe0/0xe1 by WRITE LOG (DMA) EXT or SMART WRITE LOG,
 * e.g. SCT Write Same). */
static const char *unciphered_name(const struct ata_taskfile *tf)
{
    bool sct = tf->lba_lo[0] == 0xe0 || tf->lba_lo[0] == 0xe1;

    switch (tf->command) {
    case 0x06: return "DATA SET MANAGEMENT";
    case 0x07: return "DATA SET MANAGEMENT XL";
    case 0x3f: return sct ? "WRITE LOG EXT (SCT)" : NULL;
    case 0x57: return sct ? "WRITE LOG DMA EXT (SCT)" : NULL;
    case 0xb0: return sct && tf->feature[0] == 0xd6 ? "SMART WRITE LOG (SCT)" : NULL;
    default: return NULL;
    }
}

int ata_decode(const struct ata_taskfile *tf, const struct ata_geometry *geo,
               struct ata_cmd *out)
{
    const struct ata_op *op = find_op(tf->command);

    memset(out, 0, sizeof(*out));
    out->opcode = tf->command;
    out->drive = tf->device & ATA_DEV_DRIVE ? 1 : 0;
    out->name = op ? op->name : "non-media command";
    if (!op) {
        const char *n = unciphered_name(tf);
        out->unciphered = n != NULL;
        if (n)
            out->name = n;
        return 0;
    }
    out->xfer = op->xfer;
    out->lba48 = op->lba48;
    if (op->lba48) {
        out->lba = tf->lba_lo[0] | (u64)tf->lba_mid[0] << 8 |
                   (u64)tf->lba_hi[0] << 16 | (u64)tf->lba_lo[1] << 24 |
                   (u64)tf->lba_mid[1] << 32 | (u64)tf->lba_hi[1] << 40;
        out->sectors = tf->count[0] | (u32)tf->count[1] << 8;
        if (!out->sectors)
            out->sectors = 65536;
        return 0;
    }
    out->sectors = tf->count[0] ? tf->count[0] : 256;
    if (!(tf->device & ATA_DEV_LBA))
        return decode_chs(tf, geo, &out->lba);
    out->lba = tf->lba_lo[0] | (u64)tf->lba_mid[0] << 8 |
               (u64)tf->lba_hi[0] << 16 | (u64)(tf->device & 0x0f) << 24;
    return 0;
}

/* ---- IDENTIFY DEVICE ------------------------------------------------------ */

void ata_parse_identify(const u16 *w, struct ata_identity *out)
{
    memset(out, 0, sizeof(*out));
    out->atapi = w[0] & 0x8000;
    out->lba48 = (w[83] & 0xc000) == 0x4000 && (w[83] & 0x0400);
    if (out->lba48)
        out->sectors = w[100] | (u64)w[101] << 16 | (u64)w[102] << 32 |
                       (u64)w[103] << 48;
    else
        out->sectors = w[60] | (u64)w[61] << 16;
    out->geo = (struct ata_geometry){ w[1], w[3], w[6] };
    if ((w[53] & 1) && w[55] && w[56])
        out->geo = (struct ata_geometry){ w[54], w[55], w[56] };
}

/* ---- the PRD walk ---------------------------------------------------------- */

static const char *const prd_errors[IDE_PRD_ERROR_COUNT] = {
    [IDE_PRD_OK] = "ok",
    [IDE_PRD_TABLE_OUTSIDE] = "the table is outside guest memory",
    [IDE_PRD_ODD] = "odd address or byte count",
    [IDE_PRD_WRAP] = "region runs past 4 GiB",
    [IDE_PRD_OUTSIDE] = "region outside guest RAM (or in the VMM region)",
    [IDE_PRD_NO_EOT] = "no end-of-table entry before the table's 64 KiB bound",
    [IDE_PRD_TOO_MANY] = "more entries than the mediator takes",
    [IDE_PRD_TOO_LONG] = "more bytes than the transfer allows",
};

const char *ide_prd_error_name(enum ide_prd_error e)
{
    return e < IDE_PRD_ERROR_COUNT ? prd_errors[e] : "?";
}

static int refuse(struct ide_prd_walk *out, enum ide_prd_error e, unsigned i,
                  const struct ide_prd *p)
{
    out->error = e;
    out->bad = i;
    if (p)
        out->bad_entry = *p;
    return -E_INVAL;
}

static enum ide_prd_error check_entry(const struct ide_prd *p, u64 len,
                                      const struct ide_mem_ops *mem)
{
    if ((p->addr & 1) || (len & 1))
        return IDE_PRD_ODD;
    if ((u64)p->addr + len > 0x100000000ull)
        return IDE_PRD_WRAP;
    if (!mem->ok(mem->ctx, p->addr, len))
        return IDE_PRD_OUTSIDE;
    return IDE_PRD_OK;
}

int ide_prd_walk(u32 table, u64 max_bytes, const struct ide_mem_ops *mem,
                 struct ide_prd_walk *out)
{
    u64 at = table & ~3u;
    u64 bound = (at & ~(u64)(IDE_PRD_BOUNDARY - 1)) + IDE_PRD_BOUNDARY;

    out->n = 0;
    out->bytes = 0;
    out->error = IDE_PRD_OK;
    out->bad = 0;
    memset(&out->bad_entry, 0, sizeof(out->bad_entry));
    for (unsigned i = 0;; i++, at += sizeof(struct ide_prd)) {
        struct ide_prd p; /* the one copy of the entry the VMM acts on */
        if (at + sizeof(p) > bound)
            return refuse(out, IDE_PRD_NO_EOT, i, NULL);
        if (i == IDE_PRD_MAX)
            return refuse(out, IDE_PRD_TOO_MANY, i, NULL);
        if (!mem->ok(mem->ctx, at, sizeof(p)) ||
            mem->read(mem->ctx, at, &p, sizeof(p)) < 0)
            return refuse(out, IDE_PRD_TABLE_OUTSIDE, i, NULL);
        u64 len = p.count ? p.count : 0x10000;
        enum ide_prd_error e = check_entry(&p, len, mem);
        if (e != IDE_PRD_OK)
            return refuse(out, e, i, &p);
        if (out->bytes + len > max_bytes)
            return refuse(out, IDE_PRD_TOO_LONG, i, &p);
        out->r[out->n++] = (struct ide_region){ p.addr, (u32)len };
        out->bytes += len;
        if (p.flags & IDE_PRD_EOT)
            return 0;
    }
}

unsigned ide_prd_build(u64 phys, u64 len, struct ide_prd *out, unsigned max)
{
    unsigned n = 0;

    while (len) {
        u64 room = IDE_PRD_BOUNDARY - (phys & (IDE_PRD_BOUNDARY - 1));
        u64 chunk = len < room ? len : room;
        if (n == max || phys + chunk > 0x100000000ull)
            return 0;
        out[n++] = (struct ide_prd){ (u32)phys, (u16)chunk, 0 };
        phys += chunk;
        len -= chunk;
    }
    if (n)
        out[n - 1].flags = IDE_PRD_EOT;
    return n;
}
