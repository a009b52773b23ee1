/* The guest's memory map: the VMM region cut out, the stub reserved,
 * sorted, and the legacy INT 15h sizes derived from it. */
#include "check.h"
#include <common/e820.h>

static const struct mem_range qemu[] = {
    { 0x100000, 0x3fee0000, 1 },      /* out of order on purpose */
    { 0x0, 0x9fc00, 1 },
    { 0x9fc00, 0x400, 2 },
    { 0xf0000, 0x10000, 2 },
    { 0x3ffe0000, 0x20000, 2 },
    { 0xfffc0000, 0x40000, 2 },
    { 0x100000000, 0x40000000, 1 },
};

static bool covered(const struct mem_range *m, int n, u64 a)
{
    for (int i = 0; i < n; i++)
        if (a >= m[i].base && a < m[i].base + m[i].len)
            return true;
    return false;
}

/* The one DMA-window rule of the storage mediators (e820_ram_ok), on
 * QEMU q35's map under SeaBIOS. */
static void test_ram_ok(void)
{
    static const struct mem_range q35[] = {
        { 0, 0x9fc00, MEM_USABLE },
        { 0x9fc00, 0x400, MEM_RESERVED },
        { 0xf0000, 0x10000, MEM_RESERVED },
        { 0x100000, 0x3fedf000, MEM_USABLE },
        { 0x3ffdf000, 0x21000, MEM_RESERVED },
        { 0xb0000000, 0x10000000, MEM_RESERVED },
        { 0xfed1c000, 0x4000, MEM_RESERVED },
        { 0xfffc0000, 0x40000, MEM_RESERVED },
        { 0xfd00000000ULL, 0x300000000ULL, MEM_RESERVED },
    };
    const u32 n = sizeof(q35) / sizeof(q35[0]);

    CHECK(e820_ram_ok(q35, n, 0x20000, 0x1000));
    CHECK(e820_ram_ok(q35, n, 0x3ffdfc00, 0x400));      /* SeaBIOS's list */
    CHECK(e820_ram_ok(q35, n, 0x3ffdf000 - 0x800, 0x1000)); /* across */
    CHECK(e820_ram_ok(q35, n, 0x9f000, 0x1000));         /* the EBDA */
    CHECK(!e820_ram_ok(q35, n, 0x3ffff000, 0x2000));     /* past RAM */
    CHECK(!e820_ram_ok(q35, n, 0xa0000, 0x1000));        /* a hole */
    CHECK(!e820_ram_ok(q35, n, 0xf0000, 0x1000));        /* the BIOS ROM */
    CHECK(!e820_ram_ok(q35, n, 0xb0000000, 0x1000));     /* ECAM */
    CHECK(!e820_ram_ok(q35, n, 0xfed1c000, 0x100));      /* chipset */
    CHECK(!e820_ram_ok(q35, n, 0xfd00000000ULL, 0x1000));
    CHECK(!e820_ram_ok(q35, n, 0x80000000, 0x1000));     /* no entry */
    CHECK(!e820_ram_ok(q35, n, 0x1000, 0));
    CHECK(!e820_ram_ok(q35, n, 0xfffffffffffff000ULL, 0x2000));
    CHECK(!e820_ram_ok(q35, n, 0xfee00000, 0x1000));         /* the APIC */
    CHECK(!e820_ram_ok(q35, n, 0x9f000, 0x2000));            /* EBDA into the hole */
}

int main(void)
{
    struct mem_range out[E820_MAX];
    struct mem_range cuts[] = {
        { 0x3de00000, 0x2000000, 0 },    /* VMM region: a hole */
        { 0x9ec00, 0x1000, 2 },          /* stub: reserved */
    };
    int n = e820_build(qemu, 7, cuts, 2, out, E820_MAX);

    CHECK_EQ(n, 9);
    for (int i = 1; i < n; i++)
        CHECK(out[i - 1].base < out[i].base);
    CHECK(!covered(out, n, 0x3de00000));
    CHECK(!covered(out, n, 0x3fdfffff));
    CHECK(covered(out, n, 0x3ddfffff));
    CHECK(covered(out, n, 0x3fe00000));
    CHECK_EQ(out[0].base, 0);
    CHECK_EQ(out[0].len, 0x9ec00);
    CHECK_EQ(out[0].type, 1);
    CHECK_EQ(out[1].base, 0x9ec00);
    CHECK_EQ(out[1].len, 0x1000);
    CHECK_EQ(out[1].type, 2);
    /* the usable range is split around the hole */
    CHECK_EQ(out[4].base, 0x100000);
    CHECK_EQ(out[4].len, 0x3de00000 - 0x100000);
    CHECK_EQ(out[5].base, 0x3fe00000);
    CHECK_EQ(out[5].len, 0x3ffe0000 - 0x3fe00000);

    u32 low, blocks, above;
    e820_legacy_sizes(out, (u32)n, &low, &blocks, &above);
    CHECK_EQ(low, 15 * 1024);                          /* 1M-16M all usable */
    CHECK_EQ(blocks, (0x3de00000 - 0x1000000) >> 16);  /* up to the hole */
    CHECK_EQ(above, 0xffff);

    /* A cut removing a whole entry, and one at a range's edge. */
    struct mem_range whole[] = { { 0x100000000, 0x40000000, 0 } };
    n = e820_build(qemu, 7, whole, 1, out, E820_MAX);
    CHECK_EQ(n, 6);
    CHECK(!covered(out, n, 0x100000000));
    struct mem_range edge[] = { { 0x0, 0x1000, 2 } };
    n = e820_build(qemu, 7, edge, 1, out, E820_MAX);
    CHECK_EQ(n, 8);
    CHECK_EQ(out[0].type, 2);
    CHECK_EQ(out[1].base, 0x1000);

    /* Coverage by type: adjacent usable entries join, a reserved one or a
     * hole breaks the run; empty and wrapping ranges are never covered. */
    u32 ram = BIT(MEM_USABLE);
    CHECK(e820_covers(qemu, 7, 0x20000, 0x1000, ram));
    CHECK(e820_covers(qemu, 7, 0x100000, 0x3fee0000, ram));
    CHECK(!e820_covers(qemu, 7, 0x9f000, 0x1000, ram));          /* into 0x9fc00 */
    CHECK(e820_covers(qemu, 7, 0x9f000, 0x1000, ram | BIT(MEM_RESERVED)));
    CHECK(!e820_covers(qemu, 7, 0x80000000, 0x1000, ram));       /* no RAM */
    CHECK(!e820_covers(qemu, 7, 0x3ffdf000, 0x2000, ram));       /* to reserved */
    CHECK(!e820_covers(qemu, 7, 0x20000, 0, ram));
    CHECK(!e820_covers(qemu, 7, 0xfffffffffffff000ull, 0x2000, ~0u));
    CHECK(!e820_covers(qemu, 7, 0x20000, 0x1000, BIT(MEM_ACPI_NVS)));

    /* Too small an output: refused, not overrun. */
    CHECK_EQ(e820_build(qemu, 7, cuts, 2, out, 8), -E_NOMEM);
    CHECK_EQ(e820_build(qemu, 7, NULL, 0, out, 6), -E_NOMEM);

    /* Less than 16 MiB of contiguous memory above 1 MiB. */
    struct mem_range small[] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x700000, 1 } };
    n = e820_build(small, 2, NULL, 0, out, E820_MAX);
    e820_legacy_sizes(out, (u32)n, &low, &blocks, &above);
    CHECK_EQ(low, 7 * 1024);
    CHECK_EQ(blocks, 0);
    CHECK_EQ(above, 7 * 1024);
    test_ram_ok();
    return check_done("e820");
}
