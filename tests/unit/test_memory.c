/* The frame pool and the heap over a host buffer standing in for the VMM
 * region: allocation, alignment, exhaustion, refusal of bad frees, and
 * a randomized alloc/free soak checked against a shadow (ASan watches). */
#include "check.h"
#include <platform/mem.h>
#include <stdlib.h>

#define NFRAMES 256

static void test_pool(void)
{
    static uint64_t bm[(NFRAMES + 63) / 64];
    struct frame_pool p;
    const uint64_t base = 0x40000000;

    pool_init(&p, base, NFRAMES, bm);
    CHECK_EQ(p.nfree, NFRAMES);
    pool_reserve(&p, base, 3 * PAGE_SIZE + 1); /* rounds up to 4 frames */
    CHECK_EQ(p.nfree, NFRAMES - 4);
    pool_reserve(&p, base - PAGE_SIZE, 2 * PAGE_SIZE); /* clipped, already used */
    CHECK_EQ(p.nfree, NFRAMES - 4);

    uint64_t a = pool_alloc(&p, 1, 1);
    CHECK_EQ(a, base + 4 * PAGE_SIZE);
    uint64_t b = pool_alloc(&p, 8, 8);
    CHECK_EQ(b, base + 8 * PAGE_SIZE);
    CHECK(((b - base) / PAGE_SIZE) % 8 == 0);
    CHECK_EQ(pool_alloc(&p, 0, 1), 0);
    CHECK_EQ(pool_alloc(&p, 1, 3), 0); /* alignment not a power of two */
    CHECK_EQ(pool_alloc(&p, NFRAMES, 1), 0);

    CHECK_EQ(pool_free(&p, a, 1), 0);
    CHECK_EQ(pool_free(&p, a, 1), -E_INVAL);          /* double free */
    CHECK_EQ(pool_free(&p, a + 1, 1), -E_INVAL);      /* unaligned */
    CHECK_EQ(pool_free(&p, base - PAGE_SIZE, 1), -E_INVAL);
    CHECK_EQ(pool_free(&p, base + (NFRAMES - 1) * PAGE_SIZE, 2), -E_INVAL);
    CHECK_EQ(pool_free(&p, b, 9), -E_INVAL);          /* part not in use */
    CHECK_EQ(p.nfree, NFRAMES - 4 - 8);
    CHECK_EQ(pool_free(&p, b, 8), 0);

    /* Exhaustion, then everything back. */
    uint64_t got = 0;
    while (pool_alloc(&p, 1, 1))
        got++;
    CHECK_EQ(got, NFRAMES - 4);
    CHECK_EQ(p.nfree, 0);
}

static void test_heap(void)
{
    static uint64_t bm[(NFRAMES + 63) / 64];
    struct frame_pool p;
    struct heap h;
    uint8_t *region = aligned_alloc(PAGE_SIZE, NFRAMES * PAGE_SIZE);
    const uint64_t base = 0x7f000000;

    pool_init(&p, base, NFRAMES, bm);
    CHECK_EQ(heap_init(&h, &p, region), 0);

    void *small = heap_alloc(&h, 24);
    CHECK(small != NULL);
    CHECK(((uintptr_t)small - (uintptr_t)region) % 32 == 0);
    void *big = heap_alloc(&h, 3 * PAGE_SIZE + 5);
    CHECK(big != NULL);
    CHECK(((uintptr_t)big & (PAGE_SIZE - 1)) == 0);
    memset(big, 0xaa, 3 * PAGE_SIZE + 5);
    CHECK_EQ(h.large_pages, 4);
    CHECK_EQ(heap_free(&h, (uint8_t *)small + 1), -E_INVAL);
    CHECK_EQ(heap_free(&h, (uint8_t *)big + 8), -E_INVAL);
    CHECK_EQ(heap_free(&h, region + NFRAMES * PAGE_SIZE), -E_INVAL);
    int outside;
    CHECK_EQ(heap_free(&h, &outside), -E_INVAL);
    CHECK_EQ(heap_free(&h, NULL), 0);
    CHECK_EQ(heap_free(&h, small), 0);
    CHECK_EQ(heap_free(&h, big), 0);
    CHECK_EQ(h.bytes_in_use, 0);

    /* Soak: random sizes, each block filled with its own tag byte and
     * checked before it is freed, so overlapping blocks would show. */
    enum { SLOTS = 200 };
    void *ptr[SLOTS] = { 0 };
    size_t len[SLOTS] = { 0 };
    srand(1234);
    for (int round = 0; round < 20000; round++) {
        int i = rand() % SLOTS;
        if (ptr[i]) {
            for (size_t k = 0; k < len[i]; k++)
                if (((uint8_t *)ptr[i])[k] != (uint8_t)i) {
                    CHECK(!"heap block overwritten");
                    break;
                }
            CHECK_EQ(heap_free(&h, ptr[i]), 0);
            ptr[i] = NULL;
        } else {
            len[i] = (rand() % 4 == 0) ? (size_t)(rand() % 9000) + 1
                                       : (size_t)(rand() % 2048) + 1;
            ptr[i] = heap_alloc(&h, len[i]);
            if (ptr[i])
                memset(ptr[i], i, len[i]);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (ptr[i])
            CHECK_EQ(heap_free(&h, ptr[i]), 0);
    CHECK_EQ(h.bytes_in_use, 0);
    CHECK_EQ(h.large_pages, 0);
    free(region);
}

int main(void)
{
    test_pool();
    test_heap();
    return check_done("memory");
}
