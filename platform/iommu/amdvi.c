/* AMD-Vi DMA remapping (AMD I/O Virtualization Technology (IOMMU)
 * Specification 3.x): a device table with every DeviceID valid, host I/O
 * page tables, the command buffer (INVALIDATE_DEVTAB_ENTRY,
 * INVALIDATE_IOMMU_PAGES, COMPLETION_WAIT) and the event log, polled.
 * Interrupts are filtered, not remapped (filter_intr): IV = 1 and
 * IntCtl = 01b in every DTE forward fixed and arbitrated interrupt
 * messages unmapped, so the guest's MSIs keep working as bare, and the
 * pass bits and SysMgt at 0 make the unit target-abort INIT, ExtINT, NMI,
 * LINT0, LINT1 and SMI messages (DTE, 3.2.2.2): a device the guest
 * programs cannot reset an AP halted in the VMM (SVM runs that HLT with
 * GIF = 1). */
#include "iommu_unit.h"
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>

/* MMIO registers (3.4) */
enum {
    AMDVI_DEVTAB = 0x00, AMDVI_CMDBUF = 0x08, AMDVI_EVTLOG = 0x10,
    AMDVI_CONTROL = 0x18, AMDVI_EXCL_BASE = 0x20, AMDVI_EXCL_LIMIT = 0x28,
    AMDVI_CMD_HEAD = 0x2000, AMDVI_CMD_TAIL = 0x2008,
    AMDVI_EVT_HEAD = 0x2010, AMDVI_EVT_TAIL = 0x2018, AMDVI_STATUS = 0x2020,
};
#define AMDVI_CTL_EN        (1ULL << 0)
#define AMDVI_CTL_EVTLOG_EN (1ULL << 2)
#define AMDVI_CTL_CMDBUF_EN (1ULL << 12)
#define AMDVI_STATUS_EVT_OVERFLOW (1ULL << 0)
#define AMDVI_RING_LEN 8            /* 2^8 entries of 16 bytes: one page */
#define AMDVI_RING_BYTES 4096
#define AMDVI_DEVIDS 65536
#define AMDVI_DEVTAB_PAGES (AMDVI_DEVIDS * 32 / 4096)

/* Device table entry (3.2.2.2): 256 bits. */
struct amdvi_dte {
    u64 q[4];
} __packed;
_Static_assert(sizeof(struct amdvi_dte) == 32, "AMD-Vi DTE");
#define AMDVI_DTE_V   (1ULL << 0)
#define AMDVI_DTE_TV  (1ULL << 1)
#define AMDVI_DTE_MODE(levels) ((u64)(levels) << 9)
#define AMDVI_DTE_IR  (1ULL << 61)
#define AMDVI_DTE_IW  (1ULL << 62)
/* q[1]: IoCtl (bits 100:99) and SysMgt (105:104) 00b: DMA to the port-I/O
 * and system-management ranges (SMI messages among them) is target
 * aborted. Left at 0, named here for that reason. */
#define AMDVI_DTE1_IOCTL_ABORT  (0ULL << 35)
#define AMDVI_DTE1_SYSMGT_ABORT (0ULL << 40)
/* q[2], the interrupt half (bits 191:128) */
#define AMDVI_DTE2_IV          (1ULL << 0)  /* the interrupt fields are valid */
#define AMDVI_DTE2_INTTABLEN_1 (0ULL << 1)  /* 2^0 entries */
/* the pass bits, all left 0 by the filter: such messages are aborted */
#define AMDVI_DTE2_INITPASS    (1ULL << 56)
#define AMDVI_DTE2_EINTPASS    (1ULL << 57)
#define AMDVI_DTE2_NMIPASS     (1ULL << 58)
#define AMDVI_DTE2_INTCTL_FWD  (1ULL << 60) /* IntCtl 01b: fixed/arbitrated forwarded unmapped */
#define AMDVI_DTE2_LINT0PASS   (1ULL << 62)
#define AMDVI_DTE2_LINT1PASS   (1ULL << 63)
#define AMDVI_DID_UNTRUSTED 1
#define AMDVI_DID_TRUSTED   2

/* Commands and events: 128 bits (3.3.3, 3.3.4). */
struct amdvi_cmd {
    u32 d[4];
} __packed;
_Static_assert(sizeof(struct amdvi_cmd) == 16, "AMD-Vi command/event");
#define AMDVI_CMD_COMPLETION_WAIT 1u
#define AMDVI_CMD_INV_DEVTAB_ENTRY 2u
#define AMDVI_CMD_INV_IOMMU_PAGES 3u
#define AMDVI_EVT_IO_PAGE_FAULT 2u

/* I/O page-table entries (3.2.3): PR, NextLevel 11:9, IR 61, IW 62. */
#define AMDVI_PTE_PR (1ULL << 0)
#define AMDVI_PTE_NEXT(l) ((u64)(l) << 9)
#define AMDVI_PTE_IR (1ULL << 61)
#define AMDVI_PTE_IW (1ULL << 62)

struct amdvi_unit {
    struct iommu_unit u;
    volatile u8 *regs;
    struct amdvi_dte *devtab;
    struct amdvi_cmd *cmdbuf, *evtlog;
    u32 cmd_tail;
    volatile u64 *wait_word;
    u64 wait_seq;
    u64 pt_untrusted, pt_trusted;
    struct iopt_fmt fmt;
    u64 int_table;  /* 0: interrupts not filtered (IV = 0) */
    unsigned levels;
};

static u64 pt_table(unsigned level, u64 pa)
{
    return pa | AMDVI_PTE_PR | AMDVI_PTE_NEXT(level - 1) | AMDVI_PTE_IR | AMDVI_PTE_IW;
}
static u64 pt_leaf(unsigned level, u64 pa)
{
    return pa | AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW; /* NextLevel 0 */
}

static u64 rd64(struct amdvi_unit *a, unsigned off) { return *(volatile u64 *)(a->regs + off); }
static void wr64(struct amdvi_unit *a, unsigned off, u64 x) { *(volatile u64 *)(a->regs + off) = x; }

static void cmd_put(struct amdvi_unit *a, const struct amdvi_cmd *c)
{
    a->cmdbuf[a->cmd_tail / 16] = *c;
    a->cmd_tail = (a->cmd_tail + 16) % AMDVI_RING_BYTES;
}

/* Queues a COMPLETION_WAIT, rings the tail and waits for its store. */
static bool cmd_sync(struct amdvi_unit *a)
{
    u64 seq = ++a->wait_seq, pa = virt_to_phys((const void *)a->wait_word);
    struct amdvi_cmd c = { { (u32)pa | 1u /* S: store */,
                             (u32)(pa >> 32) | AMDVI_CMD_COMPLETION_WAIT << 28,
                             (u32)seq, (u32)(seq >> 32) } };
    cmd_put(a, &c);
    __asm__ volatile("sfence" ::: "memory");
    wr64(a, AMDVI_CMD_TAIL, a->cmd_tail);
    for (int i = 0; i < 10000000; i++) {
        if (*a->wait_word == seq)
            return true;
        cpu_relax();
    }
    log_warn("iommu", "AMD-Vi 0x%llx: a command did not complete (head 0x%llx, "
             "tail 0x%x)", (unsigned long long)a->u.regs_phys,
             (unsigned long long)rd64(a, AMDVI_CMD_HEAD), a->cmd_tail);
    return false;
}

static void inv_pages(struct amdvi_unit *a, u16 domain)
{
    /* every page of the domain: S = 1, address 0x7fff_ffff_ffff_f000 */
    struct amdvi_cmd c = { { 0, domain | AMDVI_CMD_INV_IOMMU_PAGES << 28,
                             0xfffff000u | 3u /* S, PDE */, 0x7fffffffu } };
    cmd_put(a, &c);
}

static void inv_devtab(struct amdvi_unit *a, u16 devid)
{
    struct amdvi_cmd c = { { devid, AMDVI_CMD_INV_DEVTAB_ENTRY << 28, 0, 0 } };
    cmd_put(a, &c);
}

static void dte_set(struct amdvi_unit *a, u16 devid, bool trusted)
{
    struct amdvi_dte *d = &a->devtab[devid];

    d->q[0] = 0; /* invalid while it changes */
    d->q[1] = (trusted ? AMDVI_DID_TRUSTED : AMDVI_DID_UNTRUSTED) |
              AMDVI_DTE1_IOCTL_ABORT | AMDVI_DTE1_SYSMGT_ABORT;
    /* Fixed and arbitrated messages go on unchanged; INIT, ExtINT, NMI,
     * LINT0/1 (pass bits 0) and SMI (SysMgt 00b) are target aborted.
     * NMIPass stays 0: no driver sends a device NMI, and an NMI that
     * reached a CPU in the VMM would pass for a kick (docs/smp.md) or
     * flood it. The table (all RemapEn = 0) is only read under IntCtl 10b. */
    d->q[2] = a->int_table ? a->int_table | AMDVI_DTE2_IV | AMDVI_DTE2_INTTABLEN_1 |
                             AMDVI_DTE2_INTCTL_FWD
                           : 0; /* IV = 0: every interrupt passes unmapped */
    d->q[3] = 0;
    d->q[0] = (trusted ? a->pt_trusted : a->pt_untrusted) | AMDVI_DTE_V |
              AMDVI_DTE_TV | AMDVI_DTE_MODE(a->levels) | AMDVI_DTE_IR | AMDVI_DTE_IW;
}

static void amdvi_trust(struct iommu_unit *u, u8 bus, u8 devfn, bool trusted)
{
    struct amdvi_unit *a = (struct amdvi_unit *)u;
    u16 devid = (u16)(bus << 8 | devfn);

    dte_set(a, devid, trusted);
    inv_devtab(a, devid);
    inv_pages(a, AMDVI_DID_UNTRUSTED);
    inv_pages(a, AMDVI_DID_TRUSTED);
    cmd_sync(a);
    if (trusted)
        log_info("iommu", "AMD-Vi: %02x:%02x.%x is mediated: its DMA may reach "
                 "the mediators' buffers in the VMM region", bus, devfn >> 3,
                 devfn & 7);
}

static int amdvi_dma_map(struct iommu_unit *u, u64 pa, u64 len, bool map)
{
    struct amdvi_unit *a = (struct amdvi_unit *)u;
    int r = iommu_pt_dma_map(&a->fmt, a->levels, a->pt_trusted, pa, len, map);

    inv_pages(a, AMDVI_DID_TRUSTED);
    cmd_sync(a);
    return r;
}

static void amdvi_poll(struct iommu_unit *u)
{
    struct amdvi_unit *a = (struct amdvi_unit *)u;
    u64 head = rd64(a, AMDVI_EVT_HEAD) % AMDVI_RING_BYTES;
    u64 tail = rd64(a, AMDVI_EVT_TAIL) % AMDVI_RING_BYTES;
    unsigned n = 0;

    while (head != tail && n++ < AMDVI_RING_BYTES / 16) {
        const struct amdvi_cmd *e = &a->evtlog[head / 16];
        unsigned code = e->d[1] >> 28;
        u64 addr = (u64)e->d[3] << 32 | e->d[2];
        if (code == AMDVI_EVT_IO_PAGE_FAULT)
            iommu_report_fault(u, (u16)e->d[0], addr, (e->d[1] >> 21) & 1, code);
        else
            log_warn("iommu", "AMD-Vi 0x%llx: event %u (0x%08x 0x%08x 0x%08x "
                     "0x%08x)", (unsigned long long)u->regs_phys, code,
                     e->d[0], e->d[1], e->d[2], e->d[3]);
        head = (head + 16) % AMDVI_RING_BYTES;
    }
    wr64(a, AMDVI_EVT_HEAD, head);
    if (rd64(a, AMDVI_STATUS) & AMDVI_STATUS_EVT_OVERFLOW) {
        iommu_report_overflow(u);
        wr64(a, AMDVI_STATUS, AMDVI_STATUS_EVT_OVERFLOW); /* write 1 to clear */
    }
}

/* Points the unit at its tables (device table, command buffer, event log,
 * all in VMM memory) and turns translation on; whatever it cached goes.
 * At boot and again after an S3 wake, which resets the unit. */
static int amdvi_program(struct amdvi_unit *a)
{
    phys_addr_t dt = virt_to_phys(a->devtab), cb = virt_to_phys(a->cmdbuf),
                el = virt_to_phys(a->evtlog);

    wr64(a, AMDVI_CONTROL, 0); /* off while it is set up */
    /* an exclusion range (3.4.5) would let DMA there pass untranslated */
    wr64(a, AMDVI_EXCL_BASE, 0);
    wr64(a, AMDVI_EXCL_LIMIT, 0);
    wr64(a, AMDVI_DEVTAB, dt | (AMDVI_DEVTAB_PAGES - 1));
    wr64(a, AMDVI_CMDBUF, cb | (u64)AMDVI_RING_LEN << 56);
    wr64(a, AMDVI_EVTLOG, el | (u64)AMDVI_RING_LEN << 56);
    wr64(a, AMDVI_CMD_HEAD, 0);
    wr64(a, AMDVI_CMD_TAIL, 0);
    a->cmd_tail = 0;
    wr64(a, AMDVI_EVT_HEAD, 0);
    wr64(a, AMDVI_EVT_TAIL, 0);
    wr64(a, AMDVI_CONTROL, AMDVI_CTL_EN | AMDVI_CTL_EVTLOG_EN | AMDVI_CTL_CMDBUF_EN);
    /* whatever the unit cached of the firmware's tables goes */
    inv_pages(a, AMDVI_DID_UNTRUSTED);
    inv_pages(a, AMDVI_DID_TRUSTED);
    if (!cmd_sync(a))
        return -E_IO;
    return 0;
}

static int amdvi_resume(struct iommu_unit *u)
{
    return amdvi_program((struct amdvi_unit *)u);
}

static const struct iommu_unit_ops amdvi_ops = { .poll = amdvi_poll, .trust = amdvi_trust,
                                                 .dma_map = amdvi_dma_map,
                                                 .resume = amdvi_resume };

int amdvi_unit_init(u64 regs_phys, const struct iommu_map *m, bool filter_intr)
{
    struct amdvi_unit *a = kzalloc(sizeof(*a));

    if (!a)
        return -E_NOMEM;
    a->u = (struct iommu_unit){ &amdvi_ops, "AMD-Vi", regs_phys };
    a->regs = phys_to_virt(regs_phys);
    a->levels = m->top <= (1ULL << 39) ? 3 : 4;
    /* AMD-Vi table walks snoop the CPU caches: no flush needed */
    struct iopt_fmt fmt = { pt_table, pt_leaf, true, true, true };
    a->fmt = fmt;
    a->pt_untrusted = iopt_build(&fmt, a->levels, m);
    /* the same map, filled in page by page as the mediators allocate */
    a->pt_trusted = iopt_build(&fmt, a->levels, m);
    phys_addr_t dt = alloc_pages(AMDVI_DEVTAB_PAGES), cb = alloc_pages(1),
                el = alloc_pages(1), w = alloc_pages(1), it = 0;
    if (filter_intr)
        it = alloc_pages(1);
    if (!a->pt_untrusted || !a->pt_trusted || !dt || !cb || !el || !w ||
        (filter_intr && !it)) {
        log_warn("iommu", "AMD-Vi 0x%llx: no memory for its tables (the device "
                 "table alone is 2 MiB)", (unsigned long long)regs_phys);
        return -E_NOMEM;
    }
    a->devtab = phys_to_virt(dt);
    a->cmdbuf = phys_to_virt(cb);
    a->evtlog = phys_to_virt(el);
    a->wait_word = phys_to_virt(w);
    a->int_table = filter_intr ? it : 0;
    for (u32 id = 0; id < AMDVI_DEVIDS; id++)
        dte_set(a, (u16)id, false);

    int r = amdvi_program(a);
    if (r < 0)
        return r;
    r = iommu_add_unit(&a->u);
    if (r < 0)
        return r;
    log_info("iommu", "AMD-Vi 0x%llx: DMA remapping on: %u-level tables, 1G, "
             "2M, every device but the VMM region (0x%llx-0x%llx), memory up "
             "to 0x%llx; event log polled", (unsigned long long)regs_phys,
             a->levels, (unsigned long long)m->hole_base,
             (unsigned long long)(m->hole_base + m->hole_size - 1),
             (unsigned long long)m->top);
    if (filter_intr)
        log_info("iommu", "AMD-Vi 0x%llx: device interrupts filtered: fixed and "
                 "arbitrated pass, INIT, NMI, SMI, ExtINT, LINT0/1 aborted",
                 (unsigned long long)regs_phys);
    else
        log_warn("iommu", "AMD-Vi 0x%llx: vmm.iommu_intr=pass: a device the "
                 "guest programs can send INIT or NMI to any CPU",
                 (unsigned long long)regs_phys);
    return 0;
}
