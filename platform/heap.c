/* The VMM heap (see mem.h). Pure given its frame pool: host-tested. */
#include <platform/mem.h>
#include <string.h>

#define HEAP_MIN_SHIFT 4  /* 16 bytes */
#define HEAP_CLASSES 8    /* 16 .. 2048 */
#define HEAP_LARGE 0x80000000u

static u64 frame_of(const struct heap *h, const void *ptr)
{
    return (u64)((const u8 *)ptr - h->region_virt) >> PAGE_SHIFT;
}

static void *virt_of(const struct heap *h, u64 phys)
{
    return h->region_virt + (phys - h->pool->base);
}

int heap_init(struct heap *h, struct frame_pool *pool, void *region_virt)
{
    u64 bytes = pool->nframes * sizeof(u32);
    u64 phys = pool_alloc(pool, (bytes + PAGE_SIZE - 1) / PAGE_SIZE, 1);

    memset(h, 0, sizeof(*h));
    h->pool = pool;
    h->region_virt = region_virt;
    if (!phys)
        return -E_NOMEM;
    h->page_info = virt_of(h, phys);
    memset(h->page_info, 0, (size_t)bytes);
    return 0;
}

static int size_class(size_t size)
{
    int c = 0;

    while (((size_t)1 << (c + HEAP_MIN_SHIFT)) < size)
        c++;
    return c;
}

static int refill(struct heap *h, int c)
{
    u64 phys = pool_alloc(h->pool, 1, 1);
    size_t obj = (size_t)1 << (c + HEAP_MIN_SHIFT);

    if (!phys)
        return -E_NOMEM;
    u8 *page = virt_of(h, phys);
    h->page_info[frame_of(h, page)] = (u32)c + 1;
    for (size_t off = 0; off + obj <= PAGE_SIZE; off += obj) {
        void **o = (void **)(page + off);
        *o = h->free_list[c];
        h->free_list[c] = o;
    }
    return 0;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > ((size_t)1 << (HEAP_MIN_SHIFT + HEAP_CLASSES - 1))) {
        u64 n = (size + PAGE_SIZE - 1) / PAGE_SIZE;
        if (n >= HEAP_LARGE)
            return NULL;
        u64 phys = pool_alloc(h->pool, n, 1);
        if (!phys)
            return NULL;
        void *p = virt_of(h, phys);
        h->page_info[frame_of(h, p)] = HEAP_LARGE | (u32)n;
        h->large_pages += n;
        h->bytes_in_use += n * PAGE_SIZE;
        return p;
    }
    int c = size_class(size);
    if (!h->free_list[c] && refill(h, c) < 0)
        return NULL;
    void **o = h->free_list[c];
    h->free_list[c] = *o;
    h->bytes_in_use += (u64)1 << (c + HEAP_MIN_SHIFT);
    return o;
}

int heap_free(struct heap *h, void *ptr)
{
    if (!ptr)
        return 0;
    if ((u8 *)ptr < h->region_virt ||
        (u8 *)ptr >= h->region_virt + h->pool->nframes * PAGE_SIZE)
        return -E_INVAL;
    u64 f = frame_of(h, ptr);
    u32 info = h->page_info[f];
    if (info & HEAP_LARGE) {
        u64 n = info & ~HEAP_LARGE;
        if ((u64)ptr & (PAGE_SIZE - 1))
            return -E_INVAL;
        h->page_info[f] = 0;
        h->large_pages -= n;
        h->bytes_in_use -= n * PAGE_SIZE;
        return pool_free(h->pool, h->pool->base + f * PAGE_SIZE, n);
    }
    if (info == 0 || info > HEAP_CLASSES)
        return -E_INVAL;
    int c = (int)info - 1;
    size_t obj = (size_t)1 << (c + HEAP_MIN_SHIFT);
    if (((u64)((u8 *)ptr - h->region_virt) & (PAGE_SIZE - 1)) % obj)
        return -E_INVAL; /* not the start of an object */
    void **o = ptr;
    *o = h->free_list[c];
    h->free_list[c] = o;
    h->bytes_in_use -= obj;
    return 0;
}
