/* The NVMe storage mediator: a PCI NVMe controller (class 01:08:02, QEMU's
 * `-device nvme`), its register page and doorbells in BAR0 hooked through
 * nested-page faults (common/mmio.h). The admin queue registers (AQA, ASQ,
 * ACQ) are virtual: the controller runs shadow queues in VMM memory
 * (nvme_queue.c), so every command the guest submits is copied, checked
 * and bounced before the controller sees it, and every completion is
 * finished (decrypted, copied back) before the guest sees it; the guest's
 * MSI-X interrupt is sent by the VMM after posting (nvme_irq.c). A
 * controller the firmware (SeaBIOS) left running is taken over
 * at attach with its queues, so the BIOS's INT 13h reads are mediated too;
 * on a UEFI boot veneer.efi disconnects the firmware's driver instead, and
 * the controller is reset here (the driver starts it again, mediated).
 * docs/storage-nvme.md. */
#include <common/e820.h>
#include <common/exit.h>
#include <common/guest_mem.h>
#include <devices/storage/nvme/nvme.h>
#include <devices/pci/pci.h>
#include <platform/bootinfo.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/time.h>
#include <platform/paging.h>
#include <stdarg.h>
#include <string.h>

static struct nvme_ctrl ctrls[NVME_MAX_CTRL];
static unsigned nctrls;

/* ---- helpers ------------------------------------------------------------- */

void nvme_refuse(struct nvme_ctrl *c, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (c->refusals++ < NVME_LOG_LIMIT)
        log_warn("nvme", "%s: %s", c->name, why);
}

/* The firmware's reserved RAM, where SeaBIOS keeps its NVMe queue
 * descriptors (fw_find_queue scans it): reserved entries below 1 MiB (the
 * BIOS areas; the VGA window is in no map) and reserved entries that
 * continue a RAM entry without a gap (its tables at the top of low
 * memory). */
static struct mem_range fw_ram[BOOT_MAX_MMAP];
static u32 fw_ram_n;
static struct mem_range fw_reserved[BOOT_MAX_MMAP]; /* the retyped entries */
static u32 fw_reserved_n;

static bool continues_ram(const struct mem_range *r)
{
    for (u32 i = 0; i < boot_info.mmap_count; i++) {
        const struct mem_range *m = &boot_info.mmap[i];
        if (m->base + m->len == r->base &&
            (m->type == MEM_USABLE || m->type == MEM_ACPI_RECLAIM || m->type == MEM_ACPI_NVS))
            return true;
    }
    return false;
}

static void fw_ram_init(void)
{
    if (fw_ram_n)
        return;
    for (u32 i = 0; i < boot_info.mmap_count; i++) {
        struct mem_range m = boot_info.mmap[i];
        if (m.type == MEM_RESERVED && (m.base + m.len <= MiB(1) || continues_ram(&m))) {
            fw_reserved[fw_reserved_n++] = m;
            m.type = MEM_USABLE;
        }
        fw_ram[fw_ram_n++] = m;
    }
}

bool nvme_ram_ok(u64 gpa, u64 len)
{
    return guest_ram_ok(gpa, len);
}

u32 nvme_rd32(struct nvme_ctrl *c, u32 off)
{
    return *(volatile u32 *)(c->regs + off);
}

void nvme_wr32(struct nvme_ctrl *c, u32 off, u32 v)
{
    *(volatile u32 *)(c->regs + off) = v;
}

static u64 rd64(struct nvme_ctrl *c, u32 off)
{
    return nvme_rd32(c, off) | (u64)nvme_rd32(c, off + 4) << 32;
}

static u32 le32(const u8 *p)
{
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* CSTS.RDY reaching `rdy`, bounded by CAP.TO (500 ms units). */
static bool wait_rdy(struct nvme_ctrl *c, bool rdy)
{
    u64 limit = us_to_tsc((u64)MAX(NVME_CAP_TO(c->cap), 2u) * 500000);
    u64 t0 = rdtsc();

    while ((bool)(nvme_rd32(c, NVME_REG_CSTS) & NVME_CSTS_RDY) != rdy) {
        if (rdtsc() - t0 > limit)
            return false;
        cpu_relax();
    }
    return true;
}

/* ---- the guest's register accesses ----------------------------------------- */

static u32 g_aqa(struct nvme_ctrl *c) { return (u32)c->g_admin[0]; }
static u64 g_asq(struct nvme_ctrl *c) { return c->g_admin[1]; }
static u64 g_acq(struct nvme_ctrl *c) { return c->g_admin[2]; }

/* AQA, ASQ and ACQ: bytes 0x24-0x37 of the guest's view, kept here. */
static u8 *admin_byte(struct nvme_ctrl *c, u32 off)
{
    u8 *base = (u8 *)c->g_admin;

    if (off < NVME_REG_ASQ)
        return base + (off - NVME_REG_AQA);      /* AQA: its low 4 bytes */
    return base + 8 + (off - NVME_REG_ASQ);      /* ASQ, ACQ */
}

static void cc_write(struct nvme_ctrl *c, u32 val)
{
    u32 old = c->g_cc;

    c->g_cc = val;
    if (!(old & NVME_CC_EN) && (val & NVME_CC_EN)) {
        if (NVME_CC_MPS(val) != 0) {
            nvme_refuse(c, "controller enable refused: memory page size %u KiB "
                        "(the mediator handles 4 KiB); CSTS.CFS to the guest",
                        4u << NVME_CC_MPS(val));
            c->fatal = true;
        } else if (nvme_admin_start(c, g_aqa(c), g_asq(c), g_acq(c), true) < 0) {
            nvme_refuse(c, "controller enable refused (admin queues above); "
                        "CSTS.CFS to the guest");
            c->fatal = true;
        }
        nvme_wr32(c, NVME_REG_CC, c->fatal ? val & ~NVME_CC_EN : val);
        return;
    }
    if ((old & NVME_CC_EN) && !(val & NVME_CC_EN)) {
        nvme_wr32(c, NVME_REG_CC, val);
        if (!wait_rdy(c, false))
            log_warn("nvme", "%s: the controller did not reset in CAP.TO", c->name);
        nvme_queues_drop(c);
        c->fatal = false;
        if (!c->os_generation)
            log_info("nvme", "%s: the guest reset the controller: its own "
                     "queues from here on", c->name);
        c->os_generation = true;
        return;
    }
    if (!(val & NVME_CC_EN))
        c->fatal = false;
    nvme_wr32(c, NVME_REG_CC, c->fatal ? val & ~NVME_CC_EN : val);
}

/* The registers a guest write reaches: INTMS/INTMC (0x0c-0x13), CC, NSSR
 * and the shadowed AQA/ASQ/ACQ (handled before). The rest is read-only
 * or a DMA engine the mediator does not shadow: BPRSEL/BPMBL (a boot
 * partition read to any address), CMBMSC (controller memory laid over
 * the shadow queues), PMRCTL/PMRMSC; and reserved or vendor space. */
static bool reg_writable(u32 off, unsigned size)
{
    return (off >= NVME_REG_INTMS && off + size <= NVME_REG_INTMC + 4) ||
           (off >= NVME_REG_CC && off + size <= NVME_REG_CC + 4) ||
           (off >= NVME_REG_NSSR && off + size <= NVME_REG_NSSR + 4);
}

/* What the guest reads of a register it may not use: zero for the boot
 * partition, CMB and PMR registers (none present, disabled), the CAP
 * bits that advertise them cleared. */
static bool reg_hidden(u32 off)
{
    return (off >= NVME_REG_CMBLOC && off < NVME_REG_CMBSTS + 4) ||
           (off >= NVME_REG_PMRCAP && off < NVME_REG_PMRMSCU + 4);
}

static void reg_write(struct nvme_ctrl *c, u32 off, unsigned size, u64 value)
{
    if (off + size > NVME_REG_AQA && off < NVME_REG_ACQ + 8) {
        for (unsigned i = 0; i < size; i++)
            if (off + i >= NVME_REG_AQA && off + i < NVME_REG_ACQ + 8)
                *admin_byte(c, off + i) = (u8)(value >> (8 * i));
        return;
    }
    if (off == NVME_REG_CC && size == 4) {
        cc_write(c, (u32)value);
        return;
    }
    if (off < NVME_REG_CC + 4 && off + size > NVME_REG_CC) {
        nvme_refuse(c, "a %u-byte write at register 0x%x across CC: ignored", size, off);
        return;
    }
    if (off == NVME_REG_NSSR && size == 4) {
        /* a subsystem reset (when supported) resets the controller */
        nvme_wr32(c, off, (u32)value);
        if (!(nvme_rd32(c, NVME_REG_CC) & NVME_CC_EN) && (c->g_cc & NVME_CC_EN)) {
            wait_rdy(c, false);
            nvme_queues_drop(c);
            c->g_cc = 0;
            c->os_generation = true;
        }
        return;
    }
    if (!reg_writable(off, size)) {
        nvme_refuse(c, "a %u-byte write of 0x%llx to register 0x%x (%s): ignored",
                    size, (unsigned long long)value, off,
                    off >= NVME_REG_BPRSEL && off < NVME_REG_CMBMSC
                        ? "boot partition read, DMA the mediator does not check"
                    : off >= NVME_REG_CMBMSC && off < NVME_REG_CMBSTS
                        ? "controller memory buffer"
                    : off >= NVME_REG_PMRCAP && off < NVME_REG_PMRMSCU + 4
                        ? "persistent memory region"
                        : "read-only, reserved or not mediated");
        return;
    }
    mmio_pass(c->regs + off, size, true, &value);
}

static u64 reg_read(struct nvme_ctrl *c, u32 off, unsigned size)
{
    u64 v = 0;

    if (off + size > NVME_REG_AQA && off < NVME_REG_ACQ + 8) {
        for (unsigned i = 0; i < size; i++)
            if (off + i >= NVME_REG_AQA && off + i < NVME_REG_ACQ + 8)
                v |= (u64)*admin_byte(c, off + i) << (8 * i);
        return v;
    }
    for (unsigned i = 0; i < size; i++)
        if (reg_hidden(off + i))
            return 0; /* (no access spans these and others: dword fields) */
    mmio_pass(c->regs + off, size, false, &v);
    if (off < NVME_REG_CAP + 8 && off + size > NVME_REG_CAP)
        v &= ~(NVME_CAP_HIDDEN >> (8 * (off - NVME_REG_CAP)));
    if (c->fatal && off <= NVME_REG_CSTS && off + size > NVME_REG_CSTS)
        v |= (u64)NVME_CSTS_CFS << (8 * (NVME_REG_CSTS - off));
    return v;
}

static void doorbell_write(struct nvme_ctrl *c, u32 off, unsigned size, u32 v)
{
    u16 qid;
    bool cq;

    if (size != 4 || nvme_doorbell_decode(off, c->dstrd, &qid, &cq) < 0) {
        nvme_refuse(c, "a %u-byte write at 0x%x is not a doorbell write: ignored",
                    size, off);
        return;
    }
    const char *kind = cq ? "CQ" : "SQ";
    if (qid > NVME_MAX_QID || !(cq ? c->cq[qid].live : c->sq[qid].live)) {
        nvme_refuse(c, "doorbell of %s %u, a queue that does not exist: ignored",
                    kind, qid);
        return;
    }
    u32 qsize = cq ? c->cq[qid].size : c->sq[qid].size;
    if (v >= qsize) {
        nvme_refuse(c, "%s %u doorbell value %u beyond the queue size %u: ignored",
                    kind, qid, v, qsize);
        return;
    }
    if (cq)
        nvme_cq_doorbell(c, &c->cq[qid], v);
    else
        nvme_sq_doorbell(c, &c->sq[qid], v);
}

/* The controller whose register hook (or, `msix`, MSI-X table hook)
 * holds `gpa`, or NULL. */
static struct nvme_ctrl *ctrl_at(u64 gpa, bool msix)
{
    for (unsigned i = 0; i < nctrls; i++) {
        struct nvme_ctrl *c = &ctrls[i];
        const struct mmio_owner *o = msix ? &c->msix_owner : &c->owner;
        if ((!msix || c->msix_n) && gpa >= o->base && gpa - o->base < o->len)
            return c;
    }
    return NULL;
}

static int nvme_mmio_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    struct nvme_ctrl *c = ctrl_at(gpa, false);

    if (!c)
        return -E_INVAL;
    u32 off = (u32)(gpa - c->owner.base);
    u64 flags = spin_lock_irqsave(&c->lock);
    nvme_poll(c); /* completions that came late */
    if (off >= NVME_REG_DOORBELL && write)
        doorbell_write(c, off, size, (u32)*value);
    else if (off >= NVME_REG_DOORBELL)
        *value = 0; /* doorbells are write-only: reads give 0 */
    else if (write)
        reg_write(c, off, size, *value);
    else
        *value = reg_read(c, off, size);
    nvme_poll(c); /* and what the access posted (a refusal) signalled */
    spin_unlock_irqrestore(&c->lock, flags);
    return 0;
}

/* At every exit of every CPU while commands of queues without a doorbell
 * wait are at a controller (exit_add_poller; the guest's HLT exits then
 * too): their completions found, finished, posted and signalled. Never
 * waits for a lock: a CPU that holds it polls itself, and the next exit
 * polls again. */
static void nvme_exit_poll(void)
{
    if (!nvme_async_any())
        return;
    for (unsigned i = 0; i < nctrls; i++) {
        struct nvme_ctrl *c = &ctrls[i];
        if (!__atomic_load_n(&c->async_busy, __ATOMIC_RELAXED) ||
            !spin_trylock(&c->lock))
            continue;
        nvme_poll(c);
        spin_unlock(&c->lock);
    }
}

int nvme_msix_access_any(u64 gpa, unsigned size, bool write, u64 *value)
{
    struct nvme_ctrl *c = ctrl_at(gpa, true);

    if (!c)
        return -E_INVAL;
    u64 flags = spin_lock_irqsave(&c->lock);
    int rc = nvme_msix_access(c, gpa, size, write, value);
    spin_unlock_irqrestore(&c->lock, flags);
    return rc;
}

/* ---- attach: take the controller over, find its namespaces ------------ */

struct fw_queue {
    bool sq;
    u16 qid, cqid;
    u32 size, flags;
    u64 base;
};

static u16 cq_status_buf[4096];

/* The firmware's completion queue at `base`: where it would post next,
 * and the SQ head of the newest entry for `sqid` (its SQ tail: the
 * firmware waits for each command). */
static void fw_cq_position(u64 base, u32 size, u16 sqid, u32 *tail, bool *phase,
                           u32 *sq_tail)
{
    struct nvme_cqe e;

    for (u32 i = 0; i < size; i++)
        if (guest_phys_read(base + (u64)i * 16 + 14, &cq_status_buf[i], 2) < 0)
            cq_status_buf[i] = 0;
    nvme_cq_find_tail(cq_status_buf, size, tail, phase);
    *sq_tail = 0;
    for (u32 k = 1; k <= size; k++) {
        u32 i = (*tail + size - k) % size;
        if ((bool)(cq_status_buf[i] & NVME_CQE_PHASE) != (i < *tail ? *phase : !*phase))
            break; /* not posted in this pass or the one before */
        if (guest_phys_read(base + (u64)i * 16, &e, sizeof(e)) == 0 && e.sqid == sqid) {
            *sq_tail = e.sqhd;
            return;
        }
    }
}

static bool fw_queue_ok(struct nvme_ctrl *c, const struct fw_queue *q)
{
    return q->qid >= 1 && q->qid <= NVME_MAX_QID && q->size >= 2 &&
           q->size <= c->mqes + 1 && (q->flags & 1) && !(q->base & (NVME_PAGE - 1)) &&
           nvme_ram_ok(q->base, (u64)q->size * (q->sq ? 64 : 16));
}

/* The firmware's I/O queue `qid` (SQ or CQ): its create command is long
 * gone from the admin queue (SeaBIOS identifies every possible namespace,
 * 256 in QEMU, through a 64-entry admin queue), and no register holds an
 * I/O queue's address. SeaBIOS keeps a descriptor per queue in its
 * reserved RAM: the queue's doorbell address (u32), its size - 1 (u16),
 * then the queue's address (u32) (src/hw/nvme-int.h, struct nvme_queue
 * and the nvme_sq/nvme_cq that start with it; packed). Exactly one
 * descriptor holding this controller's doorbell address, a power-of-two
 * size within CAP.MQES and a page-aligned queue in firmware RAM is taken;
 * none or several: not adopted (the firmware's reads then fail; nothing
 * reaches the disk unchecked either way). */
static bool fw_find_queue(struct nvme_ctrl *c, u16 qid, bool cq, struct fw_queue *out)
{
    u32 dbl = (u32)(c->bar + NVME_REG_DOORBELL + (2u * qid + (cq ? 1 : 0)) * (4u << c->dstrd));
    unsigned found = 0;

    fw_ram_init();
    for (u32 r = 0; r < fw_reserved_n; r++) {
        const struct mem_range *m = &fw_reserved[r];
        for (u64 a = m->base; a + 12 <= m->base + m->len; a++) {
            const u8 *p = phys_to_virt(a);
            if (le32(p) != dbl || !guest_phys_ok(a, 12))
                continue;
            u32 size = (u32)(p[4] | p[5] << 8) + 1;
            /* SeaBIOS builds its structs packed: the address follows the
             * size at +6; naturally aligned it would be at +8 */
            for (unsigned at = 6; at <= 8; at += 2) {
                struct fw_queue q = { .sq = !cq, .qid = qid, .cqid = qid, .size = size,
                                      .flags = 1, .base = le32(p + at) };
                if ((size & (size - 1)) || !fw_queue_ok(c, &q))
                    continue;
                if (found && out->base == q.base && out->size == size)
                    continue;
                *out = q;
                found++;
            }
        }
    }
    if (found > 1)
        log_warn("nvme", "%s: %u candidate descriptors of the firmware's I/O %s %u: "
                 "not adopted", c->name, found, cq ? "CQ" : "SQ", qid);
    return found == 1;
}

static unsigned fw_scan(struct nvme_ctrl *c, struct fw_queue *out)
{
    struct fw_queue sq, cq;

    /* SeaBIOS makes one I/O queue pair, SQ 1 on CQ 1 */
    if (!fw_find_queue(c, 1, true, &cq) || !fw_find_queue(c, 1, false, &sq) ||
        cq.base == sq.base) {
        log_warn("nvme", "%s: the firmware's I/O queues were not found: its "
                 "reads will fail", c->name);
        return 0;
    }
    out[0] = cq;
    out[1] = sq;
    return 2;
}

/* The firmware's queues become guest queues the mediator shadows; the
 * positions come from the phase bits and SQ heads in its CQs. */
static void adopt(struct nvme_ctrl *c, const struct fw_queue *fq, unsigned n)
{
    u32 tail, sq_tail;
    bool phase;

    for (unsigned pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < n; i++) {
            const struct fw_queue *q = &fq[i];
            if (q->sq != (pass == 1))
                continue;
            int rc = q->sq ? nvme_shadow_sq(c, q->qid, q->size, q->base, q->cqid)
                           : nvme_shadow_cq(c, q->qid, q->size, q->base, q->flags);
            if (rc < 0) {
                log_warn("nvme", "%s: the firmware's I/O %s %u cannot be shadowed "
                         "(%d): its doorbell will be refused", c->name,
                         q->sq ? "SQ" : "CQ", q->qid, rc);
                continue;
            }
            if (!q->sq)
                continue;
            struct nvme_cq *cq = &c->cq[q->cqid];
            fw_cq_position(cq->gbase, cq->size, q->qid, &tail, &phase, &sq_tail);
            cq->tail = cq->head = tail;
            cq->phase = phase;
            c->sq[q->qid].head = c->sq[q->qid].tail = sq_tail % q->size;
            log_info("nvme", "%s: adopted the firmware's I/O SQ %u (%u entries at "
                     "0x%llx, next %u) and CQ %u (%u entries at 0x%llx, next %u)",
                     c->name, q->qid, q->size, (unsigned long long)q->base,
                     sq_tail % q->size, q->cqid, cq->size,
                     (unsigned long long)cq->gbase, tail);
        }
}

static void register_namespaces(struct nvme_ctrl *c, u8 *buf)
{
    struct nvme_cqe r;
    struct nvme_sqe e = { .cdw0 = NVME_ADM_IDENTIFY, .cdw10 = 1 };

    if (nvme_internal(c, &e, buf, &r) < 0) {
        log_err("nvme", "%s: Identify Controller failed (status 0x%x): no "
                "namespace registered", c->name, r.status);
        return;
    }
    u32 nn = le32(buf + NVME_ID_CTRL_NN); /* the most there can be (QEMU: 256) */
    for (u32 id = 1; id <= MIN(nn, (u32)NVME_MAX_NS); id++) {
        struct nvme_ns *ns = &c->ns[id];
        e = (struct nvme_sqe){ .cdw0 = NVME_ADM_IDENTIFY, .nsid = id, .cdw10 = 0 };
        if (nvme_internal(c, &e, buf, &r) < 0)
            continue;
        nvme_identify_ns_parse(buf, &ns->info);
        if (!ns->info.sectors)
            continue; /* inactive */
        ns->registered = true;
        if (!ns->info.sector_size) {
            log_warn("nvme", "%s n%u: an LBA format with metadata or a sector size "
                     "other than 512/4096: its I/O is refused", c->name, id);
            continue;
        }
        ns->sd = (struct storage_dev){ .kind = STORAGE_NVME, .pci = c->pci,
                                       .unit = id, .sector_size = ns->info.sector_size,
                                       .sectors = ns->info.sectors };
        if (storage_register(&ns->sd) < 0)
            log_warn("nvme", "%s n%u: not registered: passed in the clear", c->name, id);
        ns->info.crypt = !storage_range_plain(&ns->sd, 0, ns->info.sectors);
        log_info("nvme", "%s n%u: %llu sectors of %u bytes", c->name, id,
                 (unsigned long long)ns->info.sectors, ns->info.sector_size);
    }
}

/* Disables the controller, restarts it on shadow admin queues (the
 * firmware's, shadowed, when it left it running; else the VMM's own for
 * the probe only), registers the namespaces and re-creates the firmware's
 * I/O queues. */
static void take_over(struct nvme_ctrl *c)
{
    u32 cc = nvme_rd32(c, NVME_REG_CC), csts = nvme_rd32(c, NVME_REG_CSTS);
    bool live = (cc & NVME_CC_EN) && (csts & NVME_CSTS_RDY) && !(csts & NVME_CSTS_CFS);
    struct fw_queue fq[2 * NVME_MAX_QID];
    unsigned nfq = 0;
    u32 acq_tail = 0, asq_tail = 0;
    bool acq_phase = true;
    u64 bphys;
    u8 *buf = storage_bounce_alloc(NVME_PAGE, &bphys);

    if (live && boot_info.uefi_entry) {
        /* No firmware's private layout is read on UEFI: veneer.efi
         * disconnected the driver, which set up its queues before the VMM
         * was there, and reconnects it once the VMM runs. */
        log_info("nvme", "%s: left enabled by the firmware, whose driver veneer.efi "
                 "disconnected: reset here; the driver sets it up again, "
                 "mediated, when veneer.efi reconnects it", c->name);
        live = false;
    }
    c->g_cc = cc;
    c->g_admin[0] = nvme_rd32(c, NVME_REG_AQA);
    c->g_admin[1] = rd64(c, NVME_REG_ASQ);
    c->g_admin[2] = rd64(c, NVME_REG_ACQ);
    if (live) {
        fw_cq_position(g_acq(c), NVME_AQA_ACQS(g_aqa(c)) + 1, 0, &acq_tail,
                       &acq_phase, &asq_tail);
        nfq = fw_scan(c, fq);
        log_info("nvme", "%s: the firmware left it running: admin SQ %u entries "
                 "at 0x%llx (next %u), CQ %u at 0x%llx (next %u); %u I/O queues",
                 c->name, NVME_AQA_ASQS(g_aqa(c)) + 1, (unsigned long long)g_asq(c),
                 asq_tail, NVME_AQA_ACQS(g_aqa(c)) + 1, (unsigned long long)g_acq(c),
                 acq_tail, nfq);
    }
    if (cc & NVME_CC_EN) {
        nvme_wr32(c, NVME_REG_CC, cc & ~NVME_CC_EN);
        if (!wait_rdy(c, false)) {
            log_err("nvme", "%s: the controller does not reset: not mediated", c->name);
            return;
        }
    }
    int rc;
    if (live) {
        rc = nvme_admin_start(c, g_aqa(c), g_asq(c), g_acq(c), true);
    } else {
        /* the probe's own admin queue: 16 entries in a VMM page */
        rc = nvme_admin_start(c, 15 << 16 | 15, 0, 0, false);
        cc = NVME_CC_EN | 6u << 16 | 4u << 20;
    }
    if (rc < 0 || !buf) {
        log_err("nvme", "%s: no admin queue for the VMM: not mediated", c->name);
        return;
    }
    nvme_wr32(c, NVME_REG_CC, cc | NVME_CC_EN);
    if (!wait_rdy(c, true)) {
        log_err("nvme", "%s: the controller does not become ready", c->name);
        return;
    }
    register_namespaces(c, buf);
    storage_bounce_free(buf, NVME_PAGE);
    if (live) {
        c->sq[0].head = c->sq[0].tail = asq_tail % c->sq[0].size;
        c->cq[0].head = c->cq[0].tail = acq_tail;
        c->cq[0].phase = acq_phase;
        adopt(c, fq, nfq);
        return;
    }
    /* it was off: off again, as the guest left it */
    nvme_wr32(c, NVME_REG_CC, c->g_cc & ~NVME_CC_EN);
    wait_rdy(c, false);
    nvme_queues_drop(c);
    c->g_cc &= ~NVME_CC_EN;
}

/* The register page and the doorbells, not the MSI-X table or PBA. */
static u64 hook_length(struct nvme_ctrl *c)
{
    u64 len = ALIGN_UP(NVME_REG_DOORBELL + (u64)(NVME_MAX_QID + 1) * 2 * (4u << c->dstrd),
                       NVME_PAGE);
    u8 cap = pci_find_cap(c->pci, PCI_CAP_ID_MSIX);

    if (!cap)
        return len;
    for (unsigned r = 4; r <= 8; r += 4) {
        u32 v = pci_config_read(c->pci, (u16)(cap + r), 4);
        if ((v & 7) == 0 && (v & ~7u) < len)
            return 0;
    }
    return len;
}

static int nvme_attach(struct pci_dev *d)
{
    struct pci_bar bar;

    if (nctrls == NVME_MAX_CTRL) {
        log_warn("nvme", "%02x:%02x.%x: more than %u NVMe controllers: not mediated",
                 d->id.bus, d->id.dev, d->id.fn, NVME_MAX_CTRL);
        return -E_BUSY;
    }
    struct nvme_ctrl *c = &ctrls[nctrls];
    memset(c, 0, sizeof(*c));
    c->lock = (spinlock_t)SPINLOCK_INIT;
    c->pci = d;
    ksnprintf(c->name, sizeof(c->name), "%02x:%02x.%x", d->id.bus, d->id.dev, d->id.fn);
    if (pci_read_bar(d, 0, &bar) < 0 || bar.io || !bar.base ||
        bar.base + 0x4000 > direct_map_top) {
        log_warn("nvme", "%s: BAR0 is not a memory BAR the VMM can reach: not "
                 "mediated", c->name);
        return -E_INVAL;
    }
    u16 cmd = (u16)pci_config_read(d, PCI_COMMAND, 2);
    if ((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) !=
        (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
        pci_config_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    c->bar = bar.base;
    c->regs = phys_to_virt(bar.base);
    c->cap = rd64(c, NVME_REG_CAP);
    c->dstrd = NVME_CAP_DSTRD(c->cap);
    c->mqes = NVME_CAP_MQES(c->cap);
    u64 len = hook_length(c);
    if (!len) {
        log_warn("nvme", "%s: the MSI-X table or PBA sits among the doorbells: not "
                 "mediated", c->name);
        return -E_INVAL;
    }
    u64 sp;
    if (!storage_bounce_alloc(NVME_PAGE, &sp))
        return -E_NOMEM;
    c->scratch_phys = sp;
    nvme_bounces_alloc(c);
    log_info("nvme", "%s: NVMe controller, BAR0 0x%llx, CAP 0x%llx (MQES %u, "
             "DSTRD %u), CC 0x%x CSTS 0x%x", c->name, (unsigned long long)c->bar,
             (unsigned long long)c->cap, c->mqes + 1, c->dstrd,
             nvme_rd32(c, NVME_REG_CC), nvme_rd32(c, NVME_REG_CSTS));
    /* hooked before the take-over changes anything: a controller the VMM
     * cannot hook is declined untouched (the guest does not run yet) */
    c->owner = (struct mmio_owner){ .base = c->bar, .len = len, .name = "NVMe registers",
                                    .access = nvme_mmio_access };
    if (mmio_register(&c->owner) < 0) {
        log_err("nvme", "%s: cannot hook the registers: not mediated", c->name);
        return -E_NOMEM;
    }
    take_over(c);
    nctrls++;
    nvme_msix_attach(c, len);
    if (nctrls == 1)
        exit_add_poller(nvme_exit_poll);
    d->priv = c;
    return 0;
}

/* BAR0 back where the hook is (a refused move: the guest reads its old
 * value back and the registers stay in the mediator's sight). */
static void nvme_bar0_restore(struct nvme_ctrl *c)
{
    u32 lo = pci_config_read(c->pci, PCI_BAR0, 4);

    pci_config_write(c->pci, PCI_BAR0, 4, (u32)c->bar | (lo & 0xf));
    if ((lo & 6) == 4)
        pci_config_write(c->pci, PCI_BAR0 + 4, 4, (u32)(c->bar >> 32));
}

/* The guest moved BAR0: the hook follows, once memory decoding is on
 * (while it sizes the BAR, Linux turns decoding off and the BAR reads
 * all ones), unless the new place overlaps RAM, the VMM region or another
 * hook: then BAR0 is put back. */
static void nvme_config_written(struct pci_dev *d, u16 offset, u8 size)
{
    struct nvme_ctrl *c = d->priv;
    struct pci_bar bar;
    const char *why = NULL;

    bool command = offset < PCI_COMMAND + 2 && offset + size > PCI_COMMAND;
    bool bar0 = offset < PCI_BAR0 + 8 && offset + size > PCI_BAR0;

    if (c && c->msix_n && offset < c->msix_cap + 4 && offset + size > c->msix_cap + 2)
        nvme_msix_config_written(c); /* MSI-X enabled or masked */
    if (!c || !(command || bar0))
        return;
    if (!(pci_config_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
        return;
    if (pci_read_bar(d, 0, &bar) < 0 || bar.io)
        why = "not a memory BAR";
    else if (bar.base == c->bar)
        return;
    else
        why = mmio_place_refusal(&c->owner, bar.base, c->owner.len);
    if (!why && c->msix_n)
        why = mmio_place_refusal(&c->msix_owner, bar.base + (nvme_msix_hook_base(c) - c->bar),
                                 c->msix_owner.len);
    u64 flags = spin_lock_irqsave(&c->lock);
    if (!why && mmio_move(&c->owner, bar.base) < 0)
        why = "cannot hook it there";
    if (why) {
        nvme_bar0_restore(c);
        spin_unlock_irqrestore(&c->lock, flags);
        log_warn("nvme", "%s: the guest moves BAR0 to 0x%llx (%s): refused, it "
                 "stays at 0x%llx", c->name, (unsigned long long)bar.base, why,
                 (unsigned long long)c->bar);
        return;
    }
    c->bar = bar.base;
    c->regs = phys_to_virt(bar.base);
    if (c->msix_n && mmio_move(&c->msix_owner, nvme_msix_hook_base(c)) < 0) {
        log_err("nvme", "%s: cannot move the MSI-X table hook: vectors no "
                "longer held", c->name);
        c->msix_n = 0;
    }
    spin_unlock_irqrestore(&c->lock, flags);
    log_info("nvme", "%s: BAR0 moved to 0x%llx: hook moved", c->name,
             (unsigned long long)bar.base);
}

/* At the guest's power-off: how much data went through, by whom. */
static int nvme_summary(void)
{
    for (unsigned i = 0; i < nctrls; i++)
        log_info("nvme", "%s: %llu sectors through the mediator before the guest's "
                 "first controller reset (firmware), %llu after (OS); %u refusals; "
                 "%u waits for a free slot or bounce buffer; at most %u commands "
                 "in flight as the guest ran, on %u I/O queues at once",
                 ctrls[i].name, (unsigned long long)ctrls[i].sectors_fw,
                 (unsigned long long)ctrls[i].sectors_os, ctrls[i].refusals,
                 ctrls[i].room_waits, ctrls[i].max_inflight, ctrls[i].max_queues);
    return 0;
}
INIT_FUNC(poweroff, 41, nvme_summary);

static const struct pci_mediator nvme_mediator = {
    .name = "nvme",
    .match_class = { .kind = PCI_SEL_CLASS, .class = 0x010802, .class_mask = 0xffffff },
    .attach = nvme_attach,
    .must_mediate = storage_encrypting,
    .config_written = nvme_config_written,
};
PCI_MEDIATOR(nvme_mediator);

/* ---- S3 (docs/sleep.md) ---------------------------------------------------- */

/* Commands at the controller, not counting Asynchronous Event Requests,
 * which stay outstanding by design until an event (or a reset) ends them. */
static u32 commands_in_flight(const struct nvme_ctrl *c)
{
    u32 n = 0;

    for (unsigned q = 0; q <= NVME_MAX_QID; q++)
        if (c->sq[q].live)
            n += c->sq[q].busy - (q == 0 ? MIN(c->sq[q].busy, c->aer_busy) : 0);
    return n;
}

/* Before the sleep: what is still at the controller will not complete (the
 * OS quiesced its queues first; a command left is lost with the power). */
static int nvme_suspend(void)
{
    for (unsigned i = 0; i < nctrls; i++) {
        u32 n = commands_in_flight(&ctrls[i]);
        if (n)
            log_warn("nvme", "%s: S3 with %u command%s still at the controller: "
                     "dropped at the wake, never completed to the guest",
                     ctrls[i].name, n, n == 1 ? "" : "s");
    }
    return 0;
}
INIT_FUNC(suspend, 41, nvme_suspend);

/* After the wake the controller is as after a reset (CC.EN 0, its queues
 * gone): so are the guest's view of it and the shadow queues. The guest
 * rebuilds them when it enables the controller again (CC.EN 0->1). */
static int nvme_resume(void)
{
    for (unsigned i = 0; i < nctrls; i++) {
        struct nvme_ctrl *c = &ctrls[i];
        u64 flags = spin_lock_irqsave(&c->lock);
        u32 n = commands_in_flight(c), aer = c->aer_busy;
        nvme_queues_drop(c);
        c->g_cc = 0;
        c->g_admin[0] = c->g_admin[1] = c->g_admin[2] = 0;
        c->fatal = false;
        spin_unlock_irqrestore(&c->lock, flags);
        log_info("nvme", "%s: S3 wake: the controller came back reset; shadow "
                 "queues dropped (%u command%s never completed, %u asynchronous "
                 "event request%s ended by the reset), rebuilt when the guest "
                 "enables it", c->name, n, n == 1 ? "" : "s", aer,
                 aer == 1 ? "" : "s");
    }
    return 0;
}
INIT_FUNC(resume, 41, nvme_resume);
