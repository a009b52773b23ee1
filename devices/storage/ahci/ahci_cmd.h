/* The pure parts of the AHCI mediator (devices/storage/ahci/ahci.c), host-tested by
 * tests/unit/test_ahci.c: the HBA's in-memory structures (command header,
 * command table, PRDT entry), the decode of a command FIS into what the
 * mediator must do with its data, and the walk of a guest's PRDT. No
 * register or memory access here: guest memory is read through a
 * callback. docs/storage-ahci.md. */
#ifndef VENEER_DEVICES_AHCI_CMD_H
#define VENEER_DEVICES_AHCI_CMD_H

#include <platform/bootinfo.h>
#include <platform/types.h>

/* ---- the HBA's memory structures (AHCI 1.3.1, 4.2) --------------------- */

/* A command header: one of the 32 entries of a port's command list
 * (AHCI 4.2.2). */
struct ahci_cmd_header {
    u16 flags;      /* 4:0 CFL (dwords), 5 A, 6 W, 7 P, 8 R, 9 B, 10 C, 15:12 PMP */
    u16 prdtl;      /* PRDT entries */
    u32 prdbc;      /* bytes transferred, written by the HBA */
    u32 ctba;       /* command table base, 128-byte aligned (6:0 reserved) */
    u32 ctbau;
    u32 reserved[4];
} __packed;
CHECK_SIZE(struct ahci_cmd_header, 32);
CHECK_OFFSET(struct ahci_cmd_header, prdbc, 4);
CHECK_OFFSET(struct ahci_cmd_header, ctba, 8);
#define AHCI_HDR_CFL 0x001f
#define AHCI_HDR_ATAPI 0x0020
#define AHCI_HDR_WRITE 0x0040
#define AHCI_CMD_LIST_SIZE (32 * sizeof(struct ahci_cmd_header))
#define AHCI_CLB_ALIGN 1024u   /* PxCLB bits 9:0 are reserved */
#define AHCI_FB_ALIGN 256u     /* PxFB bits 7:0 (without FIS-based switching) */
#define AHCI_RFIS_SIZE 256u
#define AHCI_CTBA_ALIGN 128u

/* A physical region descriptor (AHCI 4.2.3.3). */
struct ahci_prd {
    u32 dba;        /* bit 0 reserved: word aligned */
    u32 dbau;
    u32 reserved;
    u32 dbc;        /* 21:0 byte count - 1 (bit 0 set: an even count), 31 I */
} __packed;
CHECK_SIZE(struct ahci_prd, 16);
CHECK_OFFSET(struct ahci_prd, dbc, 12);
#define AHCI_PRD_DBC_MASK 0x3fffffu
#define AHCI_PRD_MAX_BYTES 0x400000u /* 4 MiB per entry */
#define AHCI_PRD_IRQ 0x80000000u

/* A command table (AHCI 4.2.3): the command FIS, the ATAPI command and
 * the PRDT from offset 0x80. */
struct ahci_cmd_table {
    u8 cfis[64];
    u8 acmd[16];
    u8 reserved[48];
    struct ahci_prd prdt[];
} __packed;
CHECK_OFFSET(struct ahci_cmd_table, acmd, 0x40);
CHECK_OFFSET(struct ahci_cmd_table, prdt, 0x80);

/* The most PRDT entries the mediator takes from one command (Linux uses
 * at most 168, SeaBIOS 1). */
#define AHCI_PRDT_MAX 256
/* The largest transfer the mediator bounces (Linux sends at most 1280 KiB
 * by default); longer is refused. */
#define AHCI_XFER_MAX (4u << 20)
#define AHCI_SECTOR 512u

/* ---- the command FIS (SATA 3.x 10.5.6: Register Host to Device) -------- */

#define SATA_FIS_REG_H2D 0x27
#define SATA_FIS_H2D_C 0x80 /* byte 1: the command register is written */

enum ahci_xfer {
    AHCI_XFER_NONE,   /* no media data (IDENTIFY, FLUSH, SET FEATURES,
                       * a control FIS, ...): passed, PRDT still checked */
    AHCI_XFER_READ,   /* media data from the disk (DMA, PIO or NCQ) */
    AHCI_XFER_WRITE,  /* media data to the disk */
    AHCI_XFER_REFUSE, /* media data in a form the mediator does not shadow
                       * (READ/WRITE LONG, legacy queued, streaming) or a
                       * FIS that is not a Register H2D: refused */
};

struct ahci_ata_cmd {
    u8 opcode;        /* 0 for a control FIS (C clear) */
    enum ahci_xfer xfer;
    bool bad_fis;     /* not a Register H2D FIS, or its CFL out of range */
    bool ncq;         /* READ/WRITE FPDMA QUEUED */
    bool chs;         /* an LBA28 media command with the LBA bit clear:
                       * a CHS address (refused) */
    bool unciphered;  /* no media data of its own, but the device writes
                       * media from what it carries (DATA SET MANAGEMENT
                       * / TRIM, SEND FPDMA QUEUED, SCT commands through
                       * WRITE LOG (DMA) EXT or SMART WRITE LOG to logs
                       * 0xe0/0xe1): refused on a disk with an encrypted
                       * range */
    u8 tag;           /* NCQ tag (count 7:3) */
    u64 lba;
    u32 sectors;      /* 1..65536 for media commands */
    const char *name;
};

/* Decodes the 64-byte command FIS `cfis` (length `cfl` dwords from the
 * header). Pure. */
void ahci_decode_cfis(const u8 *cfis, unsigned cfl, struct ahci_ata_cmd *out);

/* The logical sector size IDENTIFY DEVICE data (256 words) declares
 * (ACS-3 7.12.7.36: word 106 valid and bit 12 set: words 117-118 in
 * words), else 512. Pure. */
u32 ahci_identify_sector_size(const u16 *words);

/* ---- the PRDT walk -------------------------------------------------------- */

enum ahci_error {
    AHCI_OK,
    AHCI_ERR_CL_OUTSIDE,    /* the command list (PxCLB) not in guest RAM */
    AHCI_ERR_FB_OUTSIDE,    /* the FIS area (PxFB) not in guest RAM */
    AHCI_ERR_TABLE_OUTSIDE, /* the command table not in guest RAM */
    AHCI_ERR_CFIS,          /* not a Register H2D FIS, or CFL out of range */
    AHCI_ERR_UNSHADOWED,    /* a media command the mediator does not shadow */
    AHCI_ERR_DIRECTION,     /* the header's W bit contradicts the command */
    AHCI_ERR_TOO_LONG,      /* more than AHCI_XFER_MAX */
    AHCI_ERR_TOO_MANY,      /* more than AHCI_PRDT_MAX entries */
    AHCI_ERR_ODD,           /* an odd address or byte count */
    AHCI_ERR_WRAP,          /* address + count wraps (past 2^64, or past
                             * 4 GiB on an HBA without 64-bit addressing) */
    AHCI_ERR_OUTSIDE,       /* a region outside guest RAM or in the VMM's */
    AHCI_ERR_SHORT,         /* the PRDT covers fewer bytes than the command */
    AHCI_ERR_NO_BOUNCE,     /* no VMM memory for the bounce buffer */
    AHCI_ERR_CIPHER,        /* the cipher refused the range */
    AHCI_ERR_CHS,           /* LBA28 with the LBA bit clear (CHS) */
    AHCI_ERR_UNCIPHERED,    /* writes media past the cipher (TRIM, SCT) */
    AHCI_ERR_TAG,           /* an NCQ tag other than its slot */
    AHCI_ERR_COUNT
};

/* A short reason for a refusal. */
const char *ahci_error_name(enum ahci_error e);

/* One validated region (a copy: the guest's PRDT is not read again). */
struct ahci_region {
    u64 addr;
    u32 len;
    u32 pad;
};

struct ahci_prdt_walk {
    unsigned n;              /* regions */
    u64 bytes;               /* their total */
    enum ahci_error error;
    unsigned bad;            /* the entry refused */
    struct ahci_prd bad_entry;
    struct ahci_region r[AHCI_PRDT_MAX];
};

/* Guest memory for the walk: read `len` bytes at `gpa`, and whether
 * [gpa, gpa+len) is guest RAM the HBA may touch. */
struct ahci_mem_ops {
    int (*read)(void *ctx, u64 gpa, void *buf, size_t len);
    bool (*ok)(void *ctx, u64 gpa, u64 len);
    void *ctx;
};

/* Copies and checks the `prdtl` entries of the PRDT at `prdt` (the
 * command table + 0x80; the caller checked the table's header). With
 * `addr64` false an entry must end below 4 GiB. Returns 0 with out->r
 * filled, or -E_INVAL with out->error, out->bad and out->bad_entry. Pure. */
int ahci_prdt_walk(u64 prdt, unsigned prdtl, bool addr64,
                   const struct ahci_mem_ops *mem, struct ahci_prdt_walk *out);

/* Fills `out` (room for `max`) with entries covering a contiguous buffer
 * at `phys` of `len` bytes (even), 4 MiB at most each. Returns the number
 * of entries, or 0 if they do not fit. Pure. */
unsigned ahci_prdt_build(u64 phys, u64 len, struct ahci_prd *out, unsigned max);

#endif
