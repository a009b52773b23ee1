/* acpi_probe: the boot-time sequence the VMM runs once. */
#include "common/acpi/probe.h"

#include <string.h>

static const void *find(const struct acpi_platform *pf, const char *sig,
                        uint32_t *len)
{
    const struct acpi_table_ref *r = acpi_tables_find(&pf->tables, sig, 0);

    if (!r)
        return NULL;
    *len = r->length;
    return r->data;
}

static void probe_aml(struct acpi_platform *pf, const struct acpi_env *env,
                      struct aml_ns *ns, void *arena, size_t arena_size)
{
    aml_node_id ids[ACPI_PROBE_MAX_UARTS];
    int n;

    pf->aml_status = aml_ns_load(ns, arena, arena_size, env, &pf->tables);
    if (pf->aml_status == ACPI_ENOMEM || pf->aml_status == ACPI_ENOENT)
        return; /* steps or a bad table still leave a usable namespace */
    aml_get_sleep_types(ns, &pf->sleep);
    n = aml_find_devices_by_hid(ns, "PNP0501", ids, ACPI_PROBE_MAX_UARTS);
    pf->nuarts = n > 0 ? (unsigned)n : 0;
    for (unsigned i = 0; i < pf->nuarts && i < ACPI_PROBE_MAX_UARTS; i++) {
        uint8_t len;

        pf->uarts[i].node = ids[i];
        if (aml_device_io(ns, ids[i], &pf->uarts[i].port, &len))
            pf->uarts[i].port = 0;
    }
}

int acpi_probe(struct acpi_platform *pf, const struct acpi_env *env,
               uint64_t rsdp_phys, struct aml_ns *ns, void *arena,
               size_t arena_size)
{
    const void *t;
    uint32_t len;
    int err;

    memset(pf, 0, sizeof(*pf));
    if (!rsdp_phys && (err = acpi_find_rsdp_bios(env, &rsdp_phys)))
        return err;
    if ((err = acpi_tables_scan(env, rsdp_phys, &pf->tables)))
        return err;
    if ((t = find(pf, "FACP", &len)))
        pf->have_fadt = !acpi_fadt_parse(env, t, len, &pf->fadt);
    if ((t = find(pf, "FACS", &len)))
        pf->have_facs = !acpi_facs_parse(env, t, len, &pf->facs);
    if ((t = find(pf, "APIC", &len)))
        pf->have_madt = !acpi_madt_parse(env, t, len, &pf->madt);
    if ((t = find(pf, "MCFG", &len)))
        pf->have_mcfg = !acpi_mcfg_parse(env, t, len, &pf->mcfg);
    if ((t = find(pf, "DMAR", &len)))
        pf->have_dmar = !acpi_dmar_parse(env, t, len, &pf->dmar);
    if ((t = find(pf, "IVRS", &len)))
        pf->have_ivrs = !acpi_ivrs_parse(env, t, len, &pf->ivrs);
    if ((t = find(pf, "HPET", &len)))
        pf->have_hpet = !acpi_hpet_parse(env, t, len, &pf->hpet);
    pf->aml_status = ACPI_ENOENT;
    if (ns && arena)
        probe_aml(pf, env, ns, arena, arena_size);
    return 0;
}
