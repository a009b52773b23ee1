/* One call for the VMM at boot: find and validate the tables, parse what
 * the VMM uses, load the AML namespace, and keep the results. The pieces
 * remain available separately (acpi.h, aml.h). */
#ifndef VENEER_COMMON_ACPI_PROBE_H
#define VENEER_COMMON_ACPI_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/acpi/acpi.h"
#include "common/acpi/aml.h"

#define ACPI_PROBE_MAX_UARTS 4

struct acpi_platform {
    struct acpi_tables tables;
    bool have_fadt, have_facs, have_madt, have_mcfg, have_dmar, have_ivrs,
        have_hpet;
    struct acpi_fadt_info fadt;
    struct acpi_facs_info facs;
    struct acpi_madt_info madt;
    struct acpi_mcfg_info mcfg;
    struct acpi_dmar_info dmar;
    struct acpi_ivrs_info ivrs;
    struct acpi_hpet_info hpet;
    /* from the AML namespace (when an arena was given) */
    int aml_status;              /* aml_ns_load's result */
    struct acpi_sleep_types sleep;
    unsigned nuarts;             /* PNP0501 devices (may exceed the array) */
    struct {
        aml_node_id node;
        uint16_t port;           /* 0 when _CRS is computed at run time */
    } uarts[ACPI_PROBE_MAX_UARTS];
};

/* rsdp_phys: from acpi_find_rsdp_bios/efi, or 0 to search the BIOS areas.
 * ns/arena may be NULL to skip the AML. Returns 0 when a table directory
 * was found; each table that fails is reported and its have_ flag stays
 * false. */
int acpi_probe(struct acpi_platform *pf, const struct acpi_env *env,
               uint64_t rsdp_phys, struct aml_ns *ns, void *arena,
               size_t arena_size);

/* The firmware's tables as the VMM read them at boot (common/acpi_vmm.c),
 * or NULL when there were none. */
const struct acpi_platform *acpi_platform(void);

#endif
