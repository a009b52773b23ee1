/* The VMM-wide frame pool and heap over the reserved region. */
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/spinlock.h>
#include <platform/trap.h>
#include <string.h>

u64 vmm_region_base, vmm_region_size;

static struct frame_pool pool;
static struct heap heap;
static spinlock_t mem_lock = SPINLOCK_INIT;
/* One bit per frame of the largest region vmm.mem allows (1 GiB). */
static u64 pool_bitmap[GiB(1) / PAGE_SIZE / 64];

void mem_init(u64 base, u64 size, u64 image_len, u64 tables_len)
{
    vmm_region_base = base;
    vmm_region_size = size;
    pool_init(&pool, base, size / PAGE_SIZE, pool_bitmap);
    pool_reserve(&pool, base, ALIGN_UP(image_len, PAGE_SIZE));
    pool_reserve(&pool, base + size - tables_len, tables_len);
    if (heap_init(&heap, &pool, phys_to_virt(base)) < 0)
        panic("mem: no room for the heap's page table in the VMM region");
}

phys_addr_t alloc_pages(u64 n)
{
    u64 f = spin_lock_irqsave(&mem_lock);
    phys_addr_t p = pool_alloc(&pool, n, 1);

    spin_unlock_irqrestore(&mem_lock, f);
    if (p)
        memset(phys_to_virt(p), 0, n * PAGE_SIZE);
    return p;
}

void free_pages(phys_addr_t p, u64 n)
{
    u64 f = spin_lock_irqsave(&mem_lock);
    int r = pool_free(&pool, p, n);

    spin_unlock_irqrestore(&mem_lock, f);
    if (r < 0)
        panic("mem: free_pages(0x%llx, %llu): not allocated",
              (unsigned long long)p, (unsigned long long)n);
}

void *alloc_page_virt(void)
{
    phys_addr_t p = alloc_pages(1);

    return p ? phys_to_virt(p) : NULL;
}

void *kmalloc(size_t size)
{
    u64 f = spin_lock_irqsave(&mem_lock);
    void *p = heap_alloc(&heap, size);

    spin_unlock_irqrestore(&mem_lock, f);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    u64 f = spin_lock_irqsave(&mem_lock);
    int r = heap_free(&heap, p);

    spin_unlock_irqrestore(&mem_lock, f);
    if (r < 0)
        panic("mem: kfree(%p): not a heap pointer", p);
}

void mem_stats(u64 *free_frames, u64 *total_frames, u64 *heap_bytes)
{
    u64 f = spin_lock_irqsave(&mem_lock);

    *free_frames = pool.nfree;
    *total_frames = pool.nframes;
    *heap_bytes = heap.bytes_in_use;
    spin_unlock_irqrestore(&mem_lock, f);
}
