/* The second-level map (common/slat.c) driven on the host: an identity map
 * with a hidden range, hooks taken out and given back. A page made
 * present again inside an absent 2 MiB leaf must make that page present,
 * never the rest of the 2 MiB (the VMM region is such a leaf). */
#include "check.h"
#include <common/slat.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <stdint.h>

#define LARGE (1ULL << 7)
#define PRESENT 1ULL

/* Table pages from a static arena, by a "physical" address that maps back
 * to it through phys_to_virt (p + DIRECT_MAP_BASE, modulo 2^64). */
static u8 arena[64][4096] __attribute__((aligned(4096)));
static unsigned used;

phys_addr_t alloc_pages(u64 n)
{
    if (n != 1 || used == 64)
        return 0;
    memset(arena[used], 0, 4096);
    return (phys_addr_t)((uintptr_t)arena[used++] - DIRECT_MAP_BASE);
}

static bool leaf_bits(u64 gpa, u64 size, u64 *bits)
{
    *bits = PRESENT;
    return true;
}

static const struct slat_format fmt = { PRESENT, LARGE, true, leaf_bits };

/* Whether `gpa` is present in the map. */
static bool present(const struct slat *s, u64 gpa)
{
    u64 *t = phys_to_virt(s->root);

    for (int shift = 39; shift >= 12; shift -= 9) {
        u64 e = t[(gpa >> shift) & 511];
        if (!(e & PRESENT))
            return false;
        if (shift == 12 || (shift < 39 && (e & LARGE)))
            return true;
        t = phys_to_virt(e & 0x000ffffffffff000ULL);
    }
    return false;
}

int main(void)
{
    struct slat s;
    const u64 hidden = 0x3de00000, hidden_len = 32ULL << 20;

    CHECK_EQ(slat_init(&s, &fmt, 8ULL << 30), 0);
    CHECK(present(&s, 0) && present(&s, hidden) && present(&s, (8ULL << 30) - 4096));
    CHECK_EQ(slat_protect(&s, hidden, hidden_len, false), 0);
    CHECK(!present(&s, hidden) && !present(&s, hidden + hidden_len - 4096));
    CHECK(present(&s, hidden - 4096) && present(&s, hidden + hidden_len));

    /* a hook laid over the hidden range and taken away again */
    CHECK_EQ(slat_protect(&s, hidden, 0x4000, false), 0);
    CHECK_EQ(slat_protect(&s, hidden + 0x4000, 0x1000, true), 0);
    CHECK(present(&s, hidden + 0x4000));
    CHECK(!present(&s, hidden));
    CHECK(!present(&s, hidden + 0x5000));
    CHECK(!present(&s, hidden + 0x1ff000));
    CHECK(!present(&s, hidden + 0x200000));

    /* an ordinary hook in present memory: out, then back */
    CHECK_EQ(slat_protect(&s, 0xfebf0000, 0x2000, false), 0);
    CHECK(!present(&s, 0xfebf0000) && !present(&s, 0xfebf1000));
    CHECK(present(&s, 0xfebef000) && present(&s, 0xfebf2000));
    CHECK_EQ(slat_protect(&s, 0xfebf0000, 0x2000, true), 0);
    CHECK(present(&s, 0xfebf0000) && present(&s, 0xfebf1000));
    /* a whole 2 MiB out and one page of it back */
    CHECK_EQ(slat_protect(&s, 0x80000000, 0x200000, false), 0);
    CHECK_EQ(slat_protect(&s, 0x80001000, 0x1000, true), 0);
    CHECK(present(&s, 0x80001000) && !present(&s, 0x80000000) &&
          !present(&s, 0x80002000));
    CHECK_EQ(slat_protect(&s, 0x123, 0x1000, true), -E_INVAL);
    return check_done("slat");
}
