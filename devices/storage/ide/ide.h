/* The IDE mediator's state, shared by devices/storage/ide/ide.c (controller, drives,
 * task file, PIO) and devices/storage/ide/ide_dma.c (bus-master DMA). Private to the
 * two. docs/storage-ide.md. */
#ifndef VENEER_DEVICES_IDE_H
#define VENEER_DEVICES_IDE_H

#include <common/exit.h>
#include <devices/storage/ide/ide_prd.h>
#include <devices/storage/storage.h>
#include <platform/spinlock.h>

#define IDE_SECTOR 512u
/* The largest DMA transfer the mediator bounces (Linux asks for at most
 * 1280 KiB per command by default); a longer one is refused. */
#define IDE_DMA_MAX (2u << 20)

struct ide_drive {
    bool present, ata;       /* ata: an ATA disk (mediated); else ATAPI */
    bool registered;         /* with storage_register */
    struct ata_geometry geo; /* for CHS commands */
    struct storage_dev sd;
    u64 pio_sectors, dma_sectors; /* through the cipher, by path */
};

enum ide_phase {
    IDE_IDLE,      /* no mediated command: the data port passes through */
    IDE_PIO_IN,    /* a mediated read: sectors decrypted on their way */
    IDE_PIO_OUT,   /* a mediated write: sectors collected, encrypted */
    IDE_DMA_CMD,   /* a DMA command issued, the bus master not started */
    IDE_FAILED,    /* refused: status reads give ERR until the next command */
};

struct ide_channel {
    spinlock_t lock;
    unsigned index;          /* 0 primary, 1 secondary */
    bool present;
    u16 cmd, ctl, bm;        /* port bases; bm 0: no bus master */
    struct io_owner owner;
    struct io_owner ctl_owner; /* device control / alternate status */
    struct ide_drive drive[2];
    struct ata_taskfile tf;  /* what the guest wrote */
    struct ata_cmd c;        /* the command in progress */
    enum ide_phase phase;
    bool crypt;              /* c touches sectors the cipher covers */
    u32 done;                /* sectors of c moved */
    u32 pos;                 /* bytes of sector[] served or collected */
    bool loaded;             /* sector[] holds a decrypted sector */
    u8 esize;                /* element size of the data access at hand */
    u8 sector[IDE_SECTOR] __aligned(64);

    /* bus master (ide_dma.c) */
    u8 bm_cmd;               /* the guest's command register */
    u32 guest_prd;           /* the guest's descriptor table address */
    bool start_pending;      /* start written before the DMA command */
    bool dma_running;        /* the device's bus master runs our table */
    bool dma_bounce;         /* ... over the bounce buffer */
    bool dma_refused;        /* status reads give ERROR|INTR */
    /* The channel's outstanding media DMA: dma_wait, a checked DMA
     * command (c) issued to drive c.drive whose engine has not started;
     * dma_locked, a DMA was refused (or stopped mid-transfer) after its
     * command reached the drive, which may still wait for data: no DMA
     * until a software reset (SRST). */
    bool dma_wait;
    bool dma_locked;
    u32 dma_bytes;
    struct ide_prd_walk walk;
    struct ide_prd *shadow;  /* the table the device is given */
    u64 shadow_phys;
    u8 *bounce;
    u64 bounce_phys;
    size_t bounce_len;
    u64 exits[2][8];         /* command-block exits [write][register] */
    u64 dma_commands;        /* bus-master transfers started */
};

/* The drive the command in progress addresses. */
static inline struct ide_drive *ide_cmd_drive(struct ide_channel *c)
{
    return &c->drive[c->c.drive];
}

/* ide.c */
void ide_fail(struct ide_channel *c, const char *fmt, ...) __printf(2, 3);

/* ide_dma.c (all with c->lock held) */
int ide_dma_setup(struct ide_channel *c);         /* at attach */
bool ide_dma_may_issue(struct ide_channel *c);    /* before a DMA command */
void ide_dma_command(struct ide_channel *c);      /* a DMA command issued */
void ide_dma_refuse(struct ide_channel *c, const char *why);
void ide_dma_poll(struct ide_channel *c);         /* completion check */
bool ide_bm_io(struct ide_channel *c, unsigned reg, bool in, u8 size,
               u32 *value);

#endif
