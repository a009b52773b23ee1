/* VT-d DMA remapping (Intel VT-d 4.1): legacy-mode root and context
 * tables, second-level page tables, register-based invalidation, fault
 * recording registers polled. Interrupt remapping is not used: with it
 * off, a DMA write to 0xFEEx_xxxx is an interrupt request and is not
 * translated (VT-d 3.13), so the guest's MSIs keep working. */
#include "iommu_unit.h"
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>

/* Registers (VT-d 11.4) */
enum {
    VTD_CAP = 0x08, VTD_ECAP = 0x10, VTD_GCMD = 0x18, VTD_GSTS = 0x1c,
    VTD_RTADDR = 0x20, VTD_CCMD = 0x28, VTD_FSTS = 0x34, VTD_FECTL = 0x38,
};
#define VTD_GSTS_TES   (1u << 31)
#define VTD_GSTS_RTPS  (1u << 30)
#define VTD_GSTS_WBFS  (1u << 27)
#define VTD_GSTS_QIES  (1u << 26)
#define VTD_GCMD_TE    (1u << 31)
#define VTD_GCMD_SRTP  (1u << 30)
#define VTD_GCMD_WBF   (1u << 27)
/* GSTS bits that are states, not one-shot command completions (11.4.4.1):
 * a GCMD write is GSTS & this | the command. */
#define VTD_GSTS_KEEP  0x96ffffffu
#define VTD_CCMD_ICC   (1ULL << 63)
#define VTD_CCMD_GLOBAL (1ULL << 61)
#define VTD_IOTLB_IVT  (1ULL << 63)
#define VTD_IOTLB_GLOBAL (1ULL << 60)
#define VTD_IOTLB_DR   (1ULL << 49)
#define VTD_IOTLB_DW   (1ULL << 48)
#define VTD_FSTS_PFO   (1u << 0)
#define VTD_FSTS_PPF   (1u << 1)
#define VTD_FECTL_IM   (1u << 31)
#define VTD_CAP_RWBF   (1ULL << 4)
#define VTD_CAP_SAGAW(c) (((c) >> 8) & 0x1f)
#define VTD_CAP_FRO(c) ((((c) >> 24) & 0x3ff) * 16)
#define VTD_CAP_NFR(c) ((((c) >> 40) & 0xff) + 1)
#define VTD_CAP_SL2M   (1ULL << 34)
#define VTD_CAP_SL1G   (1ULL << 35)
#define VTD_ECAP_C     (1ULL << 0)
#define VTD_ECAP_IRO(e) ((((e) >> 8) & 0x3ff) * 16)

/* Root and context entries (VT-d 9.1, 9.3): 128 bits each. */
struct vtd_entry {
    u64 lo, hi;
} __packed;
_Static_assert(sizeof(struct vtd_entry) == 16, "VT-d root/context entry");
#define VTD_PRESENT   1ULL
#define VTD_CTX_AW_39 1ULL /* 3-level */
#define VTD_CTX_AW_48 2ULL /* 4-level */
#define VTD_DID_UNTRUSTED 1
#define VTD_DID_TRUSTED   2

/* Second-level entries (VT-d 9.8): R, W, PS. */
#define VTD_SL_R  (1ULL << 0)
#define VTD_SL_W  (1ULL << 1)
#define VTD_SL_PS (1ULL << 7)

struct vtd_unit {
    struct iommu_unit u;
    volatile u8 *regs;
    u64 cap, ecap;
    u64 ctx_hi;              /* AW of the context entries */
    u64 sl_untrusted, sl_trusted;
    struct iopt_fmt fmt;
    unsigned levels;
    struct vtd_entry *root;  /* 256 entries */
    struct vtd_entry *shared_ctx; /* one context table all buses share */
    u64 shared_ctx_phys;
};

static u64 sl_table(unsigned level, u64 pa) { return pa | VTD_SL_R | VTD_SL_W; }
static u64 sl_leaf(unsigned level, u64 pa)
{
    return pa | VTD_SL_R | VTD_SL_W | (level > 1 ? VTD_SL_PS : 0);
}

static u32 rd32(struct vtd_unit *v, unsigned off) { return *(volatile u32 *)(v->regs + off); }
static u64 rd64(struct vtd_unit *v, unsigned off) { return *(volatile u64 *)(v->regs + off); }
static void wr32(struct vtd_unit *v, unsigned off, u32 x) { *(volatile u32 *)(v->regs + off) = x; }
static void wr64(struct vtd_unit *v, unsigned off, u64 x) { *(volatile u64 *)(v->regs + off) = x; }

#define VTD_SPINS 10000000

/* Issues a GCMD command and waits for GSTS to show `want` (set or clear). */
static bool vtd_command(struct vtd_unit *v, u32 cmd, u32 status_bit, bool set)
{
    wr32(v, VTD_GCMD, (rd32(v, VTD_GSTS) & VTD_GSTS_KEEP) | cmd);
    for (int i = 0; i < VTD_SPINS; i++) {
        if (!!(rd32(v, VTD_GSTS) & status_bit) == set)
            return true;
        cpu_relax();
    }
    return false;
}

/* Clears the enable whose status bit is `status_bit` (GCMD and GSTS
 * share the positions of TE, QIE, IRE, CFI) and waits for it. */
static bool vtd_command_clear(struct vtd_unit *v, u32 status_bit)
{
    wr32(v, VTD_GCMD, rd32(v, VTD_GSTS) & VTD_GSTS_KEEP & ~status_bit);
    for (int i = 0; i < VTD_SPINS; i++) {
        if (!(rd32(v, VTD_GSTS) & status_bit))
            return true;
        cpu_relax();
    }
    return false;
}

static bool vtd_wait64_clear(struct vtd_unit *v, unsigned off, u64 bit)
{
    for (int i = 0; i < VTD_SPINS; i++) {
        if (!(rd64(v, off) & bit))
            return true;
        cpu_relax();
    }
    return false;
}

static void vtd_flush_caches(struct vtd_unit *v)
{
    unsigned iotlb = VTD_ECAP_IRO(v->ecap) + 8;

    if (!(v->ecap & VTD_ECAP_C))
        __asm__ volatile("wbinvd" ::: "memory");
    if (v->cap & VTD_CAP_RWBF)
        vtd_command(v, VTD_GCMD_WBF, VTD_GSTS_WBFS, false);
    wr64(v, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
    if (!vtd_wait64_clear(v, VTD_CCMD, VTD_CCMD_ICC))
        log_warn("iommu", "VT-d 0x%llx: context-cache invalidation did not "
                 "complete", (unsigned long long)v->u.regs_phys);
    wr64(v, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL | VTD_IOTLB_DR | VTD_IOTLB_DW);
    if (!vtd_wait64_clear(v, iotlb, VTD_IOTLB_IVT))
        log_warn("iommu", "VT-d 0x%llx: IOTLB invalidation did not complete",
                 (unsigned long long)v->u.regs_phys);
}

static void vtd_poll(struct iommu_unit *u)
{
    struct vtd_unit *v = (struct vtd_unit *)u;
    u32 fsts = rd32(v, VTD_FSTS);
    unsigned fro = VTD_CAP_FRO(v->cap), nfr = VTD_CAP_NFR(v->cap);

    if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO)))
        return;
    for (unsigned i = 0; i < nfr; i++) {
        u64 hi = rd64(v, fro + i * 16 + 8);
        if (!(hi >> 63))
            continue;
        u64 lo = rd64(v, fro + i * 16);
        /* 11.4.14: SID 79:64, FR 103:96, T1 126 (1 = read), F 127 */
        iommu_report_fault(u, (u16)hi, lo & ~0xfffULL, !((hi >> 62) & 1),
                           (unsigned)(hi >> 32) & 0xff);
        wr32(v, fro + i * 16 + 12, 1u << 31); /* F is write-1-to-clear */
    }
    if (fsts & VTD_FSTS_PFO)
        iommu_report_overflow(u);
    wr32(v, VTD_FSTS, VTD_FSTS_PFO);
}

static u64 vtd_ctx_lo(u64 sl_root) { return sl_root | VTD_PRESENT; } /* TT 00 */

/* The bus's context table becomes its own (copied from the shared one)
 * before one of its entries changes. */
static void vtd_trust(struct iommu_unit *u, u8 bus, u8 devfn, bool trusted)
{
    struct vtd_unit *v = (struct vtd_unit *)u;
    struct vtd_entry *ctx;

    if (!trusted && (v->root[bus].lo & ~0xfffULL) == v->shared_ctx_phys)
        return;
    if ((v->root[bus].lo & ~0xfffULL) == v->shared_ctx_phys) {
        phys_addr_t p = alloc_pages(1);
        if (!p) {
            log_warn("iommu", "VT-d: no memory for bus %02x's context table; "
                     "%02x:%02x.%x stays untrusted and its DMA into the VMM "
                     "region faults", bus, bus, devfn >> 3, devfn & 7);
            return;
        }
        ctx = phys_to_virt(p);
        for (int i = 0; i < 256; i++)
            ctx[i] = v->shared_ctx[i];
        v->root[bus].lo = p | VTD_PRESENT;
    }
    ctx = phys_to_virt(v->root[bus].lo & ~0xfffULL);
    ctx[devfn].lo = 0; /* not present while it changes */
    ctx[devfn].hi = v->ctx_hi |
        ((u64)(trusted ? VTD_DID_TRUSTED : VTD_DID_UNTRUSTED) << 8);
    ctx[devfn].lo = vtd_ctx_lo(trusted ? v->sl_trusted : v->sl_untrusted);
    vtd_flush_caches(v);
    if (trusted)
        log_info("iommu", "VT-d: %02x:%02x.%x is mediated: its DMA may reach "
                 "the mediators' buffers in the VMM region", bus, devfn >> 3,
                 devfn & 7);
}

static int vtd_dma_map(struct iommu_unit *u, u64 pa, u64 len, bool map)
{
    struct vtd_unit *v = (struct vtd_unit *)u;
    int r = iommu_pt_dma_map(&v->fmt, v->levels, v->sl_trusted, pa, len, map);

    vtd_flush_caches(v); /* written back first when the walker does not snoop */
    return r;
}

/* Turns off what firmware left on, points the unit at the root table (in
 * VMM memory) and turns translation on. At boot and again after an S3
 * wake, which resets the unit. */
static int vtd_program(struct vtd_unit *v)
{
    if ((rd32(v, VTD_GSTS) & VTD_GSTS_TES) &&
        !vtd_command_clear(v, VTD_GSTS_TES)) {
        log_warn("iommu", "VT-d 0x%llx: firmware's translation does not turn "
                 "off", (unsigned long long)v->u.regs_phys);
        return -E_IO;
    }
    /* register-based invalidation is not allowed while firmware's queued
     * invalidation is on (6.5.2): turn it off (GCMD.QIE clear) */
    if ((rd32(v, VTD_GSTS) & VTD_GSTS_QIES) &&
        !vtd_command_clear(v, VTD_GSTS_QIES)) {
        log_warn("iommu", "VT-d 0x%llx: firmware's queued invalidation does "
                 "not turn off", (unsigned long long)v->u.regs_phys);
        return -E_IO;
    }
    wr32(v, VTD_FECTL, VTD_FECTL_IM); /* faults are polled, not signalled */
    wr64(v, VTD_RTADDR, virt_to_phys(v->root)); /* TTM 00: legacy root table */
    if (!vtd_command(v, VTD_GCMD_SRTP, VTD_GSTS_RTPS, true)) {
        log_warn("iommu", "VT-d 0x%llx: root table pointer not latched",
                 (unsigned long long)v->u.regs_phys);
        return -E_IO;
    }
    vtd_flush_caches(v);
    if (!vtd_command(v, VTD_GCMD_TE, VTD_GSTS_TES, true)) {
        log_warn("iommu", "VT-d 0x%llx: translation does not turn on",
                 (unsigned long long)v->u.regs_phys);
        return -E_IO;
    }
    return 0;
}

static int vtd_resume(struct iommu_unit *u)
{
    return vtd_program((struct vtd_unit *)u);
}

static const struct iommu_unit_ops vtd_ops = { .poll = vtd_poll, .trust = vtd_trust,
                                               .dma_map = vtd_dma_map,
                                               .resume = vtd_resume };

int vtd_unit_init(u64 regs_phys, const struct iommu_map *m)
{
    struct vtd_unit *v = kzalloc(sizeof(*v));
    unsigned levels;

    if (!v)
        return -E_NOMEM;
    v->u = (struct iommu_unit){ &vtd_ops, "VT-d", regs_phys };
    v->regs = phys_to_virt(regs_phys);
    v->cap = rd64(v, VTD_CAP);
    v->ecap = rd64(v, VTD_ECAP);
    unsigned sagaw = VTD_CAP_SAGAW(v->cap);
    if (sagaw & 4) {
        levels = 4;
        v->ctx_hi = VTD_CTX_AW_48;
    } else if ((sagaw & 2) && m->top <= (1ULL << 39)) {
        levels = 3;
        v->ctx_hi = VTD_CTX_AW_39;
    } else {
        log_warn("iommu", "VT-d 0x%llx: no usable address width (SAGAW 0x%x) "
                 "for memory up to 0x%llx", (unsigned long long)regs_phys,
                 sagaw, (unsigned long long)m->top);
        return -E_INVAL;
    }
    struct iopt_fmt fmt = { sl_table, sl_leaf, !!(v->cap & VTD_CAP_SL2M),
                            !!(v->cap & VTD_CAP_SL1G), !!(v->ecap & VTD_ECAP_C) };
    v->fmt = fmt;
    v->levels = levels;
    v->sl_untrusted = iopt_build(&fmt, levels, m);
    /* the same map, filled in page by page as the mediators allocate */
    v->sl_trusted = iopt_build(&fmt, levels, m);
    phys_addr_t root = alloc_pages(1), ctx = alloc_pages(1);
    if (!v->sl_untrusted || !v->sl_trusted || !root || !ctx)
        return -E_NOMEM;
    v->root = phys_to_virt(root);
    v->shared_ctx = phys_to_virt(ctx);
    v->shared_ctx_phys = ctx;
    for (int i = 0; i < 256; i++) {
        v->shared_ctx[i].hi = v->ctx_hi | ((u64)VTD_DID_UNTRUSTED << 8);
        v->shared_ctx[i].lo = vtd_ctx_lo(v->sl_untrusted);
        v->root[i].lo = ctx | VTD_PRESENT;
    }
    if (!(v->ecap & VTD_ECAP_C))
        __asm__ volatile("wbinvd" ::: "memory");

    int r = vtd_program(v);
    if (r < 0)
        return r;
    r = iommu_add_unit(&v->u);
    if (r < 0)
        return r;
    log_info("iommu", "VT-d 0x%llx: DMA remapping on: %u-level tables%s%s, "
             "every device but the VMM region (0x%llx-0x%llx), memory up to "
             "0x%llx; %u fault records%s", (unsigned long long)regs_phys,
             levels, fmt.gb ? ", 1G" : "", fmt.mb2 ? ", 2M" : "",
             (unsigned long long)m->hole_base,
             (unsigned long long)(m->hole_base + m->hole_size - 1),
             (unsigned long long)m->top, (unsigned)VTD_CAP_NFR(v->cap),
             fmt.coherent ? "" : ", tables flushed (not coherent)");
    return 0;
}
