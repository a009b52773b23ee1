/* The IOMMU layer shared by the VT-d and AMD-Vi drivers: the identity
 * I/O page tables with the VMM region left out, the list of units, fault
 * polling and the trusted-device hook. */
#include "iommu_unit.h"
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/spinlock.h>

static struct iommu_unit *units[IOMMU_MAX_UNITS];
unsigned iommu_nunits; /* iommu.h's iommu_poll_faults checks it inline */
static spinlock_t poll_lock = SPINLOCK_INIT;
static spinlock_t map_lock = SPINLOCK_INIT;
static u64 next_poll;
static u64 faults, faults_logged;

#define POLL_INTERVAL (1ULL << 28) /* TSC cycles between looks */

static u64 kernel_alloc(void) { return alloc_pages(1); }
static void *kernel_virt(u64 pa) { return phys_to_virt(pa); }

u64 iopt_build(const struct iopt_fmt *f, unsigned levels, const struct iommu_map *m)
{
    struct iopt_mem mem = { kernel_alloc, kernel_virt };
    u64 root = iopt_build_with(f, levels, m, &mem);

    if (root && !f->coherent)
        __asm__ volatile("wbinvd" ::: "memory"); /* the walker does not snoop */
    return root;
}

int iommu_pt_dma_map(const struct iopt_fmt *f, unsigned levels, u64 root,
                     u64 pa, u64 len, bool map)
{
    struct iopt_mem mem = { kernel_alloc, kernel_virt };

    for (u64 a = pa & ~0xfffULL; a < pa + len; a += 0x1000) {
        if (!map)
            iopt_unmap_page(f, levels, root, a, &mem);
        else if (iopt_map_page(f, levels, root, a, &mem) < 0)
            return -E_NOMEM;
    }
    return 0;
}

int iommu_dma_map(u64 pa, u64 len, bool map)
{
    int r = 0;

    spin_lock(&map_lock);
    for (unsigned i = 0; i < iommu_nunits; i++) {
        int ri = units[i]->ops->dma_map(units[i], pa, len, map);
        if (ri < 0)
            r = ri;
    }
    spin_unlock(&map_lock);
    if (r < 0)
        log_warn("iommu", "no memory for the I/O page tables of a mediator's "
                 "DMA buffer at 0x%llx (%llu KiB)", (unsigned long long)pa,
                 (unsigned long long)(len >> 10));
    return r;
}

int iommu_add_unit(struct iommu_unit *u)
{
    if (iommu_nunits == IOMMU_MAX_UNITS)
        return -E_NOMEM;
    units[iommu_nunits++] = u;
    return 0;
}

unsigned iommu_active_units(void) { return iommu_nunits; }
u64 iommu_fault_count(void) { return faults; }

void iommu_set_trusted(u8 bus, u8 devfn, bool trusted)
{
    for (unsigned i = 0; i < iommu_nunits; i++)
        units[i]->ops->trust(units[i], bus, devfn, trusted);
}

/* One fault, from a driver's poll: logged unless too many were. */
void iommu_report_fault(struct iommu_unit *u, u16 sid, u64 addr, bool write,
                        unsigned reason)
{
    faults++;
    if (faults_logged >= IOMMU_FAULT_LOG_MAX) {
        if (faults_logged++ == IOMMU_FAULT_LOG_MAX)
            log_warn("iommu", "more DMA faults; not logged (count in the "
                     "poweroff summary)");
        return;
    }
    faults_logged++;
    log_warn("iommu", "%s 0x%llx: DMA fault: %02x:%02x.%x %s at 0x%llx "
             "refused (reason 0x%x)", u->name, (unsigned long long)u->regs_phys,
             sid >> 8, (sid >> 3) & 31, sid & 7, write ? "write" : "read",
             (unsigned long long)addr, reason);
}

void iommu_report_overflow(struct iommu_unit *u)
{
    if (faults_logged++ < IOMMU_FAULT_LOG_MAX)
        log_warn("iommu", "%s 0x%llx: fault records overflowed: faults lost",
                 u->name, (unsigned long long)u->regs_phys);
}

void iommu_poll_faults_units(bool now)
{
    u64 t = rdtsc();
    if (!now && t < next_poll)
        return;
    if (!spin_trylock(&poll_lock))
        return;
    next_poll = t + POLL_INTERVAL;
    for (unsigned i = 0; i < iommu_nunits; i++)
        units[i]->ops->poll(units[i]);
    spin_unlock(&poll_lock);
}

/* S3 wake (docs/sleep.md): every unit came back reset, translation off.
 * Before any device mediator's "resume" and before the guest runs, each
 * gets the same tables again (the untrusted and trusted domains, the
 * mediators' DMA pages, all in VMM memory, which S3 keeps). A unit that
 * does not come back is fatal: the guest's devices would reach the VMM. */
static int iommu_resume(void)
{
    for (unsigned i = 0; i < iommu_nunits; i++) {
        int r = units[i]->ops->resume(units[i]);
        if (r < 0) {
            log_err("iommu", "%s 0x%llx: S3 wake: DMA remapping could not be "
                    "turned on again (error %d)", units[i]->name,
                    (unsigned long long)units[i]->regs_phys, r);
            return r;
        }
        log_info("iommu", "%s 0x%llx: S3 wake: DMA remapping on again (the "
                 "same tables: every device but the VMM region, the mediated "
                 "ones trusted)", units[i]->name,
                 (unsigned long long)units[i]->regs_phys);
    }
    return 0;
}
INIT_FUNC(resume, 10, iommu_resume);
