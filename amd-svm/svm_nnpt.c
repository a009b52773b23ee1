/* NPT02: the nested page tables L2 runs on when L1 enables nested paging
 * for it (APM 15.25). L1's tables (NPT12) translate L2-physical to
 * L1-physical; Veneer's (svm_npt.c) take L1-physical on. NPT02 is their
 * composition, built one 4 KiB page at a time as L2 faults
 * (svm_nested.c walks NPT12 and checks Veneer's map before mapping) and
 * emptied as a TLB is:
 * - at VMRUN, when L1 asks for a flush (TLB_CONTROL) or runs another
 *   NPT12 root or ASID;
 * - at L1's INVLPGA;
 * - when Veneer's own map changes (slat_generation: an MMIO hook);
 * - when its page pool is used up.
 * Hardware may likewise keep NPT12 translations cached until L1 flushes
 * them, so L1 sees what a CPU would; and a stale entry can only lead to
 * L1's memory, never the VMM's: every leaf is an L1-physical page Veneer's
 * map had present when it was made, and Veneer's changes empty it. */
#include <amd-svm/svm.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <string.h>

#define NNPT_TABLE (PTE_P | PTE_W | PTE_U)

int svm_nnpt_create(struct svm_nested *n)
{
    n->nnpt_pool = alloc_pages(NNPT_PAGES);
    if (!n->nnpt_pool)
        return -E_NOMEM;
    n->nnpt_used = 1;
    return 0;
}

void svm_nnpt_flush(struct svm_vcpu *s)
{
    struct svm_nested *n = &s->nested;

    memset(phys_to_virt(n->nnpt_pool), 0, (size_t)n->nnpt_used * 4096);
    n->nnpt_used = 1;
    n->nnpt_gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
    n->nnpt_flushes++;
    /* L1 and L2 share the vcpu's ASID: its translations go too */
    n->vmcb02->ctl.tlb_control = svm_caps.flush_by_asid ? SVM_TLB_FLUSH_GUEST
                                                         : SVM_TLB_FLUSH_ALL;
}

/* Maps the 4 KiB page of l2pa to that of l1pa; -E_NOMEM when the pool is
 * used up (the caller empties NPT02 and tries again). */
int svm_nnpt_map(struct svm_nested *n, u64 l2pa, u64 l1pa, bool write, bool nx)
{
    u64 table = n->nnpt_pool;

    for (int level = 3; level > 0; level--) {
        u64 *e = (u64 *)phys_to_virt(table) + ((l2pa >> (12 + 9 * level)) & 511);
        if (!(*e & PTE_P)) {
            if (n->nnpt_used == NNPT_PAGES)
                return -E_NOMEM;
            *e = (n->nnpt_pool + (u64)n->nnpt_used++ * 4096) | NNPT_TABLE;
        }
        table = *e & PTE_ADDR;
    }
    ((u64 *)phys_to_virt(table))[(l2pa >> 12) & 511] =
        (l1pa & PTE_ADDR) | PTE_P | PTE_U | (write ? PTE_W : 0) | (nx ? PTE_NX : 0);
    return 0;
}
