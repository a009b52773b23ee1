/* EPT02: the EPT L2 runs on when L1 enables EPT for it (SDM 28.3). L1's
 * EPT (EPT12) translates L2-physical to L1-physical; Veneer's
 * (vmx_ept.c) takes L1-physical on. EPT02 is their composition, built
 * one 4 KiB page at a time as L2 takes EPT violations (vmx_nested.c
 * walks EPT12 here and checks Veneer's map before mapping) and emptied
 * as the CPU's cached EPT translations are:
 * - at L1's INVEPT (all-context, or single-context of the EPTP EPT02
 *   shadows): the SDM has L1 invalidate after it changes EPT12;
 * - at a VM entry with another EPTP;
 * - when Veneer's own map changes (slat_generation: an MMIO hook);
 * - when its page pool is used up.
 * A stale entry (L1 changed EPT12 without INVEPT) can only lead to L1's
 * memory, never the VMM's: every leaf is an L1-physical page Veneer's
 * map had present when it was made, and Veneer's changes empty it.
 * The same shape as nested SVM's NPT02 (amd-svm/svm_nnpt.c). */
#include <common/guest_mem.h>
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <string.h>

#define EPT_RWX 7ULL
#define EPT_LARGE BIT(7)
#define EPT_LEAF_TYPE 0x78ULL  /* memory type (5:3) and ignore-PAT (6) */

int vmx_nept_create(struct vmx_nested *n)
{
    n->nept_pool = alloc_pages(NEPT_PAGES);
    if (!n->nept_pool)
        return -E_NOMEM;
    n->nept_used = 1;
    return 0;
}

/* EPT02's pointer: write-back tables, a 4-level walk. */
u64 vmx_nept_eptp(const struct vmx_nested *n)
{
    return n->nept_pool | 6 | (3 << 3);
}

void vmx_nept_flush(struct vmx_nested *n)
{
    struct { u64 eptp, zero; } desc = { vmx_nept_eptp(n), 0 };
    u64 type = vmx_caps.ept_vpid & BIT(25) ? 1 : 2; /* single, else all-context */

    memset(phys_to_virt(n->nept_pool), 0, (size_t)n->nept_used * PAGE_SIZE);
    n->nept_used = 1;
    n->nept_gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
    n->nept_flushes++;
    /* the CPU's translations cached from EPT02 (any VPID) go too */
    __asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "memory", "cc");
}

/* Maps the 4 KiB page of l2pa to that of l1pa with `bits` (RWX, memory
 * type, ignore-PAT); -E_NOMEM when the pool is used up (the caller
 * empties EPT02 and tries again). */
int vmx_nept_map(struct vmx_nested *n, u64 l2pa, u64 l1pa, u64 bits)
{
    u64 table = n->nept_pool;

    for (int level = 3; level > 0; level--) {
        u64 *e = (u64 *)phys_to_virt(table) + ((l2pa >> (12 + 9 * level)) & 511);
        if (!(*e & EPT_RWX)) {
            if (n->nept_used == NEPT_PAGES)
                return -E_NOMEM;
            *e = (n->nept_pool + (u64)n->nept_used++ * PAGE_SIZE) | EPT_RWX;
        }
        table = *e & PTE_ADDR;
    }
    ((u64 *)phys_to_virt(table))[(l2pa >> 12) & 511] = (l1pa & PTE_ADDR) | bits;
    return 0;
}

/* The physical-address width: EPT entries' bits above it are reserved. */
static unsigned phys_bits(void)
{
    return cpu_phys_addr_bits();
}

bool vmx_ept12_eptp_ok(u64 eptp)
{
    /* write-back (the one type shown), a 4-level walk, no accessed and
     * dirty flags (not shown), bits 11:7 and above the width clear */
    return (eptp & 7) == 6 && ((eptp >> 3) & 7) == 3 && !(eptp & 0xfc0) &&
           !(eptp >> phys_bits());
}

/* Walks EPT12 (root from L1's EPTP) for l2pa as the CPU walks an EPT
 * (SDM 28.3.2, 28.3.3): tables read from L1's memory, a table outside it
 * ends the walk as a not-present entry would. EPT12_MISCONFIG for what
 * the CPU calls a misconfiguration (write without read, execute-only,
 * which is not shown, reserved bits, a bad memory type); otherwise
 * w->perms is the AND of the entries' RWX (0 at a not-present one) and,
 * for EPT12_OK, w->l1pa the 4 KiB page and w->bits the leaf's memory
 * type and ignore-PAT. */
enum ept12_result vmx_ept12_walk(u64 eptp, u64 l2pa, struct ept12_walk *w)
{
    u64 rsvd = ((1ULL << 52) - 1) & ~((1ULL << phys_bits()) - 1);
    u64 table = eptp & PTE_ADDR & ~rsvd;

    w->perms = 7;
    if (l2pa >> 48) {
        w->perms = 0; /* beyond a 4-level EPT: nothing translates it */
        return EPT12_VIOLATION;
    }
    for (int level = 3; level >= 0; level--) {
        unsigned shift = 12 + 9 * level;
        u64 e, at = table + ((l2pa >> shift) & 511) * 8;
        if (guest_phys_read(at, &e, 8) < 0) {
            log_warn_ratelimited("vmx", "L1's EPT (EPTP 0x%llx) for 0x%llx leads "
                                 "outside its memory (0x%llx): EPT violation to L1",
                                 (unsigned long long)eptp, (unsigned long long)l2pa,
                                 (unsigned long long)at);
            w->perms = 0;
            return EPT12_VIOLATION;
        }
        u32 rwx = e & EPT_RWX;
        if (!rwx) {
            w->perms = 0;
            return EPT12_VIOLATION;
        }
        if ((rwx & 3) == 2 || rwx == 4 || (e & rsvd))
            return EPT12_MISCONFIG;
        bool leaf = level == 0 || ((e & EPT_LARGE) && level < 3);
        if (!leaf) {
            if (e & (level == 3 ? 0xf8 : 0x78))
                return EPT12_MISCONFIG; /* bits 7:3 (6:3 below the PML4) */
            w->perms &= rwx;
            table = e & PTE_ADDR;
            continue;
        }
        u64 mt = (e >> 3) & 7, off = (1ULL << shift) - 1;
        if (mt == 2 || mt == 3 || mt == 7 || (e & off & ~0xfffULL))
            return EPT12_MISCONFIG; /* a reserved type; a large page's 29/20:12 */
        w->perms &= rwx;
        w->l1pa = (e & PTE_ADDR & ~off) | (l2pa & off & ~0xfffULL);
        w->bits = e & EPT_LEAF_TYPE;
        return EPT12_OK;
    }
    return EPT12_VIOLATION; /* not reached */
}
