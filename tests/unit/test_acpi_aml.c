/* Host tests of common/acpi/aml.c: the DSDTs dumped from QEMU, OVMF and
 * Bochs; ASL cases compiled by iasl at test time (seed 000's pathological
 * shape, namespace features, External, a large generated DSDT); truncated,
 * bit-flipped and hand-made hostile AML. Step counts, not times. */
#include "test_acpi.h"

#include "common/acpi/probe.h"

#include "check.h"

#define ARENA_SIZE (8u << 20)
static uint8_t arena[ARENA_SIZE];

/* Steps per AML byte the loads below must stay under (measured maxima are
 * printed; docs/acpi.md records them). */
#define STEPS_PER_BYTE_MAX 3

static uint8_t *load_aml(const char *name, size_t *len)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s.aml", ACPI_BUILD_DIR, name);
    return read_file(path, len);
}

static void fix(uint8_t *t, uint32_t len)
{
    memcpy(t + 4, &len, 4);
    acpi_fix_checksum((struct acpi_header *)t, len);
}

static void print_stats(const char *what, const struct aml_ns *ns,
                        size_t bytes)
{
    printf("%-22s %7zu bytes %7u nodes %8llu steps (%.2f/byte) %6u terms "
           "%5u methods %6u calls %u unresolved %u errors depth %u\n", what,
           bytes, ns->nnodes, (unsigned long long)ns->stats.steps,
           (double)ns->stats.steps / (double)bytes, ns->stats.terms,
           ns->stats.methods_parsed, ns->stats.invocations,
           ns->stats.unresolved, ns->stats.errors, ns->stats.max_depth);
}

static void check_path(struct aml_ns *ns, aml_node_id id, const char *want)
{
    char buf[128];

    CHECK(aml_node_path(ns, id, buf, sizeof(buf)) > 0);
    CHECK_STR(buf, want);
}

struct plat_aml {
    const char *name;
    uint64_t rsdp;
    const char *com1;
    unsigned nuarts;
    uint8_t s4; /* SLP_TYP of \_S4 (QEMU 2, Bochs 0) */
};

static const struct plat_aml plats[] = {
    { "qemu-i440fx", 0xf59d0, "\\_SB_.PCI0.S08_.COM1", 1, 2 },
    { "qemu-q35-vtd", 0xf59e0, "\\_SB_.PCI0.SF8_.COM1", 1, 2 },
    { "qemu-q35-amdvi", 0xf59e0, "\\_SB_.PCI0.SF8_.COM1", 1, 2 },
    { "ovmf", 0x1f77d014, "\\_SB_.PCI0.SF8_.COM1", 1, 2 },
    { "bochs", 0xf9fa0, "\\_SB_.PCI0.ISA_.COM1", 2, 0 },
};

static void test_real(const struct plat_aml *pl)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_tables *t = calloc(1, sizeof(*t));
    struct aml_ns ns;
    struct acpi_sleep_types st;
    aml_node_id ids[8], id;
    uint64_t rsdp = pl->rsdp;
    size_t bytes = 0;
    int n;

    if (mem_load_platform(&c->mem, pl->name) != 0 || c->mem.n == 0) {
        CHECK(!"platform dump missing");
        goto out;
    }
    c->pr.verbose = 1;
    if (!rsdp)
        CHECK_EQ(acpi_find_rsdp_bios(&env, &rsdp), 0);
    CHECK_EQ(acpi_tables_scan(&env, rsdp, t), 0);
    CHECK_EQ(aml_ns_load(&ns, arena, sizeof(arena), &env, t), 0);
    for (unsigned i = 0; i < t->count; i++)
        if (!strcmp(t->t[i].sig, "DSDT") || !strcmp(t->t[i].sig, "SSDT"))
            bytes += t->t[i].length;
    print_stats(pl->name, &ns, bytes);
    CHECK_EQ(ns.stats.errors, 0);
    CHECK_EQ(ns.stats.unresolved, 0);
    CHECK_EQ(c->pr.n, 0);
    CHECK(ns.stats.steps <= STEPS_PER_BYTE_MAX * bytes);

    CHECK(aml_get_sleep_types(&ns, &st) >= 3);
    CHECK(st.present[3] && st.present[4] && st.present[5]);
    /* QEMU: _S3 {1,1}, _S4 {2,2}, _S5 {0,0}; Bochs: _S4 {0,0} */
    CHECK_EQ(st.typa[3], 1);
    CHECK_EQ(st.typb[3], 1);
    CHECK_EQ(st.typa[4], pl->s4);
    CHECK_EQ(st.typb[4], pl->s4);
    CHECK_EQ(st.typa[5], 0);
    CHECK_EQ(acpi_pm1_sleep_state(0x2000, false, &st), 5);
    CHECK_EQ(acpi_pm1_sleep_state(0x2400, false, &st), 3);
    for (int s = 0; s <= 5; s++)
        if (st.present[s])
            printf("  \\_S%d: SLP_TYPa %u SLP_TYPb %u\n", s, st.typa[s],
                   st.typb[s]);

    n = aml_find_devices_by_hid(&ns, "PNP0501", ids, 8);
    CHECK_EQ(n, pl->nuarts);
    for (int i = 0; i < n && i < 8; i++) {
        char p[128];
        aml_node_path(&ns, ids[i], p, sizeof(p));
        printf("  PNP0501 at %s\n", p);
    }
    if (pl->com1 && n >= 1) {
        check_path(&ns, ids[0], pl->com1);
        CHECK_EQ(aml_lookup(&ns, pl->com1, &id), 0);
        CHECK_EQ(id, ids[0]);
    }
    CHECK(aml_find_devices_by_hid(&ns, "PNP0303", ids, 8) >= 1);
    CHECK_EQ(aml_lookup(&ns, "\\_SB.PCI0", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_DEVICE);
    CHECK_EQ(aml_lookup(&ns, "\\_SB_.NOPE", &id), ACPI_ENOENT);
out:
    mem_free(&c->mem);
    free(t);
    free(c);
}

static int load_one(struct aml_ns *ns, struct problems *pr,
                    struct acpi_env *env, const uint8_t *t, size_t len);

/* ACPICA's namespace of the same DSDT (iasl -d, then iasl -ln: the .nsp
 * listing) against ours: every object ACPICA declares exists here with a
 * matching type, and we declare nothing more. */
static int type_matches(const struct aml_ns *ns, const char *acpica,
                        const struct aml_node *n)
{
    static const struct { const char *name; int type; } map[] = {
        { "Device", AML_T_DEVICE }, { "Method", AML_T_METHOD },
        { "Mutex", AML_T_MUTEX }, { "Region", AML_T_REGION },
        { "RegionField", AML_T_FIELD }, { "BufferField", AML_T_BUFFER_FIELD },
        { "Integer", AML_T_NAME }, { "String", AML_T_NAME },
        { "Buffer", AML_T_NAME }, { "Package", AML_T_NAME },
        { "Processor", AML_T_PROCESSOR }, { "Power", AML_T_POWER },
        { "Thermal", AML_T_THERMAL }, { "Event", AML_T_EVENT },
        { "Scope", AML_T_SCOPE }, { "Alias", AML_T_ALIAS },
        { "BankField", AML_T_FIELD }, { "IndexField", AML_T_FIELD },
        { "FieldUnit", AML_T_FIELD },
    };

    if (n->flags & AML_NF_BUILTIN)
        return 1; /* \_SB is a Device to iasl, a predefined scope here */
    if (n->type == AML_T_ALIAS && n->alias != AML_NONE)
        n = aml_node(ns, n->alias); /* iasl shows the target's type */
    if (n->type == AML_T_EXTERNAL) {
        /* ACPI object type numbers (ACPI 6.5 19.6.96 ObjectType) */
        static const char *const ext[] = {
            "Untyped", "Integer", "String", "Buffer", "Package",
            "FieldUnit", "Device", "Event", "Method", "Mutex", "Region",
            "Power", "Processor", "Thermal", "BufferField" };
        return n->aux8 < sizeof(ext) / sizeof(ext[0]) &&
               !strcmp(acpica, ext[n->aux8]);
    }
    if (n->type == AML_T_DATA_REGION)
        return !strcmp(acpica, "Region");
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(acpica, map[i].name))
            return n->type == map[i].type;
    return 0;
}

static void compare_nsp(const char *plat, const char *nsp,
                        const uint8_t *table, size_t len)
{
    char path[256], line[512], names[AML_MAX_NS_DEPTH][5];
    struct problems pr = { .verbose = 1 };
    struct acpi_env env;
    struct aml_ns ns;
    unsigned listed = 0, found = 0, typed = 0, ours = 0;
    FILE *f = fopen(nsp, "r");

    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_EQ(load_one(&ns, &pr, &env, table, len), 0);
    while (fgets(line, sizeof(line), f)) {
        unsigned count, depth;
        char name[8], type[32];
        aml_node_id id;
        size_t n = 0;

        if (sscanf(line, " %u [%u] %4s - %31s", &count, &depth, name,
                   type) != 4 || depth < 1 || depth > AML_MAX_NS_DEPTH)
            continue;
        memcpy(names[depth - 1], name, 5);
        if (!strncmp(type, "Resource", 8))
            continue; /* iasl's compile-time resource descriptor names */
        listed++;
        path[n++] = '\\';
        for (unsigned i = 0; i < depth; i++) {
            if (i)
                path[n++] = '.';
            memcpy(path + n, names[i], 4);
            n += 4;
        }
        path[n] = 0;
        if (aml_lookup(&ns, path, &id) != 0) {
            fprintf(stderr, "%s: ACPICA has %s (%s), we do not\n", plat,
                    path, type);
            continue;
        }
        found++;
        if (type_matches(&ns, type, aml_node(&ns, id)))
            typed++;
        else
            fprintf(stderr, "%s: %s is a %s to ACPICA, type %u here\n",
                    plat, path, type, aml_node(&ns, id)->type);
    }
    fclose(f);
    ours = ns.nnodes - 1; /* all but the root, predefined objects included */
    printf("ACPICA namespace of %s: %u objects, %u found here, %u "
           "with the same type; %u declared here\n", plat, listed, found,
           typed, ours);
    CHECK(listed > 10);
    CHECK_EQ(found, listed);
    CHECK_EQ(typed, listed);
    CHECK_EQ(ours, listed); /* so both namespaces are the same set */
}

static void test_acpica_namespace(const char *plat)
{
    char nsp[256];
    struct mem m;
    const struct mem_region *dsdt;

    snprintf(nsp, sizeof(nsp), "%s/nsp/%s.nsp", ACPI_BUILD_DIR, plat);
    if (mem_load_platform(&m, plat) || !(dsdt = mem_find(&m, "DSDT"))) {
        CHECK(!"dump missing");
        return;
    }
    compare_nsp(plat, nsp, dsdt->data, dsdt->len);
    mem_free(&m);
}

static void test_acpica_namespace_asl(const char *name)
{
    char nsp[256];
    size_t len;
    uint8_t *t = load_aml(name, &len);

    snprintf(nsp, sizeof(nsp), "%s/%s.nsp", ACPI_BUILD_DIR, name);
    CHECK(t != NULL);
    if (t)
        compare_nsp(name, nsp, t, len);
    free(t);
}

static int load_one(struct aml_ns *ns, struct problems *pr,
                    struct acpi_env *env, const uint8_t *t, size_t len)
{
    int err;

    env->map = NULL;
    env->report = collect;
    env->ctx = pr;
    err = aml_ns_init(ns, arena, sizeof(arena), env);
    if (err)
        return err;
    err = aml_ns_add_table(ns, t, (uint32_t)len);
    if (err)
        return err;
    return aml_ns_parse_methods(ns);
}

static void test_seed000(void)
{
    struct problems pr = { .verbose = 1 };
    struct acpi_env env;
    struct aml_ns ns;
    aml_node_id id;
    uint64_t v;
    uint8_t space;
    size_t len;
    uint8_t *t = load_aml("seed000", &len);

    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ(load_one(&ns, &pr, &env, t, len), 0);
    print_stats("seed000", &ns, len);
    CHECK_EQ(ns.stats.errors, 0);
    CHECK_EQ(ns.stats.unresolved, 0);
    CHECK_EQ(pr.n, 0);
    /* the names after each pathological region were reached, so each
     * region expression was parsed to its exact end */
    CHECK_EQ(aml_lookup(&ns, "\\A002", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_REGION);
    CHECK_EQ(aml_region_info(&ns, id, &space, &v, &v), ACPI_ENOENT);
    CHECK_EQ(space, 0);
    CHECK_EQ(aml_lookup(&ns, "\\F002", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_FIELD);
    CHECK_EQ(aml_lookup(&ns, "\\A004", &id), 0);
    CHECK_EQ(aml_region_info(&ns, id, &space, &v, &v), ACPI_ENOENT);
    CHECK_EQ(space, 1);
    CHECK_EQ(aml_lookup(&ns, "\\F003", &id), 0);
    CHECK_EQ(aml_lookup(&ns, "\\END0", &id), 0);
    CHECK_EQ(aml_node_integer(&ns, id, &v), 0);
    CHECK_EQ(v, 0x5aa5);
    /* module-level invocations: M001 x7 + M003 x5 in regions */
    CHECK_EQ(ns.stats.invocations, 12);
    CHECK(ns.stats.steps <= STEPS_PER_BYTE_MAX * len);
    free(t);
}

static void test_features(void)
{
    struct problems pr = { .verbose = 1 };
    struct acpi_env env = { NULL, collect, &pr };
    struct aml_ns ns;
    struct acpi_sleep_types st;
    aml_node_id ids[4], id;
    uint64_t v, off, rlen;
    uint8_t space;
    char s[16];
    size_t len, len2, len3;
    uint8_t *t = load_aml("features", &len);
    uint8_t *x = load_aml("ssdt-ext", &len2);
    uint8_t *y = load_aml("ssdt-noext", &len3);

    CHECK(t && x && y);
    if (!t || !x || !y)
        return;
    CHECK_EQ(aml_ns_init(&ns, arena, sizeof(arena), &env), 0);
    CHECK_EQ(aml_ns_add_table(&ns, t, (uint32_t)len), 0);
    CHECK_EQ(aml_ns_add_table(&ns, x, (uint32_t)len2), 0);
    CHECK_EQ(aml_ns_add_table(&ns, y, (uint32_t)len3), 0);
    CHECK_EQ(aml_ns_parse_methods(&ns), 0);
    print_stats("features+2 SSDTs", &ns, len + len2 + len3);
    CHECK_EQ(ns.stats.errors, 0);
    CHECK_EQ(ns.stats.unresolved, 0);
    CHECK_EQ(pr.n, 0);

    CHECK_EQ(aml_get_sleep_types(&ns, &st), 5);
    CHECK(st.present[0] && st.present[1] && !st.present[2]);
    CHECK_EQ(st.typa[1], 1);
    CHECK_EQ(st.typb[1], 2);
    CHECK_EQ(st.typa[3], 5);
    CHECK_EQ(st.typb[3], 6);
    CHECK_EQ(st.typa[4], 4); /* one-integer form 0x0304 */
    CHECK_EQ(st.typb[4], 3);
    CHECK_EQ(st.typa[5], 7);
    CHECK_EQ(acpi_pm1_sleep_state(0x3400, false, &st), 3);
    CHECK_EQ(acpi_pm1_sleep_state(0x3800, true, &st), 3);
    CHECK_EQ(acpi_pm1_sleep_state(0x3c00, false, &st), 5);
    CHECK_EQ(aml_lookup(&ns, "\\_S3", &id), 0);
    CHECK(aml_node(&ns, id)->flags & AML_NF_COND);

    CHECK_EQ(aml_find_devices_by_hid(&ns, "PNP0501", ids, 4), 2);
    check_path(&ns, ids[0], "\\_SB_.PCI0.LPCB.UAR1");
    check_path(&ns, ids[1], "\\_SB_.PCI0.LPCB.UAR2");
    CHECK_EQ(aml_node_integer(&ns, aml_child(&ns, ids[1], "_UID"), &v), 0);
    CHECK_EQ(v, 2);
    CHECK_EQ(aml_node_string(&ns, aml_child(&ns, ids[1], "_HID"), s,
                             sizeof(s)), 7);
    CHECK_STR(s, "PNP0501");
    CHECK_EQ(aml_find_devices_by_hid(&ns, "PNP0A03", ids, 4), 1);
    CHECK_EQ(aml_find_devices_by_hid(&ns, "PNP0303", ids, 0), 1);

    CHECK_EQ(aml_lookup(&ns, "\\_SB.PCI0.GET2", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_METHOD);
    CHECK_EQ(aml_node(&ns, id)->argc, 2);
    CHECK_EQ(aml_lookup(&ns, "\\_SB.GETA", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_ALIAS);
    CHECK_EQ(aml_lookup(&ns, "\\LATE", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->argc, 3);
    CHECK_EQ(aml_lookup(&ns, "\\_SB.PCI0.LPCB.NEST.INNR", &id), 0);
    CHECK(aml_node(&ns, id)->flags & AML_NF_LOCAL);
    CHECK_EQ(aml_lookup(&ns, "\\XMTH", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_EXTERNAL);
    CHECK_EQ(aml_node(&ns, id)->argc, 3);
    CHECK_EQ(aml_lookup(&ns, "\\_SB.PCI0.EXT0", &id), 0);
    CHECK_EQ(aml_node_integer(&ns, id, &v), 0);
    CHECK_EQ(v, 0x1234);
    CHECK_EQ(aml_lookup(&ns, "\\EXT1", &id), 0); /* after EXR0's call */
    CHECK_EQ(aml_lookup(&ns, "\\TAIL", &id), 0);
    CHECK_EQ(aml_node_integer(&ns, id, &v), 0);
    CHECK_EQ(v, 0xdeadbeef);
    CHECK_EQ(aml_lookup(&ns, "\\PMIO", &id), 0);
    CHECK_EQ(aml_region_info(&ns, id, &space, &off, &rlen), 0);
    CHECK_EQ(space, 1);
    CHECK_EQ(off, 0x400);
    CHECK_EQ(rlen, 0x80);
    {
        uint16_t port;
        uint8_t plen;
        CHECK_EQ(aml_device_io(&ns, ids[0], &port, &plen), ACPI_ENOENT);
    }
    CHECK_EQ(aml_lookup(&ns, "\\PM1C", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_FIELD);
    /* FWD0: LATE x3 + GET2 (forward references); USEA: GETA; NEST: INNR;
     * EXM1: GET2 + XMTH; module level: GET2 (EXR0); FWDA: LATA, an
     * alias declared before its target */
    CHECK_EQ(ns.stats.invocations, 14); /* + ssdt-noext: M038 x2, GET2;
                                         * + LATE in FWRG's offset */
    /* ssdt-noext declares nothing for M038: only the DSDT's namespace
     * gives its arity, and the body's last Name is reached */
    CHECK_EQ(aml_lookup(&ns, "\\M009.SEN9", &id), 0);
    CHECK_EQ(aml_lookup(&ns, "\\LATA", &id), 0);
    CHECK_EQ(aml_node(&ns, id)->type, AML_T_ALIAS);
    CHECK_EQ(aml_node(&ns, aml_node(&ns, id)->alias)->argc, 3);
    {
        /* alone (the arena is reused: ns is gone after this), the SSDT's
         * callees are unknown and its calls cannot be parsed right */
        struct aml_ns alone;
        struct problems pr2 = { 0 };
        struct acpi_env env2;
        load_one(&alone, &pr2, &env2, y, len3);
        CHECK_EQ(alone.stats.unresolved, 3);
        CHECK_EQ(pr2.n, 3); /* each reported: the misparse is silent */
        CHECK_EQ(pr2.last_err, ACPI_ENOENT);
    }
    free(t);
    free(x);
    free(y);
}

/* Every opcode once: clean parse, every invocation resolved. */
static void test_grammar(void)
{
    struct problems pr = { .verbose = 1 };
    struct acpi_env env;
    struct aml_ns ns;
    aml_node_id id;
    size_t len;
    uint8_t *t = load_aml("grammar", &len);

    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ(load_one(&ns, &pr, &env, t, len), 0);
    print_stats("grammar", &ns, len);
    CHECK_EQ(ns.stats.errors, 0);
    CHECK_EQ(ns.stats.unresolved, 0);
    CHECK_EQ(pr.n, 0);
    CHECK_EQ(aml_lookup(&ns, "\\M003.M004.SEN4", &id), 0);
    CHECK_EQ(aml_lookup(&ns, "\\M001.SEN0", &id), 0);
    CHECK_EQ(aml_lookup(&ns, "\\TAIL", &id), 0);
    CHECK_EQ(aml_lookup(&ns, "\\ALI0", &id), 0);
    CHECK_EQ(aml_node_integer(&ns, id, &(uint64_t){ 0 }), 0);
    /* M001: M002 x4 (Switch), M003, EXM2 x2; _REG: M001; M002: none;
     * M003: M002 x3, _REG, M004; _OSI at module level */
    CHECK_EQ(ns.stats.invocations, 14);
    free(t);
}

static void test_large(void)
{
    struct problems pr = { .verbose = 1 };
    struct acpi_env env;
    struct aml_ns ns;
    struct acpi_sleep_types st;
    aml_node_id ids[16];
    size_t len;
    uint8_t *t = load_aml("large", &len);

    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ(load_one(&ns, &pr, &env, t, len), 0);
    print_stats("large (generated)", &ns, len);
    CHECK_EQ(ns.stats.errors, 0);
    CHECK_EQ(ns.stats.unresolved, 0);
    CHECK_EQ(pr.n, 0);
    /* numbers from the generator's header comment */
    CHECK_EQ(ns.stats.methods_parsed, 2400);
    CHECK_EQ(ns.stats.invocations, 12600);
    CHECK_EQ(aml_find_devices_by_hid(&ns, "PNP0501", ids, 16), 8);
    CHECK_EQ(aml_get_sleep_types(&ns, &st), 2);
    CHECK_EQ(st.typa[5], 7);
    CHECK(ns.stats.steps <= STEPS_PER_BYTE_MAX * len);
    free(t);
}

/* Every prefix of a real DSDT (header length and checksum fixed so the
 * parser sees it) and one flipped bit per byte: no crash, bounded steps. */
static void test_damaged_aml(const char *plat)
{
    char dir[256];
    struct mem m;
    struct problems pr = { 0 };
    struct acpi_env env;
    struct aml_ns ns;
    const struct mem_region *r;
    uint64_t max_steps = 0;
    unsigned runs = 0;
    uint8_t *buf;

    snprintf(dir, sizeof(dir), "%s", plat);
    if (mem_load_platform(&m, dir) != 0 || !(r = mem_find(&m, "DSDT")))
        return;
    buf = malloc(r->len);
    for (size_t n = 36; n <= r->len; n += 1) {
        memcpy(buf, r->data, n);
        fix(buf, (uint32_t)n);
        load_one(&ns, &pr, &env, buf, n);
        CHECK(ns.stats.steps <= (uint64_t)AML_STEPS_PER_BYTE * n +
                                    AML_STEPS_BASE);
        if (ns.stats.steps > max_steps)
            max_steps = ns.stats.steps;
        runs++;
    }
    srand(1);
    for (size_t i = 36; i < r->len; i++) {
        memcpy(buf, r->data, r->len);
        buf[i] ^= (uint8_t)(1u << (rand() % 8));
        fix(buf, (uint32_t)r->len);
        load_one(&ns, &pr, &env, buf, r->len);
        CHECK(ns.stats.steps <= (uint64_t)AML_STEPS_PER_BYTE * r->len +
                                    AML_STEPS_BASE);
        runs++;
    }
    printf("damaged %s DSDT: %u loads, %u problems reported, max %llu "
           "steps\n", plat, runs, pr.n, (unsigned long long)max_steps);
    CHECK(pr.n > 0);
    free(buf);
    mem_free(&m);
}

/* Hand-made hostile AML: deep nesting, huge PkgLengths, runaway name
 * paths, a tiny arena. */
static void test_hostile(void)
{
    static uint8_t t[70000];
    struct problems pr = { 0 };
    struct acpi_env env;
    struct aml_ns ns;
    size_t n = 36;

    memset(t, 0, sizeof(t));
    memcpy(t, "SSDT", 4);
    t[8] = 2;
    /* 1. Package(1){Package(1){...}} 5000 deep: EDEPTH, reported */
    for (int i = 0; i < 5000; i++) {
        t[n++] = 0x08; /* Name(Pxxx, ...) only once at the top */
        if (i == 0) {
            memcpy(t + n, "DEEP", 4);
            n += 4;
        } else {
            n--;
        }
        t[n++] = 0x12;
        t[n++] = 0x80 | 0x0f; /* 3-byte PkgLength, patched below */
        t[n++] = 0xff;
        t[n++] = 0xff;
        t[n++] = 0x0f;
        t[n++] = 0x01;
    }
    /* fix nothing: the lengths are wrong on purpose (past the end) */
    fix(t, (uint32_t)n);
    CHECK_EQ(load_one(&ns, &pr, &env, t, n), 0);
    CHECK(ns.stats.errors >= 1);
    CHECK(ns.stats.max_depth <= AML_MAX_DEPTH);

    /* 2. real nesting with correct lengths, 200 deep: EDEPTH not a crash */
    n = 36;
    {
        size_t depth = 200, inner = 0;
        /* build from the inside out: each level = 12 [pkglen 2 bytes] 01 */
        static uint8_t tmp[4096];
        size_t tl = 1;
        tmp[0] = 0x00; /* innermost element: Zero */
        for (size_t i = 0; i < depth; i++) {
            size_t body = tl + 1; /* NumElements + contents */
            size_t pl = body + 2; /* 2-byte PkgLength */
            memmove(tmp + 4, tmp, tl);
            tmp[0] = 0x12;
            tmp[1] = (uint8_t)(0x40 | (pl & 0x0f));
            tmp[2] = (uint8_t)(pl >> 4);
            tmp[3] = 0x01;
            tl += 4;
        }
        t[n++] = 0x08;
        memcpy(t + n, "NEST", 4);
        n += 4;
        memcpy(t + n, tmp, tl);
        n += tl;
        memcpy(t + n, "\x08TAIL\x0a\x2a", 7); /* Name(TAIL, 0x2A) after it */
        n += 7;
        (void)inner;
    }
    fix(t, (uint32_t)n);
    pr.n = 0;
    CHECK_EQ(load_one(&ns, &pr, &env, t, n), 0);
    CHECK_EQ(ns.stats.errors, 1);
    CHECK_EQ(pr.last_err, ACPI_EDEPTH);
    {
        aml_node_id id;
        /* the error skips the rest of the innermost PkgLength construct,
         * here the table itself: TAIL is lost, nothing else happens */
        CHECK_EQ(aml_lookup(&ns, "\\TAIL", &id), ACPI_ENOENT);
    }

    /* 3. Scope(\A.B.C...) 255 segments repeated: bounded namespace depth */
    n = 36;
    for (int rep = 0; rep < 50; rep++) {
        t[n++] = 0x10;
        t[n++] = 0x80 | ((4 + 1 + 2 + 255 * 4) & 0x0f); /* 2-byte pkglen */
        t[n++] = (uint8_t)((4 + 1 + 2 + 255 * 4) >> 4);
        t[n++] = '\\';
        t[n++] = 0x2f;
        t[n++] = 255;
        for (int s = 0; s < 255; s++) {
            memcpy(t + n, "AAAA", 4);
            t[n + 3] = (uint8_t)('A' + s % 26);
            n += 4;
        }
        t[n - 4 - 255 * 4 + 255 * 4 - 1] = 'Z';
        t[n++] = 0xa3; /* Noop body */
    }
    fix(t, (uint32_t)n);
    pr.n = 0;
    CHECK(load_one(&ns, &pr, &env, t, n) == 0);
    CHECK(ns.stats.errors > 0);
    CHECK(ns.nnodes < 200);
    CHECK(ns.stats.steps <= (uint64_t)AML_STEPS_PER_BYTE * n +
                                AML_STEPS_BASE);

    /* 3b. worst case for name lookups: a Scope 60 segments deep holding
     * thousands of unknown names, each searched up to the root. The
     * budget holds (the load may stop with ACPI_ESTEPS, never run on). */
    n = 36;
    {
        size_t body = 3 + 60 * 4, names = 12000;
        size_t pl = 3 + body + names * 4;
        t[n++] = 0x10;
        t[n++] = (uint8_t)(0x80 | (pl & 0x0f)); /* 3-byte PkgLength */
        t[n++] = (uint8_t)(pl >> 4);
        t[n++] = (uint8_t)(pl >> 12);
        t[n++] = '\\';
        t[n++] = 0x2f;
        t[n++] = 60;
        for (int i = 0; i < 60; i++, n += 4)
            memcpy(t + n, "DEEP", 4);
        for (size_t i = 0; i < names; i++, n += 4) {
            memcpy(t + n, "UNKN", 4);
            t[n + 3] = (uint8_t)('A' + i % 26);
        }
    }
    fix(t, (uint32_t)n);
    pr.n = 0;
    {
        int e = load_one(&ns, &pr, &env, t, n);
        printf("deep scope, %u unknown names: %s, %llu steps (%.1f/byte, "
               "budget %u/byte)\n", ns.stats.unresolved, acpi_strerror(e),
               (unsigned long long)ns.stats.steps,
               (double)ns.stats.steps / (double)n, AML_STEPS_PER_BYTE);
        CHECK(e == 0 || e == ACPI_ESTEPS);
        CHECK(ns.stats.steps <= (uint64_t)AML_STEPS_PER_BYTE * n +
                                    AML_STEPS_BASE);
    }

    /* 4. tiny arena: ENOMEM, not a crash */
    {
        size_t len;
        uint8_t *big = load_aml("large", &len);
        static uint8_t small[4096];
        if (big) {
            env.report = collect;
            env.ctx = &pr;
            CHECK_EQ(aml_ns_init(&ns, small, sizeof(small), &env), 0);
            CHECK_EQ(aml_ns_add_table(&ns, big, (uint32_t)len),
                     ACPI_ENOMEM);
            CHECK_EQ(aml_ns_init(&ns, small, 100, &env), ACPI_ENOMEM);
            free(big);
        }
    }
    /* 5. not an AML table */
    memcpy(t, "FACP", 4);
    fix(t, 36);
    CHECK_EQ(aml_ns_init(&ns, arena, sizeof(arena), &env), 0);
    CHECK_EQ(aml_ns_add_table(&ns, t, 36), ACPI_ESIG);
}

/* A model of a parser without a namespace (BitVisor's approach): every
 * name may be a call with 0 to 7 arguments and each hypothesis is pursued,
 * depth first, without memoization. AML is prefix notation, so a parse is
 * a left-to-right walk keeping the number of terms still owed. The model
 * even knows where the region's arguments end (BitVisor does not), so its
 * counts are a lower bound. */
#define GUESS_CAP 20000000ull
static uint64_t guess_states;

static uint64_t guess(const uint8_t *a, size_t pos, size_t end, unsigned need)
{
    unsigned arity;
    size_t next;

    if (++guess_states > GUESS_CAP)
        return 0;
    if (need == 0)
        return pos == end;
    if (pos >= end)
        return 0;
    if (a[pos] >= 'A' && a[pos] <= 'Z') { /* a NameSeg: call or not? */
        uint64_t ways = 0;
        for (unsigned argc = 0; argc <= 7; argc++)
            ways += guess(a, pos + 4, end, need - 1 + argc);
        return ways;
    }
    switch (a[pos]) {
    case 0x00: case 0x01: arity = 0; next = pos + 1; break;
    case 0x0a: arity = 0; next = pos + 2; break;
    case 0x0b: arity = 0; next = pos + 3; break;
    case 0x83: arity = 1; next = pos + 1; break;  /* DerefOf */
    case 0x72: case 0x88: arity = 3; next = pos + 1; break; /* Add, Index */
    default: return 0;
    }
    return guess(a, next, end, need - 1 + arity);
}

static void test_guessing_model(void)
{
    size_t len;
    uint8_t *t = load_aml("seed000", &len);

    if (!t)
        return;
    for (size_t i = 36; i + 1 < len; i++) {
        size_t start, end;
        uint64_t ways;

        if (t[i] != 0x5b || t[i + 1] != 0x80)
            continue;
        start = i + 2 + 4 + 1; /* OpRegionOp, NameSeg, RegionSpace */
        for (end = start; end + 1 < len; end++)
            if (t[end] == 0x5b && t[end + 1] == 0x81)
                break;
        guess_states = 0;
        ways = guess(t, start, end, 2); /* RegionOffset, RegionLen */
        printf("seed000 %.4s without a namespace: %s%llu states explored, "
               "%s%llu complete parses; with it: 1 parse\n",
               (const char *)t + i + 2,
               guess_states > GUESS_CAP ? "> " : "",
               (unsigned long long)(guess_states > GUESS_CAP ? GUESS_CAP
                                                               : guess_states),
               guess_states > GUESS_CAP ? ">= " : "",
               (unsigned long long)ways);
        CHECK(guess_states > 100);
    }
    free(t);
}

/* Steps grow linearly: k copies of seed 000's body cost k times one. */
static void test_linear(void)
{
    size_t len;
    uint8_t *seed = load_aml("seed000", &len);
    uint64_t first = 0;

    if (!seed)
        return;
    for (unsigned k = 1; k <= 64; k *= 4) {
        /* rename the copies so each declares new names */
        size_t body = len - 36, n = 36 + k * body;
        uint8_t *t = malloc(n);
        struct problems pr = { 0 };
        struct acpi_env env;
        struct aml_ns ns;

        memcpy(t, seed, 36);
        for (unsigned i = 0; i < k; i++)
            memcpy(t + 36 + i * body, seed + 36, body);
        fix(t, (uint32_t)n);
        load_one(&ns, &pr, &env, t, n);
        if (k == 1)
            first = ns.stats.steps;
        printf("seed000 x%-3u %7zu bytes %8llu steps\n", k, n,
               (unsigned long long)ns.stats.steps);
        /* duplicates are not re-declared, the parse work is identical */
        CHECK(ns.stats.steps <= k * first + 64);
        free(t);
    }
    free(seed);
}

static void *ctx_map_rw(void *ctx, uint64_t phys, size_t len)
{
    return (void *)ctx_map(ctx, phys, len);
}

/* The boot-time sequence, then hiding DMAR the way the VMM will. */
static void test_probe(const struct plat_aml *pl)
{
    struct test_ctx *c = calloc(1, sizeof(*c));
    struct acpi_env env = { ctx_map, ctx_report, c };
    struct acpi_platform *pf = calloc(1, sizeof(*pf));
    struct aml_ns ns;
    uint64_t rsdp = 0;

    if (mem_load_platform(&c->mem, pl->name) != 0 || c->mem.n == 0) {
        CHECK(!"platform dump missing");
        goto out;
    }
    c->pr.verbose = 1;
    if (!strcmp(pl->name, "ovmf"))
        rsdp = pl->rsdp; /* UEFI: from the configuration table */
    CHECK_EQ(acpi_probe(pf, &env, rsdp, &ns, arena, sizeof(arena)), 0);
    CHECK_EQ(pf->tables.rsdp_phys, pl->rsdp);
    CHECK_EQ(pf->aml_status, 0);
    CHECK(pf->have_fadt && pf->have_facs && pf->have_madt && pf->have_hpet);
    CHECK_EQ(pf->facs.waking_vector, 0); /* not suspended yet */
    CHECK_EQ(pf->have_dmar, !strcmp(pl->name, "qemu-q35-vtd"));
    CHECK_EQ(pf->have_ivrs, !strcmp(pl->name, "qemu-q35-amdvi"));
    CHECK_EQ(pf->nuarts, pl->nuarts);
    /* QEMU: Name(_CRS, ResourceTemplate); Bochs: Method _CRS (0) */
    CHECK_EQ(pf->uarts[0].port, strcmp(pl->name, "bochs") ? 0x3f8 : 0);
    CHECK(pf->sleep.present[5]);
    CHECK_EQ(c->pr.n, 0);

    if (pf->have_dmar) {
        CHECK_EQ(acpi_hide_table(&env, ctx_map_rw, &pf->tables, "DMAR"), 1);
        CHECK_EQ(acpi_hide_table(&env, ctx_map_rw, &pf->tables, "DMAR"), 0);
        /* what the guest now finds */
        struct acpi_platform *g = calloc(1, sizeof(*g));
        CHECK_EQ(acpi_probe(g, &env, 0, NULL, NULL, 0), 0);
        CHECK(!g->have_dmar);
        CHECK_EQ(g->tables.count, pf->tables.count - 1);
        CHECK_EQ(g->tables.skipped, 0);
        CHECK_EQ(c->pr.n, 0);
        free(g);
    }
out:
    mem_free(&c->mem);
    free(pf);
    free(c);
}

int test_acpi_aml(void)
{
    for (unsigned i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
        test_probe(&plats[i]);
    for (unsigned i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
        test_real(&plats[i]);
    for (unsigned i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
        test_acpica_namespace(plats[i].name);
    test_acpica_namespace_asl("seed000");
    test_acpica_namespace_asl("features");
    test_acpica_namespace_asl("large");
    test_acpica_namespace_asl("grammar");
    test_grammar();
    test_seed000();
    test_features();
    test_large();
    test_linear();
    test_guessing_model();
    test_hostile();
    test_damaged_aml("qemu-i440fx");
    test_damaged_aml("qemu-q35-vtd");
    return check_done("acpi aml");
}
