/* The IDE mediator's bus master (SFF-8038i, PIIX): the guest's PRD table
 * is shadowed. When the guest starts a transfer, its table is copied and
 * checked entry by entry (ide_prd_walk); the device is given a table in
 * VMM memory: over a bounce buffer when the command's sectors are
 * encrypted (filled and encrypted before a write; decrypted and copied to
 * the guest's regions when a read completes), else over the checked copy
 * of the guest's own regions. A malformed table is refused: the device is
 * never started, the guest reads ERROR|INTR in the bus-master status and
 * ERR/ABRT in the task file, and the VMM logs one line. Completion is
 * seen when the guest reads the bus-master status or the ATA status (its
 * interrupt handler reads both), or stops the engine. */
#include <common/guest_mem.h>
#include <devices/storage/ide/ide.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/log.h>
#include <string.h>

static int mem_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    (void)ctx;
    return guest_phys_read(gpa, buf, len);
}

static bool mem_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    return guest_ram_ok(gpa, len);
}

static const struct ide_mem_ops guest_mem = { mem_read, mem_ok, NULL };

/* A table may describe more than its command moves (the rest is unused,
 * as on the hardware); IDE_PRD_MAX entries of 64 KiB at most. */
#define PRD_WALK_MAX ((u64)IDE_PRD_MAX * 0x10000)

int ide_dma_setup(struct ide_channel *c)
{
    /* one page: IDE_PRD_MAX entries, never across a 64 KiB boundary */
    c->shadow = storage_bounce_alloc(IDE_PRD_MAX * sizeof(struct ide_prd),
                                     &c->shadow_phys);
    return c->shadow ? 0 : -E_NOMEM;
}

/* The engine is stopped at the device; the command's drive may still wait
 * for its data, so the channel takes no DMA until a software reset. */
static void refuse(struct ide_channel *c, const char *why)
{
    if (c->dma_running)
        outb((u16)(c->bm + BM_REG_COMMAND), c->bm_cmd & ~BM_CMD_START);
    c->dma_running = false;
    c->dma_refused = true;
    c->dma_locked = true;
    c->dma_wait = false;
    c->start_pending = false;
    ide_fail(c, "bus-master DMA: %s", why);
}

void ide_dma_refuse(struct ide_channel *c, const char *why)
{
    refuse(c, why);
}

static void refuse_walk(struct ide_channel *c)
{
    const struct ide_prd *p = &c->walk.bad_entry;
    char why[128];

    ksnprintf(why, sizeof(why), "PRD table at 0x%x entry %u (addr 0x%x count "
              "0x%x flags 0x%x): %s", c->guest_prd, c->walk.bad, p->addr,
              p->count, p->flags, ide_prd_error_name(c->walk.error));
    refuse(c, why);
}

static bool bounce_fit(struct ide_channel *c, size_t len)
{
    if (c->bounce_len >= len)
        return true;
    if (c->bounce)
        storage_bounce_free(c->bounce, c->bounce_len);
    c->bounce_len = 0;
    c->bounce = storage_bounce_alloc(len, &c->bounce_phys);
    if (!c->bounce)
        return false;
    c->bounce_len = ALIGN_UP(len, 4096);
    return true;
}

/* Between the bounce buffer and the guest's checked regions. */
static int bounce_copy(struct ide_channel *c, bool to_guest)
{
    u32 off = 0;

    for (unsigned i = 0; i < c->walk.n && off < c->dma_bytes; i++) {
        u32 n = MIN(c->walk.r[i].len, c->dma_bytes - off);
        int r = to_guest ? guest_phys_write(c->walk.r[i].addr, c->bounce + off, n)
                         : guest_phys_read(c->walk.r[i].addr, c->bounce + off, n);
        if (r < 0)
            return r;
        off += n;
    }
    return 0;
}

static void start_device(struct ide_channel *c, unsigned entries)
{
    if (!entries) {
        refuse(c, "the shadow table does not fit");
        return;
    }
    outl((u16)(c->bm + BM_REG_PRD), (u32)c->shadow_phys);
    outb((u16)(c->bm + BM_REG_COMMAND), c->bm_cmd);
    c->dma_running = true;
    c->start_pending = false;
    c->dma_commands++;
}

/* A transfer the cipher does not touch (ATAPI, other commands, plain
 * sectors): the device gets the checked copy of the guest's regions. */
static void start_plain(struct ide_channel *c)
{
    if (ide_prd_walk(c->guest_prd, PRD_WALK_MAX, &guest_mem, &c->walk) < 0) {
        refuse_walk(c);
        return;
    }
    for (unsigned i = 0; i < c->walk.n; i++)
        c->shadow[i] = (struct ide_prd){ c->walk.r[i].addr, (u16)c->walk.r[i].len,
                                         i + 1 == c->walk.n ? IDE_PRD_EOT : 0 };
    c->dma_bounce = false;
    start_device(c, c->walk.n);
}

static void start_bounced(struct ide_channel *c)
{
    struct ide_drive *d = ide_cmd_drive(c);
    bool to_memory = c->c.xfer == ATA_XFER_DMA_IN;
    u64 bytes = (u64)c->c.sectors * IDE_SECTOR;

    if (bytes > IDE_DMA_MAX) {
        refuse(c, "longer than the mediator bounces (2 MiB)");
        return;
    }
    if (ide_prd_walk(c->guest_prd, PRD_WALK_MAX, &guest_mem, &c->walk) < 0) {
        refuse_walk(c);
        return;
    }
    if (c->walk.bytes < bytes) {
        refuse(c, "the PRD table covers fewer bytes than the command moves");
        return;
    }
    if (!bounce_fit(c, bytes)) {
        refuse(c, "no bounce buffer");
        return;
    }
    c->dma_bytes = (u32)bytes;
    c->dma_bounce = true;
    if (!to_memory && (bounce_copy(c, false) < 0 ||
                       storage_crypt(&d->sd, c->c.lba, c->c.sectors, c->bounce, true) < 0)) {
        memset(c->bounce, 0, bytes);
        refuse(c, "the data cannot be encrypted: not written");
        return;
    }
    start_device(c, ide_prd_build(c->bounce_phys, bytes, c->shadow, IDE_PRD_MAX));
    if (c->dma_running)
        d->dma_sectors += c->c.sectors;
}

/* The guest set the start bit (or issued the DMA command after it did).
 * The engine runs only for the checked command, on the drive it was
 * issued to; with a mediated drive selected and no checked command, it
 * waits for one; a plain table goes to a non-mediated drive only. */
static void bm_start(struct ide_channel *c)
{
    bool to_memory = c->bm_cmd & BM_CMD_TO_MEMORY;
    unsigned sel = c->tf.device & ATA_DEV_DRIVE ? 1 : 0;
    struct ide_drive *d = &c->drive[sel];

    c->dma_refused = false;
    if (c->dma_locked) {
        refuse(c, "a refused DMA command may still wait for its data: "
               "the channel needs a software reset (SRST) first");
        return;
    }
    if (!c->dma_wait && c->phase == IDE_FAILED) {
        refuse(c, "its command was refused");
        return;
    }
    if (!c->dma_wait) {
        if (d->ata && d->registered)
            c->start_pending = true; /* started before its command */
        else
            start_plain(c);
        return;
    }
    if (sel != c->c.drive) {
        refuse(c, "started with the other drive selected");
        return;
    }
    if (to_memory != (c->c.xfer == ATA_XFER_DMA_IN)) {
        refuse(c, "the direction bit contradicts the command");
        return;
    }
    c->dma_wait = false;
    c->phase = IDE_IDLE;
    if (c->crypt)
        start_bounced(c);
    else
        start_plain(c);
}

/* A checked DMA command may reach its drive only with the engine stopped
 * (a running engine would move the guest's table for it at once) and the
 * channel not locked; the device's engine is stopped before it goes. */
bool ide_dma_may_issue(struct ide_channel *c)
{
    ide_dma_poll(c);
    if (c->dma_locked) {
        refuse(c, "after a refused DMA the channel needs a software reset "
               "(SRST): not issued");
        return false;
    }
    if (c->dma_running) {
        refuse(c, "issued while the engine runs the guest's table: not issued");
        return false;
    }
    outb((u16)(c->bm + BM_REG_COMMAND), c->bm_cmd & ~BM_CMD_START);
    return true;
}

void ide_dma_command(struct ide_channel *c)
{
    c->dma_wait = true;
    if (c->start_pending)
        bm_start(c);
}

static void finish(struct ide_channel *c)
{
    struct ide_drive *d = ide_cmd_drive(c);

    c->dma_running = false;
    if (!c->dma_bounce || c->c.xfer != ATA_XFER_DMA_IN)
        return;
    if (storage_crypt(&d->sd, c->c.lba, c->c.sectors, c->bounce, false) < 0) {
        memset(c->bounce, 0, c->dma_bytes);
        refuse(c, "the data cannot be decrypted: not delivered");
        return;
    }
    if (bounce_copy(c, true) < 0)
        refuse(c, "a region left guest memory");
}

void ide_dma_poll(struct ide_channel *c)
{
    if (!c->dma_running)
        return;
    u8 st = inb((u16)(c->bm + BM_REG_STATUS));
    /* done: the engine stopped, or the drive interrupted with all data in
     * memory (PIIX: INTR is set only after the FIFO is flushed) */
    if (!(st & BM_ST_ACTIVE) || (st & BM_ST_INTR))
        finish(c);
}

static void bm_stop(struct ide_channel *c)
{
    ide_dma_poll(c);
    if (c->dma_running)
        c->dma_locked = true; /* the drive may still wait for data */
    c->dma_running = false; /* stopped while active: the data is dropped */
    c->start_pending = false;
    outb((u16)(c->bm + BM_REG_COMMAND), c->bm_cmd);
}

static void command_write(struct ide_channel *c, u8 value)
{
    u8 old = c->bm_cmd;

    c->bm_cmd = value & (BM_CMD_START | BM_CMD_TO_MEMORY);
    if ((c->bm_cmd & BM_CMD_START) && !(old & BM_CMD_START))
        bm_start(c);
    else if (!(c->bm_cmd & BM_CMD_START) && (old & BM_CMD_START))
        bm_stop(c);
    else if (!c->dma_running)
        outb((u16)(c->bm + BM_REG_COMMAND), c->bm_cmd & ~BM_CMD_START);
}

static u8 status_read(struct ide_channel *c)
{
    ide_dma_poll(c);
    u8 st = inb((u16)(c->bm + BM_REG_STATUS));
    if (c->dma_refused)
        return (u8)((st & ~BM_ST_ACTIVE) | BM_ST_ERROR | BM_ST_INTR);
    if (c->start_pending)
        st |= BM_ST_ACTIVE;
    return st;
}

static void status_write(struct ide_channel *c, u8 value)
{
    if (value & BM_ST_ERROR)
        c->dma_refused = false;
    outb((u16)(c->bm + BM_REG_STATUS), value);
}

/* One byte of the channel's 8 bus-master registers. */
static u8 bm_byte(struct ide_channel *c, unsigned reg, bool in, u8 value)
{
    switch (reg) {
    case BM_REG_COMMAND:
        if (in)
            return c->bm_cmd;
        command_write(c, value);
        return 0;
    case BM_REG_STATUS:
        if (in)
            return status_read(c);
        status_write(c, value);
        return 0;
    case BM_REG_PRD: case BM_REG_PRD + 1: case BM_REG_PRD + 2: case BM_REG_PRD + 3: {
        unsigned sh = 8 * (reg - BM_REG_PRD);
        if (in)
            return (u8)(c->guest_prd >> sh);
        c->guest_prd = (c->guest_prd & ~(0xffu << sh)) | (u32)value << sh;
        return 0;
    }
    default:
        if (in)
            return inb((u16)(c->bm + reg));
        outb((u16)(c->bm + reg), value);
        return 0;
    }
}

bool ide_bm_io(struct ide_channel *c, unsigned reg, bool in, u8 size, u32 *value)
{
    u32 out = 0;

    if (reg + size > BM_CHANNEL_STRIDE)
        return false;
    for (unsigned i = 0; i < size; i++)
        out |= (u32)bm_byte(c, reg + i, in, (u8)(*value >> (8 * i))) << (8 * i);
    if (in)
        *value = out;
    return true;
}
