/* The guest's memory map (see e820.h). Pure: host-tested. */
#include <common/e820.h>

static void sort_by_base(struct mem_range *m, u32 n)
{
    for (u32 i = 1; i < n; i++) {
        struct mem_range t = m[i];
        u32 j = i;
        while (j > 0 && m[j - 1].base > t.base) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = t;
    }
}

/* Applies one cut to m[0..*n): the parts of each entry outside the cut
 * stay, the part inside is dropped or re-typed. */
static int apply_cut(struct mem_range *m, u32 *n, u32 max,
                     const struct mem_range *cut)
{
    u64 cs = cut->base, ce = cut->base + cut->len;
    u32 count = *n;

    for (u32 i = 0; i < count; i++) {
        u64 s = m[i].base, e = m[i].base + m[i].len;
        if (e <= cs || s >= ce || m[i].type == cut->type)
            continue;
        struct mem_range pieces[3];
        u32 np = 0;
        if (s < cs)
            pieces[np++] = (struct mem_range){ s, cs - s, m[i].type };
        if (cut->type)
            pieces[np++] = (struct mem_range){ s > cs ? s : cs,
                                               (e < ce ? e : ce) - (s > cs ? s : cs),
                                               cut->type };
        if (e > ce)
            pieces[np++] = (struct mem_range){ ce, e - ce, m[i].type };
        if (np == 0) { /* entirely removed */
            m[i] = m[count - 1];
            count--;
            i--;
            continue;
        }
        if (count + np - 1 > max)
            return -E_NOMEM;
        m[i] = pieces[0];
        for (u32 k = 1; k < np; k++)
            m[count++] = pieces[k];
    }
    *n = count;
    return 0;
}

int e820_build(const struct mem_range *in, u32 n, const struct mem_range *cuts,
               u32 ncuts, struct mem_range *out, u32 max)
{
    u32 count = 0;

    for (u32 i = 0; i < n; i++) {
        if (in[i].len == 0)
            continue;
        if (count == max)
            return -E_NOMEM;
        out[count++] = in[i];
    }
    for (u32 c = 0; c < ncuts; c++)
        if (cuts[c].len && apply_cut(out, &count, max, &cuts[c]) < 0)
            return -E_NOMEM;
    sort_by_base(out, count);
    return (int)count;
}

/* End of the memory of the types in `types` (a mask of BIT(type)) that
 * runs without a gap from `from`. */
static u64 covered_end(const struct mem_range *map, u32 n, u64 from, u32 types)
{
    u64 end = from;
    bool grew = true;

    while (grew) {
        grew = false;
        for (u32 i = 0; i < n; i++) {
            if (map[i].type >= 32 || !(types & BIT(map[i].type)))
                continue;
            u64 s = map[i].base, e = map[i].base + map[i].len;
            if (s <= end && e > end) {
                end = e;
                grew = true;
            }
        }
    }
    return end;
}

static u64 contiguous_end(const struct mem_range *map, u32 n, u64 from)
{
    return covered_end(map, n, from, BIT(MEM_USABLE));
}

bool e820_covers(const struct mem_range *map, u32 n, u64 base, u64 len,
                 u32 types)
{
    if (!len || base + len < base)
        return false;
    return covered_end(map, n, base, types) >= base + len;
}

static bool is_ram(u32 type)
{
    return type == MEM_USABLE || type == MEM_ACPI_RECLAIM || type == MEM_ACPI_NVS;
}

/* The end of the entry holding `at` that a device may use, or `at`. */
static u64 ram_end_at(const struct mem_range *map, u32 n, u64 at)
{
    for (u32 i = 0; i < n; i++) {
        const struct mem_range *m = &map[i];
        if (at < m->base || at - m->base >= m->len)
            continue;
        if (is_ram(m->type))
            return m->base + m->len;
        if (m->type != MEM_RESERVED || m->base + m->len > (1ULL << 32))
            continue;
        for (u32 j = 0; j < n; j++)
            if (is_ram(map[j].type) && map[j].base + map[j].len == m->base)
                return m->base + m->len;
    }
    return at;
}

bool e820_ram_ok(const struct mem_range *map, u32 n, u64 base, u64 len)
{
    u64 end = base + len, at = base;

    if (!len || end < base)
        return false;
    while (at < end) {
        u64 next = ram_end_at(map, n, at);
        if (next == at)
            return false;
        at = next;
    }
    return true;
}

bool e820_overlaps(const struct mem_range *map, u32 n, u64 base, u64 len,
                   u32 types)
{
    for (u32 i = 0; i < n; i++)
        if ((types & BIT(map[i].type)) && base < map[i].base + map[i].len &&
            base + len > map[i].base)
            return true;
    return false;
}

void e820_legacy_sizes(const struct mem_range *map, u32 n, u32 *kib_1m_16m,
                       u32 *blocks_above_16m, u32 *kib_above_1m)
{
    u64 end1 = contiguous_end(map, n, MiB(1));
    u64 low = (end1 > MiB(16) ? MiB(16) : end1) - MiB(1);
    u64 end16 = end1 >= MiB(16) ? contiguous_end(map, n, MiB(16)) : MiB(16);
    u64 high = end16 > GiB(4) ? GiB(4) - MiB(16) : end16 - MiB(16);
    u64 above1 = (end1 - MiB(1)) >> 10;

    *kib_1m_16m = (u32)(low >> 10);
    *blocks_above_16m = (u32)(high >> 16);
    *kib_above_1m = above1 > 0xffff ? 0xffff : (u32)above1;
}
