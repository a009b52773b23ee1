/* The NVMe mediator's interrupts. The controller's MSI-X table is hooked
 * and every vector the VMM tracks (the first 64) is kept masked at the
 * controller: the controller signals a completion as soon as it writes the
 * shadow completion queue, before the VMM has posted (and, for a read,
 * decrypted) the guest's entry, and a guest that took that interrupt would
 * find nothing new in its queue memory and never be told again. The VMM
 * sends the guest's message itself instead, after posting: the address and
 * data the guest wrote into the table entry (passed through to it), decoded
 * and sent as a fixed IPI from the local APIC of the CPU that posted. While
 * the guest masks the vector (its mask bit, kept here and shown to it, or
 * the function mask), the message stays pending in the VMM and goes when
 * the guest unmasks. docs/storage-nvme.md. */
#include <devices/storage/nvme/nvme.h>
#include <devices/pci/pci.h>
#include <platform/log.h>
#include <platform/paging.h>
#include <platform/smp.h>

#define MSIX_CTRL 2              /* Message Control, from the capability */
#define MSIX_TABLE 4             /* Table Offset / BIR */
#define MSIX_CTRL_ENABLE BIT(15)
#define MSIX_CTRL_FMASK BIT(14)

static volatile u32 *vec_word(struct nvme_ctrl *c, u32 v, u32 word)
{
    return (volatile u32 *)(c->regs + c->msix_off + v * 16 + 4 * word);
}

/* Masked at the controller, whatever the guest wrote. */
static void vec_mask(struct nvme_ctrl *c, u32 v)
{
    *vec_word(c, v, 3) |= 1;
}

/* The vector completions of CQ `cqid` are signalled on, or -1 (none, or one
 * the VMM does not track). */
static int cq_vector(struct nvme_ctrl *c, u16 cqid)
{
    const struct nvme_cq *q = &c->cq[cqid];
    u32 v;

    if (!c->msix_n || !q->live)
        return -1;
    if (cqid == 0)
        v = 0; /* the admin CQ: vector 0 (NVMe 1.4, 7.5.1.1) */
    else if (q->flags & 2) /* IEN */
        v = q->flags >> 16;
    else
        return -1;
    return v < c->msix_n ? (int)v : -1;
}

bool nvme_irq_vmm_signals(struct nvme_ctrl *c, u16 cqid)
{
    return c->msix_on && cq_vector(c, cqid) >= 0;
}

/* The guest's message of vector `v` (compatibility format: address
 * 0xfeeXXXXX, destination ID in bits 19:12, logical in bit 2; data:
 * vector, fixed or lowest-priority delivery) as a fixed IPI. */
static void vec_send(struct nvme_ctrl *c, u32 v)
{
    u32 addr = *vec_word(c, v, 0), addr_hi = *vec_word(c, v, 1);
    u32 data = *vec_word(c, v, 2);
    u32 mode = (data >> 8) & 7, vector = data & 0xff;

    if ((addr >> 20) != 0xfee || addr_hi || (addr & BIT(4)) || mode > 1 || vector < 16) {
        /* Not one the VMM can send (a remappable format, say): the vector
         * unmasked at the controller for a moment, which sends the message
         * it holds pending, in whatever format the guest wrote. A
         * completion the controller signals in that moment reaches the
         * guest before it is posted (and is told no more). */
        if (c->msix_undecoded++ == 0)
            log_warn("nvme", "%s: MSI-X vector %u's message (address 0x%x:%08x, "
                     "data 0x%x) is not a fixed interrupt the VMM can send: "
                     "unmasked at the controller for a moment instead (counted)",
                     c->name, v, addr_hi, addr, data);
        *vec_word(c, v, 3) &= ~1u;
        (void)*vec_word(c, v, 3);
        vec_mask(c, v);
        return;
    }
    u32 icr = vector | ((addr & BIT(2)) ? BIT(11) : 0); /* fixed, edge */
    /* the guest's own ICR high (xAPIC) may be half written */
    u32 hi = lapic_x2apic() ? 0 : lapic_read(LAPIC_ICR_HI);
    lapic_send_ipi((addr >> 12) & 0xff, icr);
    if (!lapic_x2apic())
        lapic_write(LAPIC_ICR_HI, hi);
}

static void vec_signal(struct nvme_ctrl *c, u32 v)
{
    if (!c->msix_on || (c->msix_gmask >> v & 1)) {
        c->msix_vpend |= 1ull << v;
        return;
    }
    c->msix_vpend &= ~(1ull << v);
    vec_send(c, v);
}

void nvme_irq_signal(struct nvme_ctrl *c, u16 cqid)
{
    int v = cq_vector(c, cqid);

    if (v >= 0)
        vec_signal(c, (u32)v);
}

void nvme_irq_flush(struct nvme_ctrl *c)
{
    if (!c->msix_vpend || !c->msix_on)
        return;
    for (u32 v = 0; v < c->msix_n; v++)
        if ((c->msix_vpend >> v & 1) && !(c->msix_gmask >> v & 1))
            vec_signal(c, v);
}

/* The guest's accesses to the table's pages: passed through, except that
 * the mask bit the guest reads is its own and the controller's stays set. */
int nvme_msix_access(struct nvme_ctrl *c, u64 gpa, unsigned size, bool write, u64 *value)
{
    u64 tbase = c->bar + c->msix_off;
    volatile u8 *p = c->regs + (gpa - c->bar);
    u32 entry = 0;
    int bit = -1;

    if (gpa & (size - 1)) {
        nvme_refuse(c, "a misaligned %u-byte access to the MSI-X table page at "
                    "0x%llx: refused", size, (unsigned long long)gpa);
        return -E_INVAL;
    }
    /* the tracked vectors' entries; any other bit passes as it is */
    if (gpa >= tbase && gpa - tbase < (u64)c->msix_n * 16)
        bit = nvme_msix_mask_bit((u32)(gpa - tbase), size, &entry);
    if (write && bit >= 0) {
        bool gmask = *value >> bit & 1;
        c->msix_gmask = (c->msix_gmask & ~(1ull << entry)) | (u64)gmask << entry;
        *value |= 1ull << bit;
    }
    mmio_pass(p, size, write, value);
    if (!write && bit >= 0)
        *value = (*value & ~(1ull << bit)) | (c->msix_gmask >> entry & 1) << bit;
    if (write && bit >= 0)
        nvme_irq_flush(c); /* an unmask sends what was owed */
    return 0;
}

u64 nvme_msix_hook_base(struct nvme_ctrl *c)
{
    return c->bar + (c->msix_off & ~(u64)(NVME_PAGE - 1));
}

void nvme_msix_config_written(struct nvme_ctrl *c)
{
    if (!c->msix_n)
        return;
    u32 ctl = pci_config_read(c->pci, (u16)(c->msix_cap + MSIX_CTRL), 2);
    bool on = (ctl & MSIX_CTRL_ENABLE) && !(ctl & MSIX_CTRL_FMASK);
    u64 flags = spin_lock_irqsave(&c->lock);
    c->msix_on = on;
    nvme_irq_flush(c);
    spin_unlock_irqrestore(&c->lock, flags);
}

void nvme_msix_attach(struct nvme_ctrl *c, u64 reg_len)
{
    u8 cap = pci_find_cap(c->pci, PCI_CAP_ID_MSIX);

    if (!cap) {
        log_info("nvme", "%s: no MSI-X: every doorbell waits for its completions, "
                 "which may be signalled before they are posted when the guest "
                 "runs on several CPUs", c->name);
        return;
    }
    u32 n = ((u32)pci_config_read(c->pci, (u16)(cap + MSIX_CTRL), 2) & 0x7ff) + 1;
    u32 t = pci_config_read(c->pci, (u16)(cap + MSIX_TABLE), 4);
    u64 off = t & ~7u;
    if ((t & 7) != 0 || off < reg_len || c->bar + off + (u64)n * 16 > direct_map_top) {
        log_warn("nvme", "%s: MSI-X table in BAR%u at 0x%llx: not hooked; every "
                 "doorbell waits for its completions, which may be signalled "
                 "before they are posted when the guest runs on several CPUs",
                 c->name, t & 7, (unsigned long long)off);
        return;
    }
    c->msix_cap = cap;
    c->msix_off = (u32)off;
    c->msix_n = MIN(n, (u32)NVME_MSIX_TRACKED);
    for (u32 v = 0; v < c->msix_n; v++) {
        c->msix_gmask |= (u64)(*vec_word(c, v, 3) & 1) << v;
        vec_mask(c, v);
    }
    u32 ctl = pci_config_read(c->pci, (u16)(cap + MSIX_CTRL), 2);
    c->msix_on = (ctl & MSIX_CTRL_ENABLE) && !(ctl & MSIX_CTRL_FMASK);
    u64 base = nvme_msix_hook_base(c);
    c->msix_owner = (struct mmio_owner){
        .base = base, .name = "NVMe MSI-X table",
        .len = ALIGN_UP(c->bar + off + (u64)n * 16, NVME_PAGE) - base,
        .access = nvme_msix_access_any };
    if (mmio_register(&c->msix_owner) < 0) {
        log_err("nvme", "%s: cannot hook the MSI-X table", c->name);
        for (u32 v = 0; v < c->msix_n; v++)
            if (!(c->msix_gmask >> v & 1))
                *vec_word(c, v, 3) &= ~1u;
        c->msix_n = 0;
        return;
    }
    log_info("nvme", "%s: MSI-X table (%u vectors) at BAR0+0x%llx hooked: the "
             "first %u masked at the controller, the VMM sends the guest's "
             "message once it has posted the completions", c->name, n,
             (unsigned long long)off, c->msix_n);
}
