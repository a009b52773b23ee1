/* The guest's entry after an S3 wake (common/sleep_entry.h). */
#include <common/sleep_entry.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <string.h>

#define BLOCK MiB(2)
#define LOW_TOP GiB(4)
/* 4-level paging: the lower half of a 48-bit address space */
#define CANONICAL_TOP (1ull << 47)

/* Why the 64-bit wake at `vector` cannot be given, or NULL. */
static const char *lm64_refusal(const struct s3_wake_limits *lim, u64 vector)
{
    u64 page = ALIGN_DOWN(vector, PAGE_SIZE);
    u64 top = MIN(lim->max_pa, CANONICAL_TOP);

    if (!lim->pt_base)
        return "the guest asks for a 64-bit wake (64BIT_WAKE_F) and the VMM "
               "has no reserved guest pages for its identity page tables on "
               "this boot path";
    if (vector >= top)
        return "the guest's 64-bit waking vector is beyond the physical "
               "address width (no identity mapping can reach it)";
    if (page < lim->hole_base + lim->hole_len &&
        page + PAGE_SIZE > lim->hole_base)
        return "the guest's 64-bit waking vector lies in the VMM region";
    if (page < lim->pt_base + S3_WAKE_PT_PAGES * PAGE_SIZE &&
        page + PAGE_SIZE > lim->pt_base)
        return "the guest's 64-bit waking vector lies in the wake's own page "
               "tables";
    return NULL;
}

const char *s3_entry_plan(const struct acpi_facs *f,
                          const struct s3_wake_limits *lim,
                          struct s3_entry *out)
{
    u32 vector = f->firmware_waking_vector;
    u64 xvector = f->version >= 1 ? f->x_firmware_waking_vector : 0;

    if (xvector) {
        if (f->version >= 2 && (f->flags & FACS_64BIT_WAKE_SUPPORTED) &&
            (f->ospm_flags & FACS_OSPM_64BIT_WAKE)) {
            const char *why = lm64_refusal(lim, xvector);
            if (why)
                return why;
            *out = (struct s3_entry){ S3_ENTRY_LM64, 0, xvector };
            return NULL;
        }
        if (xvector > 0xffffffffull)
            return "the guest's X_Firmware_Waking_Vector is above 4 GiB (not "
                   "a 32-bit protected-mode address)";
        *out = (struct s3_entry){ S3_ENTRY_PM32, 0, xvector };
        return NULL;
    }
    if (!vector)
        return "the guest's waking vector is 0: it would not resume";
    if (vector >= 0x100000)
        return "the guest's waking vector is above 1 MiB (not a real-mode "
               "address)";
    *out = (struct s3_entry){ S3_ENTRY_REAL, (u16)(vector >> 4), vector & 0xf };
    return NULL;
}

/* The entry of 2 MiB block `i` (below 4 GiB): a large page, nothing if
 * the hole covers it, or a page table (in the next of pages 8 and 9) for
 * a block the hole covers in part. */
static u64 low_block(u64 *t, const struct s3_wake_limits *lim, u64 i,
                     u32 *next_pt)
{
    u64 base = i * BLOCK, end = base + BLOCK;
    u64 hb = lim->hole_base, he = lim->hole_base + lim->hole_len;

    if (!lim->hole_len || end <= hb || base >= he)
        return base | PTE_P | PTE_W | PTE_PS;
    if (base >= hb && end <= he)
        return 0;
    u32 n = (*next_pt)++;
    u64 *pt = t + n * 512;
    for (u64 j = 0; j < 512; j++) {
        u64 a = base + j * PAGE_SIZE;
        pt[j] = (a >= hb && a < he) ? 0 : (a | PTE_P | PTE_W);
    }
    return (lim->pt_base + n * PAGE_SIZE) | PTE_P | PTE_W;
}

const char *s3_wake_tables(u64 *t, const struct s3_wake_limits *lim,
                           u64 vector)
{
    const char *why = lm64_refusal(lim, vector);
    u64 pa = lim->pt_base;
    u32 next_pt = 8;

    if (why)
        return why;
    if ((pa | lim->hole_base | lim->hole_len) & (PAGE_SIZE - 1))
        return "the wake's page tables or the VMM region are not page-aligned";
    if (lim->hole_base > LOW_TOP || lim->hole_len > LOW_TOP - lim->hole_base ||
        pa >= LOW_TOP || (pa < lim->hole_base + lim->hole_len &&
                          pa + S3_WAKE_PT_PAGES * PAGE_SIZE > lim->hole_base))
        return "the wake's page tables overlap the VMM region, or it is not "
               "below 4 GiB";
    memset(t, 0, S3_WAKE_PT_PAGES * PAGE_SIZE);
    u64 *pml4 = t, *pdpt = t + 512;
    pml4[0] = (pa + 1 * PAGE_SIZE) | PTE_P | PTE_W;
    for (u64 g = 0; g < 4; g++) {
        u64 *pd = t + (2 + g) * 512;
        pdpt[g] = (pa + (2 + g) * PAGE_SIZE) | PTE_P | PTE_W;
        for (u64 i = 0; i < 512; i++)
            pd[i] = low_block(t, lim, g * 512 + i, &next_pt);
    }
    if (vector >= LOW_TOP) {
        u64 gib = ALIGN_DOWN(vector, GiB(1)), *pd = t + 6 * 512;
        for (u64 i = 0; i < 512; i++)
            pd[i] = (gib + i * BLOCK) | PTE_P | PTE_W | PTE_PS;
        u64 *up = pdpt;
        if (vector >= GiB(512)) {
            up = t + 7 * 512;
            pml4[vector >> 39] = (pa + 7 * PAGE_SIZE) | PTE_P | PTE_W;
        }
        up[(vector >> 30) & 511] = (pa + 6 * PAGE_SIZE) | PTE_P | PTE_W;
    }
    return NULL;
}
