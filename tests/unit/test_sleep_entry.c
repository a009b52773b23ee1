/* The guest's entry after an S3 wake from its FACS (common/sleep_entry.c):
 * the real-mode vector as SeaBIOS, Bochs' BIOS and OVMF hand it over
 * (CS = vector >> 4, IP = vector & 15), X_Firmware_Waking_Vector in 32-bit
 * protected mode when the FACS has one (version >= 1) and it is set, the
 * 64-bit wake when the FACS offers it and the OS asks (version >= 2), on
 * identity page tables (s3_wake_tables, walked here as the CPU would:
 * every page of the low 4 GiB maps to itself but those of the VMM region,
 * which nothing maps), and every vector that is no address of its mode
 * refused with its reason. */
#include "check.h"
#include <common/sleep_entry.h>
#include <platform/mem.h>
#include <platform/paging.h>

#define PT_BASE 0x94000ull
static const struct s3_wake_limits lim = {
    PT_BASE, 0x1f801000ull, 0x2002000ull, 1ull << 40 /* hole: 1f801000-21802fff */
};
static u64 tables[S3_WAKE_PT_PAGES * 512];

/* The entry table `pa` holds at index i, as the CPU reads it: the tables'
 * own pages only (anything else is a pointer out of them). */
static bool entry_at(u64 pa, u64 i, u64 *e)
{
    if (pa < PT_BASE || pa >= PT_BASE + S3_WAKE_PT_PAGES * PAGE_SIZE ||
        (pa & (PAGE_SIZE - 1)))
        return false;
    *e = tables[(pa - PT_BASE) / 8 + i];
    return true;
}

/* 4-level translation from CR3 = PT_BASE: the physical address, or -1
 * when not present (or a pointer that leaves the tables). */
static u64 walk(u64 va)
{
    u64 e, t = PT_BASE;

    for (int level = 3; level >= 0; level--) {
        if (!entry_at(t, (va >> (12 + 9 * level)) & 511, &e) || !(e & PTE_P) ||
            !(e & PTE_W) || (e & PTE_U))
            return ~0ull;
        if (level == 0 || ((e & PTE_PS) && level <= 2)) {
            u64 span = 1ull << (12 + 9 * level);
            if (level == 2)
                return ~0ull; /* no 1 GiB pages are made */
            return (e & PTE_ADDR & ~(span - 1)) | (va & (span - 1));
        }
        t = e & PTE_ADDR;
    }
    return ~0ull;
}

static bool in_hole(u64 a)
{
    return a >= lim.hole_base && a < lim.hole_base + lim.hole_len;
}

/* Every page of the low 4 GiB: identity, or unmapped in the hole. */
static void check_low_identity(void)
{
    u64 bad = 0;

    for (u64 a = 0; a < (4ull << 30); a += PAGE_SIZE) {
        u64 p = walk(a + 0x123);
        if (in_hole(a) ? p != ~0ull : p != a + 0x123)
            bad++;
    }
    CHECK_EQ(bad, 0);
}

static struct acpi_facs facs(u8 version, u32 vector, u64 xvector, u32 flags,
                             u32 ospm)
{
    struct acpi_facs f;

    memset(&f, 0, sizeof(f));
    memcpy(f.signature, "FACS", 4);
    f.length = 64;
    f.version = version;
    f.firmware_waking_vector = vector;
    f.x_firmware_waking_vector = xvector;
    f.flags = flags;
    f.ospm_flags = ospm;
    return f;
}

int main(void)
{
    struct s3_entry e;
    struct acpi_facs f;
    const char *why;

    /* Linux: a page-aligned real-mode vector, X left 0 (QEMU's FACS) */
    f = facs(0, 0x9a000, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_REAL);
    CHECK_EQ(e.cs, 0x9a00);
    CHECK_EQ(e.rip, 0);
    /* an unaligned one: CS keeps the low bits (0803:000b) */
    f = facs(0, 0x803b, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.cs, 0x803);
    CHECK_EQ(e.rip, 0xb);
    CHECK_EQ(((u64)e.cs << 4) + e.rip, 0x803b);
    /* the last real-mode byte, then the first that is not one */
    f = facs(1, 0xfffff, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.cs, 0xffff);
    CHECK_EQ(e.rip, 0xf);
    f = facs(1, 0x100000, 0, 0, 0);
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "above 1 MiB"));
    f = facs(2, 0, 0, 0, 0);
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "is 0"));

    /* X vector ignored in a version 0 FACS (no such field there) */
    f = facs(0, 0x9a000, 0x200000, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_REAL);
    /* version 1: X wins, 32-bit protected mode, whatever the real one */
    f = facs(1, 0x9a000, 0x200000, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    CHECK_EQ(e.rip, 0x200000);
    f = facs(1, 0, 0xfffffff0ull, 0, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    /* version 2, 64-bit only if the platform offers it AND the OS asks */
    f = facs(2, 0, 0x200000, FACS_64BIT_WAKE_SUPPORTED, 0);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    f = facs(2, 0, 0x200000, 0, FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    f = facs(1, 0, 0x200000, FACS_64BIT_WAKE_SUPPORTED, FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL); /* version 1: no 64-bit wake */
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    /* version 2 with both flags: 64-bit mode at the vector */
    f = facs(2, 0x9a000, 0x200000, FACS_64BIT_WAKE_SUPPORTED, FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_LM64);
    CHECK_EQ(e.rip, 0x200000);
    f = facs(3, 0, 0x12345678abull, FACS_64BIT_WAKE_SUPPORTED | 1,
             FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL); /* any address it can map */
    CHECK_EQ(e.mode, S3_ENTRY_LM64);
    CHECK_EQ(e.rip, 0x12345678abull);
    /* refused: no tables on this boot path; a vector the identity map
     * cannot reach, in the VMM region or in the tables */
    struct s3_wake_limits none = lim;
    none.pt_base = 0;
    f = facs(2, 0x9a000, 0x200000, FACS_64BIT_WAKE_SUPPORTED, FACS_OSPM_64BIT_WAKE);
    why = s3_entry_plan(&f, &none, &e);
    CHECK(why && strstr(why, "64-bit wake") && strstr(why, "page tables"));
    f.x_firmware_waking_vector = 1ull << 40;
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "physical address width"));
    f.x_firmware_waking_vector = (1ull << 40) - 1;
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    struct s3_wake_limits wide = lim;
    wide.max_pa = 1ull << 52; /* beyond 4-level paging's lower half */
    f.x_firmware_waking_vector = 1ull << 47;
    why = s3_entry_plan(&f, &wide, &e);
    CHECK(why && strstr(why, "physical address width"));
    f.x_firmware_waking_vector = 0x1f801000 + 0x10;
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "VMM region"));
    f.x_firmware_waking_vector = 0x1f800fff; /* the page below the hole */
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    f.x_firmware_waking_vector = 0x21802fff;
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "VMM region"));
    f.x_firmware_waking_vector = 0x21803000;
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);
    f.x_firmware_waking_vector = PT_BASE + 9 * PAGE_SIZE + 8;
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "page tables"));
    f.x_firmware_waking_vector = PT_BASE + 10 * PAGE_SIZE;
    CHECK(s3_entry_plan(&f, &lim, &e) == NULL);

    /* The tables for a vector below 4 GiB: the low 4 GiB, nothing more */
    CHECK(s3_wake_tables(tables, &lim, 0x401230) == NULL);
    check_low_identity();
    CHECK_EQ(walk(0x401230), 0x401230);
    CHECK_EQ(walk(0x1f800fff), 0x1f800fff);  /* the hole's 4 KiB edges */
    CHECK_EQ(walk(0x1f801000), ~0ull);
    CHECK_EQ(walk(0x21802fff), ~0ull);
    CHECK_EQ(walk(0x21803000), 0x21803000);
    CHECK_EQ(walk(4ull << 30), ~0ull);
    CHECK_EQ(walk(1ull << 39), ~0ull);
    CHECK_EQ(tables[6 * 512 + 5], 0);       /* pages 6 and 7 unused */
    CHECK_EQ(tables[7 * 512 + 5], 0);
    /* ... a vector above 4 GiB: its GiB too (and the low 4 GiB still) */
    CHECK(s3_wake_tables(tables, &lim, 0x1c0001234ull) == NULL);
    CHECK_EQ(walk(0x1c0001234ull), 0x1c0001234ull);
    CHECK_EQ(walk(0x1c0000000ull), 0x1c0000000ull);
    CHECK_EQ(walk(0x1ffffffffull), 0x1ffffffffull);
    CHECK_EQ(walk(0x200000000ull), ~0ull);
    CHECK_EQ(walk(0x1bfffffffull), ~0ull);
    check_low_identity();
    /* ... at or above 512 GiB: a PDPT of its own */
    CHECK(s3_wake_tables(tables, &lim, 0x8040201008ull) == NULL);
    CHECK_EQ(walk(0x8040201008ull), 0x8040201008ull);
    CHECK_EQ(walk(0x8000000000ull), ~0ull);
    check_low_identity();
    /* a hole within one 2 MiB block: one page table, both edges in it */
    struct s3_wake_limits small = lim;
    small.hole_base = 0x600000 + 0x3000;
    small.hole_len = 0x2000;
    CHECK(s3_wake_tables(tables, &small, 0x401230) == NULL);
    CHECK_EQ(walk(0x602fff), 0x602fff);
    CHECK_EQ(walk(0x603000), ~0ull);
    CHECK_EQ(walk(0x604fff), ~0ull);
    CHECK_EQ(walk(0x605000), 0x605000);
    CHECK_EQ(tables[9 * 512 + 1], 0);       /* the second table unused */
    /* a 2 MiB-aligned hole (the usual VMM region): no page table */
    struct s3_wake_limits aligned = lim;
    aligned.hole_base = 0x1e000000;
    aligned.hole_len = 0x2000000;
    CHECK(s3_wake_tables(tables, &aligned, 0x401230) == NULL);
    CHECK_EQ(walk(0x1dffffff), 0x1dffffff);
    CHECK_EQ(walk(0x1e000000), ~0ull);
    CHECK_EQ(walk(0x1fffffff), ~0ull);
    CHECK_EQ(walk(0x20000000), 0x20000000);
    CHECK_EQ(tables[8 * 512 + 1], 0);
    /* refused: what the plan refuses, tables in or over the hole, or not
     * page-aligned */
    CHECK(s3_wake_tables(tables, &lim, 0x1f801000) != NULL);
    struct s3_wake_limits bad = lim;
    bad.pt_base = 0x1f7fc000; /* its last pages in the hole */
    CHECK(s3_wake_tables(tables, &bad, 0x401230) != NULL);
    bad = lim;
    bad.pt_base = PT_BASE + 8;
    CHECK(s3_wake_tables(tables, &bad, 0x401230) != NULL);
    bad = lim;
    bad.hole_base = 0xfffff000;
    bad.hole_len = 0x2000; /* past 4 GiB */
    CHECK(s3_wake_tables(tables, &bad, 0x401230) != NULL);
    /* a 32-bit entry above 4 GiB is no address */
    f = facs(1, 0x9a000, 0x100000000ull, 0, 0);
    why = s3_entry_plan(&f, &lim, &e);
    CHECK(why && strstr(why, "above 4 GiB"));
    return check_done("sleep_entry");
}
