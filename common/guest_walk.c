/* The guest page-table walk (SDM 4.3-4.5, APM 5.3): no paging, 32-bit
 * (with PSE 4 MiB pages), PAE, and 4-level long mode. Pure: host-tested. */
#include <common/guest_mem.h>
#include <platform/cpu.h>

#define PF_P    BIT(0)
#define PF_W    BIT(1)
#define PF_RSVD BIT(3)

static int fail(struct walk_result *out, u32 err)
{
    out->fault_error = err;
    return -E_FAULT;
}

static int walk_32bit(const struct paging_ctx *pc, u64 gla, bool write,
                      pte_reader rd, void *ctx, struct walk_result *out)
{
    u64 pde, pte;
    u32 wbit = write ? PF_W : 0;

    if (rd(ctx, (pc->cr3 & 0xfffff000) + ((gla >> 22) & 0x3ff) * 4, &pde, 4) < 0)
        return -E_INVAL;
    if (!(pde & 1))
        return fail(out, wbit);
    out->writable = pde & 2;
    out->user = pde & 4;
    if ((pde & BIT(7)) && (pc->cr4 & CR4_PSE)) {
        /* 4 MiB page: bits 20:13 are PA[39:32] (PSE-36). */
        u64 base = (pde & 0xffc00000) | ((pde & 0x1fe000) << 19);
        out->gpa = base | (gla & 0x3fffff);
        return 0;
    }
    if (rd(ctx, (pde & 0xfffff000) + ((gla >> 12) & 0x3ff) * 4, &pte, 4) < 0)
        return -E_INVAL;
    if (!(pte & 1))
        return fail(out, wbit);
    out->writable = out->writable && (pte & 2);
    out->user = out->user && (pte & 4);
    out->gpa = (pte & 0xfffff000) | (gla & 0xfff);
    return 0;
}

int guest_walk(const struct paging_ctx *pc, u64 gla, bool write,
               pte_reader rd, void *ctx, struct walk_result *out)
{
    const u64 addr_mask = 0x000ffffffffff000ULL;
    u64 e, table;
    int levels, first_shift;
    u32 wbit = write ? PF_W : 0;

    out->gpa = gla;
    out->writable = out->user = true;
    out->nx = false;
    out->fault_error = 0;
    if (!(pc->cr0 & CR0_PG)) {
        out->gpa = gla & 0xffffffff; /* real mode (A20 on) or flat */
        return 0;
    }
    if (!(pc->cr4 & CR4_PAE))
        return walk_32bit(pc, gla, write, rd, ctx, out);

    if (pc->efer & EFER_LMA) {
        levels = (pc->cr4 & CR4_LA57) ? 5 : 4;
        first_shift = levels == 5 ? 48 : 39;
        table = pc->cr3 & addr_mask;
    } else {
        /* PAE: the four PDPTEs at CR3[31:5]. */
        if (rd(ctx, (pc->cr3 & 0xffffffe0) + ((gla >> 30) & 3) * 8, &e, 8) < 0)
            return -E_INVAL;
        if (!(e & 1))
            return fail(out, wbit);
        if (e & 0x1e6)
            return fail(out, PF_P | PF_RSVD | wbit);
        table = e & addr_mask;
        levels = 2;
        first_shift = 21;
    }
    for (int l = 0, shift = first_shift; l < levels; l++, shift -= 9) {
        if (rd(ctx, table + ((gla >> shift) & 511) * 8, &e, 8) < 0)
            return -E_INVAL;
        if (!(e & 1))
            return fail(out, wbit);
        out->writable = out->writable && (e & 2);
        out->user = out->user && (e & 4);
        out->nx = out->nx || (e & BIT(63));
        bool leaf = shift == 12 || ((e & BIT(7)) && (shift == 21 || shift == 30));
        if ((e & BIT(7)) && shift > 30)
            return fail(out, PF_P | PF_RSVD | wbit); /* PS in PML4E/PML5E */
        if (leaf) {
            u64 page = 1ULL << shift;
            out->gpa = (e & addr_mask & ~(page - 1)) | (gla & (page - 1));
            return 0;
        }
        table = e & addr_mask;
    }
    return -E_INVAL; /* unreachable: the last level is a leaf */
}
