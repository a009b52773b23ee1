/* Nested page tables (APM 15.25): guest-physical == host-physical with
 * 1 GiB or 2 MiB pages, split only where a range must be absent (the VMM
 * region, hooked MMIO). Every entry carries U: the nested walk is a user
 * access (APM 15.25.5). */
#include <amd-svm/svm.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/spinlock.h>

#define NPT_PERM (PTE_P | PTE_W | PTE_U)

u64 svm_npt_root;
static spinlock_t npt_lock = SPINLOCK_INIT;

static u64 *table_of(u64 entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

static u64 new_table(void)
{
    return alloc_pages(1);
}

/* Replaces a large leaf (1 GiB or 2 MiB at `shift`) with a table of the
 * next size down covering the same memory. */
static int split(u64 *entry, int shift)
{
    u64 t = new_table();

    if (!t)
        return -E_NOMEM;
    u64 *next = phys_to_virt(t);
    u64 base = *entry & PTE_ADDR & ~((1ULL << shift) - 1);
    u64 step = 1ULL << (shift - 9);
    u64 ps = shift - 9 > 12 ? PTE_PS : 0;
    for (int i = 0; i < 512; i++)
        next[i] = (base + i * step) | NPT_PERM | ps;
    *entry = t | NPT_PERM;
    return 0;
}

/* Sets [gpa, gpa+len) (4 KiB aligned) present or not, splitting pages
 * only where the range does not cover them whole. */
static int set_range(u64 *table, int shift, u64 gpa, u64 end, bool present)
{
    u64 size = 1ULL << shift;

    while (gpa < end) {
        u64 *e = &table[(gpa >> shift) & 511];
        u64 page = gpa & ~(size - 1);
        u64 next = page + size;
        bool whole = gpa == page && end >= next;

        if (whole && (shift < 30 || !present || svm_caps.gb_pages)) {
            /* A leaf of this size (1 GiB ones only where the CPU has them). */
            if (present)
                *e = page | NPT_PERM | (shift > 12 ? PTE_PS : 0);
            else
                *e = 0;
        } else {
            if (shift == 12)
                return -E_INVAL; /* unaligned */
            if (!(*e & PTE_P)) {
                if (!present) { /* already absent: nothing to split */
                    gpa = next < end ? next : end;
                    continue;
                }
                u64 t = new_table();
                if (!t)
                    return -E_NOMEM;
                *e = t | NPT_PERM;
            } else if (*e & PTE_PS) {
                int r = split(e, shift);
                if (r < 0)
                    return r;
            }
            int r = set_range(table_of(*e), shift - 9, gpa,
                              end < next ? end : next, present);
            if (r < 0)
                return r;
        }
        gpa = next;
    }
    return 0;
}

int svm_npt_init(u64 top, u64 hide_base, u64 hide_size)
{
    svm_npt_root = new_table();
    if (!svm_npt_root)
        return -E_NOMEM;
    u64 *pml4 = phys_to_virt(svm_npt_root);
    int leaf_shift = svm_caps.gb_pages ? 30 : 21;

    for (u64 gpa = 0; gpa < top; gpa += GiB(512)) {
        u64 pdpt = new_table();
        if (!pdpt)
            return -E_NOMEM;
        pml4[(gpa >> 39) & 511] = pdpt | NPT_PERM;
        u64 *p = phys_to_virt(pdpt);
        for (u64 g = gpa; g < gpa + GiB(512) && g < top; g += GiB(1)) {
            if (leaf_shift == 30) {
                p[(g >> 30) & 511] = g | NPT_PERM | PTE_PS;
                continue;
            }
            u64 pd = new_table();
            if (!pd)
                return -E_NOMEM;
            p[(g >> 30) & 511] = pd | NPT_PERM;
            u64 *d = phys_to_virt(pd);
            for (int i = 0; i < 512; i++)
                d[i] = (g + i * MiB(2)) | NPT_PERM | PTE_PS;
        }
    }
    int r = svm_npt_protect(hide_base, hide_size, false);
    if (r == 0)
        log_info("svm", "nested paging: identity map of %llu GiB with %s "
                 "pages; %llu MiB at %llx not present",
                 (unsigned long long)(top >> 30),
                 leaf_shift == 30 ? "1 GiB" : "2 MiB",
                 (unsigned long long)(hide_size >> 20),
                 (unsigned long long)hide_base);
    return r;
}

int svm_npt_protect(u64 gpa, u64 len, bool present)
{
    if (!IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
        gpa + len < gpa)
        return -E_INVAL;
    u64 f = spin_lock_irqsave(&npt_lock);
    u64 *pml4 = phys_to_virt(svm_npt_root);
    int r = 0;
    for (u64 g = gpa; g < gpa + len && r == 0;) {
        u64 next = (g + GiB(512)) & ~(GiB(512) - 1);
        u64 end = next < gpa + len ? next : gpa + len;
        u64 *e = &pml4[(g >> 39) & 511];
        if (!(*e & PTE_P)) {
            r = present ? -E_INVAL : 0; /* beyond the map */
        } else {
            r = set_range(table_of(*e), 30, g, end, present);
        }
        g = end;
    }
    spin_unlock_irqrestore(&npt_lock, f);
    return r;
}
