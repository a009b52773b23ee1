/* PCI mediation's pure parts: the guest's 0xcf8 latch decoded as the
 * hardware does, selectors and mediator matches, and vmm.pci= (accepted
 * forms and a clear refusal for each malformed one). */
#include "check.h"
#include <devices/pci/pci.h>

static void test_latch(void)
{
    struct pci_addr a;
    u32 l = pci_cf8_value(0x00, 0x1f, 2, 0x40);

    CHECK_EQ(l, 0x8000fa40);
    CHECK(pci_latch_decode(l, 0xcfc, 4, &a));
    CHECK_EQ(a.bus, 0);
    CHECK_EQ(a.dev, 0x1f);
    CHECK_EQ(a.fn, 2);
    CHECK_EQ(a.offset, 0x40);
    /* byte and word lanes of the dword */
    CHECK(pci_latch_decode(l, 0xcfe, 2, &a));
    CHECK_EQ(a.offset, 0x42);
    CHECK(pci_latch_decode(l, 0xcff, 1, &a));
    CHECK_EQ(a.offset, 0x43);
    /* crossing the dword: no config cycle */
    CHECK(!pci_latch_decode(l, 0xcfd, 4, &a));
    CHECK(!pci_latch_decode(l, 0xcff, 2, &a));
    /* enable bit clear */
    CHECK(!pci_latch_decode(l & ~PCI_CF8_ENABLE, 0xcfc, 4, &a));
    /* the low two bits of the latch do not move the offset */
    CHECK(pci_latch_decode(l | 3, 0xcfc, 1, &a));
    CHECK_EQ(a.offset, 0x40);
    /* reserved bits 30:28 ignored; bus 0xff */
    CHECK(pci_latch_decode(0x70000000u | pci_cf8_value(0xff, 0, 7, 0xfc), 0xcfd, 1, &a));
    CHECK_EQ(a.bus, 0xff);
    CHECK_EQ(a.fn, 7);
    CHECK_EQ(a.offset, 0xfd);
    /* AMD's extended bits 27:24 are offset bits 11:8, both ways */
    CHECK_EQ(pci_cf8_value(1, 2, 3, 0x345), 0x83011344);
    CHECK(pci_latch_decode(pci_cf8_value(1, 2, 3, 0xf44), 0xcfe, 2, &a));
    CHECK_EQ(a.offset, 0xf46);
    CHECK_EQ(pci_cf8_value(a.bus, a.dev, a.fn, a.offset), pci_cf8_value(1, 2, 3, 0xf44));
    /* not a data port, a bad size */
    CHECK(!pci_latch_decode(l, 0xcf8, 4, &a));
    CHECK(!pci_latch_decode(l, 0xcfc, 3, &a));
    /* only a dword at 0xcf8 is the latch; 0xcf9 bytes are reset control */
    CHECK(pci_is_latch_access(0xcf8, 4));
    CHECK(!pci_is_latch_access(0xcf9, 1));
    CHECK(!pci_is_latch_access(0xcf8, 1));
    CHECK(!pci_is_latch_access(0xcf8, 2));
}

static void test_ecam(void)
{
    struct pci_addr a;

    CHECK(pci_ecam_decode(0x0fa104, 4, &a)); /* 00:1f.2 offset 0x104 */
    CHECK_EQ(a.bus, 0);
    CHECK_EQ(a.dev, 0x1f);
    CHECK_EQ(a.fn, 2);
    CHECK_EQ(a.offset, 0x104);
    CHECK(pci_ecam_decode(0x0ffffffeULL, 2, &a));
    CHECK_EQ(a.bus, 0xff);
    CHECK_EQ(a.dev, 0x1f);
    CHECK_EQ(a.fn, 7);
    CHECK_EQ(a.offset, 0xffe);
    CHECK(!pci_ecam_decode(0x10000000ULL, 1, &a));  /* past bus 255 */
    CHECK(!pci_ecam_decode(0x102, 4, &a));          /* misaligned */
    CHECK(!pci_ecam_decode(0x101, 2, &a));
    CHECK(!pci_ecam_decode(0x100, 8, &a));          /* 8-byte: not decoded */
}

static const struct pci_ident ahci = { 0, 0x1f, 2, 0x8086, 0x2922, 0x010601 };
static const struct pci_ident e1000 = { 0, 0x02, 0, 0x8086, 0x100e, 0x020000 };
static const struct pci_ident nvme = { 1, 0x00, 0, 0x1b36, 0x0010, 0x010802 };

static int sel(const char *s, struct pci_sel *out, char *why)
{
    return pci_sel_parse(s, strlen(s), out, why, 160);
}

static void test_selectors(void)
{
    struct pci_sel s;
    char why[160], buf[32];

    CHECK_EQ(sel("00:1f.2", &s, why), 0);
    CHECK_EQ(s.kind, PCI_SEL_SLOT);
    CHECK(pci_sel_match(&s, &ahci));
    CHECK(!pci_sel_match(&s, &e1000));
    pci_sel_format(&s, buf, sizeof(buf));
    CHECK_STR(buf, "00:1f.2");

    CHECK_EQ(sel("8086:100E", &s, why), 0);
    CHECK(pci_sel_match(&s, &e1000));
    CHECK(!pci_sel_match(&s, &ahci));
    pci_sel_format(&s, buf, sizeof(buf));
    CHECK_STR(buf, "8086:100e");

    CHECK_EQ(sel("8086:*", &s, why), 0);
    CHECK(pci_sel_match(&s, &e1000));
    CHECK(pci_sel_match(&s, &ahci));
    CHECK(!pci_sel_match(&s, &nvme));
    pci_sel_format(&s, buf, sizeof(buf));
    CHECK_STR(buf, "8086:*");

    CHECK_EQ(sel("class:01", &s, why), 0);
    CHECK(pci_sel_match(&s, &ahci));
    CHECK(pci_sel_match(&s, &nvme));
    CHECK(!pci_sel_match(&s, &e1000));
    pci_sel_format(&s, buf, sizeof(buf));
    CHECK_STR(buf, "class:01");
    CHECK_EQ(sel("class:0106", &s, why), 0);
    CHECK(pci_sel_match(&s, &ahci));
    CHECK(!pci_sel_match(&s, &nvme));
    CHECK_EQ(sel("class:010802", &s, why), 0);
    CHECK(pci_sel_match(&s, &nvme));
    CHECK(!pci_sel_match(&s, &ahci));
    pci_sel_format(&s, buf, sizeof(buf));
    CHECK_STR(buf, "class:010802");

    static const char *const bad[] = {
        "", "00", "0:1f.2", "00:20.0", "00:1f.8", "00:1f.", "00:1g.2",
        "808:100e", "8086:100", "8086:100e0", "8086:10g0", "ffff:0000",
        "class:", "class:1", "class:012", "class:01060100", "class:zz",
        "8086-100e",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        int r = sel(bad[i], &s, why);
        CHECK(r < 0);
        if (r >= 0)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(why[0] != '\0');
    }
    sel("00:20.0", &s, why);
    CHECK_STR(why, "'00:20.0': device is at most 1f and function at most 7");
}

static void test_mediator_match(void)
{
    struct pci_mediator storage = {
        .name = "ahci",
        .match_class = { .kind = PCI_SEL_CLASS, .class = 0x010600, .class_mask = 0xffff00 },
    };
    struct pci_mediator one = {
        .name = "one",
        .match_class = { .kind = PCI_SEL_CLASS, .class = 0x010000, .class_mask = 0xff0000 },
        .match_id = { .kind = PCI_SEL_ID, .vendor = 0x1b36, .device = PCI_ANY_ID },
    };
    struct pci_mediator all = { .name = "all" };

    CHECK(pci_mediator_matches(&storage, &ahci));
    CHECK(!pci_mediator_matches(&storage, &nvme));
    CHECK(pci_mediator_matches(&one, &nvme));   /* both must match */
    CHECK(!pci_mediator_matches(&one, &ahci));
    CHECK(!pci_mediator_matches(&all, &ahci));  /* no match at all: never */
    all.opt_in = true;                          /* unless vmm.pci= chooses */
    CHECK(pci_mediator_matches(&all, &ahci));
    storage.opt_in = true;
    CHECK(!pci_mediator_matches(&storage, &nvme));
}

static void test_rules(void)
{
    struct pci_rule r[PCI_MAX_RULES];
    char why[160];

    CHECK_EQ(pci_rules_parse("", r, PCI_MAX_RULES, why, sizeof(why)), 0);
    CHECK_EQ(pci_rules_parse("conceal=00:1f.2,conceal=8086:100e", r,
                             PCI_MAX_RULES, why, sizeof(why)), 2);
    CHECK_EQ(r[0].action, PCI_CONCEAL);
    CHECK_EQ(r[0].sel.kind, PCI_SEL_SLOT);
    CHECK_EQ(r[1].sel.kind, PCI_SEL_ID);
    CHECK_EQ(pci_rules_action(r, 2, &ahci), PCI_CONCEAL);
    CHECK_EQ(pci_rules_action(r, 2, &e1000), PCI_CONCEAL);
    CHECK_EQ(pci_rules_action(r, 2, &nvme), -1);

    /* conceal wins over pass wins over mediate, whatever the order */
    CHECK_EQ(pci_rules_parse("mediate=class:01,pass=class:0108,conceal=1b36:0010",
                             r, PCI_MAX_RULES, why, sizeof(why)), 3);
    CHECK_EQ(pci_rules_action(r, 3, &nvme), PCI_CONCEAL);
    CHECK_EQ(pci_rules_action(r, 2, &nvme), PCI_PASS);
    CHECK_EQ(pci_rules_action(r, 3, &ahci), PCI_MEDIATE);
    CHECK_EQ(pci_rules_action(r, 3, &e1000), -1);
    CHECK_EQ(pci_rules_parse("conceal=8086:*,disable=00:02.0", r, PCI_MAX_RULES,
                             why, sizeof(why)), 2);
    CHECK_EQ(pci_rules_action(r, 2, &e1000), PCI_DISABLE);
    CHECK_EQ(pci_rules_action(r, 2, &ahci), PCI_CONCEAL);

    static const struct { const char *in, *why; } bad[] = {
        { "conceal", "'conceal': expected ACTION=DEVICE (disable=, conceal=, pass= or mediate=)" },
        { "hide=00:1f.2", "'hide=00:1f.2': unknown action (disable, conceal, pass or mediate)" },
        { "conceal=00:1f.2,", "'conceal=00:1f.2,': empty item (two commas, or a comma at an end)" },
        { ",conceal=00:1f.2", "',conceal=00:1f.2': empty item (two commas, or a comma at an end)" },
        { "conceal=00:1f.2,,pass=8086:*", "'conceal=00:1f.2,,pass=8086:*': empty item (two commas, or a comma at an end)" },
        { "conceal=", "no device after the action's '='" },
        { "conceal=00:1f.2:", "'00:1f.2:': a slot is BB:DD.F (hex bus, device, function)" },
        { "pass=0106", "'0106': not a device (BB:DD.F, VVVV:DDDD, VVVV:* or class:CC[SS[PP]])" },
        { "pass=8086:10", "'8086:10': an ID is VVVV:DDDD or VVVV:* (4 hex digits each)" },
        { "conceal=00:1f.2=1", "'00:1f.2=1': a slot is BB:DD.F (hex bus, device, function)" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CHECK(pci_rules_parse(bad[i].in, r, PCI_MAX_RULES, why, sizeof(why)) < 0);
        CHECK_STR(why, bad[i].why);
    }
    CHECK(pci_rules_parse("pass=00:00.0,pass=00:00.1,pass=00:00.2", r, 2, why,
                          sizeof(why)) < 0);
    CHECK_STR(why, "more than 2 rules");
}

static void test_bars(void)
{
    struct pci_bar b;

    CHECK_EQ(pci_bar_decode(0xc061, 0, &b), 1);
    CHECK(b.io);
    CHECK_EQ(b.base, 0xc060);
    CHECK_EQ(pci_bar_decode(0xfebf1000, 0x12345678, &b), 1);
    CHECK(!b.io && !b.mem64 && !b.prefetch);
    CHECK_EQ(b.base, 0xfebf1000);
    CHECK_EQ(pci_bar_decode(0xe000000c, 0x00000080, &b), 2);
    CHECK(b.mem64 && b.prefetch);
    CHECK_EQ(b.base, 0x80e0000000ULL);
    CHECK_EQ(pci_bar_decode(0x00000002, 0, &b), 0); /* below 1 MiB: reserved */
    CHECK_EQ(pci_bar_decode(0x00000006, 0, &b), 0);
}

/* A fake config space for the capability walk. */
static u8 space[256];
static unsigned reads;
static u8 rd(void *ctx, u16 off)
{
    reads++;
    return off < 256 ? space[off] : 0xff;
}

static void test_caps(void)
{
    memset(space, 0, sizeof(space));
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_MSI), 0); /* no list */
    space[0x06] = 0x10;
    space[0x34] = 0x83; /* low bits ignored */
    space[0x80] = PCI_CAP_ID_PM;   space[0x81] = 0x90;
    space[0x90] = PCI_CAP_ID_MSI;  space[0x91] = 0xa0;
    space[0xa0] = PCI_CAP_ID_MSIX; space[0xa1] = 0x00;
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_PM), 0x80);
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_MSI), 0x90);
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_MSIX), 0xa0);
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_EXP), 0);
    /* a loop ends the walk */
    space[0xa1] = 0x80;
    reads = 0;
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_EXP), 0);
    CHECK(reads < 200);
    /* a pointer into the header ends it */
    space[0x91] = 0x10;
    CHECK_EQ(pci_cap_find(rd, NULL, PCI_CAP_ID_MSIX), 0);
}

int main(void)
{
    test_latch();
    test_ecam();
    test_selectors();
    test_mediator_match();
    test_rules();
    test_bars();
    test_caps();
    return check_done("pci");
}
