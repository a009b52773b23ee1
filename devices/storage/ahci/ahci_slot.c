/* The AHCI mediator's shadowed commands. When the guest sets a bit of
 * PxCI, its command header and command table (CFIS and PRDT) are copied
 * into VMM memory once and checked (ahci_cmd.c); the HBA is given the
 * shadow: a command table in VMM memory whose PRDT covers a bounce buffer
 * when the command's sectors are encrypted (filled and encrypted before a
 * write is issued; decrypted and copied to the guest's regions when a
 * read completes), else the checked copy of the guest's own regions. A
 * malformed command is replaced by a NOP, which the device aborts: the
 * guest sees the task-file error a real device reports (PxIS.TFES,
 * PxTFD ERR/ABRT, with the interrupt it enabled), and the VMM logs one
 * line. Completion is seen when the guest reads PxCI, PxSACT, PxIS, PxTFD
 * or IS (ahci.c): the PRD byte count is written back to the guest's
 * header and the received FISes copied to its FIS area. */
#include <common/guest_mem.h>
#include <common/vcpu.h>
#include <devices/storage/ahci/ahci.h>
#include <platform/bootinfo.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/percpu.h>
#include <stdarg.h>
#include <string.h>

#define AHCI_LOG_LIMIT 32 /* refusals logged (then only counted) */
/* Bounce buffers: a slot keeps one up to BOUNCE_KEEP for its next
 * command (Linux 6.1 sends QEMU's AHCI disks 128 KiB at most); a larger
 * one (up to POOL_BUF_MAX, the Linux block layer's default largest
 * request) goes to its port's pool of AHCI_POOL when the command is done,
 * where the next large command of any slot takes it: a stream of 1 MiB
 * commands allocates nothing after its first few. At most 32 x 256 KiB +
 * 4 x 1280 KiB stay held per port; a larger buffer (up to AHCI_XFER_MAX)
 * goes back to the VMM when its command is done. */
#define BOUNCE_KEEP (256u << 10)
#define POOL_BUF_MAX (1280u << 10)
#define TABLE_BYTES (sizeof(struct ahci_cmd_table) + AHCI_PRDT_MAX * sizeof(struct ahci_prd))

static u32 refusals;

u32 ahci_refusal_count(void)
{
    return __atomic_load_n(&refusals, __ATOMIC_RELAXED);
}

static int mem_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    (void)ctx;
    return guest_phys_read(gpa, buf, len);
}

/* Guest RAM the HBA may touch: not the VMM region, and RAM in the
 * firmware's map, its own reserved top of low memory included. */
static bool dma_ok(u64 gpa, u64 len)
{
    return guest_ram_ok(gpa, len);
}

static bool mem_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    return dma_ok(gpa, len);
}

static const struct ahci_mem_ops guest_mem = { mem_read, mem_ok, NULL };

static u64 guest_clb(const struct ahci_port *p)
{
    return (u64)p->clbu << 32 | p->clb;
}

static u64 guest_fb(const struct ahci_port *p)
{
    return (u64)p->fbu << 32 | p->fb;
}

/* The slot's shadow table and walk, allocated at its first command. */
static bool slot_memory(struct ahci_slot *s)
{
    if (!s->table)
        s->table = storage_bounce_alloc(TABLE_BYTES, &s->table_phys);
    if (!s->walk) {
        u64 phys;
        s->walk = storage_bounce_alloc(sizeof(*s->walk), &phys);
    }
    return s->table && s->walk;
}

static void bounce_release(struct ahci_bounce *b)
{
    storage_bounce_free(b->buf, b->len);
    *b = (struct ahci_bounce){ NULL, 0, 0 };
}

/* A buffer the slot gives up: into the port's pool when it is one of the
 * large ones the pool keeps and there is room (a smaller one there makes
 * room), else back to the VMM. */
static void bounce_put(struct ahci_port *p, struct ahci_bounce *b)
{
    struct ahci_bounce *room = NULL;

    if (!b->buf)
        return;
    if (b->len > BOUNCE_KEEP && b->len <= POOL_BUF_MAX)
        for (unsigned i = 0; i < AHCI_POOL; i++)
            if (!room || p->pool[i].len < room->len)
                room = &p->pool[i];
    if (!room || room->len >= b->len) {
        bounce_release(b);
        return;
    }
    if (room->buf)
        bounce_release(room);
    *room = *b;
    *b = (struct ahci_bounce){ NULL, 0, 0 };
}

/* A bounce buffer of at least `len` bytes for slot s: its own, else the
 * smallest of the port's pool that fits, else new VMM memory. */
static bool bounce_fit(struct ahci_port *p, struct ahci_slot *s, size_t len)
{
    struct ahci_bounce *best = NULL;

    if (s->b.len >= len)
        return true;
    bounce_put(p, &s->b);
    for (unsigned i = 0; i < AHCI_POOL; i++)
        if (p->pool[i].len >= len && (!best || p->pool[i].len < best->len))
            best = &p->pool[i];
    if (best) {
        s->b = *best;
        *best = (struct ahci_bounce){ NULL, 0, 0 };
        return true;
    }
    s->b.buf = storage_bounce_alloc(len, &s->b.phys);
    if (!s->b.buf)
        return false;
    s->b.len = ALIGN_UP(len, 4096);
    if (s->b.len > BOUNCE_KEEP)
        p->large_allocs++;
    return true;
}

/* Between the bounce buffer and the guest's checked regions. */
static int bounce_copy(struct ahci_slot *s, bool to_guest)
{
    u32 off = 0;

    for (unsigned i = 0; i < s->walk->n && off < s->bytes; i++) {
        u32 n = MIN(s->walk->r[i].len, s->bytes - off);
        int r = to_guest ? guest_phys_write(s->walk->r[i].addr, s->b.buf + off, n)
                         : guest_phys_read(s->walk->r[i].addr, s->b.buf + off, n);
        if (r < 0)
            return r;
        off += n;
    }
    return 0;
}

/* One log line per refusal (rate-limited), naming the slot, the command
 * and what was wrong. */
static void log_refusal(struct ahci_port *p, unsigned n, enum ahci_error e,
                        const char *fmt, ...) __printf(4, 5);
static void log_refusal(struct ahci_port *p, unsigned n, enum ahci_error e,
                        const char *fmt, ...)
{
    struct ahci_slot *s = &p->slot[n];
    char where[112] = "";
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(where, sizeof(where), fmt, ap);
    va_end(ap);
    if (__atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED) >= AHCI_LOG_LIMIT)
        return;
    if (!s->c.name) /* refused before its command FIS was read */
        log_warn("ahci", "%s slot %u: refused: %s%s; error status to the guest",
                 p->sd.name, n, where, ahci_error_name(e));
    else
        log_warn("ahci", "%s slot %u: %s (command 0x%02x LBA %llu, %u sectors) "
                 "refused: %s%s; error status to the guest", p->sd.name, n,
                 s->c.name, s->c.opcode, (unsigned long long)s->c.lba,
                 s->c.sectors, where, ahci_error_name(e));
}

/* The refused command is replaced by a NOP without data: the device
 * aborts it (status ERR, error ABRT), the HBA sets PxIS.TFES and
 * interrupts if the guest enabled it, as for any failed command. */
static void issue_nop(struct ahci_port *p, unsigned n)
{
    p->slot[n].refused = true;
    p->cl[n] = (struct ahci_cmd_header){ .flags = 5, .prdtl = 0,
                                         .ctba = (u32)p->nop_phys,
                                         .ctbau = (u32)(p->nop_phys >> 32) };
}

static void refuse_walk(struct ahci_port *p, unsigned n)
{
    const struct ahci_prdt_walk *w = p->slot[n].walk;
    const struct ahci_prd *e = &w->bad_entry;

    if (w->error == AHCI_ERR_TOO_MANY || w->error == AHCI_ERR_TABLE_OUTSIDE)
        log_refusal(p, n, w->error, "PRDT: ");
    else
        log_refusal(p, n, w->error, "PRDT entry %u (addr 0x%llx count 0x%x): ",
                    w->bad, (unsigned long long)((u64)e->dbau << 32 | e->dba),
                    (e->dbc & AHCI_PRD_DBC_MASK) + 1);
    issue_nop(p, n);
}

static bool guest_in_long_mode(void)
{
    struct vcpu *v = this_cpu()->vcpu;

    return v && (vcpu_state_get(v, VS_EFER)->efer & EFER_LMA);
}

/* Media data through the bounce buffer: a write is copied in and
 * encrypted here; a read is decrypted at completion. */
static int shadow_bounced(struct ahci_port *p, unsigned n, bool write)
{
    struct ahci_slot *s = &p->slot[n];

    if (s->bytes > BOUNCE_KEEP)
        p->large_cmds++;
    if (!bounce_fit(p, s, s->bytes))
        return -AHCI_ERR_NO_BOUNCE;
    if (write && (bounce_copy(s, false) < 0 ||
                  storage_crypt(&p->sd, s->c.lba, s->c.sectors, s->b.buf, true) < 0)) {
        memset(s->b.buf, 0, s->bytes);
        return -AHCI_ERR_CIPHER;
    }
    s->bounce = true;
    return (int)ahci_prdt_build(s->b.phys, s->bytes, s->table->prdt, AHCI_PRDT_MAX);
}

/* Copies slot n's header and command table head (CFIS, ACMD) from the
 * guest and decodes the CFIS. Returns 0, or < 0 after logging why. */
static int copy_command(struct ahci_port *p, unsigned n, struct ahci_cmd_header *h,
                        u64 *ctba)
{
    struct ahci_slot *s = &p->slot[n];

    if (!slot_memory(s)) {
        log_refusal(p, n, AHCI_ERR_NO_BOUNCE, "%s", "");
        return -E_NOMEM;
    }
    if (!dma_ok(s->guest_hdr, sizeof(*h)) || guest_phys_read(s->guest_hdr, h, sizeof(*h)) < 0) {
        log_refusal(p, n, AHCI_ERR_CL_OUTSIDE, "PxCLB 0x%llx: ",
                    (unsigned long long)guest_clb(p));
        return -E_INVAL;
    }
    *ctba = ((u64)h->ctbau << 32 | h->ctba) & ~(u64)(AHCI_CTBA_ALIGN - 1);
    if (!p->hba->addr64)
        *ctba &= 0xffffffffu;
    if (!dma_ok(*ctba, sizeof(struct ahci_cmd_table)) ||
        guest_phys_read(*ctba, s->table, sizeof(struct ahci_cmd_table)) < 0) {
        log_refusal(p, n, AHCI_ERR_TABLE_OUTSIDE, "command table at 0x%llx: ",
                    (unsigned long long)*ctba);
        return -E_INVAL;
    }
    ahci_decode_cfis(s->table->cfis, h->flags & AHCI_HDR_CFL, &s->c);
    if (!dma_ok(guest_fb(p), AHCI_RFIS_SIZE)) {
        log_refusal(p, n, AHCI_ERR_FB_OUTSIDE, "PxFB 0x%llx: ",
                    (unsigned long long)guest_fb(p));
        return -E_INVAL;
    }
    if (s->c.xfer == AHCI_XFER_REFUSE) {
        log_refusal(p, n, s->c.bad_fis ? AHCI_ERR_CFIS
                          : s->c.chs ? AHCI_ERR_CHS : AHCI_ERR_UNSHADOWED,
                    "%s", s->c.bad_fis ? "type or length: " : "");
        return -E_INVAL;
    }
    /* the HBA moves an NCQ command's data by the tag the device sends
     * back (DMA Setup FIS), i.e. with the PRDT of slot `tag` */
    if (s->c.ncq && s->c.tag != n) {
        log_refusal(p, n, AHCI_ERR_TAG, "tag %u: ", s->c.tag);
        return -E_INVAL;
    }
    if (s->c.unciphered && p->registered &&
        !storage_range_plain(&p->sd, 0, p->sd.sectors ? p->sd.sectors : ~0ull >> 1)) {
        log_refusal(p, n, AHCI_ERR_UNCIPHERED, "%s", "");
        return -E_INVAL;
    }
    return 0;
}

/* The media transfer against its PRDT: size, coverage, direction. */
static enum ahci_error check_transfer(struct ahci_port *p, unsigned n, u16 flags)
{
    struct ahci_slot *s = &p->slot[n];
    u64 bytes = (u64)s->c.sectors * p->sd.sector_size;
    bool write = s->c.xfer == AHCI_XFER_WRITE;

    s->bytes = 0;
    if (s->c.xfer == AHCI_XFER_NONE)
        return AHCI_OK;
    if (bytes > AHCI_XFER_MAX)
        return AHCI_ERR_TOO_LONG;
    if (s->walk->bytes < bytes)
        return AHCI_ERR_SHORT;
    if (write != !!(flags & AHCI_HDR_WRITE))
        return AHCI_ERR_DIRECTION;
    s->bytes = (u32)bytes;
    return AHCI_OK;
}

/* The shadow PRDT: over the bounce buffer when the cipher covers the
 * sectors, else over the guest's checked regions. Returns its entries,
 * or < 0 after logging why. */
static int shadow_prdt(struct ahci_port *p, unsigned n)
{
    struct ahci_slot *s = &p->slot[n];

    if (!s->bytes || !p->registered ||
        storage_range_plain(&p->sd, s->c.lba, s->c.sectors)) {
        for (unsigned i = 0; i < s->walk->n; i++)
            s->table->prdt[i] = (struct ahci_prd){
                (u32)s->walk->r[i].addr, (u32)(s->walk->r[i].addr >> 32), 0,
                s->walk->r[i].len - 1 };
        return (int)s->walk->n;
    }
    int entries = shadow_bounced(p, n, s->c.xfer == AHCI_XFER_WRITE);
    if (entries < 0) {
        log_refusal(p, n, (enum ahci_error)-entries, "%s", "");
        return -E_INVAL;
    }
    *(s->before_lm ? &p->sectors_bios : &p->sectors_os) += s->c.sectors;
    if (s->c.ncq)
        p->sectors_ncq += s->c.sectors;
    return entries;
}

/* Shadows slot n from the guest's command list; on a refusal the slot
 * gets the NOP. The shadow header is left in p->cl[n]. */
static void shadow_slot(struct ahci_port *p, unsigned n)
{
    struct ahci_slot *s = &p->slot[n];
    struct ahci_cmd_header h;
    enum ahci_error e;
    u64 ctba;
    int entries;

    s->refused = false;
    s->bounce = false;
    s->bytes = 0;
    s->c = (struct ahci_ata_cmd){ .name = NULL };
    s->before_lm = !guest_in_long_mode();
    s->guest_hdr = guest_clb(p) + n * sizeof(h);
    p->commands++;
    if (copy_command(p, n, &h, &ctba) < 0) {
        issue_nop(p, n);
        return;
    }
    if (ahci_prdt_walk(ctba + offsetof(struct ahci_cmd_table, prdt), h.prdtl,
                       p->hba->addr64, &guest_mem, s->walk) < 0) {
        refuse_walk(p, n);
        return;
    }
    if ((e = check_transfer(p, n, h.flags)) != AHCI_OK) {
        log_refusal(p, n, e, "%s", "");
        issue_nop(p, n);
        return;
    }
    if ((entries = shadow_prdt(p, n)) < 0) {
        issue_nop(p, n);
        return;
    }
    h.prdtl = (u16)entries;
    h.prdbc = 0;
    h.ctba = (u32)s->table_phys;
    h.ctbau = (u32)(s->table_phys >> 32);
    p->cl[n] = h;
}

void ahci_issue(struct ahci_port *p, u32 ci)
{
    u32 fresh = ci & ~p->issued, sact = 0;

    /* AHCI 3.3.14: PxCI is written only while ST is set; else no effect */
    if (!fresh || !(ahci_port_read(p, PX_CMD) & PX_CMD_ST))
        return;
    for (unsigned n = 0; n < 32; n++) {
        if (!(fresh & BIT(n)))
            continue;
        shadow_slot(p, n);
        if (!(p->sact_pending & BIT(n)))
            continue;
        if (p->slot[n].refused)
            p->sact_refused |= BIT(n);
        else
            sact |= BIT(n);
    }
    p->sact_pending &= ~fresh;
    p->issued |= fresh;
    unsigned inflight = 0;
    for (u32 m = p->issued; m; m &= m - 1)
        inflight++;
    if (inflight > p->max_inflight)
        p->max_inflight = inflight;
    /* AHCI 5.6.4.1: PxSACT before PxCI for a queued command */
    if (sact)
        ahci_port_write(p, PX_SACT, sact);
    ahci_port_write(p, PX_CI, fresh);
}

static void complete(struct ahci_port *p, unsigned n)
{
    struct ahci_slot *s = &p->slot[n];
    u32 prdbc = p->cl[n].prdbc;

    p->issued &= ~BIT(n);
    if (s->refused)
        return;
    if (s->bounce && s->c.xfer == AHCI_XFER_READ) {
        if (storage_crypt(&p->sd, s->c.lba, s->c.sectors, s->b.buf, false) < 0) {
            memset(s->b.buf, 0, s->bytes); /* never ciphertext to the guest */
            log_refusal(p, n, AHCI_ERR_CIPHER, "%s", "completion: zeros delivered; ");
        }
        if (bounce_copy(s, true) < 0)
            log_refusal(p, n, AHCI_ERR_OUTSIDE, "%s", "completion: ");
    }
    /* the byte count the HBA wrote into the shadow header (4.2.2) */
    guest_phys_write(s->guest_hdr + offsetof(struct ahci_cmd_header, prdbc),
                     &prdbc, sizeof(prdbc));
    /* 32 slots of up to 4 MiB would not fit the VMM region: a large
     * buffer goes to the port's pool (or back) once its command is done */
    if (s->b.len > BOUNCE_KEEP)
        bounce_put(p, &s->b);
}

/* The FIS receive area's regions (AHCI 4.2.1): DMA setup, PIO setup, D2H
 * register, set device bits, unknown. Each FIS the HBA received in the
 * shadow is copied to the guest's area once, then cleared in the shadow
 * (a FIS's type byte is never 0): the guest's area is written when a FIS
 * came, as the HBA itself writes it, never over and over. A FIS area left
 * programmed by a driver that is gone (a UEFI firmware's, in memory the OS
 * reuses after ExitBootServices) is not written again for an old FIS. */
static const struct { u16 off, len; } fis_regions[] = {
    { 0x00, 0x1c }, { 0x20, 0x14 }, { 0x40, 0x14 }, { 0x58, 0x08 }, { 0x60, 0x40 },
};

static bool fis_arrived(const struct ahci_port *p)
{
    for (unsigned i = 0; i < sizeof(fis_regions) / sizeof(fis_regions[0]); i++)
        if (__atomic_load_n(p->rfis + fis_regions[i].off, __ATOMIC_ACQUIRE))
            return true;
    return false;
}

static void copy_new_fises(struct ahci_port *p)
{
    for (unsigned i = 0; i < sizeof(fis_regions) / sizeof(fis_regions[0]); i++) {
        u8 *f = p->rfis + fis_regions[i].off;
        if (!__atomic_load_n(f, __ATOMIC_ACQUIRE))
            continue;
        guest_phys_write(guest_fb(p) + fis_regions[i].off, f, fis_regions[i].len);
        memset(f, 0, fis_regions[i].len);
    }
}

/* A port with no slot at the HBA costs no register read here unless the
 * caller wants PxCI or PxSACT (the HBA's IS read polls every port), nor
 * does a port whose FIS area received nothing. */
void ahci_poll(struct ahci_port *p, u32 *ci_out, u32 *sact_out)
{
    u32 ci = p->issued || ci_out ? ahci_port_read(p, PX_CI) : 0;
    u32 sact = p->issued || sact_out ? ahci_port_read(p, PX_SACT) : 0;
    u32 done = p->issued & ~ci & ~sact;

    for (unsigned n = 0; done && n < 32; n++)
        if (done & BIT(n))
            complete(p, n);
    /* the D2H, PIO setup and SDB FISes the HBA received, for the guest's
     * driver to read the status from (SeaBIOS does) */
    if (fis_arrived(p) && (ahci_port_read(p, PX_CMD) & PX_CMD_FRE) &&
        dma_ok(guest_fb(p), AHCI_RFIS_SIZE))
        copy_new_fises(p);
    if (ci_out)
        *ci_out = ci;
    if (sact_out)
        *sact_out = sact;
}

void ahci_drop_all(struct ahci_port *p)
{
    p->issued = 0;
    p->sact_pending = 0;
    p->sact_refused = 0;
}
