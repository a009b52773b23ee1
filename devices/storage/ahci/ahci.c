/* The AHCI storage mediator: SATA HBAs (class 01:06:01; QEMU q35's ICH9
 * and `-device ahci`), their registers (ABAR, BAR5) hooked through the
 * second-level map (common/mmio.h). Each port with a SATA disk is
 * shadowed: the guest's PxCLB/PxFB are kept virtual and the HBA gets the
 * VMM's command list and FIS receive area; the guest's commands are copied,
 * checked and their data bounced through the cipher (ahci_slot.c). Ports
 * with an ATAPI device or nothing pass through, as do interrupts.
 * docs/storage-ahci.md. */
#include <devices/storage/ahci/ahci.h>
#include <devices/storage/ide/ide_prd.h>
#include <devices/pci/pci.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/time.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/trap.h>
#include <string.h>

#define AHCI_MAX_HBAS 4
/* AHCI 1.3 10.1.2: PxCMD.CR and FR clear within 500 ms of ST and FRE. */
#define STOP_WAIT_US 500000

static struct ahci_hba hbas[AHCI_MAX_HBAS];
static unsigned nhbas;

/* ---- raw register access -------------------------------------------------- */

static u32 hba_read(struct ahci_hba *h, unsigned off)
{
    return *(volatile u32 *)(h->regs + off);
}

static void hba_write(struct ahci_hba *h, unsigned off, u32 v)
{
    *(volatile u32 *)(h->regs + off) = v;
}

/* An access the mediator does not change, done as the guest made it. */
static void raw_access(u64 pa, unsigned size, bool write, u64 *value)
{
    mmio_pass(phys_to_virt(pa), size, write, value);
}

/* ---- the ports -------------------------------------------------------------- */

/* Gives the HBA the shadow's command list and FIS area (each writable only
 * while its engine is off: AHCI 3.3.1, 3.3.3). */
static void program_shadow(struct ahci_port *p, u32 cmd)
{
    if (!(cmd & (PX_CMD_ST | PX_CMD_CR))) {
        ahci_port_write(p, PX_CLB, (u32)p->cl_phys);
        ahci_port_write(p, PX_CLBU, p->hba->addr64 ? (u32)(p->cl_phys >> 32) : 0);
    }
    if (!(cmd & (PX_CMD_FRE | PX_CMD_FR))) {
        ahci_port_write(p, PX_FB, (u32)p->rfis_phys);
        ahci_port_write(p, PX_FBU, p->hba->addr64 ? (u32)(p->rfis_phys >> 32) : 0);
    }
}

static bool wait_clear(struct ahci_port *p, u32 bits)
{
    u64 t0 = rdtsc();

    while (rdtsc() - t0 < us_to_tsc(STOP_WAIT_US)) {
        if (!(ahci_port_read(p, PX_CMD) & bits))
            return true;
        cpu_relax();
    }
    return !(ahci_port_read(p, PX_CMD) & bits);
}

static void cmd_write(struct ahci_port *p, u32 v)
{
    u32 cur = ahci_port_read(p, PX_CMD);

    if ((cur & PX_CMD_ST) && !(v & PX_CMD_ST)) {
        u32 ci, sact;
        ahci_poll(p, &ci, &sact); /* what finished is delivered */
        ahci_drop_all(p);         /* the HBA clears PxCI and PxSACT */
    }
    if (((v & PX_CMD_ST) && !(cur & PX_CMD_ST)) ||
        ((v & PX_CMD_FRE) && !(cur & PX_CMD_FRE)))
        program_shadow(p, cur);
    ahci_port_write(p, PX_CMD, v);
}

/* A mediated port's register dword `reg`. */
static void port_access(struct ahci_port *p, unsigned reg, bool write, u32 *v)
{
    u32 ci, sact, x;

    switch (reg) {
    case PX_CLB:
        if (write) p->clb = *v & ~(AHCI_CLB_ALIGN - 1); else *v = p->clb;
        return;
    case PX_CLBU:
        if (write) p->clbu = p->hba->addr64 ? *v : 0; else *v = p->clbu;
        return;
    case PX_FB:
        if (write) p->fb = *v & ~(AHCI_FB_ALIGN - 1); else *v = p->fb;
        return;
    case PX_FBU:
        if (write) p->fbu = p->hba->addr64 ? *v : 0; else *v = p->fbu;
        return;
    case PX_CMD:
        if (write) cmd_write(p, *v); else *v = ahci_port_read(p, PX_CMD);
        return;
    case PX_CI:
        if (write) {
            ahci_issue(p, *v);
        } else {
            ahci_poll(p, &ci, NULL);
            *v = ci;
        }
        return;
    case PX_SACT:
        if (write) {
            p->sact_pending |= *v;
        } else {
            ahci_poll(p, NULL, &sact);
            *v = sact | p->sact_pending | p->sact_refused;
        }
        return;
    case PX_IS:
    case PX_TFD:
        if (write) {
            ahci_port_write(p, reg, *v);
        } else {
            x = ahci_port_read(p, reg); /* then the slots it reports */
            ahci_poll(p, NULL, NULL);
            *v = x;
        }
        return;
    default:
        if (write) ahci_port_write(p, reg, *v); else *v = ahci_port_read(p, reg);
    }
}

static bool port_dword_shadowed(unsigned reg)
{
    return reg <= PX_FBU || reg == PX_CMD || reg == PX_SACT || reg == PX_CI;
}

/* ---- the HBA ---------------------------------------------------------------- */

static void poll_all(struct ahci_hba *h)
{
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++)
        if (h->port[i])
            ahci_poll(h->port[i], NULL, NULL);
}

/* GHC.HR (AHCI 10.4.3): the HBA resets every port; the shadowed commands
 * are gone with them. */
static void ghc_write(struct ahci_hba *h, u32 v)
{
    if (v & HBA_GHC_HR)
        poll_all(h);
    hba_write(h, HBA_GHC, v);
    if (!(v & HBA_GHC_HR))
        return;
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++)
        if (h->port[i])
            ahci_drop_all(h->port[i]);
}

static int hba_access(struct ahci_hba *h, u64 off, unsigned size, bool write,
                      u64 *value)
{
    unsigned port = (unsigned)((off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE);
    unsigned reg = (unsigned)((off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE);
    struct ahci_port *p = off >= AHCI_PORT_BASE && port < AHCI_MAX_PORTS
                              ? h->port[port] : NULL;
    u32 v = (u32)*value;

    if (off >= AHCI_PORT_BASE && port < AHCI_MAX_PORTS && (h->closed & BIT(port))) {
        if (!write)
            *value = 0;
        log_warn_ratelimited("ahci", "the guest's %s at port %u register 0x%x: "
                             "the port is closed (not mediated)",
                             write ? "write" : "read", port, reg);
        return 0;
    }
    if (size != 4 || (off & 3)) {
        if (p && port_dword_shadowed(reg & ~3u)) {
            log_warn("ahci", "%s: a %u-byte %s at register 0x%x: the mediator "
                     "takes dword accesses only there; #GP to the guest",
                     p->sd.name, size, write ? "write" : "read", reg);
            return -E_INVAL;
        }
        if (off == HBA_IS || (p && !write))
            poll_all(h);
        raw_access(h->abar + off, size, write, value);
        return 0;
    }
    if (p) {
        port_access(p, reg, write, &v);
    } else if (off == HBA_GHC && write) {
        ghc_write(h, v);
    } else if (off == HBA_IS && !write) {
        v = hba_read(h, HBA_IS);
        poll_all(h);
    } else {
        u64 w = v;
        raw_access(h->abar + off, 4, write, &w);
        v = (u32)w;
    }
    if (!write)
        *value = v;
    return 0;
}

static int ahci_mmio_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    for (unsigned i = 0; i < nhbas; i++) {
        struct ahci_hba *h = &hbas[i];
        if (gpa < (h->abar & ~(u64)(PAGE_SIZE - 1)) ||
            gpa >= ALIGN_UP(h->abar + h->abar_len, PAGE_SIZE))
            continue;
        if (gpa < h->abar || gpa + size > h->abar + h->abar_len) {
            raw_access(gpa, size, write, value); /* the page, not the HBA */
            return 0;
        }
        u64 flags = spin_lock_irqsave(&h->lock);
        int r = hba_access(h, gpa - h->abar, size, write, value);
        spin_unlock_irqrestore(&h->lock, flags);
        return r;
    }
    return -E_INVAL;
}

/* ---- the Index-Data Pair ----------------------------------------------- */

/* One access of the index (kept here) or the data register (the ABAR
 * register the index selects, through hba_access as an MMIO access
 * would go). Returns false for an access the mediator refuses. */
static bool idp_access(struct ahci_hba *h, unsigned off, unsigned size,
                       bool write, u32 *v)
{
    if (off >= AHCI_IDP_INDEX && off + size <= AHCI_IDP_INDEX + 4) {
        unsigned sh = 8 * (off - AHCI_IDP_INDEX);
        u32 mask = (size == 4 ? ~0u : (1u << (8 * size)) - 1) << sh;
        if (write)
            h->idp_index = ((h->idp_index & ~mask) | (*v << sh & mask)) & ~3u;
        else
            *v = (h->idp_index & mask) >> sh;
        return true;
    }
    if (off < AHCI_IDP_DATA || off + size > AHCI_IDP_DATA + 4)
        return false;
    u64 reg = (u64)h->idp_index + (off - AHCI_IDP_DATA), val = *v;
    if (reg + size > h->abar_len || hba_access(h, reg, size, write, &val) < 0)
        return false;
    if (!write)
        *v = (u32)val;
    return true;
}

static bool ahci_idp_io(struct vcpu *v, const struct vcpu_exit *e)
{
    u64 *g = v->regs.gpr;

    for (unsigned i = 0; i < nhbas; i++) {
        struct ahci_hba *h = &hbas[i];
        if (!h->idp || e->io.port < h->idp || e->io.port >= h->idp + 0x20)
            continue;
        unsigned off = e->io.port - h->idp;
        u32 val = (u32)g[GPR_RAX];
        u64 flags = spin_lock_irqsave(&h->lock);
        bool ok = !e->io.string && idp_access(h, off, e->io.size, !e->io.in, &val);
        u32 index = h->idp_index;
        spin_unlock_irqrestore(&h->lock, flags);
        if (!ok) {
            log_warn("ahci", "%02x:%02x.%x: a %u-byte %s%s at index-data port "
                     "+0x%x (index 0x%x): refused%s", h->pci->id.bus,
                     h->pci->id.dev, h->pci->id.fn, e->io.size,
                     e->io.string ? "string " : "", e->io.in ? "read" : "write",
                     off, index, e->io.in ? ", reads all ones" : "");
            val = ~0u;
        }
        if (e->io.in && !e->io.string)
            io_in_result(&g[GPR_RAX], e->io.size, val);
        vcpu_ops->skip_instruction(v, e);
        return true;
    }
    return false;
}

/* The HBA's I/O BAR holding the Index-Data Pair (32 bytes), owned whole:
 * the guest never reaches the ABAR's registers past the mediator. */
static void setup_idp(struct ahci_hba *h, struct pci_dev *d)
{
    struct pci_bar bar;

    if (pci_read_bar(d, AHCI_IDP_BAR, &bar) < 0 || !bar.io || !bar.base ||
        bar.base > 0xffe0)
        return;
    h->idp = (u16)bar.base;
    h->idp_owner = (struct io_owner){ .port = h->idp, .count = 0x20,
                                      .name = "AHCI index-data pair",
                                      .handle = ahci_idp_io };
    if (io_owner_register(&h->idp_owner) < 0)
        panic("ahci: cannot own the index-data pair at 0x%x", h->idp);
    log_info("ahci", "%02x:%02x.%x: index-data pair at I/O 0x%x: mediated",
             d->id.bus, d->id.dev, d->id.fn, h->idp);
}

/* ---- attach ----------------------------------------------------------------- */

/* Switches the HBA from the guest's (the firmware's) command list and FIS
 * area to the shadow's: engines off, bases written, engines back on. */
static int take_over(struct ahci_port *p)
{
    u32 cmd = ahci_port_read(p, PX_CMD);

    p->clb = ahci_port_read(p, PX_CLB);
    p->clbu = p->hba->addr64 ? ahci_port_read(p, PX_CLBU) : 0;
    p->fb = ahci_port_read(p, PX_FB);
    p->fbu = p->hba->addr64 ? ahci_port_read(p, PX_FBU) : 0;
    if (cmd & PX_CMD_ST) {
        ahci_port_write(p, PX_CMD, cmd & ~PX_CMD_ST);
        if (!wait_clear(p, PX_CMD_CR))
            return -E_BUSY;
    }
    if (cmd & PX_CMD_FRE) {
        ahci_port_write(p, PX_CMD, cmd & ~(PX_CMD_ST | PX_CMD_FRE));
        if (!wait_clear(p, PX_CMD_FR))
            return -E_BUSY;
    }
    program_shadow(p, 0);
    if (cmd & PX_CMD_FRE)
        ahci_port_write(p, PX_CMD, cmd & ~PX_CMD_ST);
    if (cmd & PX_CMD_ST)
        ahci_port_write(p, PX_CMD, cmd);
    return 0;
}

/* Starts a stopped port's engines on the shadow for the VMM's own command
 * (a UEFI boot: veneer.efi disconnected the firmware's driver, which
 * stopped them): FIS receive first, then the command list (AHCI 10.3.1).
 * Returns the PxCMD value to restore, or 0 when it was not started. */
static u32 start_for_probe(struct ahci_port *p)
{
    u32 cmd = ahci_port_read(p, PX_CMD);
    u64 t0 = rdtsc();

    if (cmd & (PX_CMD_ST | PX_CMD_CR) ||
        ahci_port_read(p, PX_TFD) & (ATA_ST_BSY | ATA_ST_DRQ))
        return 0;
    ahci_port_write(p, PX_CMD, cmd | PX_CMD_FRE);
    while (!(ahci_port_read(p, PX_CMD) & PX_CMD_FR) &&
           rdtsc() - t0 < us_to_tsc(STOP_WAIT_US))
        cpu_relax();
    ahci_port_write(p, PX_SERR, ahci_port_read(p, PX_SERR));
    ahci_port_write(p, PX_CMD, cmd | PX_CMD_FRE | PX_CMD_ST);
    return cmd | BIT(31); /* never 0 */
}

static void stop_after_probe(struct ahci_port *p, u32 saved)
{
    u32 cmd = saved & ~BIT(31);

    ahci_port_write(p, PX_CMD, cmd | PX_CMD_FRE);
    wait_clear(p, PX_CMD_CR);
    ahci_port_write(p, PX_CMD, cmd);
    wait_clear(p, PX_CMD_FR);
}

/* IDENTIFY DEVICE on slot 0 of the shadow (the port runs the VMM's list
 * after take_over, or is started for it; the firmware is idle): the disk's
 * capacity and logical sector size. The PxIS and IS bits it raises are
 * cleared again. Returns 0, or < 0 when the port cannot run or the disk
 * does not answer. */
static int identify(struct ahci_port *p, struct ata_identity *id, u32 *sector_size)
{
    struct ahci_hba *h = p->hba;
    u64 phys;
    u8 *page = storage_bounce_alloc(PAGE_SIZE, &phys);
    struct ahci_cmd_table *t = (struct ahci_cmd_table *)page;
    u16 *words = (u16 *)(page + 2048);
    int r = -E_BUSY;

    if (!page)
        return -E_NOMEM;
    u16 pcmd = (u16)pci_config_read(h->pci, PCI_COMMAND, 2);
    if (!(pcmd & PCI_COMMAND_MASTER))
        pci_config_write(h->pci, PCI_COMMAND, 2, pcmd | PCI_COMMAND_MASTER);
    u32 started = start_for_probe(p);
    if ((ahci_port_read(p, PX_CMD) & PX_CMD_ST) && !ahci_port_read(p, PX_CI)) {
        u32 is = ahci_port_read(p, PX_IS), his = hba_read(h, HBA_IS);
        t->cfis[0] = SATA_FIS_REG_H2D;
        t->cfis[1] = SATA_FIS_H2D_C;
        t->cfis[2] = ATA_CMD_IDENTIFY;
        t->prdt[0] = (struct ahci_prd){ (u32)(phys + 2048), (u32)((phys + 2048) >> 32),
                                        0, 512 - 1 };
        p->cl[0] = (struct ahci_cmd_header){ .flags = 5, .prdtl = 1, .ctba = (u32)phys,
                                             .ctbau = (u32)(phys >> 32) };
        ahci_port_write(p, PX_CI, 1);
        for (u64 t0 = rdtsc(); (ahci_port_read(p, PX_CI) & 1) &&
                               rdtsc() - t0 < us_to_tsc(STOP_WAIT_US);)
            cpu_relax();
        if (!(ahci_port_read(p, PX_CI) & 1) && !(ahci_port_read(p, PX_TFD) & ATA_ST_ERR)) {
            ata_parse_identify(words, id);
            *sector_size = ahci_identify_sector_size(words);
            r = 0;
        }
        ahci_port_write(p, PX_IS, ahci_port_read(p, PX_IS) & ~is);
        if (!(his & BIT(p->index)))
            hba_write(h, HBA_IS, BIT(p->index));
    }
    if (started)
        stop_after_probe(p, started);
    if (!(pcmd & PCI_COMMAND_MASTER))
        pci_config_write(h->pci, PCI_COMMAND, 2, pcmd);
    storage_bounce_free(page, PAGE_SIZE);
    return r;
}

/* The port's shadow: one page for the command list (1 KiB at 0), the FIS
 * receive area (at 1 KiB) and the table of the NOP a refusal issues (at
 * 2 KiB). */
static struct ahci_port *new_port(struct ahci_hba *h, unsigned i)
{
    const struct pci_ident *id = &h->pci->id;
    u64 phys;
    struct ahci_port *p = storage_bounce_alloc(sizeof(*p), &phys);
    u8 *page = storage_bounce_alloc(PAGE_SIZE, &phys);

    if (!p || !page)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->hba = h;
    p->index = i;
    p->cl = (struct ahci_cmd_header *)page;
    p->cl_phys = phys;
    p->rfis = page + AHCI_CMD_LIST_SIZE;
    p->rfis_phys = phys + AHCI_CMD_LIST_SIZE;
    p->nop = (struct ahci_cmd_table *)(page + 2048);
    p->nop_phys = phys + 2048;
    p->nop->cfis[0] = SATA_FIS_REG_H2D;
    p->nop->cfis[1] = SATA_FIS_H2D_C;
    p->nop->cfis[2] = ATA_CMD_NOP;
    p->sd = (struct storage_dev){ .kind = STORAGE_AHCI, .pci = h->pci, .unit = i,
                                  .sector_size = AHCI_SECTOR };
    ksnprintf(p->sd.name, sizeof(p->sd.name), "ahci %02x:%02x.%x p%u", id->bus,
              id->dev, id->fn, i);
    return p;
}

/* A disk: its size from IDENTIFY, registered for the cipher. */
static void register_disk(struct ahci_port *p)
{
    struct ata_identity ident;
    u32 ssize = AHCI_SECTOR;

    if (identify(p, &ident, &ssize) == 0) {
        p->sd.sectors = ident.sectors;
        p->sd.sector_size = ssize;
    } else {
        log_warn("ahci", "%s: no answer to IDENTIFY DEVICE: taken as 512-byte "
                 "sectors", p->sd.name);
    }
    p->registered = storage_register(&p->sd) == 0;
}

/* Every implemented port is shadowed, so that no command list, table or
 * PRDT reaches the HBA unchecked whatever is on it; only a SATA disk's
 * data goes through the cipher. ATAPI devices, empty ports (and what is
 * plugged in later) move their data in the clear. */
static void setup_port(struct ahci_hba *h, unsigned i)
{
    struct ahci_port probe = { .hba = h, .index = i };
    u32 ssts = ahci_port_read(&probe, PX_SSTS), sig = ahci_port_read(&probe, PX_SIG);
    bool present = (ssts & 0xf) == PX_SSTS_DET_PRESENT;
    const struct pci_ident *id = &h->pci->id;
    struct ahci_port *p = new_port(h, i);

    if (!p || take_over(p) < 0) {
        const char *why = p ? "its engine does not stop" : "no VMM memory for the shadow";
        if (storage_encrypting()) {
            /* passed through, its disk would be written in the clear */
            h->closed |= BIT(i);
            log_err("ahci", "%02x:%02x.%x p%u: %s: its registers are closed to the "
                    "guest (vmm.crypt= rules exist)", id->bus, id->dev, id->fn, i, why);
        } else {
            log_warn("ahci", "%02x:%02x.%x p%u: %s: the port is passed through "
                     "unchecked", id->bus, id->dev, id->fn, i, why);
        }
        return;
    }
    h->port[i] = p;
    if (present && sig == SATA_SIG_ATA)
        register_disk(p);
    if (p->registered || (present && sig == SATA_SIG_ATA))
        log_info("ahci", "%s: SATA disk, %llu sectors of %u bytes; command list "
                 "and FIS area shadowed (the guest's at 0x%llx and 0x%llx)%s",
                 p->sd.name, (unsigned long long)p->sd.sectors,
                 p->sd.sector_size, (unsigned long long)((u64)p->clbu << 32 | p->clb),
                 (unsigned long long)((u64)p->fbu << 32 | p->fb),
                 p->registered ? "" : "; not registered: its data passes in the clear");
    else
        log_info("ahci", "%s: %s (signature 0x%08x): commands shadowed, data in "
                 "the clear", p->sd.name, !present ? "no device"
                 : sig == SATA_SIG_ATAPI ? "ATAPI device" : "not a disk", sig);
}

static int ahci_attach(struct pci_dev *d)
{
    struct pci_bar bar;
    struct ahci_hba *h;

    if (nhbas == AHCI_MAX_HBAS) {
        log_warn("ahci", "%02x:%02x.%x: more than %u AHCI controllers: not "
                 "mediated", d->id.bus, d->id.dev, d->id.fn, AHCI_MAX_HBAS);
        return -E_BUSY;
    }
    if (pci_read_bar(d, 5, &bar) < 0 || bar.io || !bar.base ||
        !(pci_config_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY) ||
        bar.base + 0x1100 > direct_map_top) {
        log_warn("ahci", "%02x:%02x.%x: no usable ABAR (BAR5) or memory decoding "
                 "off: not mediated", d->id.bus, d->id.dev, d->id.fn);
        return -E_INVAL;
    }
    h = &hbas[nhbas];
    memset(h, 0, sizeof(*h));
    h->pci = d;
    h->lock = (spinlock_t)SPINLOCK_INIT;
    h->abar = bar.base;
    h->regs = phys_to_virt(bar.base);
    h->addr64 = hba_read(h, HBA_CAP) & HBA_CAP_S64A;
    h->pi = hba_read(h, HBA_PI);
    unsigned top = 0;
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++)
        if (h->pi & BIT(i))
            top = i + 1;
    h->abar_len = AHCI_PORT_BASE + top * AHCI_PORT_STRIDE;
    h->mmio = (struct mmio_owner){
        .base = h->abar & ~(u64)(PAGE_SIZE - 1),
        .len = ALIGN_UP(h->abar + h->abar_len, PAGE_SIZE) - (h->abar & ~(u64)(PAGE_SIZE - 1)),
        .name = "AHCI ABAR", .access = ahci_mmio_access };
    log_info("ahci", "%02x:%02x.%x: ABAR 0x%llx, ports implemented 0x%x, %s "
             "addressing", d->id.bus, d->id.dev, d->id.fn,
             (unsigned long long)h->abar, h->pi, h->addr64 ? "64-bit" : "32-bit");
    /* hooked before any port is shadowed: an HBA the VMM cannot hook is
     * declined untouched (the guest does not run yet) */
    if (mmio_register(&h->mmio) < 0) {
        log_err("ahci", "%02x:%02x.%x: cannot hook the ABAR at 0x%llx: not mediated",
                d->id.bus, d->id.dev, d->id.fn, (unsigned long long)h->abar);
        return -E_NOMEM;
    }
    nhbas++;
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++)
        if (h->pi & BIT(i))
            setup_port(h, i);
    setup_idp(h, d);
    return 0;
}

/* The ABAR stays where the hook is: the guest may size BAR5 (all ones,
 * then the address back) but not move it, which would put the HBA's
 * registers out of the mediator's sight. */
static enum pci_verdict ahci_config_write(struct pci_dev *d, u16 offset, u8 size,
                                          u32 value)
{
    struct ahci_hba *h = NULL;

    for (unsigned i = 0; i < nhbas; i++)
        if (hbas[i].pci == d)
            h = &hbas[i];
    /* BAR4, the index-data pair's I/O BAR, stays too */
    if (h && h->idp && offset < PCI_BAR0 + 20 && offset + size > PCI_BAR0 + 16 &&
        !(size == 4 && (value == 0xffffffffu || (value & ~0x3u) == h->idp))) {
        log_warn("ahci", "%02x:%02x.%x: the guest moves the index-data pair to "
                 "0x%x: refused, it stays at 0x%x", d->id.bus, d->id.dev,
                 d->id.fn, value, h->idp);
        return PCI_HANDLED;
    }
    if (offset + size <= PCI_BAR0 + 20 || offset >= PCI_BAR0 + 24)
        return PCI_FORWARD;
    /* sizing (all ones) only while memory decoding is off: with it on,
     * the HBA would answer, unhooked, at the size mask's address */
    bool decoding = pci_config_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
    if (!h || (size == 4 && ((value == 0xffffffffu && !decoding) ||
                             (value & ~0xfu) == (u32)h->abar)))
        return PCI_FORWARD;
    log_warn("ahci", "%02x:%02x.%x: the guest moves the ABAR to 0x%x: refused, "
             "it stays at 0x%llx", d->id.bus, d->id.dev, d->id.fn, value,
             (unsigned long long)h->abar);
    return PCI_HANDLED;
}

/* Memory decoding turned on (or BAR5 written) with BAR5 elsewhere than
 * the hook, e.g. still the size mask after sizing: BAR5 is put back, or
 * the HBA would answer unhooked there. */
static void ahci_config_written(struct pci_dev *d, u16 offset, u8 size)
{
    struct ahci_hba *h = NULL;
    struct pci_bar bar = { 0 };

    for (unsigned i = 0; i < nhbas; i++)
        if (hbas[i].pci == d)
            h = &hbas[i];
    if (!h || !(pci_config_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY) ||
        (pci_read_bar(d, 5, &bar) == 0 && !bar.io && bar.base == h->abar))
        return;
    pci_config_write(d, PCI_BAR0 + 20, 4, (u32)h->abar);
    log_warn("ahci", "%02x:%02x.%x: memory decoding on with the ABAR at 0x%llx: "
             "put back at 0x%llx", d->id.bus, d->id.dev, d->id.fn,
             (unsigned long long)bar.base, (unsigned long long)h->abar);
}

/* At the guest's power-off: how each mediated disk's data moved, how
 * many commands the HBA had at once, and how many register accesses the
 * commands cost (each one an exit). */
static int ahci_summary(void)
{
    for (unsigned i = 0; i < nhbas; i++) {
        struct ahci_hba *h = &hbas[i];
        u64 commands = 0;
        for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
            struct ahci_port *p = h->port[n];
            if (!p)
                continue;
            commands += p->commands;
            if (!p->registered)
                continue;
            log_info("ahci", "%s: %llu commands; %llu sectors through the "
                     "cipher before long mode (the BIOS), %llu in long mode "
                     "(%llu of them by NCQ); %u refusals on all controllers",
                     p->sd.name, (unsigned long long)p->commands,
                     (unsigned long long)p->sectors_bios,
                     (unsigned long long)p->sectors_os,
                     (unsigned long long)p->sectors_ncq, ahci_refusal_count());
            log_info("ahci", "%s: at most %u commands at the HBA at once; %llu "
                     "bounced commands over 256 KiB, %llu bounce buffers over "
                     "256 KiB taken from VMM memory", p->sd.name, p->max_inflight,
                     (unsigned long long)p->large_cmds,
                     (unsigned long long)p->large_allocs);
        }
        log_info("ahci", "%02x:%02x.%x: %llu register accesses for %llu commands "
                 "(%llu.%llu per command)", h->pci->id.bus, h->pci->id.dev,
                 h->pci->id.fn, (unsigned long long)h->mmio.count,
                 (unsigned long long)commands,
                 (unsigned long long)(commands ? h->mmio.count / commands : 0),
                 (unsigned long long)(commands ? h->mmio.count * 10 / commands % 10 : 0));
    }
    return 0;
}
INIT_FUNC(poweroff, 41, ahci_summary);

static const struct pci_mediator ahci_mediator = {
    .name = "ahci",
    .match_class = { .kind = PCI_SEL_CLASS, .class = 0x010601, .class_mask = 0xffffff },
    .attach = ahci_attach,
    .must_mediate = storage_encrypting,
    .config_write = ahci_config_write,
    .config_written = ahci_config_written,
};
PCI_MEDIATOR(ahci_mediator);

/* ---- S3 (docs/sleep.md) ---------------------------------------------------- */

/* Before the sleep: finished commands are delivered; what is left at the
 * HBA will not complete (the OS stopped its ports first). */
static int ahci_suspend(void)
{
    for (unsigned i = 0; i < nhbas; i++) {
        struct ahci_hba *h = &hbas[i];
        u64 flags = spin_lock_irqsave(&h->lock);
        poll_all(h);
        for (unsigned n = 0; n < AHCI_MAX_PORTS; n++)
            if (h->port[n] && h->port[n]->issued)
                log_warn("ahci", "%s: S3 with commands in slots 0x%x still at "
                         "the HBA: dropped at the wake, never completed to the "
                         "guest", h->port[n]->sd.name, h->port[n]->issued);
        spin_unlock_irqrestore(&h->lock, flags);
    }
    return 0;
}
INIT_FUNC(suspend, 41, ahci_suspend);

/* After the wake the HBA is as after power-on: ports stopped, their
 * command list and FIS bases zero. So is the guest's view; the shadows are
 * given to the HBA again when the guest starts each port. */
static int ahci_resume(void)
{
    for (unsigned i = 0; i < nhbas; i++) {
        struct ahci_hba *h = &hbas[i];
        u64 flags = spin_lock_irqsave(&h->lock);
        unsigned ports = 0;
        for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
            struct ahci_port *p = h->port[n];
            if (!p)
                continue;
            ahci_drop_all(p);
            p->clb = p->clbu = p->fb = p->fbu = 0;
            ports++;
        }
        spin_unlock_irqrestore(&h->lock, flags);
        log_info("ahci", "HBA at 0x%llx: S3 wake: %u mediated port%s reset; "
                 "shadows given again at each port start",
                 (unsigned long long)h->abar, ports, ports == 1 ? "" : "s");
    }
    return 0;
}
INIT_FUNC(resume, 41, ahci_resume);
