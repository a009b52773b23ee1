/* The IOMMU's identity tables with the VMM region left out
 * (platform/iommu/iopt.c), over a host page source: every sampled address
 * translates to itself outside the hole and not at all inside it or above
 * the top; large leaves where allowed, split only at the hole's edges;
 * running out of pages gives 0. */
#include "check.h"
#include "iommu_unit.h"
#include <stdlib.h>

#define MAX_PAGES 64
#define PHYS_BASE 0x100000000000ULL /* fake physical addresses of the tables */
static u64 *pages[MAX_PAGES];
static unsigned npages, page_limit = MAX_PAGES;

static u64 host_alloc(void)
{
    if (npages >= page_limit)
        return 0;
    pages[npages] = aligned_alloc(4096, 4096);
    memset(pages[npages], 0, 4096);
    return PHYS_BASE + (u64)npages++ * 4096;
}
static void *host_virt(u64 pa) { return pages[(pa - PHYS_BASE) / 4096]; }
static void reset(unsigned limit)
{
    for (unsigned i = 0; i < npages; i++)
        free(pages[i]);
    npages = 0;
    page_limit = limit;
}

/* A VT-d-like format: R|W, PS on large leaves; the level kept in bits
 * 52-54 of every entry so the walk can check it. */
static u64 t_table(unsigned level, u64 pa) { return pa | 3 | (u64)level << 52; }
static u64 t_leaf(unsigned level, u64 pa)
{
    return pa | 3 | (level > 1 ? 0x80 : 0) | (u64)level << 52;
}
static const struct iopt_mem mem = { host_alloc, host_virt };
static u64 leaves[4];

/* Translates a; returns ~0 when not mapped. */
static u64 walk(u64 root, unsigned levels, u64 a)
{
    u64 t = root;
    for (unsigned level = levels; level >= 1; level--) {
        u64 e = ((u64 *)host_virt(t))[(a >> (12 + 9 * (level - 1))) & 511];
        if (!(e & 3))
            return ~0ULL;
        if (((e >> 52) & 7) != level)
            return ~1ULL;
        if (level == 1 || (e & 0x80)) {
            u64 size = 1ULL << (12 + 9 * (level - 1));
            return (e & 0x000ffffffffff000ULL & ~(size - 1)) | (a & (size - 1));
        }
        t = e & 0x000ffffffffff000ULL;
    }
    return ~2ULL;
}

static void count(u64 t, unsigned level)
{
    u64 *e = host_virt(t);
    for (int i = 0; i < 512; i++) {
        if (!(e[i] & 3))
            continue;
        if (level == 1 || (e[i] & 0x80))
            leaves[level]++;
        else
            count(e[i] & 0x000ffffffffff000ULL, level - 1);
    }
}

static void check_map(u64 root, unsigned levels, const struct iommu_map *m)
{
    u64 hole_end = m->hole_base + m->hole_size;
    u64 probes[] = { 0, 0x1000, m->hole_base - 1, m->hole_base,
                     m->hole_base + 0xfff, hole_end - 1, hole_end,
                     hole_end + 0x1000, 0x40000000, 0x80000123, m->top - 1,
                     m->top, m->top + 0x200000 };
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        u64 a = probes[i];
        bool mapped = a < m->top && !(a >= m->hole_base && a < hole_end);
        CHECK_EQ(walk(root, levels, a), mapped ? a : ~0ULL);
    }
    for (u64 a = m->hole_base; a < hole_end; a += 0x1000)
        CHECK_EQ(walk(root, levels, a), ~0ULL);
}

int main(void)
{
    struct iopt_fmt fmt = { t_table, t_leaf, true, true, true };
    struct iommu_map m = { 1ULL << 32, 0x3de00000, 32 << 20 };

    /* the QEMU layout: 1 GiB leaves but the first GiB, 2 MiB leaves there */
    u64 root = iopt_build_with(&fmt, 3, &m, &mem);
    CHECK(root != 0);
    check_map(root, 3, &m);
    memset(leaves, 0, sizeof(leaves));
    count(root, 3);
    CHECK_EQ(leaves[3], 3);
    CHECK_EQ(leaves[2], 512 - 16);
    CHECK_EQ(leaves[1], 0);
    CHECK_EQ(npages, 2); /* one PDPT, one PD */
    reset(MAX_PAGES);

    /* 4 levels, no 1 GiB leaves */
    fmt.gb = false;
    root = iopt_build_with(&fmt, 4, &m, &mem);
    CHECK(root != 0);
    check_map(root, 4, &m);
    memset(leaves, 0, sizeof(leaves));
    count(root, 4);
    CHECK_EQ(leaves[3], 0);
    CHECK_EQ(leaves[2], 4 * 512 - 16);
    reset(MAX_PAGES);

    /* a hole not 2 MiB aligned: 4 KiB leaves around it only */
    fmt.gb = true;
    struct iommu_map odd = { 1ULL << 32, 0x3de01000, 0x5000 };
    root = iopt_build_with(&fmt, 3, &odd, &mem);
    CHECK(root != 0);
    check_map(root, 3, &odd);
    memset(leaves, 0, sizeof(leaves));
    count(root, 3);
    CHECK_EQ(leaves[1], 512 - 5);
    CHECK_EQ(leaves[2], 511);
    reset(MAX_PAGES);

    /* no hole: the trusted map */
    struct iommu_map all = { 1ULL << 32, 0, 0 };
    root = iopt_build_with(&fmt, 3, &all, &mem);
    memset(leaves, 0, sizeof(leaves));
    count(root, 3);
    CHECK_EQ(leaves[3], 4);
    CHECK_EQ(walk(root, 3, 0x3de00000), 0x3de00000);
    reset(MAX_PAGES);

    /* the trusted map: the holed map plus pages the mediators DMA to, one
     * by one; the rest of the hole stays absent, pages outside it (under
     * a large leaf) are left as they are, and unmapping takes a page back */
    root = iopt_build_with(&fmt, 3, &m, &mem);
    u64 buf = 0x3de05000, edge = 0x3fdff000, outside = 0x40001000;
    CHECK_EQ(iopt_map_page(&fmt, 3, root, buf, &mem), 0);
    CHECK_EQ(iopt_map_page(&fmt, 3, root, edge + 0x123, &mem), 0);
    CHECK_EQ(iopt_map_page(&fmt, 3, root, outside, &mem), 0);
    unsigned tables = npages;
    CHECK_EQ(tables, 2 + 2); /* one page table per 2 MiB touched in the hole */
    CHECK_EQ(walk(root, 3, buf + 0x10), buf + 0x10);
    CHECK_EQ(walk(root, 3, edge), edge);
    CHECK_EQ(walk(root, 3, outside), outside);
    for (u64 a = 0x3de00000; a < 0x3fe00000; a += 0x1000)
        if (a != buf && a != edge)
            CHECK_EQ(walk(root, 3, a), ~0ULL);
    CHECK_EQ(iopt_map_page(&fmt, 3, root, buf + 0x1000, &mem), 0);
    CHECK_EQ(npages, tables); /* same 2 MiB: no new table */
    CHECK(iopt_unmap_page(&fmt, 3, root, buf, &mem));
    CHECK_EQ(walk(root, 3, buf), ~0ULL);
    CHECK_EQ(walk(root, 3, buf + 0x1000), buf + 0x1000);
    CHECK(!iopt_unmap_page(&fmt, 3, root, buf, &mem));     /* twice: nothing */
    CHECK(!iopt_unmap_page(&fmt, 3, root, outside, &mem)); /* a large leaf stays */
    CHECK_EQ(walk(root, 3, outside), outside);
    CHECK(!iopt_unmap_page(&fmt, 3, root, 0x3e400000, &mem)); /* no table there */
    page_limit = npages; /* out of pages for a new page table */
    CHECK_EQ(iopt_map_page(&fmt, 3, root, 0x3e400000, &mem), -E_NOMEM);
    CHECK_EQ(walk(root, 3, 0x3e400000), ~0ULL);
    reset(MAX_PAGES);

    /* out of pages: 0, never a half-built root */
    reset(1);
    CHECK_EQ(iopt_build_with(&fmt, 3, &m, &mem), 0);
    reset(MAX_PAGES);
    CHECK_EQ(iopt_build_with(&fmt, 5, &m, &mem), 0);
    return check_done("iopt");
}
