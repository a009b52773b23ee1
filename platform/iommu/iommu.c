/* The IOMMU layer shared by the VT-d and AMD-Vi drivers: the identity
 * I/O page tables with the VMM region left out, the list of units, fault
 * polling and the trusted-device hook. */
#include "iommu_unit.h"
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/spinlock.h>

static struct iommu_unit *units[IOMMU_MAX_UNITS];
static unsigned nunits;
static spinlock_t poll_lock = SPINLOCK_INIT;
static u64 next_poll;
static u64 faults, faults_logged;

#define POLL_INTERVAL (1ULL << 28) /* TSC cycles between looks */

static u64 build_table(const struct iopt_fmt *f, unsigned level, u64 base,
                       const struct iommu_map *m)
{
    phys_addr_t t = alloc_pages(1);
    u64 span = 1ULL << (12 + 9 * (level - 1));

    if (!t)
        return 0;
    u64 *e = phys_to_virt(t);
    for (unsigned i = 0; i < 512; i++) {
        u64 a = base + i * span, end = a + span;
        if (a >= m->top)
            break;
        u64 hole_end = m->hole_base + m->hole_size;
        bool touches = m->hole_size && a < hole_end && end > m->hole_base;
        bool inside = touches && a >= m->hole_base && end <= hole_end;
        bool leaf_ok = level == 1 || (level == 2 && f->mb2) || (level == 3 && f->gb);
        if (inside)
            continue;
        if (leaf_ok && !touches && end <= m->top) {
            e[i] = f->leaf(level, a);
            continue;
        }
        if (level == 1)
            continue;
        u64 c = build_table(f, level - 1, a, m);
        if (!c)
            return 0;
        e[i] = f->table(level, c);
    }
    return t;
}

u64 iopt_build(const struct iopt_fmt *f, unsigned levels, const struct iommu_map *m)
{
    u64 root = build_table(f, levels, 0, m);

    if (root && !f->coherent)
        __asm__ volatile("wbinvd" ::: "memory"); /* the walker does not snoop */
    return root;
}

int iommu_add_unit(struct iommu_unit *u)
{
    if (nunits == IOMMU_MAX_UNITS)
        return -E_NOMEM;
    units[nunits++] = u;
    return 0;
}

unsigned iommu_active_units(void) { return nunits; }
u64 iommu_fault_count(void) { return faults; }

void iommu_set_trusted(u8 bus, u8 devfn, bool trusted)
{
    for (unsigned i = 0; i < nunits; i++)
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

void iommu_poll_faults(bool now)
{
    if (!nunits)
        return;
    u64 t = rdtsc();
    if (!now && t < next_poll)
        return;
    if (!spin_trylock(&poll_lock))
        return;
    next_poll = t + POLL_INTERVAL;
    for (unsigned i = 0; i < nunits; i++)
        units[i]->ops->poll(units[i]);
    spin_unlock(&poll_lock);
}
