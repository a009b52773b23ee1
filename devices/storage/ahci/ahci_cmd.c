/* Command FIS decode and the PRDT walk (ahci_cmd.h). Pure. */
#include <devices/storage/ahci/ahci_cmd.h>
#include <string.h>

/* ---- the command FIS ------------------------------------------------------ */

enum cmd_form {
    FORM_LBA28,  /* count in byte 12 (0 = 256) */
    FORM_LBA48,  /* count in bytes 12-13 (0 = 65536) */
    FORM_FPDMA,  /* count in features 3/11 (0 = 65536), tag in count 7:3 */
};

struct ahci_op {
    u8 opcode;
    enum ahci_xfer xfer;
    enum cmd_form form;
    const char *name;
};

/* The media-access commands (ACS-3 table 183, the obsolete ones BIOSes
 * still send, and NCQ). Through an AHCI port PIO data moves through the
 * PRDT like DMA data, so both are shadowed the same way. Every other
 * opcode moves no media data and passes (its PRDT is still checked). */
static const struct ahci_op ahci_ops[] = {
    { 0x20, AHCI_XFER_READ, FORM_LBA28, "READ SECTORS" },
    { 0x21, AHCI_XFER_READ, FORM_LBA28, "READ SECTORS (no retry)" },
    { 0x24, AHCI_XFER_READ, FORM_LBA48, "READ SECTORS EXT" },
    { 0x29, AHCI_XFER_READ, FORM_LBA48, "READ MULTIPLE EXT" },
    { 0xc4, AHCI_XFER_READ, FORM_LBA28, "READ MULTIPLE" },
    { 0xc8, AHCI_XFER_READ, FORM_LBA28, "READ DMA" },
    { 0xc9, AHCI_XFER_READ, FORM_LBA28, "READ DMA (no retry)" },
    { 0x25, AHCI_XFER_READ, FORM_LBA48, "READ DMA EXT" },
    { 0x60, AHCI_XFER_READ, FORM_FPDMA, "READ FPDMA QUEUED" },
    { 0x30, AHCI_XFER_WRITE, FORM_LBA28, "WRITE SECTORS" },
    { 0x31, AHCI_XFER_WRITE, FORM_LBA28, "WRITE SECTORS (no retry)" },
    { 0x34, AHCI_XFER_WRITE, FORM_LBA48, "WRITE SECTORS EXT" },
    { 0x39, AHCI_XFER_WRITE, FORM_LBA48, "WRITE MULTIPLE EXT" },
    { 0xc5, AHCI_XFER_WRITE, FORM_LBA28, "WRITE MULTIPLE" },
    { 0xce, AHCI_XFER_WRITE, FORM_LBA48, "WRITE MULTIPLE FUA EXT" },
    { 0xca, AHCI_XFER_WRITE, FORM_LBA28, "WRITE DMA" },
    { 0xcb, AHCI_XFER_WRITE, FORM_LBA28, "WRITE DMA (no retry)" },
    { 0x35, AHCI_XFER_WRITE, FORM_LBA48, "WRITE DMA EXT" },
    { 0x3d, AHCI_XFER_WRITE, FORM_LBA48, "WRITE DMA FUA EXT" },
    { 0x61, AHCI_XFER_WRITE, FORM_FPDMA, "WRITE FPDMA QUEUED" },
    { 0x22, AHCI_XFER_REFUSE, FORM_LBA28, "READ LONG" },
    { 0x23, AHCI_XFER_REFUSE, FORM_LBA28, "READ LONG (no retry)" },
    { 0x32, AHCI_XFER_REFUSE, FORM_LBA28, "WRITE LONG" },
    { 0x33, AHCI_XFER_REFUSE, FORM_LBA28, "WRITE LONG (no retry)" },
    { 0x26, AHCI_XFER_REFUSE, FORM_LBA48, "READ DMA QUEUED EXT" },
    { 0x36, AHCI_XFER_REFUSE, FORM_LBA48, "WRITE DMA QUEUED EXT" },
    { 0x3e, AHCI_XFER_REFUSE, FORM_LBA48, "WRITE DMA QUEUED FUA EXT" },
    { 0xc7, AHCI_XFER_REFUSE, FORM_LBA28, "READ DMA QUEUED" },
    { 0xcc, AHCI_XFER_REFUSE, FORM_LBA28, "WRITE DMA QUEUED" },
    { 0x2a, AHCI_XFER_REFUSE, FORM_LBA48, "READ STREAM DMA EXT" },
    { 0x2b, AHCI_XFER_REFUSE, FORM_LBA48, "READ STREAM EXT" },
    { 0x3a, AHCI_XFER_REFUSE, FORM_LBA48, "WRITE STREAM DMA EXT" },
    { 0x3b, AHCI_XFER_REFUSE, FORM_LBA48, "WRITE STREAM EXT" },
    /* new firmware: the device becomes whatever DMA master it says */
    { 0x92, AHCI_XFER_REFUSE, FORM_LBA28, "DOWNLOAD MICROCODE" },
    { 0x93, AHCI_XFER_REFUSE, FORM_LBA28, "DOWNLOAD MICROCODE DMA" },
};

/* Commands without media data of their own whose data makes the device
 * write media (ACS-3 7.5 DATA SET MANAGEMENT; 7.x SEND FPDMA QUEUED;
 * ACS-3 8.3 SCT command transport: logs 0xe0/0xe1 by WRITE LOG EXT,
 * WRITE LOG DMA EXT or SMART WRITE LOG, e.g. SCT Write Same). */
#define SCT_LOG(a) ((a) == 0xe0 || (a) == 0xe1)
#define SMART_WRITE_LOG 0xd6

static const char *unciphered_name(const u8 *f)
{
    switch (f[2]) {
    case 0x06: return "DATA SET MANAGEMENT";
    case 0x07: return "DATA SET MANAGEMENT XL";
    case 0x64: return "SEND FPDMA QUEUED";
    case 0x3f: return SCT_LOG(f[4]) ? "WRITE LOG EXT (SCT)" : NULL;
    case 0x57: return SCT_LOG(f[4]) ? "WRITE LOG DMA EXT (SCT)" : NULL;
    case 0xb0: return f[3] == SMART_WRITE_LOG && SCT_LOG(f[4])
                      ? "SMART WRITE LOG (SCT)" : NULL;
    default: return NULL;
    }
}

void ahci_decode_cfis(const u8 *f, unsigned cfl, struct ahci_ata_cmd *out)
{
    memset(out, 0, sizeof(*out));
    out->name = "command";
    /* SATA 10.5.6: a Register H2D FIS is 5 dwords */
    if (f[0] != SATA_FIS_REG_H2D || cfl < 5 || cfl > 16) {
        out->xfer = AHCI_XFER_REFUSE;
        out->bad_fis = true;
        out->name = "FIS";
        return;
    }
    if (!(f[1] & SATA_FIS_H2D_C)) {
        out->name = "control FIS"; /* device control (SRST), no data */
        return;
    }
    out->opcode = f[2];
    for (size_t i = 0; i < ARRAY_SIZE(ahci_ops); i++) {
        const struct ahci_op *op = &ahci_ops[i];
        if (op->opcode != f[2])
            continue;
        out->xfer = op->xfer;
        out->name = op->name;
        out->lba = (u64)f[4] | (u64)f[5] << 8 | (u64)f[6] << 16;
        if (op->form == FORM_LBA28) {
            out->lba |= (u64)(f[7] & 0x0f) << 24;
            out->sectors = f[12] ? f[12] : 256;
            /* ATA: device bit 6 set selects LBA; clear, the address is
             * cylinder/head/sector, another sector than this LBA */
            if (!(f[7] & 0x40) && op->xfer != AHCI_XFER_NONE) {
                out->chs = true;
                out->xfer = AHCI_XFER_REFUSE;
            }
        } else {
            out->lba |= (u64)f[8] << 24 | (u64)f[9] << 32 | (u64)f[10] << 40;
            u32 n = op->form == FORM_FPDMA ? (u32)f[3] | (u32)f[11] << 8
                                           : (u32)f[12] | (u32)f[13] << 8;
            out->sectors = n ? n : 65536;
        }
        out->ncq = op->form == FORM_FPDMA;
        out->tag = out->ncq ? (u8)(f[12] >> 3) : 0;
        return;
    }
    const char *n = unciphered_name(f);
    out->unciphered = n != NULL;
    out->name = n ? n : "command"; /* no media data: IDENTIFY, FLUSH, ... */
}

u32 ahci_identify_sector_size(const u16 *w)
{
    if ((w[106] & 0xc000) != 0x4000 || !(w[106] & 0x1000))
        return AHCI_SECTOR;
    return ((u32)w[117] | (u32)w[118] << 16) * 2;
}

/* ---- the PRDT walk -------------------------------------------------------- */

static const char *const error_names[AHCI_ERR_COUNT] = {
    [AHCI_OK] = "no error",
    [AHCI_ERR_CL_OUTSIDE] = "command list outside guest RAM (or in the VMM region)",
    [AHCI_ERR_FB_OUTSIDE] = "FIS receive area outside guest RAM (or in the VMM region)",
    [AHCI_ERR_TABLE_OUTSIDE] = "command table outside guest RAM (or in the VMM region)",
    [AHCI_ERR_CFIS] = "not a Register Host-to-Device FIS",
    [AHCI_ERR_UNSHADOWED] = "a media command the mediator does not shadow",
    [AHCI_ERR_DIRECTION] = "the header's write bit contradicts the command",
    [AHCI_ERR_TOO_LONG] = "longer than the mediator bounces (4 MiB)",
    [AHCI_ERR_TOO_MANY] = "more PRDT entries than the mediator takes (256)",
    [AHCI_ERR_ODD] = "odd address or byte count",
    [AHCI_ERR_WRAP] = "address + count wraps (past 2^64, or 4 GiB without 64-bit addressing)",
    [AHCI_ERR_OUTSIDE] = "region outside guest RAM (or in the VMM region)",
    [AHCI_ERR_SHORT] = "the PRDT covers fewer bytes than the command moves",
    [AHCI_ERR_NO_BOUNCE] = "no VMM memory for a bounce buffer",
    [AHCI_ERR_CIPHER] = "the cipher refused the range",
    [AHCI_ERR_CHS] = "CHS addressing (the LBA bit clear): refused, the cipher needs the LBA",
    [AHCI_ERR_UNCIPHERED] = "the device would write media from its data past the cipher (TRIM, SCT): refused on a disk with an encrypted range",
    [AHCI_ERR_TAG] = "the NCQ tag in the FIS is not the command's slot",
};

const char *ahci_error_name(enum ahci_error e)
{
    return e < AHCI_ERR_COUNT ? error_names[e] : "?";
}

static int walk_fail(struct ahci_prdt_walk *out, enum ahci_error e, unsigned i,
                     const struct ahci_prd *p)
{
    out->error = e;
    out->bad = i;
    if (p)
        out->bad_entry = *p;
    return -E_INVAL;
}

int ahci_prdt_walk(u64 prdt, unsigned prdtl, bool addr64,
                   const struct ahci_mem_ops *mem, struct ahci_prdt_walk *out)
{
    struct ahci_prd p;

    out->n = 0;
    out->bytes = 0;
    out->error = AHCI_OK;
    out->bad = 0;
    memset(&out->bad_entry, 0, sizeof(out->bad_entry));
    if (prdtl > AHCI_PRDT_MAX)
        return walk_fail(out, AHCI_ERR_TOO_MANY, AHCI_PRDT_MAX, NULL);
    if (prdtl && !mem->ok(mem->ctx, prdt, (u64)prdtl * sizeof(p)))
        return walk_fail(out, AHCI_ERR_TABLE_OUTSIDE, 0, NULL);
    for (unsigned i = 0; i < prdtl; i++) {
        if (mem->read(mem->ctx, prdt + (u64)i * sizeof(p), &p, sizeof(p)) < 0)
            return walk_fail(out, AHCI_ERR_TABLE_OUTSIDE, i, NULL);
        u64 addr = (u64)p.dbau << 32 | p.dba;
        u32 len = (p.dbc & AHCI_PRD_DBC_MASK) + 1;
        if ((addr & 1) || (len & 1))
            return walk_fail(out, AHCI_ERR_ODD, i, &p);
        if (addr + len < addr || (!addr64 && (p.dbau || addr + len > (1ULL << 32))))
            return walk_fail(out, AHCI_ERR_WRAP, i, &p);
        if (!mem->ok(mem->ctx, addr, len))
            return walk_fail(out, AHCI_ERR_OUTSIDE, i, &p);
        out->r[out->n++] = (struct ahci_region){ addr, len, 0 };
        out->bytes += len;
    }
    return 0;
}

unsigned ahci_prdt_build(u64 phys, u64 len, struct ahci_prd *out, unsigned max)
{
    unsigned n = 0;

    while (len) {
        u32 chunk = len > AHCI_PRD_MAX_BYTES ? AHCI_PRD_MAX_BYTES : (u32)len;
        if (n == max)
            return 0;
        out[n++] = (struct ahci_prd){ (u32)phys, (u32)(phys >> 32), 0, chunk - 1 };
        phys += chunk;
        len -= chunk;
    }
    return n;
}
