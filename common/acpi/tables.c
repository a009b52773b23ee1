/* ACPI static tables: RSDP search, RSDT/XSDT walk, FADT/MADT/MCFG/DMAR/
 * IVRS/HPET parsing, root-table rewriting. All input is untrusted. */
#include "common/acpi/acpi.h"

#include <string.h>

const char *acpi_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case ACPI_ENOENT: return "not found";
    case ACPI_EMAP: return "cannot map";
    case ACPI_ECSUM: return "bad checksum";
    case ACPI_ELEN: return "bad length";
    case ACPI_ESIG: return "bad signature";
    case ACPI_ETRUNC: return "truncated structure";
    case ACPI_ENOMEM: return "out of space";
    case ACPI_EINVAL: return "invalid value";
    case ACPI_ESTEPS: return "step budget exhausted";
    case ACPI_EAML: return "malformed AML";
    case ACPI_EDEPTH: return "AML nested too deep";
    case ACPI_EDUP: return "duplicate";
    default: return "unknown error";
    }
}

static void report(const struct acpi_env *env, int err, const char *what,
                   const char *sig, uint64_t addr, uint64_t value)
{
    struct acpi_problem p = { .err = err, .what = what, .addr = addr,
                              .value = value };

    if (!env || !env->report)
        return;
    if (sig) {
        memcpy(p.sig, sig, 4);
        p.sig[4] = 0;
    }
    env->report(env->ctx, &p);
}

static const void *map(const struct acpi_env *env, uint64_t phys, size_t len)
{
    if (len == 0 || phys + len < phys)
        return NULL;
    return env->map(env->ctx, phys, len);
}

static uint16_t rd16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t rd32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return sum;
}

void acpi_fix_checksum(struct acpi_header *hdr, size_t len)
{
    hdr->checksum = 0;
    hdr->checksum = (uint8_t)-acpi_checksum(hdr, len);
}

static bool sig_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '!' || (c >= 'a' && c <= 'z');
}

static bool sig_ok(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!sig_char_ok(s[i]))
            return false;
    return true;
}

int acpi_table_check(const void *table, size_t avail, const char *sig)
{
    const struct acpi_header *h = table;

    if (avail < sizeof(*h))
        return ACPI_ETRUNC;
    if (sig ? memcmp(h->signature, sig, 4) != 0 : !sig_ok(h->signature))
        return ACPI_ESIG;
    if (h->length < sizeof(*h) || h->length > avail ||
        h->length > ACPI_MAX_TABLE_LEN)
        return ACPI_ELEN;
    if (acpi_checksum(table, h->length) != 0)
        return ACPI_ECSUM;
    return 0;
}

/* ---- RSDP ---------------------------------------------------------------- */

int acpi_rsdp_check(const void *p, size_t avail)
{
    const struct acpi_rsdp *r = p;
    uint32_t len;

    if (avail < ACPI_RSDP_V1_LEN)
        return ACPI_ETRUNC;
    if (memcmp(r->signature, "RSD PTR ", 8) != 0)
        return ACPI_ESIG;
    if (acpi_checksum(r, ACPI_RSDP_V1_LEN) != 0)
        return ACPI_ECSUM;
    if (r->revision < 2)
        return ACPI_RSDP_V1_LEN;
    if (avail < sizeof(*r))
        return ACPI_ETRUNC;
    len = r->length;
    if (len < sizeof(*r) || len > avail || len > 4096)
        return ACPI_ELEN;
    if (acpi_checksum(r, len) != 0)
        return ACPI_ECSUM;
    return (int)len;
}

long acpi_rsdp_scan(const void *area, size_t len)
{
    const uint8_t *b = area;

    for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16)
        if (b[off] == 'R' && acpi_rsdp_check(b + off, len - off) > 0)
            return (long)off;
    return ACPI_ENOENT;
}

static int scan_phys(const struct acpi_env *env, uint64_t base, size_t len,
                     uint64_t *rsdp_phys)
{
    const void *area = map(env, base, len);
    long off;

    if (!area)
        return ACPI_EMAP;
    off = acpi_rsdp_scan(area, len);
    if (off < 0)
        return (int)off;
    *rsdp_phys = base + (uint64_t)off;
    return 0;
}

int acpi_find_rsdp_bios(const struct acpi_env *env, uint64_t *rsdp_phys)
{
    const void *ebda_seg = map(env, 0x40e, 2);

    if (ebda_seg) {
        uint64_t ebda = (uint64_t)rd16(ebda_seg) << 4;

        /* The EBDA lives below the 640 KiB boundary (0xA0000). */
        if (ebda >= 0x400 && ebda + 1024 <= 0xa0000 &&
            scan_phys(env, ebda, 1024, rsdp_phys) == 0)
            return 0;
    }
    return scan_phys(env, 0xe0000, 0x20000, rsdp_phys);
}

static const uint8_t efi_acpi20_guid[16] = {
    0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
    0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81,
};
static const uint8_t efi_acpi10_guid[16] = {
    0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
    0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d,
};

int acpi_find_rsdp_efi(const struct acpi_env *env, uint64_t config_table,
                       uint64_t count, uint64_t *rsdp_phys)
{
    const struct acpi_efi_config_entry *ents;
    const uint8_t *guids[2] = { efi_acpi20_guid, efi_acpi10_guid };

    if (count == 0 || count > 1024)
        return count ? ACPI_ELEN : ACPI_ENOENT;
    ents = map(env, config_table, count * sizeof(*ents));
    if (!ents)
        return ACPI_EMAP;
    for (int g = 0; g < 2; g++) {
        for (uint64_t i = 0; i < count; i++) {
            uint64_t p = rd64(&ents[i].table);
            const void *r;
            int err;

            if (memcmp(ents[i].guid, guids[g], 16) != 0)
                continue;
            r = map(env, p, sizeof(struct acpi_rsdp));
            if (!r)
                r = map(env, p, ACPI_RSDP_V1_LEN);
            if (!r) {
                report(env, ACPI_EMAP, "EFI RSDP unmappable", NULL, p, 0);
                continue;
            }
            err = acpi_rsdp_check(r, g == 0 ? sizeof(struct acpi_rsdp)
                                            : ACPI_RSDP_V1_LEN);
            if (err < 0) {
                report(env, err, "EFI RSDP invalid", NULL, p, 0);
                continue;
            }
            *rsdp_phys = p;
            return 0;
        }
    }
    return ACPI_ENOENT;
}

int acpi_find_rsdp_efi_systab(const struct acpi_env *env, uint64_t systab,
                              uint64_t *rsdp_phys)
{
    const struct acpi_efi_system_table *st = map(env, systab, sizeof(*st));
    struct acpi_efi_system_table s;

    if (!st)
        return ACPI_EMAP;
    memcpy(&s, st, sizeof(s));
    if (s.signature != ACPI_EFI_SYSTAB_SIGNATURE ||
        s.header_size < sizeof(s)) {
        report(env, ACPI_ESIG, "EFI system table invalid", NULL, systab,
               s.signature);
        return ACPI_ESIG;
    }
    return acpi_find_rsdp_efi(env, s.configuration_table,
                              s.number_of_table_entries, rsdp_phys);
}

/* ---- table directory ------------------------------------------------------ */

/* Maps and validates a whole table at phys; returns it or NULL (reported). */
static const struct acpi_header *map_table(const struct acpi_env *env,
                                           uint64_t phys, const char *sig,
                                           const char *what)
{
    const struct acpi_header *h = map(env, phys, sizeof(*h));
    uint32_t len;
    int err;

    if (!h) {
        report(env, ACPI_EMAP, what, sig, phys, 0);
        return NULL;
    }
    if (sig ? memcmp(h->signature, sig, 4) != 0 : !sig_ok(h->signature)) {
        report(env, ACPI_ESIG, what, sig, phys, rd32(h->signature));
        return NULL;
    }
    len = h->length;
    if (len < sizeof(*h) || len > ACPI_MAX_TABLE_LEN) {
        report(env, ACPI_ELEN, what, h->signature, phys, len);
        return NULL;
    }
    h = map(env, phys, len);
    if (!h) {
        report(env, ACPI_EMAP, what, sig, phys, len);
        return NULL;
    }
    err = acpi_table_check(h, len, sig);
    if (err) {
        report(env, err, what, h->signature, phys, h->checksum);
        return NULL;
    }
    return h;
}

static void add_table(const struct acpi_env *env, struct acpi_tables *out,
                      uint64_t phys, const char *sig, const char *what)
{
    const struct acpi_header *h;

    for (unsigned i = 0; i < out->count; i++) {
        if (out->t[i].phys == phys) {
            report(env, ACPI_EDUP, "table listed twice", out->t[i].sig,
                   phys, 0);
            out->skipped++;
            return;
        }
    }
    if (out->count == ACPI_MAX_TABLES) {
        report(env, ACPI_ENOMEM, "too many tables", sig, phys, 0);
        out->skipped++;
        return;
    }
    if (sig && !strcmp(sig, "FACS")) {
        /* The FACS has no checksum and no revision/OEM header. */
        h = map(env, phys, 64);
        if (!h || memcmp(h->signature, "FACS", 4) != 0 || h->length < 64 ||
            !map(env, phys, h->length)) {
            report(env, h ? ACPI_ESIG : ACPI_EMAP, what, sig, phys, 0);
            out->skipped++;
            return;
        }
    } else {
        h = map_table(env, phys, sig, what);
        if (!h) {
            out->skipped++;
            return;
        }
    }
    struct acpi_table_ref *r = &out->t[out->count++];
    memcpy(r->sig, h->signature, 4);
    r->sig[4] = 0;
    r->length = h->length;
    r->phys = phys;
    r->data = h;
}

static const struct acpi_header *map_root(const struct acpi_env *env,
                                          struct acpi_tables *out)
{
    const struct acpi_header *root = NULL;

    if (out->xsdt_phys) {
        root = map_table(env, out->xsdt_phys, "XSDT", "XSDT invalid");
        if (root && (root->length - sizeof(*root)) % 8 != 0) {
            report(env, ACPI_ELEN, "XSDT length not a multiple of 8",
                   "XSDT", out->xsdt_phys, root->length);
        }
        if (root) {
            out->use_xsdt = true;
            out->root_phys = out->xsdt_phys;
            return root;
        }
    }
    if (out->rsdt_phys) {
        root = map_table(env, out->rsdt_phys, "RSDT", "RSDT invalid");
        if (root) {
            out->root_phys = out->rsdt_phys;
            return root;
        }
    }
    return NULL;
}

/* Maps and validates the RSDP (20 bytes, or its revision 2 length). */
static const struct acpi_rsdp *map_rsdp(const struct acpi_env *env,
                                        uint64_t phys, int *len)
{
    const struct acpi_rsdp *r = map(env, phys, ACPI_RSDP_V1_LEN);

    if (!r) {
        *len = ACPI_EMAP;
        return NULL;
    }
    *len = acpi_rsdp_check(r, ACPI_RSDP_V1_LEN);
    if (*len == ACPI_ETRUNC) {
        /* revision >= 2: map the whole structure and check again */
        const struct acpi_rsdp *r2 = map(env, phys, sizeof(*r2));
        uint32_t l2 = r2 ? r2->length : 0;

        if (r2 && l2 >= sizeof(*r2) && l2 <= 4096)
            r2 = map(env, phys, l2);
        *len = r2 ? acpi_rsdp_check(r2, l2) : ACPI_EMAP;
        r = r2;
    }
    return *len > 0 ? r : NULL;
}

/* The DSDT and FACS are reached through the FADT only. */
static void add_fadt_tables(const struct acpi_env *env,
                            struct acpi_tables *out)
{
    const struct acpi_table_ref *f = acpi_tables_find(out, "FACP", 0);
    struct acpi_fadt_info fi;
    unsigned before = out->count;

    if (!f || acpi_fadt_parse(env, f->data, f->length, &fi) != 0)
        return;
    if (fi.dsdt)
        add_table(env, out, fi.dsdt, "DSDT", "DSDT invalid");
    if (fi.dsdt32) {
        /* X_DSDT and DSDT differ: ACPICA uses X_DSDT; fall back to the
         * 32-bit one only when X_DSDT is unusable. */
        report(env, ACPI_EINVAL, "DSDT and X_DSDT differ", "FACP", fi.dsdt,
               fi.dsdt32);
        if (out->count == before) {
            add_table(env, out, fi.dsdt32, "DSDT", "DSDT invalid");
            out->skipped -= out->count != before;
        }
    }
    if (fi.facs)
        add_table(env, out, fi.facs, "FACS", "FACS invalid");
}

int acpi_tables_scan(const struct acpi_env *env, uint64_t rsdp_phys,
                     struct acpi_tables *out)
{
    const struct acpi_rsdp *rsdp;
    const struct acpi_header *root;
    unsigned esz, n;
    int len;

    memset(out, 0, sizeof(*out));
    out->rsdp_phys = rsdp_phys;
    rsdp = map_rsdp(env, rsdp_phys, &len);
    if (!rsdp) {
        report(env, len, "RSDP invalid", NULL, rsdp_phys, 0);
        return len;
    }
    out->rsdp_revision = rsdp->revision;
    out->rsdt_phys = rsdp->rsdt_address;
    if (len >= (int)sizeof(*rsdp))
        out->xsdt_phys = rsdp->xsdt_address;
    root = map_root(env, out);
    if (!root)
        return ACPI_ENOENT;
    esz = out->use_xsdt ? 8 : 4;
    n = (root->length - sizeof(*root)) / esz;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * esz;
        uint64_t phys = esz == 8 ? rd64(e) : rd32(e);

        if (phys == 0) {
            report(env, ACPI_EINVAL, "null root entry",
                   out->use_xsdt ? "XSDT" : "RSDT", out->root_phys, i);
            out->skipped++;
            continue;
        }
        add_table(env, out, phys, NULL, "table invalid");
    }
    add_fadt_tables(env, out);
    return 0;
}

const struct acpi_table_ref *acpi_tables_find(const struct acpi_tables *t,
                                              const char *sig,
                                              unsigned instance)
{
    for (unsigned i = 0; i < t->count; i++)
        if (!memcmp(t->t[i].sig, sig, 4) && instance-- == 0)
            return &t->t[i];
    return NULL;
}

/* ---- FADT ---------------------------------------------------------------- */

/* Copies min(len, sizeof) bytes of a table into a zeroed full-size layout,
 * so fields past the end of an older, shorter revision read as zero. */
static int copy_table(const struct acpi_env *env, const void *table,
                      uint32_t len, const char *sig, void *dst,
                      size_t dst_size, size_t min_len)
{
    int err = acpi_table_check(table, len, sig);

    if (err) {
        report(env, err, "table invalid", sig, 0, len);
        return err;
    }
    len = ((const struct acpi_header *)table)->length;
    if (len < min_len) {
        report(env, ACPI_ELEN, "table too short", sig, 0, len);
        return ACPI_ELEN;
    }
    memset(dst, 0, dst_size);
    memcpy(dst, table, len < dst_size ? len : dst_size);
    return 0;
}

static struct acpi_gas io_gas(uint32_t port, uint8_t len)
{
    struct acpi_gas g = { .space_id = ACPI_SPACE_IO,
                          .bit_width = (uint8_t)(len * 8),
                          .address = port };
    return g;
}

static struct acpi_gas pick_gas(const struct acpi_gas *x, uint32_t legacy,
                                uint8_t len)
{
    if (x->address)
        return *x;
    return legacy ? io_gas(legacy, len) : (struct acpi_gas){ 0 };
}

int acpi_fadt_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_fadt_info *out)
{
    struct acpi_fadt f;
    size_t flen;
    int err;

    err = copy_table(env, table, len, "FACP", &f, sizeof(f),
                     offsetof(struct acpi_fadt, flags) + 4);
    if (err)
        return err;
    flen = f.hdr.length;
    memset(out, 0, sizeof(*out));
    out->revision = f.hdr.revision;
    out->flags = f.flags;
    out->hw_reduced = f.flags & ACPI_FADT_HW_REDUCED;
    out->sci_int = f.sci_int;
    out->smi_cmd = f.smi_cmd;
    out->acpi_enable = f.acpi_enable;
    out->acpi_disable = f.acpi_disable;
    out->iapc_boot_arch = f.iapc_boot_arch;
    out->dsdt = f.x_dsdt ? f.x_dsdt : f.dsdt;
    if (f.x_dsdt && f.dsdt && f.x_dsdt != f.dsdt)
        out->dsdt32 = f.dsdt;
    out->facs = f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
    out->pm1a_evt = pick_gas(&f.x_pm1a_evt_blk, f.pm1a_evt_blk,
                             f.pm1_evt_len);
    out->pm1b_evt = pick_gas(&f.x_pm1b_evt_blk, f.pm1b_evt_blk,
                             f.pm1_evt_len);
    out->pm1a_cnt = pick_gas(&f.x_pm1a_cnt_blk, f.pm1a_cnt_blk,
                             f.pm1_cnt_len);
    out->pm1b_cnt = pick_gas(&f.x_pm1b_cnt_blk, f.pm1b_cnt_blk,
                             f.pm1_cnt_len);
    out->pm_tmr = pick_gas(&f.x_pm_tmr_blk, f.pm_tmr_blk, f.pm_tmr_len);
    if (flen >= offsetof(struct acpi_fadt, reset_value) + 1) {
        out->reset_supported = f.flags & ACPI_FADT_RESET_REG_SUP;
        out->reset_reg = f.reset_reg;
        out->reset_value = f.reset_value;
    }
    if (flen >= offsetof(struct acpi_fadt, sleep_status_reg) +
                   sizeof(struct acpi_gas)) {
        out->sleep_control = f.sleep_control_reg;
        out->sleep_status = f.sleep_status_reg;
    }
    if (out->pm1a_cnt.address == 0 && !out->hw_reduced)
        report(env, ACPI_EINVAL, "FADT without PM1a control block", "FACP",
               0, 0);
    return 0;
}

/* ---- FACS ---------------------------------------------------------------- */

int acpi_facs_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_facs_info *out)
{
    struct acpi_facs f;

    if (len < sizeof(f)) {
        report(env, ACPI_ETRUNC, "FACS too short", "FACS", 0, len);
        return ACPI_ETRUNC;
    }
    memcpy(&f, table, sizeof(f));
    if (memcmp(f.signature, "FACS", 4) || f.length < sizeof(f) ||
        f.length > len) {
        report(env, ACPI_ESIG, "FACS invalid", "FACS", 0, f.length);
        return ACPI_ESIG;
    }
    *out = (struct acpi_facs_info){
        .hardware_signature = f.hardware_signature,
        .waking_vector = f.firmware_waking_vector,
        .x_waking_vector = f.version >= 1 ? f.x_firmware_waking_vector : 0,
        .version = f.version };
    return 0;
}

/* ---- sub-structure walking ----------------------------------------------- */

/* Iterates over variable-length sub-structures from off to the end of the
 * table; *type and *slen come from a header at the start of each, whose
 * field widths are given by wide (DMAR: 16-bit type and length) or not. */
struct sub_iter {
    const uint8_t *base;
    uint32_t off, end;
    bool wide;
};

/* Returns the next entry or NULL at the end (reported if truncated). */
static const uint8_t *sub_next(const struct acpi_env *env,
                               struct sub_iter *it, const char *sig,
                               unsigned *type, unsigned *slen)
{
    unsigned hdr = it->wide ? 4 : 2;
    const uint8_t *p;

    if (it->off >= it->end)
        return NULL;
    p = it->base + it->off;
    if (it->end - it->off < hdr) {
        report(env, ACPI_ETRUNC, "sub-table header past end", sig, it->off,
               it->end - it->off);
        return NULL;
    }
    if (sig && !memcmp(sig, "IVRS", 4)) {
        *type = p[0];
        *slen = rd16(p + 2);
    } else if (it->wide) {
        *type = rd16(p);
        *slen = rd16(p + 2);
    } else {
        *type = p[0];
        *slen = p[1];
    }
    if (*slen < hdr || *slen > it->end - it->off) {
        report(env, ACPI_ETRUNC, "sub-table length invalid", sig, it->off,
               *slen);
        return NULL;
    }
    it->off += *slen;
    return p;
}

/* ---- MADT ---------------------------------------------------------------- */

static void madt_add_cpu(const struct acpi_env *env,
                         struct acpi_madt_info *out, uint32_t id,
                         uint32_t uid, uint32_t flags, bool x2)
{
    if (!(flags & 3))
        return; /* neither enabled nor online capable: not a usable CPU */
    if (out->ncpus == ACPI_MAX_CPUS) {
        report(env, ACPI_ENOMEM, "too many CPUs", "APIC", id, 0);
        out->skipped++;
        return;
    }
    for (unsigned i = 0; i < out->ncpus; i++) {
        if (out->cpus[i].apic_id == id) {
            report(env, ACPI_EDUP, "APIC ID listed twice", "APIC", id, 0);
            out->skipped++;
            return;
        }
    }
    out->cpus[out->ncpus++] = (struct acpi_cpu){
        .apic_id = id, .uid = uid, .enabled = flags & 1,
        .online_capable = flags & 2, .x2apic = x2 };
}

static void madt_entry(const struct acpi_env *env, struct acpi_madt_info *out,
                       const uint8_t *p, unsigned type, unsigned len)
{
    static const uint8_t need[] = {
        [ACPI_MADT_LAPIC] = sizeof(struct acpi_madt_lapic),
        [ACPI_MADT_IOAPIC] = sizeof(struct acpi_madt_ioapic),
        [ACPI_MADT_ISO] = sizeof(struct acpi_madt_iso),
        [ACPI_MADT_LAPIC_ADDR] = sizeof(struct acpi_madt_lapic_addr),
        [ACPI_MADT_X2APIC] = sizeof(struct acpi_madt_x2apic),
    };

    if (type < sizeof(need) && need[type] && len < need[type]) {
        report(env, ACPI_ETRUNC, "MADT entry too short", "APIC", type, len);
        out->skipped++;
        return;
    }
    switch (type) {
    case ACPI_MADT_LAPIC: {
        struct acpi_madt_lapic e;
        memcpy(&e, p, sizeof(e));
        madt_add_cpu(env, out, e.apic_id, e.processor_uid, e.flags, false);
        break;
    }
    case ACPI_MADT_X2APIC: {
        struct acpi_madt_x2apic e;
        memcpy(&e, p, sizeof(e));
        madt_add_cpu(env, out, e.x2apic_id, e.processor_uid, e.flags, true);
        break;
    }
    case ACPI_MADT_IOAPIC: {
        struct acpi_madt_ioapic e;
        memcpy(&e, p, sizeof(e));
        if (out->nioapics == ACPI_MAX_IOAPICS) {
            report(env, ACPI_ENOMEM, "too many I/O APICs", "APIC", e.id, 0);
            out->skipped++;
            break;
        }
        out->ioapics[out->nioapics++] = (struct acpi_ioapic){
            .id = e.id, .address = e.address, .gsi_base = e.gsi_base };
        break;
    }
    case ACPI_MADT_ISO: {
        struct acpi_madt_iso e;
        memcpy(&e, p, sizeof(e));
        if (out->nisos == ACPI_MAX_ISOS) {
            report(env, ACPI_ENOMEM, "too many overrides", "APIC", e.source,
                   0);
            out->skipped++;
            break;
        }
        out->isos[out->nisos++] = (struct acpi_iso){
            .bus = e.bus, .source = e.source, .gsi = e.gsi,
            .flags = e.flags };
        break;
    }
    case ACPI_MADT_LAPIC_ADDR: {
        struct acpi_madt_lapic_addr e;
        memcpy(&e, p, sizeof(e));
        out->lapic_address = e.address;
        break;
    }
    default:
        break; /* NMI sources and others: not needed by the VMM yet */
    }
}

int acpi_madt_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_madt_info *out)
{
    struct acpi_madt m;
    struct sub_iter it;
    const uint8_t *p;
    unsigned type, slen;
    int err;

    err = copy_table(env, table, len, "APIC", &m, sizeof(m), sizeof(m));
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    out->lapic_address = m.lapic_address;
    out->flags = m.flags;
    it = (struct sub_iter){ table, sizeof(m), m.hdr.length, false };
    while ((p = sub_next(env, &it, "APIC", &type, &slen)))
        madt_entry(env, out, p, type, slen);
    if (it.off < it.end)
        out->skipped++;
    return 0;
}

/* ---- MCFG ---------------------------------------------------------------- */

int acpi_mcfg_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_mcfg_info *out)
{
    struct acpi_mcfg m;
    uint32_t n, tlen;
    int err;

    err = copy_table(env, table, len, "MCFG", &m, sizeof(m), sizeof(m));
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    tlen = m.hdr.length;
    if ((tlen - sizeof(m)) % sizeof(struct acpi_mcfg_alloc))
        report(env, ACPI_ETRUNC, "MCFG trailing bytes", "MCFG", 0, tlen);
    n = (tlen - sizeof(m)) / sizeof(struct acpi_mcfg_alloc);
    for (uint32_t i = 0; i < n; i++) {
        struct acpi_mcfg_alloc a;

        memcpy(&a, (const uint8_t *)table + sizeof(m) + i * sizeof(a),
               sizeof(a));
        if (a.bus_end < a.bus_start || a.base == 0 || (a.base & 0xfffff)) {
            report(env, ACPI_EINVAL, "MCFG entry invalid", "MCFG", a.base,
                   i);
            out->skipped++;
            continue;
        }
        if (out->count == ACPI_MAX_MCFG) {
            report(env, ACPI_ENOMEM, "too many MCFG entries", "MCFG", a.base,
                   i);
            out->skipped++;
            continue;
        }
        out->ecam[out->count++] = a;
    }
    return 0;
}

/* ---- DMAR ---------------------------------------------------------------- */

static void dmar_drhd(const struct acpi_env *env, struct acpi_dmar_info *out,
                      const uint8_t *p, unsigned slen, uint32_t off)
{
    struct acpi_dmar_drhd e;

    if (slen < sizeof(e)) {
        report(env, ACPI_ETRUNC, "DRHD too short", "DMAR", off, slen);
        out->skipped++;
        return;
    }
    memcpy(&e, p, sizeof(e));
    if (e.register_base == 0 || (e.register_base & 0xfff)) {
        report(env, ACPI_EINVAL, "DRHD register base invalid", "DMAR",
               e.register_base, 0);
        out->skipped++;
        return;
    }
    if (out->ndrhd == ACPI_MAX_DRHD) {
        report(env, ACPI_ENOMEM, "too many DRHDs", "DMAR", e.register_base,
               0);
        out->skipped++;
        return;
    }
    out->drhd[out->ndrhd++] = (struct acpi_drhd_info){
        .register_base = e.register_base, .segment = e.segment,
        .flags = e.flags, .register_size = 4096u << (e.size & 15) };
}

static void dmar_rmrr(const struct acpi_env *env, struct acpi_dmar_info *out,
                      const uint8_t *p, unsigned slen, uint32_t off)
{
    struct acpi_dmar_rmrr e;

    if (slen < sizeof(e)) {
        report(env, ACPI_ETRUNC, "RMRR too short", "DMAR", off, slen);
        out->skipped++;
        return;
    }
    memcpy(&e, p, sizeof(e));
    if (e.limit < e.base) {
        report(env, ACPI_EINVAL, "RMRR limit below base", "DMAR", e.base,
               e.limit);
        out->skipped++;
        return;
    }
    if (out->nrmrr == ACPI_MAX_RMRR) {
        report(env, ACPI_ENOMEM, "too many RMRRs", "DMAR", e.base, 0);
        out->skipped++;
        return;
    }
    out->rmrr[out->nrmrr++] = (struct acpi_rmrr_info){
        .base = e.base, .limit = e.limit, .segment = e.segment };
}

int acpi_dmar_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_dmar_info *out)
{
    struct acpi_dmar d;
    struct sub_iter it;
    const uint8_t *p;
    unsigned type, slen;
    int err;

    err = copy_table(env, table, len, "DMAR", &d, sizeof(d), sizeof(d));
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    out->host_address_width = (uint8_t)(d.host_address_width + 1);
    out->flags = d.flags;
    it = (struct sub_iter){ table, sizeof(d), d.hdr.length, true };
    while ((p = sub_next(env, &it, "DMAR", &type, &slen))) {
        if (type == ACPI_DMAR_DRHD)
            dmar_drhd(env, out, p, slen, it.off - slen);
        else if (type == ACPI_DMAR_RMRR)
            dmar_rmrr(env, out, p, slen, it.off - slen);
        else
            out->nother++;
    }
    if (it.off < it.end)
        out->skipped++;
    return 0;
}

/* ---- IVRS ---------------------------------------------------------------- */

int acpi_ivrs_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_ivrs_info *out)
{
    struct acpi_ivrs v;
    struct sub_iter it;
    const uint8_t *p;
    unsigned type, slen;
    int err;

    err = copy_table(env, table, len, "IVRS", &v, sizeof(v), sizeof(v));
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    out->iv_info = v.iv_info;
    /* IVRS blocks: 8-bit type, 8-bit flags, 16-bit length */
    it = (struct sub_iter){ table, sizeof(v), v.hdr.length, true };
    while ((p = sub_next(env, &it, "IVRS", &type, &slen))) {
        struct acpi_ivhd h;
        unsigned need;

        if (type >= 0x20 && type <= 0x22) {
            out->nivmd++;
            continue;
        }
        if (type != 0x10 && type != 0x11 && type != 0x40) {
            continue; /* unknown block types are skipped by length */
        }
        need = type == 0x10 ? sizeof(h) : ACPI_IVHD_EXT_LEN;
        if (slen < need) {
            report(env, ACPI_ETRUNC, "IVHD too short", "IVRS",
                   it.off - slen, slen);
            out->skipped++;
            continue;
        }
        memcpy(&h, p, sizeof(h));
        if (h.base_address == 0 || (h.base_address & 0x3fff)) {
            report(env, ACPI_EINVAL, "IVHD base invalid", "IVRS",
                   h.base_address, type);
            out->skipped++;
            continue;
        }
        if (out->nivhd == ACPI_MAX_IVHD) {
            out->skipped++;
            continue;
        }
        out->ivhd[out->nivhd++] = (struct acpi_ivhd_info){
            .type = h.type, .flags = h.flags, .device_id = h.device_id,
            .capability_offset = h.capability_offset, .segment = h.segment,
            .base_address = h.base_address };
    }
    if (it.off < it.end)
        out->skipped++;
    return 0;
}

/* ---- HPET ---------------------------------------------------------------- */

int acpi_hpet_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_hpet_info *out)
{
    struct acpi_hpet h;
    int err;

    err = copy_table(env, table, len, "HPET", &h, sizeof(h), sizeof(h));
    if (err)
        return err;
    if (h.base.space_id != ACPI_SPACE_MEMORY || h.base.address == 0 ||
        (h.base.address & 0x3ff)) {
        report(env, ACPI_EINVAL, "HPET base invalid", "HPET",
               h.base.address, h.base.space_id);
        return ACPI_EINVAL;
    }
    *out = (struct acpi_hpet_info){
        .event_timer_block_id = h.event_timer_block_id, .base = h.base,
        .hpet_number = h.hpet_number, .min_tick = h.min_tick };
    return 0;
}

/* ---- root rewriting ------------------------------------------------------ */

int acpi_root_remove_entry(void *buf, size_t buf_len, uint64_t phys)
{
    struct acpi_header *h = buf;
    uint8_t *ents = (uint8_t *)(h + 1);
    unsigned esz, n, w = 0, removed;
    int err;

    err = acpi_table_check(buf, buf_len, NULL);
    if (err)
        return err;
    if (!memcmp(h->signature, "XSDT", 4))
        esz = 8;
    else if (!memcmp(h->signature, "RSDT", 4))
        esz = 4;
    else
        return ACPI_ESIG;
    n = (h->length - sizeof(*h)) / esz;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = esz == 8 ? rd64(ents + i * esz) : rd32(ents + i * esz);

        if (v == phys)
            continue;
        memmove(ents + w * esz, ents + i * esz, esz);
        w++;
    }
    removed = n - w;
    if (removed == 0)
        return 0;
    /* a trailing partial entry, if any, goes too */
    memset(ents + w * esz, 0, h->length - sizeof(*h) - w * esz);
    h->length = (uint32_t)(sizeof(*h) + w * esz);
    acpi_fix_checksum(h, h->length);
    return (int)removed;
}

/* ---- sleep --------------------------------------------------------------- */

struct acpi_pm1_write acpi_pm1_decode(uint16_t value)
{
    return (struct acpi_pm1_write){
        .slp_typ = (uint8_t)((value & ACPI_PM1_SLP_TYP_MASK) >>
                             ACPI_PM1_SLP_TYP_SHIFT),
        .slp_en = value & ACPI_PM1_SLP_EN };
}

static int sleep_state(uint8_t slp_typ, bool slp_en, bool pm1b,
                       const struct acpi_sleep_types *st)
{
    if (!slp_en)
        return 0;
    for (int s = 5; s >= 0; s--) {
        uint8_t typ = pm1b ? st->typb[s] : st->typa[s];

        if (st->present[s] && (typ & 7) == slp_typ)
            return s;
    }
    return ACPI_ENOENT;
}

int acpi_pm1_sleep_state(uint16_t value, bool pm1b,
                         const struct acpi_sleep_types *st)
{
    struct acpi_pm1_write w = acpi_pm1_decode(value);

    return sleep_state(w.slp_typ, w.slp_en, pm1b, st);
}

int acpi_sleep_control_state(uint8_t value,
                             const struct acpi_sleep_types *st)
{
    return sleep_state((value >> ACPI_SLEEP_CTL_TYP_SHIFT) & 7,
                       value & ACPI_SLEEP_CTL_SLP_EN, false, st);
}

/* Removes from one root table (mapped writable at buf) every entry whose
 * target carries signature sig; the targets' headers are read through
 * env->map, as each root may point at its own copy of a table. */
static int root_hide_sig(const struct acpi_env *env, uint8_t *buf,
                         uint64_t root_phys, const char *sig)
{
    struct acpi_header *h = (struct acpi_header *)buf;
    unsigned esz = memcmp(h->signature, "XSDT", 4) ? 4 : 8;
    int total = 0;

    if (acpi_table_check(buf, h->length, NULL)) {
        report(env, ACPI_ECSUM, "root table invalid", h->signature,
               root_phys, 0);
        return 0;
    }
    for (unsigned i = 0; i < (h->length - sizeof(*h)) / esz;) {
        const uint8_t *e = buf + sizeof(*h) + i * esz;
        uint64_t phys = esz == 8 ? rd64(e) : rd32(e);
        const struct acpi_header *th = phys ? map(env, phys, 4) : NULL;
        int n;

        if (!th || memcmp(th->signature, sig, 4)) {
            i++;
            continue;
        }
        n = acpi_root_remove_entry(buf, h->length, phys);
        if (n <= 0)
            return n < 0 ? n : total; /* cannot happen: entry present */
        total += n;
    }
    return total;
}

int acpi_hide_table(const struct acpi_env *env, acpi_map_rw_fn map_rw,
                    const struct acpi_tables *t, const char *sig)
{
    const uint64_t roots[2] = { t->rsdt_phys, t->xsdt_phys };
    int total = 0;

    for (int r = 0; r < 2; r++) {
        const struct acpi_header *h;
        uint8_t *buf;
        int n;

        if (!roots[r])
            continue;
        h = map(env, roots[r], sizeof(*h));
        if (!h || memcmp(h->signature, r ? "XSDT" : "RSDT", 4) ||
            h->length < sizeof(*h) || h->length > ACPI_MAX_TABLE_LEN)
            continue;
        buf = map_rw(env->ctx, roots[r], h->length);
        if (!buf) {
            report(env, ACPI_EMAP, "root table not writable", h->signature,
                   roots[r], h->length);
            return ACPI_EMAP;
        }
        n = root_hide_sig(env, buf, roots[r], sig);
        if (n < 0)
            return n;
        total += n;
    }
    return total;
}
