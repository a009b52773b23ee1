/* ECAM windows for PCI from the firmware's MCFG (read once by
 * common/acpi_vmm.c at the acpi stage). */
#include <common/acpi/probe.h>
#include <devices/pci/pci.h>
#include <platform/paging.h>

/* common/acpi_vmm.c: the tables it read, or NULL without ACPI. */
const struct acpi_platform *acpi_platform(void);

u64 pci_ecam_base(u8 bus)
{
    const struct acpi_platform *pf = acpi_platform();

    if (!pf || !pf->have_mcfg)
        return 0;
    for (unsigned i = 0; i < pf->mcfg.count; i++) {
        const struct acpi_mcfg_alloc *a = &pf->mcfg.ecam[i];
        /* the base is bus 0's address even when the range starts later
         * (PCI Firmware 3.0, 4.1.2); the window must be in the direct map */
        u64 end = a->base + ((u64)a->bus_end + 1) * MiB(1);
        if (a->segment == 0 && bus >= a->bus_start && bus <= a->bus_end &&
            a->base && !(a->base & (MiB(1) - 1)) && end <= direct_map_top)
            return a->base;
    }
    return 0;
}

u64 pci_ecam_window_of(u64 pa)
{
    const struct acpi_platform *pf = acpi_platform();

    if (!pf || !pf->have_mcfg)
        return 0;
    for (unsigned i = 0; i < pf->mcfg.count; i++) {
        const struct acpi_mcfg_alloc *a = &pf->mcfg.ecam[i];
        if (a->segment == 0 && pci_ecam_base(a->bus_start) == a->base &&
            pa >= a->base + ((u64)a->bus_start << 20) &&
            pa < a->base + (((u64)a->bus_end + 1) << 20))
            return a->base;
    }
    return 0;
}
