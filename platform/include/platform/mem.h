/* The VMM's own memory: a page-frame pool over the reserved region and a
 * heap on top of it. Nothing here ever hands out memory outside the
 * region, so nothing the VMM allocates is visible to the guest. */
#ifndef VENEER_PLATFORM_MEM_H
#define VENEER_PLATFORM_MEM_H

#include <platform/types.h>

#define PAGE_SIZE 4096ULL
#define PAGE_SHIFT 12

/* A pool of 4 KiB frames [base, base + nframes * 4 KiB), one bit each. */
struct frame_pool {
    u64 base;
    u64 nframes;
    u64 nfree;
    u64 hint;   /* where the next search starts */
    u64 *bitmap; /* 1 = in use */
};

/* Pure pool operations (host-tested); callers lock. */
void pool_init(struct frame_pool *p, u64 base, u64 nframes, u64 *bitmap);
/* Marks [addr, addr+len) in use (the image, page tables made before). */
void pool_reserve(struct frame_pool *p, u64 addr, u64 len);
/* n contiguous frames aligned to align_frames (a power of two); 0 if none. */
u64 pool_alloc(struct frame_pool *p, u64 n, u64 align_frames);
/* Returns 0, or -E_INVAL for frames outside the pool or not in use. */
int pool_free(struct frame_pool *p, u64 addr, u64 n);

/* The heap: power-of-two slabs from 16 to 2048 bytes, whole pages above.
 * Pure given its page source (host-tested). */
struct heap {
    struct frame_pool *pool;
    u8 *region_virt;    /* virtual address of pool->base */
    u32 *page_info;     /* per frame: 0 free/other, 1..8 slab class, or
                           HEAP_LARGE | npages at the first page */
    void *free_list[8];
    u64 bytes_in_use;
    u64 large_pages;
};

int heap_init(struct heap *h, struct frame_pool *pool, void *region_virt);
void *heap_alloc(struct heap *h, size_t size);
/* Returns 0, or -E_INVAL for a pointer the heap did not hand out. */
int heap_free(struct heap *h, void *ptr);

/* The VMM-wide instances (locked). */
phys_addr_t alloc_pages(u64 n);              /* zeroed; 0 on exhaustion */
void free_pages(phys_addr_t p, u64 n);
void *alloc_page_virt(void);                 /* one zeroed page, virtual */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
void mem_stats(u64 *free_frames, u64 *total_frames, u64 *heap_bytes);

/* Sets up the pool and heap over the region (boot, once). */
void mem_init(u64 base, u64 size, u64 image_len, u64 tables_len);

/* The reserved region (physical). */
extern u64 vmm_region_base, vmm_region_size;

#endif
