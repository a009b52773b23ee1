/* The NVMe mediator's interrupts: the controller's MSI-X table is hooked so
 * that the VMM can hold a vector masked while a CPU waits for the
 * completions it will post. The controller signals a completion as soon as
 * it writes the shadow completion queue, before the VMM has posted the
 * entry into the guest's; on the CPU that rang the doorbell the interrupt
 * waits (that CPU is in the VMM) but another CPU would take it at once,
 * find nothing new in its queue memory and never be told again (Linux then
 * waits for its command timeout). A masked vector's message stays pending
 * in the controller (PCI MSI-X) and is sent when the VMM unmasks it, after
 * posting. The guest's own mask bits are kept here and combined with the
 * VMM's. docs/storage-nvme.md. */
#include <devices/storage/nvme/nvme.h>
#include <devices/pci/pci.h>
#include <platform/log.h>
#include <platform/paging.h>

#define MSIX_CTRL 2              /* Message Control, from the capability */
#define MSIX_TABLE 4             /* Table Offset / BIR */

static volatile u32 *vec_ctrl(struct nvme_ctrl *c, u32 v)
{
    return (volatile u32 *)(c->regs + c->msix_off + v * 16 + 12);
}

static void vec_write(struct nvme_ctrl *c, u32 v)
{
    bool mask = (c->msix_gmask >> v & 1) || c->msix_hold[v];
    u32 ctrl = *vec_ctrl(c, v);

    *vec_ctrl(c, v) = (ctrl & ~1u) | (mask ? 1 : 0);
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

int nvme_irq_hold(struct nvme_ctrl *c, u16 cqid)
{
    int v = cq_vector(c, cqid);

    if (v >= 0 && c->msix_hold[v]++ == 0)
        vec_write(c, (u32)v);
    return v;
}

void nvme_irq_release(struct nvme_ctrl *c, int v)
{
    if (v >= 0 && c->msix_hold[v] && --c->msix_hold[v] == 0)
        vec_write(c, (u32)v);
}

/* The guest's accesses to the table's pages: passed through, except that
 * the mask bit the guest reads is its own and the one written to the
 * controller also holds the VMM's. */
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
        if (c->msix_hold[entry])
            *value |= 1ull << bit;
    }
    mmio_pass(p, size, write, value);
    if (!write && bit >= 0)
        *value = (*value & ~(1ull << bit)) | (c->msix_gmask >> entry & 1) << bit;
    return 0;
}

u64 nvme_msix_hook_base(struct nvme_ctrl *c)
{
    return c->bar + (c->msix_off & ~(u64)(NVME_PAGE - 1));
}

void nvme_msix_attach(struct nvme_ctrl *c, u64 reg_len)
{
    u8 cap = pci_find_cap(c->pci, PCI_CAP_ID_MSIX);

    if (!cap) {
        log_info("nvme", "%s: no MSI-X: completions may be signalled before "
                 "they are posted when the guest runs on several CPUs", c->name);
        return;
    }
    u32 n = ((u32)pci_config_read(c->pci, (u16)(cap + MSIX_CTRL), 2) & 0x7ff) + 1;
    u32 t = pci_config_read(c->pci, (u16)(cap + MSIX_TABLE), 4);
    u64 off = t & ~7u;
    if ((t & 7) != 0 || off < reg_len || c->bar + off + (u64)n * 16 > direct_map_top) {
        log_warn("nvme", "%s: MSI-X table in BAR%u at 0x%llx: not hooked; completions "
                 "may be signalled before they are posted when the guest runs on "
                 "several CPUs", c->name, t & 7, (unsigned long long)off);
        return;
    }
    c->msix_off = (u32)off;
    c->msix_n = MIN(n, (u32)NVME_MSIX_TRACKED);
    for (u32 v = 0; v < c->msix_n; v++)
        c->msix_gmask |= (u64)(*vec_ctrl(c, v) & 1) << v;
    u64 base = nvme_msix_hook_base(c);
    c->msix_owner = (struct mmio_owner){
        .base = base, .name = "NVMe MSI-X table",
        .len = ALIGN_UP(c->bar + off + (u64)n * 16, NVME_PAGE) - base,
        .access = nvme_msix_access_any };
    if (mmio_register(&c->msix_owner) < 0) {
        log_err("nvme", "%s: cannot hook the MSI-X table", c->name);
        c->msix_n = 0;
        return;
    }
    log_info("nvme", "%s: MSI-X table (%u vectors) at BAR0+0x%llx hooked: a vector "
             "is held masked while a CPU waits for the completions it posts",
             c->name, n, (unsigned long long)off);
}
