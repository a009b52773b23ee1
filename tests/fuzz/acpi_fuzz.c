/* libFuzzer target for common/acpi. The first input byte picks a mode:
 *   0: AML body, wrapped in an SSDT header (length and checksum fixed):
 *      load, parse methods, run every query
 *   1: one static table (checksum fixed): every table parser, and the
 *      RSDT/XSDT rewriter on a copy
 *   2: a physical memory image mapped at 0x10000, RSDP at its start: RSDP
 *      checks, EFI configuration table search, the directory walk, every
 *      table found parsed, and AML loaded from the DSDT/SSDTs found
 *   3: two AML tables (DSDT + SSDT) split at the second byte's ratio
 * Seeds: tests/fuzz/acpi-corpus (made by tests/fuzz/mk-acpi-corpus.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/acpi/acpi.h"
#include "common/acpi/aml.h"
#include "common/acpi/probe.h"

#define IMAGE_BASE 0x10000u

static uint8_t arena[1 << 20];
static uint8_t buf[1 << 17];

struct image {
    const uint8_t *data;
    size_t len;
};

static const void *image_map(void *ctx, uint64_t phys, size_t len)
{
    const struct image *im = ctx;

    if (phys < IMAGE_BASE || phys - IMAGE_BASE > im->len ||
        len > im->len - (phys - IMAGE_BASE))
        return NULL;
    return im->data + (phys - IMAGE_BASE);
}

static void ignore(void *ctx, const struct acpi_problem *p)
{
    (void)ctx;
    /* touch every field: a bad pointer would show here */
    volatile size_t n = strlen(p->what) + strlen(p->sig);
    (void)n;
}

static const struct acpi_env quiet = { NULL, ignore, NULL };

static void queries(struct aml_ns *ns)
{
    struct acpi_sleep_types st;
    aml_node_id ids[4];
    char path[512];

    aml_get_sleep_types(ns, &st);
    acpi_pm1_sleep_state(0x2400, false, &st);
    aml_find_devices_by_hid(ns, "PNP0501", ids, 4);
    for (aml_node_id i = 0; i < ns->nnodes && i < 4096; i++) {
        uint64_t v, o, l;
        uint8_t space;

        aml_node_path(ns, i, path, sizeof(path));
        aml_node_integer(ns, i, &v);
        aml_node_string(ns, i, path, sizeof(path));
        aml_package_integer(ns, i, 1, &v);
        aml_region_info(ns, i, &space, &o, &l);
    }
    aml_lookup(ns, "\\_SB.PCI0.ISA.COM1", &ids[0]);
}

static void fix(uint8_t *t, uint32_t len)
{
    memcpy(t + 4, &len, 4);
    acpi_fix_checksum((struct acpi_header *)t, len);
}

static void fuzz_aml(const uint8_t *d, size_t n)
{
    struct aml_ns ns;

    if (n + 36 > sizeof(buf))
        return;
    memset(buf, 0, 36);
    memcpy(buf, "SSDT", 4);
    buf[8] = 2;
    memcpy(buf + 36, d, n);
    fix(buf, (uint32_t)(n + 36));
    if (aml_ns_init(&ns, arena, sizeof(arena), &quiet))
        abort();
    aml_ns_add_table(&ns, buf, (uint32_t)(n + 36));
    aml_ns_parse_methods(&ns);
    if (ns.stats.steps > (uint64_t)AML_STEPS_PER_BYTE * (n + 36) +
                             AML_STEPS_BASE)
        abort();
    queries(&ns);
}

static void fuzz_two_aml(const uint8_t *d, size_t n)
{
    struct aml_ns ns;
    size_t a, b;

    if (n < 1 || 2 * 36 + n > sizeof(buf))
        return;
    a = (n - 1) * d[0] / 255;
    b = n - 1 - a;
    d++;
    memset(buf, 0, 72);
    memcpy(buf, "DSDT", 4);
    memcpy(buf + 36, d, a);
    fix(buf, (uint32_t)(36 + a));
    memcpy(buf + 36 + a, "SSDT", 4);
    buf[36 + a + 8] = 2;
    memcpy(buf + 72 + a, d + a, b);
    fix(buf + 36 + a, (uint32_t)(36 + b));
    aml_ns_init(&ns, arena, sizeof(arena), &quiet);
    aml_ns_add_table(&ns, buf, (uint32_t)(36 + a));
    aml_ns_add_table(&ns, buf + 36 + a, (uint32_t)(36 + b));
    aml_ns_parse_methods(&ns);
    queries(&ns);
}

static void parse_all(const struct acpi_env *env, const void *t, uint32_t n)
{
    static struct acpi_madt_info madt;
    struct acpi_fadt_info f;
    struct acpi_mcfg_info m;
    struct acpi_dmar_info d;
    struct acpi_ivrs_info v;
    struct acpi_hpet_info h;
    struct acpi_facs_info fs;

    acpi_facs_parse(env, t, n, &fs);
    acpi_fadt_parse(env, t, n, &f);
    acpi_madt_parse(env, t, n, &madt);
    acpi_mcfg_parse(env, t, n, &m);
    acpi_dmar_parse(env, t, n, &d);
    acpi_ivrs_parse(env, t, n, &v);
    acpi_hpet_parse(env, t, n, &h);
}

static void fuzz_table(const uint8_t *d, size_t n)
{
    uint8_t *t;

    if (n < 36 || n > sizeof(buf))
        return;
    t = malloc(n); /* exact size: ASan sees reads past the end */
    memcpy(t, d, n);
    {
        uint32_t len;
        memcpy(&len, t + 4, 4);
        if (len >= 36 && len <= n)
            acpi_fix_checksum((struct acpi_header *)t, len);
    }
    parse_all(&quiet, t, (uint32_t)n);
    acpi_root_remove_entry(t, n, 0x10040);
    free(t);
}

static void *image_map_rw(void *ctx, uint64_t phys, size_t len)
{
    return (void *)image_map(ctx, phys, len);
}

static void fuzz_image(const uint8_t *d, size_t n)
{
    static struct acpi_platform pf;
    static uint8_t copy[1 << 17];
    struct image im = { copy, n };
    struct acpi_env env = { image_map, ignore, &im };
    struct aml_ns ns;
    uint64_t rsdp;

    if (n > sizeof(copy))
        return;
    memcpy(copy, d, n); /* writable: acpi_hide_table rewrites it */
    acpi_rsdp_check(copy, n);
    acpi_rsdp_scan(copy, n);
    acpi_find_rsdp_efi(&env, IMAGE_BASE + 36, n / 24 > 8 ? 8 : n / 24,
                       &rsdp);
    if (acpi_probe(&pf, &env, IMAGE_BASE, &ns, arena, sizeof(arena)))
        return;
    for (unsigned i = 0; i < pf.tables.count; i++)
        parse_all(&env, pf.tables.t[i].data, pf.tables.t[i].length);
    if (pf.aml_status != ACPI_ENOENT && pf.aml_status != ACPI_ENOMEM)
        queries(&ns);
    acpi_hide_table(&env, image_map_rw, &pf.tables, "DMAR");
    acpi_hide_table(&env, image_map_rw, &pf.tables, "FACP");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0: fuzz_aml(data + 1, size - 1); break;
    case 1: fuzz_table(data + 1, size - 1); break;
    case 2: fuzz_image(data + 1, size - 1); break;
    case 3: fuzz_two_aml(data + 1, size - 1); break;
    }
    return 0;
}
