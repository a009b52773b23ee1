/* The identity I/O page tables with a hole (iommu_unit.h): pure given its
 * page source, host-tested (tests/unit/test_iopt.c). */
#include "iommu_unit.h"

static u64 build_table(const struct iopt_fmt *f, unsigned level, u64 base,
                       const struct iommu_map *m, const struct iopt_mem *mem)
{
    u64 t = mem->alloc();
    u64 span = 1ULL << (12 + 9 * (level - 1));

    if (!t)
        return 0;
    u64 *e = mem->virt(t);
    for (unsigned i = 0; i < 512; i++) {
        u64 a = base + i * span, end = a + span;
        if (a >= m->top)
            break;
        u64 hole_end = m->hole_base + m->hole_size;
        bool touches = m->hole_size && a < hole_end && end > m->hole_base;
        bool inside = touches && a >= m->hole_base && end <= hole_end;
        bool leaf_ok = level == 1 || (level == 2 && f->mb2) || (level == 3 && f->gb);
        if (inside)
            continue;
        if (leaf_ok && !touches && end <= m->top) {
            e[i] = f->leaf(level, a);
            continue;
        }
        if (level == 1)
            continue;
        u64 c = build_table(f, level - 1, a, m, mem);
        if (!c)
            return 0;
        e[i] = f->table(level, c);
    }
    return t;
}

u64 iopt_build_with(const struct iopt_fmt *f, unsigned levels,
                    const struct iommu_map *m, const struct iopt_mem *mem)
{
    if (levels < 1 || levels > 4)
        return 0;
    return build_table(f, levels, 0, m, mem);
}

#define IOPT_ADDR 0x000ffffffffff000ULL

/* The level-1 entry for pa, tables made where absent (alloc) or not (then
 * NULL); NULL too when a large leaf already covers pa (*covered set). */
static u64 *leaf_slot(const struct iopt_fmt *f, unsigned levels, u64 root,
                      u64 pa, const struct iopt_mem *mem, bool alloc,
                      bool *covered)
{
    u64 t = root;

    *covered = false;
    for (unsigned level = levels; level > 1; level--) {
        u64 *e = (u64 *)mem->virt(t) + ((pa >> (12 + 9 * (level - 1))) & 511);
        if (!*e) {
            u64 c = alloc ? mem->alloc() : 0;
            if (!c)
                return NULL;
            *e = f->table(level, c);
        } else if (*e != f->table(level, *e & IOPT_ADDR)) {
            *covered = true; /* a large leaf (our tables hold nothing else) */
            return NULL;
        }
        t = *e & IOPT_ADDR;
    }
    return (u64 *)mem->virt(t) + ((pa >> 12) & 511);
}

int iopt_map_page(const struct iopt_fmt *f, unsigned levels, u64 root, u64 pa,
                  const struct iopt_mem *mem)
{
    bool covered;
    u64 *e = leaf_slot(f, levels, root, pa & ~0xfffULL, mem, true, &covered);

    if (!e)
        return covered ? 0 : -E_NOMEM;
    *e = f->leaf(1, pa & ~0xfffULL);
    return 0;
}

bool iopt_unmap_page(const struct iopt_fmt *f, unsigned levels, u64 root, u64 pa,
                     const struct iopt_mem *mem)
{
    bool covered;
    u64 *e = leaf_slot(f, levels, root, pa & ~0xfffULL, mem, false, &covered);

    if (!e || !*e)
        return false; /* never mapped page by page: nothing to take back */
    *e = 0;
    return true;
}
