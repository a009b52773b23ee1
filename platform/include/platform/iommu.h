/* DMA protection: the machine's IOMMUs (VT-d, AMD-Vi) programmed so that
 * every device's DMA sees physical memory identity mapped except the
 * VMM's region. Platform code: it knows nothing of ACPI (common/ finds
 * the units and hands their register bases here) nor of PCI mediators
 * (devices/ marks the functions it mediates with iommu_trust_device). */
#ifndef VENEER_PLATFORM_IOMMU_H
#define VENEER_PLATFORM_IOMMU_H

#include <platform/types.h>

/* What every untrusted device may reach: [0, top) minus
 * [hole_base, hole_base + hole_size) (both 2 MiB aligned). */
struct iommu_map {
    u64 top;
    u64 hole_base, hole_size;
};

/* Takes over the VT-d unit whose registers are at `regs_phys` (a DRHD):
 * turns off translation firmware left on, installs root and context
 * tables putting every bus/devfn in the untrusted domain, invalidates,
 * turns translation on. Returns 0, or < 0 with one log line why. */
int vtd_unit_init(u64 regs_phys, const struct iommu_map *m);
/* The same for the AMD-Vi unit at `regs_phys` (an IVHD): device table
 * with every DeviceID in the untrusted domain, command buffer, event log.
 * filter_intr: every DeviceID's interrupt messages pass only with fixed
 * or arbitrated delivery (INIT, NMI, SMI, ExtINT, LINT0/1 aborted);
 * otherwise all pass unmapped. */
int amdvi_unit_init(u64 regs_phys, const struct iommu_map *m, bool filter_intr);

/* A mediated function bus:devfn (segment 0) moves to the trusted domain
 * (trusted), which maps what the untrusted one does plus the pages of the
 * VMM region the mediators DMA to (iommu_dma_map); or back to the
 * untrusted one (a mediator declined it). */
void iommu_set_trusted(u8 bus, u8 devfn, bool trusted);

/* [pa, pa + len), pages of the VMM region a mediator allocated for its
 * device's DMA (shadow queues, bounce buffers), becomes reachable by the
 * trusted functions (map), or stops being (before the pages are freed).
 * 0, or < 0 with one line (no memory for the tables). No units: 0. */
int iommu_dma_map(u64 pa, u64 len, bool map);

/* Reads the units' fault records, logs one line per fault (rate-limited)
 * and clears them. Cheap when called often: it looks at most every few
 * hundred million TSC cycles unless `now` is true. */
void iommu_poll_faults_units(bool now);
extern unsigned iommu_nunits;
/* Called at every exit: a load and a compare without an IOMMU. */
static inline void iommu_poll_faults(bool now)
{
    if (iommu_nunits)
        iommu_poll_faults_units(now);
}

/* Units running with translation on. */
unsigned iommu_active_units(void);
/* Faults seen so far. */
u64 iommu_fault_count(void);

#endif
