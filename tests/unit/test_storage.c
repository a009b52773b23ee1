/* The storage policy's pure parts: vmm.crypt= rules (accepted forms and a
 * clear refusal for each malformed one), which rules apply to a disk, and
 * how a request splits into runs that share a rule. */
#include "check.h"
#include <devices/storage/storage.h>
#include <devices/storage/storage_rules.h>
#include <devices/storage/keysrc.h>

static int parse(const char *s, struct storage_rule *r, unsigned max, char *why)
{
    return storage_rules_parse(s, r, max, why, 160);
}

static void roundtrip(const char *s)
{
    struct storage_rule r[1];
    char why[160], out[64];

    CHECK_EQ(parse(s, r, 1, why), 1);
    storage_rule_format(&r[0], out, sizeof(out));
    CHECK_STR(out, s);
}

static void test_parse(void)
{
    struct storage_rule r[STORAGE_MAX_RULES];
    char why[160];

    CHECK_EQ(parse("", r, 4, why), 0);
    CHECK_EQ(parse("any/all/k0", r, 4, why), 1);
    CHECK_EQ(r[0].kind, -1);
    CHECK_EQ(r[0].first, 0);
    CHECK_EQ(r[0].last, STORAGE_LBA_END);
    CHECK_EQ(r[0].key, 0);
    CHECK(!r[0].has_unit && !r[0].has_slot);

    CHECK_EQ(parse("ahci.2@00:1f.2/2048-end/k1,nvme/0-99/k3", r, 4, why), 2);
    CHECK_EQ(r[0].kind, STORAGE_AHCI);
    CHECK(r[0].has_unit);
    CHECK_EQ(r[0].unit, 2);
    CHECK(r[0].has_slot);
    CHECK_EQ(r[0].dev, 0x1f);
    CHECK_EQ(r[0].fn, 2);
    CHECK_EQ(r[0].first, 2048);
    CHECK_EQ(r[0].last, STORAGE_LBA_END);
    CHECK_EQ(r[0].key, 1);
    CHECK_EQ(r[1].kind, STORAGE_NVME);
    CHECK_EQ(r[1].last, 99);
    CHECK_EQ(r[1].key, 3);

    roundtrip("any/all/k0");
    roundtrip("ata.1/100-200/k2");
    roundtrip("nvme@00:04.0/5-end/k0");

    /* each refusal names what was wrong */
    CHECK(parse("scsi/all/k0", r, 4, why) < 0);
    CHECK(strstr(why, "'scsi' is none of") != NULL);
    CHECK(parse("any/all", r, 4, why) < 0);
    CHECK(strstr(why, "not DEVICE/RANGE/KEY") != NULL);
    CHECK(parse("any/all/k0/x", r, 4, why) < 0);
    CHECK(strstr(why, "not DEVICE/RANGE/KEY") != NULL);
    CHECK(parse("any/10-5/k0", r, 4, why) < 0);
    CHECK(strstr(why, "ends before it starts") != NULL);
    CHECK(parse("any/10/k0", r, 4, why) < 0);
    CHECK(strstr(why, "not all, FIRST-LAST or FIRST-end") != NULL);
    CHECK(parse("any/99999999999999999999-end/k0", r, 4, why) < 0);
    CHECK(parse("any/all/k4", r, 4, why) < 0);
    CHECK(strstr(why, "not k0 .. k3") != NULL);
    CHECK(parse("any/all/0", r, 4, why) < 0);
    CHECK(parse("ahci.x/all/k0", r, 4, why) < 0);
    CHECK(strstr(why, "unit 'x'") != NULL);
    CHECK(parse("ahci@1f.2/all/k0", r, 4, why) < 0);
    CHECK(strstr(why, "not a PCI slot") != NULL);
    CHECK(parse("any/all/k0,", r, 4, why) < 0);
    CHECK(strstr(why, "empty rule") != NULL);
    CHECK(parse(",any/all/k0", r, 4, why) < 0);
    CHECK(parse("any/all/k0,any/all/k1", r, 1, why) < 0);
    CHECK(strstr(why, "more than 1 rules") != NULL);
}

static void test_applies(void)
{
    struct storage_rule r[3];
    struct pci_ident slot = { .bus = 0, .dev = 0x1f, .fn = 2 };
    struct pci_ident other = { .bus = 0, .dev = 4, .fn = 0 };
    char why[160];

    CHECK_EQ(parse("any/all/k0,ahci.1/all/k0,nvme@00:04.0/all/k0", r, 3, why), 3);
    CHECK(storage_rule_applies(&r[0], STORAGE_ATA, 0, NULL));
    CHECK(storage_rule_applies(&r[1], STORAGE_AHCI, 1, &slot));
    CHECK(!storage_rule_applies(&r[1], STORAGE_AHCI, 0, &slot));
    CHECK(!storage_rule_applies(&r[1], STORAGE_NVME, 1, &slot));
    CHECK(storage_rule_applies(&r[2], STORAGE_NVME, 1, &other));
    CHECK(!storage_rule_applies(&r[2], STORAGE_NVME, 1, &slot));
    CHECK(!storage_rule_applies(&r[2], STORAGE_NVME, 1, NULL));
}

static void test_runs(void)
{
    struct storage_rule r[2];
    const struct storage_rule *p[2] = { &r[0], &r[1] };
    char why[160];
    u64 run;

    /* rule 0: 100-199; rule 1: 150-end */
    CHECK_EQ(parse("any/100-199/k0,any/150-end/k1", r, 2, why), 2);
    CHECK_EQ(storage_rules_run(p, 2, 0, 1000, &run), -1);
    CHECK_EQ(run, 100);
    CHECK_EQ(storage_rules_run(p, 2, 100, 1000, &run), 0);
    CHECK_EQ(run, 50); /* cut where rule 1 starts, though rule 0 still wins */
    CHECK_EQ(storage_rules_run(p, 2, 150, 1000, &run), 0);
    CHECK_EQ(run, 50);
    CHECK_EQ(storage_rules_run(p, 2, 200, 1000, &run), 1);
    CHECK_EQ(run, 1000);
    CHECK_EQ(storage_rules_run(p, 2, 90, 5, &run), -1);
    CHECK_EQ(run, 5);
    /* the last sector of the disk space */
    CHECK_EQ(storage_rules_run(p, 2, STORAGE_LBA_END, 1, &run), 1);
    CHECK_EQ(run, 1);
    /* no rules: all plain */
    CHECK_EQ(storage_rules_run(p, 0, 5, 7, &run), -1);
    CHECK_EQ(run, 7);
    /* walking a whole request visits every sector once */
    u64 lba = 50, n = 300, seen = 0;
    while (n) {
        storage_rules_run(p, 2, lba, n, &run);
        CHECK(run >= 1 && run <= n);
        seen += run;
        lba += run;
        n -= run;
    }
    CHECK_EQ(seen, 300);
}

static void test_kcv(void)
{
    u8 k[8];

    CHECK_EQ(storage_kcv_parse("0123456789abcDEF", 16, k), 0);
    CHECK_EQ(k[0], 0x01);
    CHECK_EQ(k[7], 0xef);
    CHECK(storage_kcv_parse("0123456789abcde", 15, k) < 0);
    CHECK(storage_kcv_parse("0123456789abcdeg", 16, k) < 0);
}

/* vmm.key='s ordered list */
static void test_keysrc_list(void)
{
    u8 l[KEYSRC_MAX];
    char why[160];

    CHECK_EQ(keysrc_parse_list("auto", l, why, sizeof(why)), 0);
    CHECK_EQ(keysrc_parse_list("module", l, why, sizeof(why)), 1);
    CHECK_EQ(l[0], KEYSRC_MODULE);
    CHECK_EQ(keysrc_parse_list("tang,prompt", l, why, sizeof(why)), 2);
    CHECK_EQ(l[0], KEYSRC_TANG);
    CHECK_EQ(l[1], KEYSRC_PROMPT);
    CHECK_EQ(keysrc_parse_list("tpm,tang,module,prompt", l, why, sizeof(why)), 4);
    CHECK_EQ(l[0], KEYSRC_TPM);
    CHECK_EQ(l[3], KEYSRC_PROMPT);
    CHECK_STR(keysrc_name(KEYSRC_TANG), "tang");
    static const struct { const char *s, *says; } bad[] = {
        { "", "'' is not" }, { "tang,", "'' is not" }, { ",tang", "'' is not" },
        { "tang,,prompt", "'' is not" }, { "tangg", "'tangg' is not" },
        { "auto,tang", "'auto' is not" }, { "Tang", "'Tang' is not" },
        { "tang,tang", "listed twice" }, { "prompt,tang", "must be the last" },
        { "tang, prompt", "' prompt' is not" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        CHECK(keysrc_parse_list(bad[i].s, l, why, sizeof(why)) < 0);
        CHECK(strstr(why, bad[i].says) != NULL);
    }
}

int main(void)
{
    test_keysrc_list();
    test_parse();
    test_applies();
    test_runs();
    test_kcv();
    return check_done("storage");
}
