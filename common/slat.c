/* Second-level address translation tables (see slat.h). */
#include <common/slat.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <platform/paging.h>

static u64 *table_of(u64 entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

static int make_leaf(const struct slat *s, u64 *e, u64 gpa, int shift)
{
    u64 bits;

    if (shift == 30 && !s->fmt->gb_pages)
        return 1;
    if (!s->fmt->leaf_bits(gpa, 1ULL << shift, &bits))
        return 1; /* not uniform: needs a table */
    *e = gpa | bits | (shift > 12 ? s->fmt->large_bit : 0);
    return 0;
}

/* Fills a new table for [base, base + 512 << shift) as leaves, or as
 * tables where a leaf cannot cover. */
static int fill(const struct slat *s, u64 *t, u64 base, int shift);

static int new_table_for(const struct slat *s, u64 *e, u64 base, int shift)
{
    u64 pa = alloc_pages(1);

    if (!pa)
        return -E_NOMEM;
    *e = pa | s->fmt->table_bits;
    return fill(s, phys_to_virt(pa), base, shift);
}

static int fill(const struct slat *s, u64 *t, u64 base, int shift)
{
    for (int i = 0; i < 512; i++) {
        u64 gpa = base + ((u64)i << shift);
        if (shift <= 30 && make_leaf(s, &t[i], gpa, shift) == 0)
            continue;
        if (shift == 12)
            return -E_INVAL; /* a 4 KiB page with no leaf bits */
        int r = new_table_for(s, &t[i], gpa, shift - 9);
        if (r < 0)
            return r;
    }
    return 0;
}

int slat_init(struct slat *s, const struct slat_format *fmt, u64 top)
{
    u64 pa = alloc_pages(1);

    s->fmt = fmt;
    s->root = pa;
    if (!pa)
        return -E_NOMEM;
    u64 *pml4 = phys_to_virt(pa);
    for (u64 gpa = 0; gpa < top; gpa += GiB(512)) {
        u64 pdpt = alloc_pages(1);
        if (!pdpt)
            return -E_NOMEM;
        pml4[gpa >> 39] = pdpt | fmt->table_bits;
        u64 *p = phys_to_virt(pdpt);
        for (u64 g = gpa; g < gpa + GiB(512) && g < top; g += GiB(1)) {
            u64 *e = &p[(g >> 30) & 511];
            if (make_leaf(s, e, g, 30) == 0)
                continue;
            int r = new_table_for(s, e, g, 21);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Replaces the large leaf *e (at `shift`) by a table of smaller leaves. */
static int split(const struct slat *s, u64 *e, int shift)
{
    u64 base = *e & PTE_ADDR & ~((1ULL << shift) - 1);

    return new_table_for(s, e, base, shift - 9);
}

static int set_range(const struct slat *s, u64 *table, int shift, u64 gpa,
                     u64 end, bool present)
{
    u64 size = 1ULL << shift;

    while (gpa < end) {
        u64 *e = &table[(gpa >> shift) & 511];
        u64 page = gpa & ~(size - 1);
        u64 next = page + size;
        bool whole = gpa == page && end >= next;
        int r;

        if (whole && !present) {
            *e = 0;
        } else if (whole && make_leaf(s, e, page, shift) == 0) {
            /* present again as one leaf */
        } else {
            if (shift == 12)
                return -E_INVAL;
            if (!*e) {
                if (!present) {
                    gpa = next;
                    continue;
                }
                /* an absent range (the VMM region is one) gains only
                 * the pages asked for, never the rest of its leaf */
                u64 pa = alloc_pages(1);
                if (!pa)
                    return -E_NOMEM;
                *e = pa | s->fmt->table_bits;
                r = 0;
            } else if (*e & s->fmt->large_bit) {
                r = split(s, e, shift);
            } else {
                r = 0;
            }
            if (r == 0)
                r = set_range(s, table_of(*e), shift - 9, gpa,
                              end < next ? end : next, present);
            if (r < 0)
                return r;
        }
        gpa = next;
    }
    return 0;
}

int slat_protect(struct slat *s, u64 gpa, u64 len, bool present)
{
    u64 *pml4 = phys_to_virt(s->root);

    if (!IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
        gpa + len < gpa)
        return -E_INVAL;
    for (u64 g = gpa; g < gpa + len;) {
        u64 next = (g + GiB(512)) & ~(GiB(512) - 1);
        u64 end = next < gpa + len ? next : gpa + len;
        u64 *e = &pml4[(g >> 39) & 511];
        if (!*e) {
            if (present)
                return -E_INVAL; /* beyond the map */
        } else {
            int r = set_range(s, table_of(*e), 30, g, end, present);
            if (r < 0)
                return r;
        }
        g = end;
    }
    return 0;
}

static void count(const struct slat *s, u64 *t, int shift, u64 *c)
{
    for (int i = 0; i < 512; i++) {
        if (!t[i])
            continue;
        if (shift == 12 || (t[i] & s->fmt->large_bit))
            c[shift == 30 ? 0 : shift == 21 ? 1 : 2]++;
        else
            count(s, table_of(t[i]), shift - 9, c);
    }
}

void slat_stats(const struct slat *s, u64 *gb, u64 *mb2, u64 *kb4)
{
    u64 c[3] = { 0, 0, 0 };
    u64 *pml4 = phys_to_virt(s->root);

    for (int i = 0; i < 512; i++)
        if (pml4[i])
            count(s, table_of(pml4[i]), 30, c);
    *gb = c[0];
    *mb2 = c[1];
    *kb4 = c[2];
}
