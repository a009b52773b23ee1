/* Host tests of common/acpi/tables.c on tables dumped from QEMU (i440fx,
 * q35 with VT-d, q35 with AMD-Vi), OVMF and Bochs, plus corrupted copies;
 * the AML tests are in test_acpi_aml.c. Expected values were read with
 * `iasl -d` from the same dumps. */
#include "test_acpi.h"

#include "check.h"

struct plat {
    const char *name;
    bool efi;           /* RSDP from the EFI configuration table */
    uint64_t rsdp;
    bool xsdt;
    unsigned ntables;   /* including DSDT and FACS */
    uint64_t pm1a_cnt;
    bool reset;         /* reset register supported */
    unsigned ncpus;
    uint64_t mcfg;      /* ECAM base or 0 */
    uint64_t drhd;      /* DMAR register base or 0 */
    uint64_t ivhd;      /* IVRS IOMMU base or 0 */
    unsigned nisos;
};

static const struct plat plats[] = {
    { "qemu-i440fx", false, 0xf59d0, false, 6, 0x604, false, 2, 0, 0, 0, 5 },
    { "qemu-q35-vtd", false, 0xf59e0, false, 8, 0x604, true, 4, 0xb0000000,
      0xfed90000, 0, 5 },
    { "qemu-q35-amdvi", false, 0xf59e0, false, 8, 0x604, true, 2,
      0xb0000000, 0, 0xfed80000, 5 },
    { "ovmf", true, 0x1f77d014, true, 8, 0x604, true, 2, 0xb0000000, 0, 0,
      5 },
    { "bochs", false, 0xf9fa0, false, 6, 0xb004, false, 1, 0, 0, 0, 1 },
};

/* EFI configuration table with an unrelated GUID, then ACPI 2.0. */
static uint8_t efi_cfg[3 * 24];

static void add_efi_config(struct mem *m, uint64_t rsdp)
{
    static const uint8_t acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4,
                                        0xd3, 0x11, 0xbc, 0x22, 0x00, 0x80,
                                        0xc7, 0x3c, 0x88, 0x81 };
    uint8_t *e = malloc(sizeof(efi_cfg));

    memset(e, 0, sizeof(efi_cfg));
    memset(e, 0x5a, 16);           /* SMBIOS-like entry */
    memcpy(e + 24, acpi20, 16);    /* ACPI 2.0 */
    memcpy(e + 40, &rsdp, 8);
    memcpy(e + 48, acpi20, 16);    /* a bogus second one: never reached */
    mem_add(m, 0x7000, e, sizeof(efi_cfg), "efi-config");
}

static void test_platform(const struct plat *pl)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_tables *t = calloc(1, sizeof(*t));
    struct acpi_madt_info *madt = calloc(1, sizeof(*madt));
    struct acpi_fadt_info fadt;
    const struct acpi_table_ref *r;
    uint64_t rsdp = 0;
    int err;

    if (mem_load_platform(&c->mem, pl->name) != 0 || c->mem.n == 0) {
        CHECK(!"platform dump missing");
        goto out;
    }
    c->pr.verbose = 1;
    if (pl->efi) {
        add_efi_config(&c->mem, pl->rsdp);
        err = acpi_find_rsdp_efi(&env, 0x7000, 3, &rsdp);
        CHECK_EQ(err, 0);
        {
            struct acpi_efi_system_table *st = calloc(1, sizeof(*st));
            st->signature = ACPI_EFI_SYSTAB_SIGNATURE;
            st->header_size = sizeof(*st);
            st->number_of_table_entries = 3;
            st->configuration_table = 0x7000;
            mem_add(&c->mem, 0x6000, (uint8_t *)st, sizeof(*st), "systab");
            rsdp = 0;
            CHECK_EQ(acpi_find_rsdp_efi_systab(&env, 0x6000, &rsdp), 0);
            CHECK_EQ(rsdp, pl->rsdp);
            st->signature ^= 1;
            CHECK_EQ(acpi_find_rsdp_efi_systab(&env, 0x6000, &rsdp),
                     ACPI_ESIG);
            CHECK_EQ(acpi_find_rsdp_efi_systab(&env, 0x5000, &rsdp),
                     ACPI_EMAP);
            c->pr.n = 0;
        }
        CHECK_EQ(acpi_find_rsdp_bios(&env, &rsdp) < 0, 1);
        rsdp = 0;
        CHECK_EQ(acpi_find_rsdp_efi(&env, 0x7000, 1, &rsdp), ACPI_ENOENT);
        CHECK_EQ(acpi_find_rsdp_efi(&env, 0x7000, 3, &rsdp), 0);
    } else {
        err = acpi_find_rsdp_bios(&env, &rsdp);
        CHECK_EQ(err, 0);
    }
    if (pl->rsdp)
        CHECK_EQ(rsdp, pl->rsdp);
    err = acpi_tables_scan(&env, rsdp, t);
    CHECK_EQ(err, 0);
    CHECK_EQ(t->skipped, 0);
    CHECK_EQ(c->pr.n, 0);
    if (pl->ntables) {
        CHECK_EQ(t->count, pl->ntables);
        CHECK_EQ(t->use_xsdt, pl->xsdt);
    }
    printf("%s: RSDP %#llx rev %u, %s with %u tables:", pl->name,
           (unsigned long long)rsdp, t->rsdp_revision,
           t->use_xsdt ? "XSDT" : "RSDT", t->count);
    for (unsigned i = 0; i < t->count; i++)
        printf(" %s", t->t[i].sig);
    printf("\n");

    r = acpi_tables_find(t, "FACP", 0);
    CHECK(r != NULL);
    if (r && acpi_fadt_parse(&env, r->data, r->length, &fadt) == 0) {
        CHECK(acpi_tables_find(t, "DSDT", 0) != NULL);
        CHECK_EQ(fadt.dsdt, acpi_tables_find(t, "DSDT", 0)->phys);
        CHECK_EQ(fadt.pm1a_cnt.space_id, ACPI_SPACE_IO);
        CHECK_EQ(fadt.pm1b_cnt.address, 0);
        CHECK_EQ(fadt.hw_reduced, false);
        if (pl->pm1a_cnt) {
            CHECK_EQ(fadt.pm1a_cnt.address, pl->pm1a_cnt);
            CHECK_EQ(fadt.pm1a_cnt.bit_width, 16);
            CHECK_EQ(fadt.smi_cmd, 0xb2);
            CHECK_EQ(fadt.reset_supported, pl->reset);
            if (pl->reset) {
                CHECK_EQ(fadt.reset_reg.address, 0xcf9);
                CHECK_EQ(fadt.reset_value, 0x0f);
            }
        }
        printf("  FADT rev %u: PM1a_CNT %#llx PM1b_CNT %#llx SMI_CMD %#x "
               "reset %d %#llx=%#x\n", fadt.revision,
               (unsigned long long)fadt.pm1a_cnt.address,
               (unsigned long long)fadt.pm1b_cnt.address, fadt.smi_cmd,
               fadt.reset_supported,
               (unsigned long long)fadt.reset_reg.address, fadt.reset_value);
    }

    r = acpi_tables_find(t, "APIC", 0);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ(acpi_madt_parse(&env, r->data, r->length, madt), 0);
        CHECK_EQ(madt->ncpus, pl->ncpus);
        for (unsigned i = 0; i < madt->ncpus; i++)
            CHECK_EQ(madt->cpus[i].apic_id, i);
        CHECK_EQ(madt->nioapics, 1);
        CHECK_EQ(madt->ioapics[0].address, 0xfec00000);
        CHECK_EQ(madt->lapic_address, 0xfee00000);
        if (pl->nisos) {
            CHECK_EQ(madt->nisos, pl->nisos);
            CHECK_EQ(madt->isos[0].source, 0);
            CHECK_EQ(madt->isos[0].gsi, 2);
        }
        CHECK_EQ(madt->skipped, 0);
    }

    r = acpi_tables_find(t, "MCFG", 0);
    CHECK_EQ(r != NULL, pl->mcfg != 0);
    if (r) {
        struct acpi_mcfg_info mi;

        CHECK_EQ(acpi_mcfg_parse(&env, r->data, r->length, &mi), 0);
        CHECK_EQ(mi.count, 1);
        CHECK_EQ(mi.ecam[0].base, pl->mcfg);
        CHECK_EQ(mi.ecam[0].segment, 0);
        CHECK_EQ(mi.ecam[0].bus_start, 0);
        CHECK_EQ(mi.ecam[0].bus_end, 0xff);
    }

    r = acpi_tables_find(t, "DMAR", 0);
    CHECK_EQ(r != NULL, pl->drhd != 0);
    if (r) {
        struct acpi_dmar_info di;

        CHECK_EQ(acpi_dmar_parse(&env, r->data, r->length, &di), 0);
        CHECK_EQ(di.ndrhd, 1);
        CHECK_EQ(di.drhd[0].register_base, pl->drhd);
        CHECK_EQ(di.host_address_width, 39);
        CHECK_EQ(di.flags & 1, 1);
        CHECK_EQ(di.skipped, 0);
    }

    r = acpi_tables_find(t, "IVRS", 0);
    CHECK_EQ(r != NULL, pl->ivhd != 0);
    if (r) {
        struct acpi_ivrs_info ii;

        CHECK_EQ(acpi_ivrs_parse(&env, r->data, r->length, &ii), 0);
        CHECK_EQ(ii.nivhd, 1);
        CHECK_EQ(ii.ivhd[0].base_address, pl->ivhd);
        CHECK_EQ(ii.ivhd[0].type, 0x10);
        CHECK_EQ(ii.ivhd[0].capability_offset, 0x40);
        CHECK_EQ(ii.skipped, 0);
    }

    r = acpi_tables_find(t, "HPET", 0);
    if (r) {
        struct acpi_hpet_info hi;

        CHECK_EQ(acpi_hpet_parse(&env, r->data, r->length, &hi), 0);
        CHECK_EQ(hi.base.address, 0xfed00000);
    } else {
        CHECK(!strcmp(pl->name, "bochs"));
    }
    CHECK_EQ(c->pr.n, 0);
out:
    mem_free(&c->mem);
    free(madt);
    free(t);
    free(c);
}

/* The tables read from physical memory equal Linux's sysfs copies (the
 * FACS excepted: its waking vector and lock change at run time). */
static void test_sysfs_copies(const char *plat)
{
    struct mem m;
    unsigned same = 0;

    if (mem_load_platform(&m, plat) != 0) {
        CHECK(!"dump missing");
        return;
    }
    for (unsigned i = 0; i < m.n; i++) {
        char path[512];
        size_t len;
        uint8_t *sys;

        if (!strchr(m.r[i].name, '@') || !strncmp(m.r[i].name, "FACS", 4))
            continue;
        snprintf(path, sizeof(path), "%s/%s/sys/%.4s.dat", ACPI_DATA_DIR,
                 plat, m.r[i].name);
        sys = read_file(path, &len);
        if (!sys)
            continue; /* RSDP, RSDT, XSDT: not in sysfs */
        CHECK_EQ(len, m.r[i].len);
        CHECK(len == m.r[i].len && !memcmp(sys, m.r[i].data, len));
        same++;
        free(sys);
    }
    CHECK(same >= 4);
    mem_free(&m);
}

/* Every truncation and every single-bit flip of each real table through
 * every parser: no crash (ASan/UBSan), and a table whose checksum no
 * longer holds is refused. */
static void test_corruption(const char *plat)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_madt_info *madt = malloc(sizeof(*madt));
    unsigned refused = 0, runs = 0;

    if (mem_load_platform(&c->mem, plat) != 0)
        goto out;
    for (unsigned i = 0; i < c->mem.n; i++) {
        const struct mem_region *r = &c->mem.r[i];
        uint8_t *buf;

        if (r->len < 36 || r->len > 4096 || !strncmp(r->name, "bios", 4) ||
            !strncmp(r->name, "FACS", 4))
            continue;
        buf = malloc(r->len);
        for (size_t n = 0; n <= r->len; n++) {
            /* fresh heap copy of exactly n bytes: reads past are caught */
            uint8_t *t = malloc(n ? n : 1);
            memcpy(t, r->data, n);
            union {
                struct acpi_fadt_info f;
                struct acpi_mcfg_info m;
                struct acpi_dmar_info d;
                struct acpi_ivrs_info v;
                struct acpi_hpet_info h;
            } u;
            int e = 0;

            e |= acpi_fadt_parse(&env, t, (uint32_t)n, &u.f);
            e |= acpi_madt_parse(&env, t, (uint32_t)n, madt);
            e |= acpi_mcfg_parse(&env, t, (uint32_t)n, &u.m);
            e |= acpi_dmar_parse(&env, t, (uint32_t)n, &u.d);
            e |= acpi_ivrs_parse(&env, t, (uint32_t)n, &u.v);
            e |= acpi_hpet_parse(&env, t, (uint32_t)n, &u.h);
            CHECK(e < 0); /* at least the 5 parsers for other sigs refuse */
            if (n < r->len && acpi_table_check(t, n, NULL) == 0)
                CHECK(!"truncated table accepted");
            free(t);
            runs++;
        }
        for (size_t bit = 0; bit < r->len * 8; bit++) {
            memcpy(buf, r->data, r->len);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (acpi_table_check(buf, r->len, NULL) != 0)
                refused++;
            else
                CHECK(!"flipped table accepted");
            /* and with the checksum repaired, parsers must stay in bounds */
            if (bit / 8 >= 10 || bit / 8 < 9) {
                uint32_t len;
                memcpy(&len, buf + 4, 4);
                if (len <= r->len && len >= 36)
                    acpi_fix_checksum((struct acpi_header *)buf, len);
            }
            {
                struct acpi_dmar_info d;
                struct acpi_ivrs_info v;
                struct acpi_mcfg_info m;
                struct acpi_fadt_info f;

                acpi_fadt_parse(&env, buf, (uint32_t)r->len, &f);
                if (acpi_madt_parse(&env, buf, (uint32_t)r->len, madt) == 0)
                    CHECK(madt->ncpus <= ACPI_MAX_CPUS);
                acpi_mcfg_parse(&env, buf, (uint32_t)r->len, &m);
                acpi_dmar_parse(&env, buf, (uint32_t)r->len, &d);
                acpi_ivrs_parse(&env, buf, (uint32_t)r->len, &v);
            }
            runs++;
        }
        free(buf);
    }
    printf("corruption %s: %u parser runs, %u flipped tables refused, "
           "%u problems reported\n", plat, runs, refused, c->pr.n);
    CHECK(c->pr.n > 0);
out:
    mem_free(&c->mem);
    free(madt);
    free(c);
}

/* Directory walk over a damaged memory image: each bad table is reported
 * and skipped, the others survive. */
static void test_walk_damage(void)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_tables *t = calloc(1, sizeof(*t));
    struct mem_region *r;
    uint64_t rsdp = 0xf59e0;

    if (mem_load_platform(&c->mem, "qemu-q35-vtd") != 0) {
        CHECK(!"dump missing");
        goto out;
    }
    /* 1. HPET checksum broken */
    r = mem_find(&c->mem, "HPET");
    r->data[20] ^= 0x40;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), 0);
    CHECK_EQ(t->skipped, 1);
    CHECK_EQ(t->count, 7);
    CHECK(acpi_tables_find(t, "HPET", 0) == NULL);
    CHECK(acpi_tables_find(t, "DMAR", 0) != NULL);
    CHECK_EQ(c->pr.last_err, ACPI_ECSUM);
    r->data[20] ^= 0x40;

    /* 2. MCFG length runs past the end of its mapping */
    r = mem_find(&c->mem, "MCFG");
    {
        uint32_t len = 0x1000;
        memcpy(r->data + 4, &len, 4);
        acpi_fix_checksum((struct acpi_header *)r->data, r->len);
    }
    c->pr.n = 0;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), 0);
    CHECK_EQ(t->skipped, 1);
    CHECK(acpi_tables_find(t, "MCFG", 0) == NULL);
    CHECK_EQ(c->pr.n, 1);
    CHECK_EQ(c->pr.last_err, ACPI_EMAP);

    /* 2b. X_DSDT points at nothing: the differing 32-bit DSDT is used */
    r = mem_find(&c->mem, "FACP");
    {
        uint64_t bogus = 0x7777000;
        memcpy(r->data + 140, &bogus, 8);
        acpi_fix_checksum((struct acpi_header *)r->data, r->len);
    }
    c->pr.n = 0;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), 0);
    CHECK(acpi_tables_find(t, "DSDT", 0) != NULL);
    CHECK_EQ(acpi_tables_find(t, "DSDT", 0)->phys, 0x1ffe0040);
    CHECK_EQ(t->skipped, 1); /* MCFG */
    CHECK_EQ(c->pr.n, 3); /* MCFG, X_DSDT unmappable, DSDTs differ */

    /* 3. RSDT entry pointing at nothing, and the RSDT listing DMAR twice */
    r = mem_find(&c->mem, "RSDT");
    {
        uint32_t bogus = 0x12345678, dmar = 0x1ffe23d0;
        uint8_t *copy = malloc(r->len + 4);
        memcpy(copy, r->data, r->len);
        memcpy(copy + 36, &bogus, 4);
        memcpy(copy + r->len, &dmar, 4);
        uint32_t len = (uint32_t)r->len + 4;
        memcpy(copy + 4, &len, 4);
        acpi_fix_checksum((struct acpi_header *)copy, len);
        free(r->data);
        r->data = copy;
        r->len = len;
    }
    c->pr.n = 0;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), 0);
    CHECK_EQ(t->skipped, 3); /* MCFG still broken, bogus, DMAR twice */
    CHECK(acpi_tables_find(t, "DMAR", 1) == NULL);
    CHECK(acpi_tables_find(t, "FACP", 0) == NULL); /* entry 0 overwritten */

    /* 4. RSDP checksum broken: nothing is followed */
    r = mem_find(&c->mem, "RSDP");
    r->data[9] ^= 1;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), ACPI_ECSUM);
    CHECK_EQ(t->count, 0);
    r->data[9] ^= 1;
    r->data[1] ^= 1;
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), ACPI_ESIG);
    r->data[1] ^= 1;

    /* 5. unmappable RSDP */
    CHECK_EQ(acpi_tables_scan(&env, 0xdead0000, t), ACPI_EMAP);
out:
    mem_free(&c->mem);
    free(t);
    free(c);
}

static void *ctx_map_rw(void *ctx, uint64_t phys, size_t len)
{
    return (void *)ctx_map(ctx, phys, len);
}

/* XSDT invalid but RSDT valid: fall back (a synthetic ACPI 2.0 image). */
static void test_xsdt_fallback(void)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_tables *t = calloc(1, sizeof(*t));
    uint8_t *img = calloc(1, 0x1000);
    struct acpi_rsdp *rsdp = (struct acpi_rsdp *)img;
    struct acpi_header *rsdt = (struct acpi_header *)(img + 0x100);
    struct acpi_header *xsdt = (struct acpi_header *)(img + 0x200);
    struct acpi_header *ssdt = (struct acpi_header *)(img + 0x300);
    uint32_t e32 = 0x10300;
    uint64_t e64 = 0x10300;

    memcpy(rsdp->signature, "RSD PTR ", 8);
    rsdp->revision = 2;
    rsdp->rsdt_address = 0x10100;
    rsdp->xsdt_address = 0x10200;
    rsdp->length = 36;
    rsdp->checksum = (uint8_t)-acpi_checksum(rsdp, 20);
    rsdp->extended_checksum = (uint8_t)-acpi_checksum(rsdp, 36);
    memcpy(rsdt->signature, "RSDT", 4);
    rsdt->length = 40;
    memcpy(rsdt + 1, &e32, 4);
    acpi_fix_checksum(rsdt, 40);
    memcpy(xsdt->signature, "XSDT", 4);
    xsdt->length = 44;
    memcpy(xsdt + 1, &e64, 8);
    acpi_fix_checksum(xsdt, 44);
    memcpy(ssdt->signature, "SSDT", 4);
    ssdt->length = 36;
    acpi_fix_checksum(ssdt, 36);
    mem_add(&c->mem, 0x10000, img, 0x1000, "image");

    CHECK_EQ(acpi_rsdp_check(rsdp, 36), 36);
    CHECK_EQ(acpi_tables_scan(&env, 0x10000, t), 0);
    CHECK_EQ(t->use_xsdt, true);
    CHECK_EQ(t->count, 1);
    xsdt->checksum ^= 1;
    CHECK_EQ(acpi_tables_scan(&env, 0x10000, t), 0);
    CHECK_EQ(t->use_xsdt, false);
    CHECK_EQ(t->root_phys, 0x10100);
    CHECK_EQ(t->count, 1);
    CHECK_EQ(c->pr.last_err, ACPI_ECSUM);
    /* acpi_hide_table: the RSDT and the XSDT each list their own copy of
     * a table; both entries go */
    {
        struct acpi_header *ssdt2 = (struct acpi_header *)(img + 0x400);
        uint32_t e2 = 0x10400;

        memcpy(ssdt2, ssdt, 36);
        memcpy(rsdt + 1, &e2, 4);
        acpi_fix_checksum(rsdt, 40);
        xsdt->checksum ^= 1;
        CHECK_EQ(acpi_tables_scan(&env, 0x10000, t), 0);
        CHECK_EQ(acpi_hide_table(&env, ctx_map_rw, t, "SSDT"), 2);
        CHECK_EQ(rsdt->length, 36);
        CHECK_EQ(xsdt->length, 36);
        CHECK_EQ(acpi_table_check(rsdt, 36, "RSDT"), 0);
        CHECK_EQ(acpi_table_check(xsdt, 36, "XSDT"), 0);
        CHECK_EQ(acpi_table_check(ssdt2, 36, "SSDT"), 0); /* untouched */
        CHECK_EQ(acpi_hide_table(&env, ctx_map_rw, t, "SSDT"), 0);
        /* put the XSDT entry back for what follows */
        xsdt->length = 44;
        memcpy(xsdt + 1, &e64, 8);
        acpi_fix_checksum(xsdt, 44);
        xsdt->checksum ^= 1;
    }
    /* removing an XSDT entry */
    xsdt->checksum ^= 1;
    CHECK_EQ(acpi_root_remove_entry(xsdt, 0x100, 0x10300), 1);
    CHECK_EQ(xsdt->length, 36);
    CHECK_EQ(acpi_table_check(xsdt, 0x100, "XSDT"), 0);
    CHECK_EQ(acpi_root_remove_entry(xsdt, 0x100, 0x10300), 0);
    /* RSDP revision 2 with a broken extended checksum */
    rsdp->extended_checksum ^= 1;
    CHECK_EQ(acpi_rsdp_check(rsdp, 36), ACPI_ECSUM);
    CHECK_EQ(acpi_rsdp_scan(img, 0x1000), ACPI_ENOENT);
    mem_free(&c->mem);
    free(t);
    free(c);
}

/* The VMM hides DMAR by rewriting the RSDT/XSDT copy the guest sees. */
static void test_hide_dmar(void)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_tables *t = calloc(1, sizeof(*t));
    const struct acpi_table_ref *dmar;
    struct mem_region *rsdt;
    uint8_t *dmar_copy;
    int n;

    if (mem_load_platform(&c->mem, "qemu-q35-vtd") != 0) {
        CHECK(!"dump missing");
        goto out;
    }
    CHECK_EQ(acpi_tables_scan(&env, 0xf59e0, t), 0);
    dmar = acpi_tables_find(t, "DMAR", 0);
    CHECK(dmar != NULL);
    if (!dmar)
        goto out;
    dmar_copy = malloc(dmar->length);
    memcpy(dmar_copy, dmar->data, dmar->length);
    rsdt = mem_find(&c->mem, "RSDT");
    n = acpi_root_remove_entry(rsdt->data, rsdt->len, dmar->phys);
    CHECK_EQ(n, 1);
    CHECK_EQ(((struct acpi_header *)rsdt->data)->length, rsdt->len - 4);
    CHECK_EQ(acpi_checksum(rsdt->data, rsdt->len - 4), 0);
    CHECK_EQ(acpi_checksum(rsdt->data, rsdt->len), 0); /* tail zeroed */
    CHECK_EQ(acpi_tables_scan(&env, 0xf59e0, t), 0);
    CHECK(acpi_tables_find(t, "DMAR", 0) == NULL);
    CHECK_EQ(t->count, 7);
    CHECK_EQ(t->skipped, 0);
    /* the DMAR itself is untouched: the VMM still parses it */
    CHECK(!memcmp(mem_find(&c->mem, "DMAR")->data, dmar_copy, 120));
    CHECK_EQ(acpi_table_check(mem_find(&c->mem, "DMAR")->data, 120, "DMAR"),
             0);
    CHECK_EQ(acpi_root_remove_entry(rsdt->data, rsdt->len, 0x1ffe23d0), 0);
    CHECK_EQ(acpi_root_remove_entry(mem_find(&c->mem, "FACP")->data, 244,
                                    0), ACPI_ESIG);
    free(dmar_copy);
out:
    mem_free(&c->mem);
    free(t);
    free(c);
}

static void test_pm1(void)
{
    /* QEMU: _S3 {1,1}, _S4 {2,2}, _S5 {0,0}, no _S0 */
    struct acpi_sleep_types st = {
        .present = { false, false, false, true, true, true },
        .typa = { 0, 0, 0, 1, 2, 0 }, .typb = { 0, 0, 0, 1, 2, 0 } };
    struct acpi_pm1_write w = acpi_pm1_decode(0x2400);

    CHECK_EQ(w.slp_typ, 1);
    CHECK_EQ(w.slp_en, true);
    CHECK_EQ(acpi_pm1_decode(0x0401).slp_en, false);
    CHECK_EQ(acpi_pm1_sleep_state(0x2000, false, &st), 5);
    CHECK_EQ(acpi_pm1_sleep_state(0x2400, false, &st), 3);
    CHECK_EQ(acpi_pm1_sleep_state(0x2800, false, &st), 4);
    CHECK_EQ(acpi_pm1_sleep_state(0x2c00, false, &st), ACPI_ENOENT);
    CHECK_EQ(acpi_pm1_sleep_state(0x0400, false, &st), 0);
    CHECK_EQ(acpi_pm1_sleep_state(0x0001, false, &st), 0);
    /* PM1b compares with SLP_TYPb */
    st.typb[3] = 6;
    CHECK_EQ(acpi_pm1_sleep_state(0x3800, true, &st), 3);
    CHECK_EQ(acpi_pm1_sleep_state(0x2400, true, &st), ACPI_ENOENT);
    /* S0 with the same value as S5: S5 wins; S0 alone is no request */
    st.present[0] = true;
    CHECK_EQ(acpi_pm1_sleep_state(0x2000, false, &st), 5);
    st.present[5] = false;
    CHECK_EQ(acpi_pm1_sleep_state(0x2000, false, &st), 0);
    /* HW-reduced sleep control register: SLP_TYP 4:2, SLP_EN 5 */
    CHECK_EQ(acpi_sleep_control_state(0x20 | (1 << 2), &st), 3);
    CHECK_EQ(acpi_sleep_control_state(0x20 | (2 << 2), &st), 4);
    CHECK_EQ(acpi_sleep_control_state(1 << 2, &st), 0);
}

static void test_rsdp_scan(void)
{
    uint8_t area[256] = { 0 };
    struct acpi_rsdp *r = (struct acpi_rsdp *)(area + 0x40);

    memcpy(area + 0x10, "RSD PTR ", 8); /* a decoy with a bad checksum */
    memcpy(area + 0x23, "RSD PTR ", 8); /* misaligned */
    memcpy(r->signature, "RSD PTR ", 8);
    r->rsdt_address = 0x1234;
    r->checksum = (uint8_t)-acpi_checksum(r, 20);
    CHECK_EQ(acpi_rsdp_scan(area, sizeof(area)), 0x40);
    CHECK_EQ(acpi_rsdp_scan(area, 0x53), ACPI_ENOENT); /* cut short */
    r->revision = 2;
    r->checksum = 0;
    r->checksum = (uint8_t)-acpi_checksum(r, 20);
    r->length = 0x10000; /* beyond the area */
    CHECK_EQ(acpi_rsdp_check(r, 200), ACPI_ELEN);
    CHECK_EQ(acpi_rsdp_check(r, 30), ACPI_ETRUNC);
}

/* RSDP in the EBDA (segment at 0x40E) is found before the BIOS area, and
 * a broken EBDA pointer falls through to 0xE0000. */
static void test_ebda(void)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    uint8_t *bda = calloc(1, 0x100), *ebda = calloc(1, 0x400);
    uint8_t *bios = calloc(1, 0x20000);
    struct acpi_rsdp *r = (struct acpi_rsdp *)(ebda + 0x30);
    uint64_t found = 0;

    bda[0x0e] = 0xc0; /* 0x40E: segment 0x9FC0 */
    bda[0x0f] = 0x9f;
    memcpy(r->signature, "RSD PTR ", 8);
    r->checksum = (uint8_t)-acpi_checksum(r, 20);
    memcpy(bios + 0x100, r, 20);
    mem_add(&c->mem, 0x400, bda, 0x100, "bda");
    mem_add(&c->mem, 0x9fc00, ebda, 0x400, "ebda");
    mem_add(&c->mem, 0xe0000, bios, 0x20000, "bios");
    CHECK_EQ(acpi_find_rsdp_bios(&env, &found), 0);
    CHECK_EQ(found, 0x9fc30);
    bda[0x0f] = 0xa0; /* EBDA at 0xA0000: not below 640 KiB */
    CHECK_EQ(acpi_find_rsdp_bios(&env, &found), 0);
    CHECK_EQ(found, 0xe0100);
    bios[0x100] = 'X';
    CHECK_EQ(acpi_find_rsdp_bios(&env, &found), ACPI_ENOENT);
    mem_free(&c->mem);
    free(c);
}

/* ACPICA's template of each table (iasl -T: every sub-table type ACPICA
 * knows, ARM GIC entries in the MADT included), compiled at test time. */
static void test_templates(void)
{
    struct problems pr = { .verbose = 1 };
    struct acpi_env env = { NULL, collect, &pr };
    static const char *const names[] = { "dmar", "ivrs", "apic", "facp",
                                         "mcfg", "hpet" };
    uint8_t *t[6];
    size_t len[6];

    for (int i = 0; i < 6; i++) {
        char path[256];

        snprintf(path, sizeof(path), "%s/tmpl/%s.aml", ACPI_BUILD_DIR,
                 names[i]);
        t[i] = read_file(path, &len[i]);
        CHECK(t[i] != NULL);
        if (!t[i])
            return;
        CHECK_EQ(acpi_table_check(t[i], len[i], NULL), 0);
    }
    {
        struct acpi_dmar_info d;
        CHECK_EQ(acpi_dmar_parse(&env, t[0], (uint32_t)len[0], &d), 0);
        CHECK_EQ(d.ndrhd, 1);
        CHECK_EQ(d.drhd[0].register_base, 0xfed90000);
        CHECK_EQ(d.drhd[0].flags, 1); /* INCLUDE_PCI_ALL */
        CHECK_EQ(d.nrmrr, 1);
        CHECK_EQ(d.rmrr[0].limit, 0xfff);
        CHECK(d.nother >= 2); /* ATSR, RHSA, ... */
        CHECK_EQ(d.skipped, 0);
    }
    {
        struct acpi_ivrs_info v;
        CHECK_EQ(acpi_ivrs_parse(&env, t[1], (uint32_t)len[1], &v), 0);
        CHECK_EQ(v.nivhd, 2);
        CHECK_EQ(v.ivhd[0].base_address, 0xfed80000);
        CHECK_EQ(v.ivhd[1].base_address, 0xfed80000);
        CHECK_EQ(v.nivmd, 2);
        CHECK_EQ(v.skipped, 0);
    }
    {
        struct acpi_madt_info *m = malloc(sizeof(*m));
        CHECK_EQ(acpi_madt_parse(&env, t[2], (uint32_t)len[2], m), 0);
        CHECK_EQ(m->nioapics, 1);
        CHECK_EQ(m->nisos, 1);
        CHECK(m->ncpus >= 1);
        printf("iasl -T APIC: %u CPUs, %u I/O APICs, %u overrides, %u "
               "skipped\n", m->ncpus, m->nioapics, m->nisos, m->skipped);
        free(m);
    }
    {
        struct acpi_fadt_info f;
        CHECK_EQ(acpi_fadt_parse(&env, t[3], (uint32_t)len[3], &f), 0);
        CHECK_EQ(f.revision, 6);
        CHECK(f.pm1a_cnt.address != 0);
    }
    {
        struct acpi_mcfg_info m;
        CHECK_EQ(acpi_mcfg_parse(&env, t[4], (uint32_t)len[4], &m), 0);
        CHECK_EQ(m.count, 1);
        CHECK_EQ(m.ecam[0].base, 0xe0000000);
    }
    {
        struct acpi_hpet_info h;
        CHECK_EQ(acpi_hpet_parse(&env, t[5], (uint32_t)len[5], &h), 0);
        CHECK_EQ(h.base.address, 0xfed00000);
    }
    printf("iasl -T templates: %u problems reported\n", pr.n);
    for (int i = 0; i < 6; i++)
        free(t[i]);
}

int main(void)
{
    int aml;

    for (unsigned i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
        test_platform(&plats[i]);
    test_rsdp_scan();
    test_ebda();
    test_templates();
    test_xsdt_fallback();
    test_walk_damage();
    test_hide_dmar();
    test_pm1();
    for (unsigned i = 0; i < sizeof(plats) / sizeof(plats[0]); i++) {
        test_sysfs_copies(plats[i].name);
        test_corruption(plats[i].name);
    }
    aml = test_acpi_aml();
    return check_done("acpi tables") | aml;
}
