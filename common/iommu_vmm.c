/* What the VMM does with the machine's IOMMUs (platform/iommu/): finds the
 * units in the firmware's tables (DMAR, IVRS), has them map all memory but the
 * VMM region for every device, hides their registers from the guest, and
 * says loudly when a machine has none (vmm.iommu=). */
#include <common/acpi/probe.h>
#include <common/mmio.h>
#include <platform/boot.h>
#include <platform/init.h>
#include <platform/iommu.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/paging.h>

static int iommu_mode; /* 0 auto, 1 on, 2 off */
static const char *const iommu_modes[] = { "auto", "on", "off", NULL };
OPTION_CHOICE("vmm.iommu", iommu_mode, iommu_modes,
              "auto: protect the VMM region from device DMA with every "
              "IOMMU the firmware describes, warn loudly without one "
              "(default); on: refuse to start without one; off: do not "
              "use the IOMMU");

static int intr_mode; /* 0 filter, 1 pass */
static const char *const intr_modes[] = { "filter", "pass", NULL };
OPTION_CHOICE("vmm.iommu_intr", intr_mode, intr_modes,
              "filter: an AMD-Vi unit passes device interrupt messages "
              "(MSI, MSI-X, the IOAPIC's) only with fixed or lowest-priority "
              "delivery, so that no device the guest programs can send INIT "
              "or NMI to a CPU (default); pass: every message passes as "
              "bare (QEMU 7.2's amd-iommu turns filtered fixed interrupts "
              "into vector 0: docs/iommu.md). VT-d: no effect");

#define IOMMU_HOOKS_MAX 8
#define AMDVI_REGS_SIZE 0x4000 /* AMD IOMMU 3.4: the 16 KiB register space */
static struct mmio_owner hooks[IOMMU_HOOKS_MAX];
static unsigned nhooks;
static u64 guest_touches;

/* The guest must not reprogram a unit: its registers read as all-ones
 * and writes are dropped (one line for the first few). */
static int unit_regs_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    if (++guest_touches <= 4)
        log_warn("iommu", "the guest %s the IOMMU's registers at 0x%llx: %s",
                 write ? "writes" : "reads", (unsigned long long)gpa,
                 write ? "dropped" : "all-ones");
    if (!write)
        *value = ~0ULL;
    return 0;
}

static void hide_unit(u64 base, u64 len, const char *name)
{
    if (nhooks == IOMMU_HOOKS_MAX)
        return;
    hooks[nhooks++] = (struct mmio_owner){ .base = base & ~0xfffULL,
        .len = (len + 0xfff) & ~0xfffULL, .name = name,
        .access = unit_regs_access };
}

static int iommu_vmm_init(void)
{
    const struct acpi_platform *pf = acpi_platform();
    struct iommu_map m = { direct_map_top, vmm_region_base, vmm_region_size };
    unsigned found = 0;

    if (iommu_mode == 2) {
        log_warn("iommu", "vmm.iommu=off: device DMA can reach VMM memory");
        return 0;
    }
    for (unsigned i = 0; pf && pf->have_dmar && i < pf->dmar.ndrhd; i++) {
        const struct acpi_drhd_info *d = &pf->dmar.drhd[i];
        found++;
        if (d->segment) {
            log_warn("iommu", "VT-d 0x%llx: PCI segment %u: not supported; "
                     "left alone", (unsigned long long)d->register_base,
                     d->segment);
            continue;
        }
        if (d->register_base + d->register_size > direct_map_top ||
            vtd_unit_init(d->register_base, &m) < 0)
            continue;
        hide_unit(d->register_base, d->register_size, "VT-d registers");
    }
    for (unsigned i = 0; pf && pf->have_ivrs && i < pf->ivrs.nivhd; i++) {
        const struct acpi_ivhd_info *h = &pf->ivrs.ivhd[i];
        bool seen = false;
        for (unsigned k = 0; k < i; k++) /* IVHD types 10h/11h/40h: one unit */
            seen |= pf->ivrs.ivhd[k].base_address == h->base_address;
        if (seen)
            continue;
        found++;
        if (h->segment) {
            log_warn("iommu", "AMD-Vi 0x%llx: PCI segment %u: not supported; "
                     "left alone", (unsigned long long)h->base_address,
                     h->segment);
            continue;
        }
        if (h->base_address + AMDVI_REGS_SIZE > direct_map_top ||
            amdvi_unit_init(h->base_address, &m, intr_mode == 0) < 0)
            continue;
        hide_unit(h->base_address, AMDVI_REGS_SIZE, "AMD-Vi registers");
    }
    if (iommu_active_units() && iommu_active_units() == found)
        return 0;
    if (iommu_mode == 1)
        refuse_to_start("vmm.iommu=on and %s", found ?
                        "an IOMMU could not be set up" : "no IOMMU was found");
    log_warn("iommu", "%s: device DMA can reach VMM memory",
             found ? "IOMMU setup incomplete" : "no IOMMU");
    return 0;
}
INIT_FUNC(acpi, 60, iommu_vmm_init);

static int iommu_vmm_hide(void)
{
    for (unsigned i = 0; i < nhooks; i++)
        if (mmio_register(&hooks[i]) < 0)
            log_warn("iommu", "%s at 0x%llx could not be hidden from the "
                     "guest", hooks[i].name, (unsigned long long)hooks[i].base);
    return 0;
}
INIT_FUNC(guest, 20, iommu_vmm_hide);

static int iommu_vmm_summary(void)
{
    iommu_poll_faults(true);
    if (iommu_active_units())
        log_info("iommu", "DMA faults the IOMMU reported: %llu",
                 (unsigned long long)iommu_fault_count());
    return 0;
}
INIT_FUNC(poweroff, 45, iommu_vmm_summary);
