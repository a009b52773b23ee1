/* Nested page tables (APM 15.25) in the shared second-level shape
 * (common/slat.h). Every entry carries U: the nested walk is a user
 * access (APM 15.25.5). Host MTRRs still apply beneath NPT, so every leaf
 * is write-back and the memory type comes out right. */
#include <amd-svm/svm.h>
#include <common/slat.h>
#include <platform/log.h>
#include <platform/layout.h>
#include <platform/paging.h>
#include <platform/spinlock.h>

#define NPT_PERM (PTE_P | PTE_W | PTE_U)

u64 svm_npt_root;
static struct slat npt;
static spinlock_t npt_lock = SPINLOCK_INIT;

static bool npt_leaf(u64 gpa, u64 size, u64 *bits)
{
    *bits = NPT_PERM;
    return true;
}

static struct slat_format npt_format = {
    .table_bits = NPT_PERM,
    .large_bit = PTE_PS,
    .leaf_bits = npt_leaf,
};

int svm_npt_init(u64 top, u64 hide_base, u64 hide_size)
{
    u64 gb, mb2, kb4;

    npt_format.gb_pages = svm_caps.gb_pages;
    int r = slat_init(&npt, &npt_format, top);
    if (r < 0)
        return r;
    svm_npt_root = npt.root;
    r = svm_npt_protect(hide_base, hide_size, false);
    if (r < 0)
        return r;
    slat_stats(&npt, &gb, &mb2, &kb4);
    log_info("svm", "nested paging: identity map of %llu GiB (%llu 1G, %llu "
             "2M, %llu 4K pages); %llu MiB at %llx not present",
             (unsigned long long)(top >> 30), (unsigned long long)gb,
             (unsigned long long)mb2, (unsigned long long)kb4,
             (unsigned long long)(hide_size >> 20),
             (unsigned long long)hide_base);
    return 0;
}

int svm_npt_protect(u64 gpa, u64 len, bool present)
{
    u64 f = spin_lock_irqsave(&npt_lock);
    int r = slat_protect(&npt, gpa, len, present);

    spin_unlock_irqrestore(&npt_lock, f);
    return r;
}

bool svm_npt_present(u64 gpa)
{
    u64 f, table = svm_npt_root, e = 0;
    bool present = false;

    if (gpa >> 48)
        return false; /* past the 4-level map: never an alias of a lower page */
    f = spin_lock_irqsave(&npt_lock);

    for (int level = 3; level >= 0; level--) {
        e = ((const u64 *)phys_to_virt(table))[(gpa >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P))
            break;
        if (level == 0 || (e & PTE_PS)) {
            present = true;
            break;
        }
        table = e & PTE_ADDR;
    }
    spin_unlock_irqrestore(&npt_lock, f);
    return present;
}
