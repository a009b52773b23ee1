/* Page-frame pool (see mem.h). Pure: host-tested. */
#include <platform/mem.h>
#include <string.h>

static bool test_bit(const u64 *bm, u64 i)
{
    return (bm[i / 64] >> (i % 64)) & 1;
}

static void set_bits(u64 *bm, u64 i, u64 n, bool v)
{
    for (u64 k = i; k < i + n; k++) {
        if (v)
            bm[k / 64] |= 1ULL << (k % 64);
        else
            bm[k / 64] &= ~(1ULL << (k % 64));
    }
}

void pool_init(struct frame_pool *p, u64 base, u64 nframes, u64 *bitmap)
{
    p->base = base;
    p->nframes = nframes;
    p->nfree = nframes;
    p->hint = 0;
    p->bitmap = bitmap;
    memset(bitmap, 0, (size_t)((nframes + 63) / 64 * 8));
}

void pool_reserve(struct frame_pool *p, u64 addr, u64 len)
{
    u64 end = addr + len;

    if (end <= p->base || addr >= p->base + p->nframes * PAGE_SIZE)
        return;
    if (addr < p->base)
        addr = p->base;
    if (end > p->base + p->nframes * PAGE_SIZE)
        end = p->base + p->nframes * PAGE_SIZE;
    u64 first = (addr - p->base) >> PAGE_SHIFT;
    u64 last = (end - p->base + PAGE_SIZE - 1) >> PAGE_SHIFT;
    for (u64 i = first; i < last; i++) {
        if (!test_bit(p->bitmap, i)) {
            set_bits(p->bitmap, i, 1, true);
            p->nfree--;
        }
    }
}

static bool run_free(const struct frame_pool *p, u64 i, u64 n, u64 *bad)
{
    for (u64 k = i; k < i + n; k++) {
        if (test_bit(p->bitmap, k)) {
            *bad = k;
            return false;
        }
    }
    return true;
}

static u64 search(struct frame_pool *p, u64 from, u64 to, u64 n, u64 align)
{
    u64 i = ALIGN_UP(from, align);

    while (i + n <= to) {
        u64 bad;
        if (run_free(p, i, n, &bad))
            return i;
        i = ALIGN_UP(bad + 1, align);
    }
    return UINT64_MAX;
}

u64 pool_alloc(struct frame_pool *p, u64 n, u64 align_frames)
{
    u64 align = align_frames ? align_frames : 1;
    u64 i;

    if (n == 0 || n > p->nfree || (align & (align - 1)))
        return 0;
    i = search(p, p->hint, p->nframes, n, align);
    if (i == UINT64_MAX)
        i = search(p, 0, p->nframes, n, align);
    if (i == UINT64_MAX)
        return 0;
    set_bits(p->bitmap, i, n, true);
    p->nfree -= n;
    p->hint = i + n;
    return p->base + i * PAGE_SIZE;
}

int pool_free(struct frame_pool *p, u64 addr, u64 n)
{
    if (addr < p->base || !IS_ALIGNED(addr - p->base, PAGE_SIZE))
        return -E_INVAL;
    u64 i = (addr - p->base) >> PAGE_SHIFT;
    if (n == 0 || i + n > p->nframes || i + n < i)
        return -E_INVAL;
    for (u64 k = i; k < i + n; k++)
        if (!test_bit(p->bitmap, k))
            return -E_INVAL; /* double free: refuse, change nothing */
    set_bits(p->bitmap, i, n, false);
    p->nfree += n;
    if (i < p->hint)
        p->hint = i;
    return 0;
}
