/* The IDE (ATA) storage mediator: a PCI IDE controller (class 01:01,
 * PIIX3/PIIX4 in QEMU's pc machine and in Bochs), its two channels' command
 * blocks and its bus master (ide_dma.c). The guest's task file writes are
 * shadowed, so the VMM knows each command's LBA and sector count from its
 * own copy; the data of media commands to ATA disks is decrypted on its
 * way to the guest and encrypted on its way to the disk, a sector at a
 * time, through the data port (PIO) or a bounce buffer (DMA). ATAPI
 * devices (the Veneer CD) and every other command pass through.
 * docs/storage-ide.md. */
#include <devices/storage/ide/ide.h>
#include <devices/pci/pci.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/log.h>
#include <stdarg.h>
#include <string.h>

#define IDE_LOG_LIMIT 32 /* refusals logged (then only counted) */
#define PROBE_SPINS 2000000

static struct ide_channel channels[2];
static const struct pci_dev *ide_pci;
static u32 refusals;

/* ---- helpers ------------------------------------------------------------- */

static void port_in(u16 port, void *buf, size_t words)
{
    __asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static void port_out(u16 port, const void *buf, size_t words)
{
    __asm__ volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

/* The refusal of the command in progress: one log line, status ERR and
 * error ABRT to the guest until its next command; the device gets no
 * data. */
void ide_fail(struct ide_channel *c, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    c->phase = IDE_FAILED;
    if (__atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED) < IDE_LOG_LIMIT)
        log_warn("ide", "ata%u.%u: %s (command 0x%02x LBA %llu, %u sectors) "
                 "refused: %s; error status to the guest", c->index,
                 c->c.drive, c->c.name, c->c.opcode,
                 (unsigned long long)c->c.lba, c->c.sectors, why);
}

/* ---- the drives, probed once at attach ---------------------------------- */

static u8 wait_not_busy(struct ide_channel *c)
{
    u8 st = 0xff;

    for (unsigned i = 0; i < PROBE_SPINS; i++) {
        st = inb(c->ctl); /* alternate status: no interrupt acknowledge */
        if (!(st & ATA_ST_BSY))
            break;
        cpu_relax();
    }
    return st;
}

/* IDENTIFY DEVICE with interrupts off at the drive (nIEN, as the BIOS
 * leaves it); an ATAPI device aborts it with its signature. */
static void probe_drive(struct ide_channel *c, unsigned n)
{
    struct ide_drive *d = &c->drive[n];
    u16 words[256];
    struct ata_identity id;

    outb(c->ctl, 0x02);
    outb((u16)(c->cmd + ATA_REG_DEVICE), (u8)(0xa0 | n << 4));
    for (int i = 0; i < 4; i++)
        (void)inb(c->ctl); /* 400 ns for the selection */
    u8 st = inb((u16)(c->cmd + ATA_REG_COMMAND));
    if (st == 0xff || st == 0x7f || st == 0 || (wait_not_busy(c) & ATA_ST_BSY))
        return;
    outb((u16)(c->cmd + ATA_REG_COMMAND), ATA_CMD_IDENTIFY);
    (void)inb(c->ctl);
    st = wait_not_busy(c);
    if ((st & (ATA_ST_BSY | ATA_ST_ERR)) == ATA_ST_ERR &&
        ata_is_packet_signature(inb((u16)(c->cmd + ATA_REG_LBA_MID)),
                                inb((u16)(c->cmd + ATA_REG_LBA_HI)))) {
        d->present = true;
        log_info("ide", "ata%u.%u: ATAPI device, passed through", c->index, n);
        return;
    }
    if ((st & (ATA_ST_BSY | ATA_ST_DRQ | ATA_ST_ERR)) != ATA_ST_DRQ)
        return;
    port_in(c->cmd, words, 256);
    (void)inb((u16)(c->cmd + ATA_REG_COMMAND)); /* acknowledge */
    ata_parse_identify(words, &id);
    d->present = true;
    d->ata = !id.atapi;
    d->geo = id.geo;
    if (!d->ata)
        return;
    d->sd = (struct storage_dev){ .kind = STORAGE_ATA, .pci = ide_pci,
                                  .unit = c->index * 2 + n,
                                  .sector_size = IDE_SECTOR,
                                  .sectors = id.sectors };
    d->registered = storage_register(&d->sd) == 0;
    log_info("ide", "ata%u.%u: ATA disk, %llu sectors%s, CHS %u/%u/%u%s",
             c->index, n, (unsigned long long)id.sectors,
             id.lba48 ? " (48-bit)" : "", d->geo.cylinders, d->geo.heads,
             d->geo.sectors, d->registered ? "" : "; not registered: passed through");
}

/* ---- PIO data ------------------------------------------------------------ */

static void raw_data(struct ide_channel *c, u8 *p, size_t len, bool in)
{
    for (size_t i = 0; i < len; i += c->esize) {
        if (c->esize == 4 && in)
            *(u32 *)(p + i) = inl(c->cmd);
        else if (c->esize == 4)
            outl(c->cmd, *(u32 *)(p + i));
        else if (c->esize == 2 && in)
            *(u16 *)(p + i) = inw(c->cmd);
        else if (c->esize == 2)
            outw(c->cmd, *(u16 *)(p + i));
        else if (in)
            p[i] = inb(c->cmd);
        else
            outb(c->cmd, p[i]);
    }
}

static void sector_done(struct ide_channel *c)
{
    c->pos = 0;
    c->loaded = false;
    ide_cmd_drive(c)->pio_sectors++;
    if (++c->done == c->c.sectors)
        c->phase = IDE_IDLE;
}

/* Serves up to `len` bytes of the current sector, reading and decrypting
 * it from the drive at its first byte. */
static size_t pio_in(struct ide_channel *c, u8 *p, size_t len)
{
    struct ide_drive *d = ide_cmd_drive(c);

    if (!c->loaded) {
        port_in(c->cmd, c->sector, IDE_SECTOR / 2);
        if (storage_crypt(&d->sd, c->c.lba + c->done, 1, c->sector, false) < 0) {
            memset(c->sector, 0, IDE_SECTOR); /* never ciphertext */
            ide_fail(c, "sector %llu cannot be decrypted",
                     (unsigned long long)(c->c.lba + c->done));
            memset(p, 0, len);
            return len;
        }
        c->loaded = true;
    }
    size_t n = MIN(len, IDE_SECTOR - c->pos);
    memcpy(p, c->sector + c->pos, n);
    c->pos += (u32)n;
    if (c->pos == IDE_SECTOR)
        sector_done(c);
    return n;
}

/* Collects up to `len` bytes of the current sector; a whole one is
 * encrypted and written to the drive. */
static size_t pio_out(struct ide_channel *c, const u8 *p, size_t len)
{
    struct ide_drive *d = ide_cmd_drive(c);
    size_t n = MIN(len, IDE_SECTOR - c->pos);

    memcpy(c->sector + c->pos, p, n);
    c->pos += (u32)n;
    if (c->pos < IDE_SECTOR)
        return n;
    if (storage_crypt(&d->sd, c->c.lba + c->done, 1, c->sector, true) < 0) {
        memset(c->sector, 0, IDE_SECTOR);
        ide_fail(c, "sector %llu cannot be encrypted: not written",
                 (unsigned long long)(c->c.lba + c->done));
        return len;
    }
    port_out(c->cmd, c->sector, IDE_SECTOR / 2);
    sector_done(c);
    return n;
}

/* The data port's io_string_fn (and the single IN/OUT's). */
static void data_xfer(void *ctx, void *buf, size_t len, bool in)
{
    struct ide_channel *c = ctx;
    u8 *p = buf;

    while (len) {
        size_t n = len;
        if (in && c->phase == IDE_PIO_IN)
            n = pio_in(c, p, len);
        else if (!in && c->phase == IDE_PIO_OUT)
            n = pio_out(c, p, len);
        else if (c->phase == IDE_FAILED && in)
            memset(p, 0, len);
        else if (c->phase != IDE_FAILED)
            raw_data(c, p, len, in);
        p += n;
        len -= n;
    }
}

/* ---- the command block --------------------------------------------------- */

static void command_written(struct ide_channel *c, u8 value)
{
    if (c->dma_wait) {
        /* c stays the outstanding command: its drive waits for its data */
        char why[96];
        ksnprintf(why, sizeof(why), "command 0x%02x written before its engine "
                  "started: not issued", value);
        ide_dma_refuse(c, why);
        return;
    }
    c->tf.command = value;
    struct ide_drive *d = &c->drive[c->tf.device & ATA_DEV_DRIVE ? 1 : 0];
    int r = ata_decode(&c->tf, &d->geo, &c->c);

    c->phase = IDE_IDLE;
    if (!d->ata || !d->registered) {
        outb((u16)(c->cmd + ATA_REG_COMMAND), value);
        return;
    }
    if (value == ATA_CMD_INIT_PARAMS) {
        d->geo.heads = (u16)((c->tf.device & 0x0f) + 1);
        d->geo.sectors = c->tf.count[0];
    }
    if (c->c.xfer == ATA_XFER_REFUSE) {
        ide_fail(c, "a media command the mediator does not shadow");
        return;
    }
    if (c->c.unciphered &&
        !storage_range_plain(&d->sd, 0, d->sd.sectors ? d->sd.sectors : ~0ull >> 1)) {
        ide_fail(c, "the device would write media from its data past the "
                 "cipher (TRIM, SCT): refused on a disk with an encrypted range");
        return;
    }
    if (r < 0) {
        ide_fail(c, "CHS address outside the drive's geometry %u/%u/%u",
                 d->geo.cylinders, d->geo.heads, d->geo.sectors);
        return;
    }
    c->done = 0;
    c->pos = 0;
    c->loaded = false;
    c->crypt = c->c.xfer != ATA_XFER_NONE &&
               !storage_range_plain(&d->sd, c->c.lba, c->c.sectors);
    if (c->c.xfer == ATA_XFER_PIO_IN && c->crypt)
        c->phase = IDE_PIO_IN;
    else if (c->c.xfer == ATA_XFER_PIO_OUT && c->crypt)
        c->phase = IDE_PIO_OUT;
    else if (c->c.xfer == ATA_XFER_DMA_IN || c->c.xfer == ATA_XFER_DMA_OUT)
        c->phase = IDE_DMA_CMD;
    if (c->phase == IDE_DMA_CMD && c->bm && !ide_dma_may_issue(c))
        return;
    outb((u16)(c->cmd + ATA_REG_COMMAND), value);
    if (c->phase == IDE_DMA_CMD && c->bm) /* else no engine can move its data */
        ide_dma_command(c);
}

static u32 reg_read(struct ide_channel *c, unsigned reg)
{
    if (reg == ATA_REG_COMMAND && c->bm)
        ide_dma_poll(c);
    if (c->phase == IDE_FAILED && reg == ATA_REG_COMMAND)
        return ATA_ST_DRDY | ATA_ST_ERR;
    if (c->phase == IDE_FAILED && reg == ATA_REG_FEATURE)
        return ATA_ERR_ABRT;
    return inb((u16)(c->cmd + reg));
}

static void reg_write(struct ide_channel *c, unsigned reg, u8 value)
{
    if (reg == ATA_REG_COMMAND) {
        command_written(c, value);
        return;
    }
    ata_tf_write(&c->tf, reg, value);
    outb((u16)(c->cmd + reg), value);
}

static struct ide_channel *channel_of(u16 port)
{
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++)
        if (channels[i].present && port >= channels[i].cmd &&
            port < channels[i].cmd + ATA_REG_COUNT_ALL)
            return &channels[i];
    return NULL;
}

static bool ide_cmd_io(struct vcpu *v, const struct vcpu_exit *e)
{
    struct ide_channel *c = channel_of(e->io.port);
    u64 *g = v->regs.gpr;

    if (!c)
        return false;
    unsigned reg = e->io.port - c->cmd;
    u64 flags = spin_lock_irqsave(&c->lock);
    c->exits[!e->io.in][reg & 7]++;
    c->esize = e->io.size;
    if (reg == ATA_REG_DATA && e->io.string) {
        io_string(v, e, data_xfer, c);
    } else if (reg == ATA_REG_DATA) {
        u32 val = (u32)g[GPR_RAX];
        data_xfer(c, &val, e->io.size, e->io.in);
        if (e->io.in)
            io_in_result(&g[GPR_RAX], e->io.size, val);
        vcpu_ops->skip_instruction(v, e);
    } else if (e->io.string) {
        io_string_passthrough(v, e); /* no driver does it: not shadowed */
    } else {
        u32 val = 0;
        for (unsigned i = 0; i < e->io.size && reg + i < ATA_REG_COUNT_ALL; i++) {
            if (e->io.in)
                val |= reg_read(c, reg + i) << (8 * i);
            else
                reg_write(c, reg + i, (u8)(g[GPR_RAX] >> (8 * i)));
        }
        if (e->io.in)
            io_in_result(&g[GPR_RAX], e->io.size, val);
        vcpu_ops->skip_instruction(v, e);
    }
    spin_unlock_irqrestore(&c->lock, flags);
    return true;
}

/* ---- the control block: device control / alternate status ------------- */

/* A software reset (SRST) aborts the drive's command: the shadow drops it
 * too. Alternate status reads see a refused command's error, and are a
 * point where a finished DMA is completed, like status reads. */
static bool ide_ctl_io(struct vcpu *v, const struct vcpu_exit *e)
{
    struct ide_channel *c = NULL;
    u64 *g = v->regs.gpr;

    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++)
        if (channels[i].present && e->io.port == channels[i].ctl)
            c = &channels[i];
    if (!c || e->io.size != 1)
        return false; /* (0x3f7 is the floppy's: passed through) */
    if (e->io.string) {
        io_string_passthrough(v, e); /* no driver does it: not shadowed */
        return true;
    }
    u64 flags = spin_lock_irqsave(&c->lock);
    if (e->io.in) {
        if (c->bm)
            ide_dma_poll(c);
        u32 st = c->phase == IDE_FAILED ? ATA_ST_DRDY | ATA_ST_ERR : inb(c->ctl);
        io_in_result(&g[GPR_RAX], 1, st);
    } else {
        u8 value = (u8)g[GPR_RAX];
        if (value & ATA_CTL_SRST) {
            c->phase = IDE_IDLE;
            c->start_pending = false;
            c->dma_wait = false;
            c->dma_locked = false; /* both drives abort their commands */
            c->c.xfer = ATA_XFER_NONE;
        }
        outb(c->ctl, value);
    }
    spin_unlock_irqrestore(&c->lock, flags);
    vcpu_ops->skip_instruction(v, e);
    return true;
}

/* ---- the bus master's ports ---------------------------------------------- */

static struct io_owner bm_owner;

static bool ide_bm_port_io(struct vcpu *v, const struct vcpu_exit *e)
{
    unsigned off = e->io.port - bm_owner.port;
    struct ide_channel *c = &channels[off / BM_CHANNEL_STRIDE];
    u64 *g = v->regs.gpr;
    u32 val = (u32)g[GPR_RAX];

    if (e->io.string || !c->present || !c->bm)
        return false;
    u64 flags = spin_lock_irqsave(&c->lock);
    bool handled = ide_bm_io(c, off % BM_CHANNEL_STRIDE, e->io.in, e->io.size, &val);
    spin_unlock_irqrestore(&c->lock, flags);
    if (!handled)
        return false;
    if (e->io.in)
        io_in_result(&g[GPR_RAX], e->io.size, val);
    vcpu_ops->skip_instruction(v, e);
    return true;
}

static struct io_owner bm_owner = {
    .count = 2 * BM_CHANNEL_STRIDE, .name = "IDE bus master",
    .handle = ide_bm_port_io,
};

/* ---- attach ----------------------------------------------------------------- */

static u16 io_bar(const struct pci_dev *d, unsigned i)
{
    struct pci_bar b;

    if (pci_read_bar(d, i, &b) < 0 || !b.io || b.base > 0xfff0)
        return 0;
    return (u16)b.base;
}

static void setup_channel(struct pci_dev *d, unsigned i)
{
    struct ide_channel *c = &channels[i];
    u8 prog = (u8)d->id.class;
    bool native = prog & (1u << (2 * i));

    c->index = i;
    c->lock = (spinlock_t)SPINLOCK_INIT;
    c->cmd = native ? io_bar(d, 2 * i) : (i ? 0x170 : 0x1f0);
    c->ctl = native ? (u16)(io_bar(d, 2 * i + 1) + 2) : (i ? 0x376 : 0x3f6);
    if (!c->cmd || c->ctl == 2)
        return;
    c->tf.device = 0xa0;
    for (unsigned n = 0; n < 2; n++)
        probe_drive(c, n);
    outb((u16)(c->cmd + ATA_REG_DEVICE), 0xa0);
    if (!c->drive[0].present && !c->drive[1].present)
        return;
    c->present = true;
    c->owner = (struct io_owner){ .port = c->cmd, .count = ATA_REG_COUNT_ALL,
                                  .name = i ? "IDE secondary channel"
                                            : "IDE primary channel",
                                  .handle = ide_cmd_io };
    u16 bm = io_bar(d, 4);
    if (bm && (prog & 0x80)) {
        c->bm = (u16)(bm + i * BM_CHANNEL_STRIDE);
        if (ide_dma_setup(c) < 0)
            c->bm = 0;
    }
    io_owner_register(&c->owner);
    c->ctl_owner = (struct io_owner){ .port = c->ctl, .count = 1,
                                      .name = i ? "IDE secondary control"
                                                : "IDE primary control",
                                      .handle = ide_ctl_io };
    io_owner_register(&c->ctl_owner);
    log_info("ide", "ata%u: %s mode, ports 0x%x/0x%x, bus master %s", i,
             native ? "native" : "compatibility", c->cmd, c->ctl,
             c->bm ? "mediated" : "none");
}

static int ide_attach(struct pci_dev *d)
{
    if (ide_pci) {
        log_warn("ide", "%02x:%02x.%x: a second IDE controller is not mediated",
                 d->id.bus, d->id.dev, d->id.fn);
        return -E_BUSY;
    }
    ide_pci = d;
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++)
        setup_channel(d, i);
    u16 bm = io_bar(d, 4);
    if ((channels[0].bm || channels[1].bm) && bm) {
        bm_owner.port = bm;
        io_owner_register(&bm_owner);
    }
    return 0;
}

/* The guest moved the bus master's BAR (the channels' own BARs in native
 * mode are not followed: no BIOS we run moves them): the owner follows,
 * or, where the ports are another owner's, BAR4 is put back. */
static void ide_config_written(struct pci_dev *d, u16 offset, u8 size)
{
    u16 bm;

    if (offset + size <= PCI_BAR0 + 16 || offset >= PCI_BAR0 + 20 || !bm_owner.port)
        return;
    bm = io_bar(d, 4);
    if (!bm || bm == bm_owner.port)
        return;
    if (io_owner_move(&bm_owner, bm) < 0) {
        pci_config_write(d, PCI_BAR0 + 16, 4, (u32)bm_owner.port | 1);
        log_warn("ide", "the guest moves the bus master to ports 0x%x: refused, "
                 "it stays at 0x%x", bm, bm_owner.port);
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++)
        if (channels[i].bm)
            channels[i].bm = (u16)(bm + i * BM_CHANNEL_STRIDE);
}

/* At the guest's power-off: how each mediated disk's data moved. */
static int ide_summary(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++)
        for (unsigned n = 0; n < 2; n++) {
            struct ide_drive *d = &channels[i].drive[n];
            if (d->registered)
                log_info("ide", "ata%u.%u: %llu sectors through the cipher by "
                         "PIO, %llu by bus-master DMA; %u refusals on the "
                         "controller", i, n, (unsigned long long)d->pio_sectors,
                         (unsigned long long)d->dma_sectors, refusals);
        }
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++) {
        const struct ide_channel *c = &channels[i];
        if (!c->present)
            continue;
        char line[256];
        size_t o = 0;
        for (unsigned w = 0; w < 2; w++)
            for (unsigned r = 0; r < 8; r++)
                if (c->exits[w][r] && o < sizeof(line))
                    o += ksnprintf(line + o, sizeof(line) - o, " %s%u=%llu",
                                   w ? "out" : "in", r,
                                   (unsigned long long)c->exits[w][r]);
        log_info("ide", "ata%u: %llu bus-master transfers; command-block exits by "
                 "register:%s", i, (unsigned long long)c->dma_commands, o ? line : " none");
    }
    return 0;
}
INIT_FUNC(poweroff, 40, ide_summary);

static const struct pci_mediator ide_mediator = {
    .name = "ide",
    .match_class = { .kind = PCI_SEL_CLASS, .class = 0x010100, .class_mask = 0xffff00 },
    .attach = ide_attach,
    .must_mediate = storage_encrypting,
    .config_written = ide_config_written,
};
PCI_MEDIATOR(ide_mediator);

/* ---- S3 (docs/sleep.md) ---------------------------------------------------- */

/* After the wake the channels are as after power-on: no command in
 * progress, bus masters stopped. A DMA lock (dma_locked) waited for the
 * software reset the power cycle just did. */
static int ide_resume(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(channels); i++) {
        struct ide_channel *c = &channels[i];
        if (!c->present)
            continue;
        u64 flags = spin_lock_irqsave(&c->lock);
        bool busy = c->phase != IDE_IDLE || c->dma_running || c->dma_wait;
        c->phase = IDE_IDLE;
        c->bm_cmd = 0;
        c->guest_prd = 0;
        c->start_pending = c->dma_running = c->dma_bounce = false;
        c->dma_refused = c->dma_wait = c->dma_locked = false;
        c->pos = 0;
        c->loaded = false;
        spin_unlock_irqrestore(&c->lock, flags);
        log_info("ide", "channel %u: S3 wake: reset%s", i,
                 busy ? " (a command in progress was dropped, never completed)" : "");
    }
    return 0;
}
INIT_FUNC(resume, 40, ide_resume);
