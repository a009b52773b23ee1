/* The pure parts of the IDE mediator (devices/storage/ide/ide.c), host-tested by
 * tests/unit/test_ide.c: the ATA task file and its command decode, the
 * IDENTIFY DEVICE data a drive's geometry and size come from, and the walk
 * of a guest's bus-master PRD table. No port or memory access here: guest
 * memory is read through a callback. docs/storage-ide.md. */
#ifndef VENEER_DEVICES_IDE_PRD_H
#define VENEER_DEVICES_IDE_PRD_H

#include <platform/types.h>

/* ---- the task file (ATA/ATAPI-8 ACS, 7; ATA8-APT 5) -------------------- */

/* Command block register offsets from the channel's base (0x1f0, 0x170 or
 * a native-mode BAR). Offsets 1 and 7 differ by direction. */
enum ata_reg {
    ATA_REG_DATA = 0,
    ATA_REG_FEATURE = 1,   /* write; read: error */
    ATA_REG_COUNT = 2,
    ATA_REG_LBA_LO = 3,
    ATA_REG_LBA_MID = 4,
    ATA_REG_LBA_HI = 5,
    ATA_REG_DEVICE = 6,
    ATA_REG_COMMAND = 7,   /* write; read: status */
    ATA_REG_COUNT_ALL = 8,
};

#define ATA_DEV_LBA 0x40   /* device register: LBA addressing, not CHS */
#define ATA_DEV_DRIVE 0x10 /* device register: drive 1 (slave) */
#define ATA_ST_ERR 0x01
#define ATA_ST_DRQ 0x08
#define ATA_ST_DF 0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY 0x80
#define ATA_ERR_ABRT 0x04
#define ATA_CTL_SRST 0x04  /* device control: software reset */

/* What the guest wrote to the shadowed registers. The 48-bit registers
 * are two deep (ACS 7.1: the previous content moves to the "HOB" byte on
 * each write): [0] is the last write, [1] the one before it. */
struct ata_taskfile {
    u8 feature[2], count[2], lba_lo[2], lba_mid[2], lba_hi[2];
    u8 device, command;
};

/* The guest's write of `value` to register `reg` (1-6) of the shadow. */
void ata_tf_write(struct ata_taskfile *tf, unsigned reg, u8 value);

/* The CHS translation a drive uses for commands without ATA_DEV_LBA. */
struct ata_geometry {
    u16 cylinders, heads, sectors; /* sectors per track */
};

enum ata_xfer {
    ATA_XFER_NONE,     /* no media data (IDENTIFY, SET FEATURES, ...): pass */
    ATA_XFER_PIO_IN,   /* media data through the data port */
    ATA_XFER_PIO_OUT,
    ATA_XFER_DMA_IN,   /* media data by bus-master DMA */
    ATA_XFER_DMA_OUT,
    ATA_XFER_REFUSE,   /* media data in a form the mediator does not shadow
                        * (WRITE LONG, queued and streaming DMA): aborted */
};

/* A decoded command of the shadow task file. */
struct ata_cmd {
    u8 opcode;
    enum ata_xfer xfer;
    bool lba48;
    unsigned drive;    /* 0 or 1 */
    u64 lba;
    u32 sectors;       /* 1-256 (28-bit) or 1-65536 (48-bit) */
    bool unciphered;   /* no media data of its own, but the device writes
                        * media from its data (TRIM, SCT): refused on a
                        * disk with an encrypted range */
    const char *name;
};

#define ATA_CMD_IDENTIFY 0xec
#define ATA_CMD_PACKET 0xa0
#define ATA_CMD_INIT_PARAMS 0x91 /* INITIALIZE DEVICE PARAMETERS */

/* Decodes the command `tf->command` with the registers as they are. A CHS
 * address is translated with `geo` (ACS-2 annex: LBA = (C * heads + H) *
 * sectors + S - 1). Returns 0, or -E_INVAL (with out->xfer still set) for
 * a media command whose address cannot be decoded (CHS sector 0 or beyond
 * the geometry, no geometry). Pure. */
int ata_decode(const struct ata_taskfile *tf, const struct ata_geometry *geo,
               struct ata_cmd *out);

/* What IDENTIFY DEVICE data (256 words, ACS 7.16.7) says. */
struct ata_identity {
    bool atapi;        /* word 0 bit 15: a packet device (never mediated) */
    bool lba48;        /* word 83 bit 10 */
    u64 sectors;       /* words 100-103 with lba48, else 60-61 */
    struct ata_geometry geo; /* current (words 54-56) if valid, else default */
};
void ata_parse_identify(const u16 *words, struct ata_identity *out);

/* A drive's answer to a command it does not implement (an ATAPI device to
 * IDENTIFY DEVICE, ATA8-APT 9.12): LBA mid/high 0x14/0xeb. */
static inline bool ata_is_packet_signature(u8 lba_mid, u8 lba_hi)
{
    return lba_mid == 0x14 && lba_hi == 0xeb;
}

/* ---- bus-master IDE (SFF-8038i; Intel PIIX/ICH datasheets) ------------- */

enum bm_reg {
    BM_REG_COMMAND = 0, /* bit 0 start, bit 3 direction */
    BM_REG_STATUS = 2,  /* bit 0 active, 1 error, 2 interrupt (both RWC) */
    BM_REG_PRD = 4,     /* dword: the descriptor table's physical address */
    BM_CHANNEL_STRIDE = 8,
};
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08 /* the device reads from the disk */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_RWC (BM_ST_ERROR | BM_ST_INTR)

/* A Physical Region Descriptor. */
struct ide_prd {
    u32 addr;       /* bit 0 reserved (0) */
    u16 count;      /* bytes, bit 0 reserved (0); 0 means 64 KiB */
    u16 flags;
} __packed;
CHECK_SIZE(struct ide_prd, 8);
CHECK_OFFSET(struct ide_prd, count, 4);
#define IDE_PRD_EOT 0x8000
#define IDE_PRD_BOUNDARY 0x10000u /* a table must not cross 64 KiB */

/* The most entries the mediator takes from one table (Linux uses 128). */
#define IDE_PRD_MAX 256

enum ide_prd_error {
    IDE_PRD_OK,
    IDE_PRD_TABLE_OUTSIDE, /* the table itself is not in guest memory */
    IDE_PRD_ODD,           /* an odd address or byte count */
    IDE_PRD_WRAP,          /* address + count runs past 4 GiB */
    IDE_PRD_OUTSIDE,       /* a region outside guest RAM or in the VMM's */
    IDE_PRD_NO_EOT,        /* no end-of-table bit before the 64 KiB bound */
    IDE_PRD_TOO_MANY,      /* more than IDE_PRD_MAX entries */
    IDE_PRD_TOO_LONG,      /* more bytes than the caller accepts */
    IDE_PRD_ERROR_COUNT
};

/* One validated region (a copy: the guest's table is not read again). */
struct ide_region {
    u32 addr, len;
};

struct ide_prd_walk {
    unsigned n;                 /* regions */
    u64 bytes;                  /* their total */
    enum ide_prd_error error;
    unsigned bad;               /* index of the entry refused */
    struct ide_prd bad_entry;   /* its copy */
    struct ide_region r[IDE_PRD_MAX];
};

/* Guest memory for the walk: read `len` bytes at `gpa`, and whether
 * [gpa, gpa+len) is guest RAM the device may touch. */
struct ide_mem_ops {
    int (*read)(void *ctx, u64 gpa, void *buf, size_t len);
    bool (*ok)(void *ctx, u64 gpa, u64 len);
    void *ctx;
};

/* Copies and checks the table at `table` (bits 1:0 ignored, as the
 * controller does) entry by entry, until the EOT entry; at most `max_bytes`
 * in total. Returns 0 with out->r filled, or -E_INVAL with out->error,
 * out->bad and out->bad_entry saying what was refused. Pure. */
int ide_prd_walk(u32 table, u64 max_bytes, const struct ide_mem_ops *mem,
                 struct ide_prd_walk *out);

/* A short reason for a refusal ("region in the VMM region or outside
 * RAM", ...). */
const char *ide_prd_error_name(enum ide_prd_error e);

/* Fills `out` (room for `max` entries) with descriptors for a contiguous
 * buffer at physical `phys` of `len` bytes, split so that no region
 * crosses a 64 KiB boundary (SFF-8038i). Returns the number of entries,
 * or 0 if they do not fit. Pure. */
unsigned ide_prd_build(u64 phys, u64 len, struct ide_prd *out, unsigned max);

#endif
