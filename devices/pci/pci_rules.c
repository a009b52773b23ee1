/* PCI latch decoding, selectors and the vmm.pci= option (pure; see
 * pci_rules.h). */
#include <devices/pci/pci.h>
#include <platform/format.h>
#include <string.h>

bool pci_latch_decode(u32 latch, u16 port, u8 size, struct pci_addr *out)
{
    unsigned byte = port - PCI_CONFIG_DATA;

    if (!(latch & PCI_CF8_ENABLE) || port < PCI_CONFIG_DATA || byte > 3)
        return false;
    if ((size != 1 && size != 2 && size != 4) || byte + size > 4)
        return false;
    out->bus = (u8)(latch >> 16);
    out->dev = (latch >> 11) & 0x1f;
    out->fn = (latch >> 8) & 7;
    out->offset = (u16)(((latch >> 16) & 0xf00) | ((latch & 0xfc) + byte));
    return true;
}

bool pci_ecam_decode(u64 off, u8 size, struct pci_addr *out)
{
    if ((size != 1 && size != 2 && size != 4) || (off & (size - 1)) ||
        off >= (256ULL << 20))
        return false;
    out->bus = (u8)(off >> 20);
    out->dev = (off >> 15) & 0x1f;
    out->fn = (off >> 12) & 7;
    out->offset = off & 0xfff;
    return true;
}

bool pci_sel_match(const struct pci_sel *s, const struct pci_ident *id)
{
    switch (s->kind) {
    case PCI_SEL_ANY:
        return true;
    case PCI_SEL_SLOT:
        return s->bus == id->bus && s->dev == id->dev && s->fn == id->fn;
    case PCI_SEL_ID:
        return s->vendor == id->vendor &&
               (s->device == PCI_ANY_ID || s->device == id->device);
    case PCI_SEL_CLASS:
        return (id->class & s->class_mask) == s->class;
    }
    return false;
}

/* s[0..len) as hex, 1 to 8 digits and nothing else. */
static bool parse_hex(const char *s, size_t len, u32 *out)
{
    u32 v = 0;

    if (!len || len > 8)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static size_t find(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return i;
    return len;
}

static int sel_err(char *why, size_t why_size, const char *s, size_t len,
                   const char *what)
{
    ksnprintf(why, why_size, "'%.*s': %s", (int)len, s, what);
    return -E_INVAL;
}

static int parse_class(const char *s, size_t len, struct pci_sel *out,
                       char *why, size_t why_size)
{
    const char *h = s + 6;
    size_t n = len - 6;
    u32 v;

    if ((n != 2 && n != 4 && n != 6) || !parse_hex(h, n, &v))
        return sel_err(why, why_size, s, len,
                       "a class is 2, 4 or 6 hex digits (class:CC[SS[PP]])");
    out->kind = PCI_SEL_CLASS;
    out->class = v << (8 * (3 - n / 2));
    out->class_mask = 0xffffffu & ~((1u << (8 * (3 - n / 2))) - 1);
    return 0;
}

int pci_sel_parse(const char *s, size_t len, struct pci_sel *out, char *why,
                  size_t why_size)
{
    size_t colon = find(s, len, ':'), dot = find(s, len, '.');
    u32 a, b, c;

    memset(out, 0, sizeof(*out));
    if (!len) {
        ksnprintf(why, why_size, "no device after the action's '='");
        return -E_INVAL;
    }
    if (len > 6 && !memcmp(s, "class:", 6))
        return parse_class(s, len, out, why, why_size);
    if (colon == len)
        return sel_err(why, why_size, s, len,
                       "not a device (BB:DD.F, VVVV:DDDD, VVVV:* or class:CC[SS[PP]])");
    if (dot < len) {
        if (colon != 2 || dot != 5 || len != 7 || !parse_hex(s, 2, &a) ||
            !parse_hex(s + 3, 2, &b) || !parse_hex(s + 6, 1, &c))
            return sel_err(why, why_size, s, len,
                           "a slot is BB:DD.F (hex bus, device, function)");
        if (b > 0x1f || c > 7)
            return sel_err(why, why_size, s, len,
                           "device is at most 1f and function at most 7");
        out->kind = PCI_SEL_SLOT;
        out->bus = (u8)a;
        out->dev = (u8)b;
        out->fn = (u8)c;
        return 0;
    }
    bool any = len == 6 && s[5] == '*';
    if (colon != 4 || !parse_hex(s, 4, &a) ||
        (!any && !(len == 9 && parse_hex(s + 5, 4, &b))))
        return sel_err(why, why_size, s, len,
                       "an ID is VVVV:DDDD or VVVV:* (4 hex digits each)");
    if (a == 0xffff)
        return sel_err(why, why_size, s, len, "vendor ffff is no device");
    out->kind = PCI_SEL_ID;
    out->vendor = a;
    out->device = any ? PCI_ANY_ID : b;
    return 0;
}

void pci_sel_format(const struct pci_sel *s, char *buf, size_t size)
{
    switch (s->kind) {
    case PCI_SEL_ANY:
        ksnprintf(buf, size, "*");
        break;
    case PCI_SEL_SLOT:
        ksnprintf(buf, size, "%02x:%02x.%x", s->bus, s->dev, s->fn);
        break;
    case PCI_SEL_ID:
        if (s->device == PCI_ANY_ID)
            ksnprintf(buf, size, "%04x:*", s->vendor);
        else
            ksnprintf(buf, size, "%04x:%04x", s->vendor, s->device);
        break;
    case PCI_SEL_CLASS: {
        int digits = s->class_mask == 0xff0000 ? 2 : s->class_mask == 0xffff00 ? 4 : 6;
        ksnprintf(buf, size, "class:%0*x", digits, s->class >> (4 * (6 - digits)));
        break;
    }
    }
}

static const char *const action_names[] = {
    [PCI_DISABLE] = "disable", [PCI_CONCEAL] = "conceal", [PCI_PASS] = "pass", [PCI_MEDIATE] = "mediate",
};

const char *pci_action_name(enum pci_action a)
{
    return (unsigned)a < ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

static int parse_rule(const char *s, size_t len, struct pci_rule *r, char *why,
                      size_t why_size)
{
    size_t eq = find(s, len, '=');

    if (eq == len)
        return sel_err(why, why_size, s, len,
                       "expected ACTION=DEVICE (disable=, conceal=, pass= or "
                       "mediate=)");
    for (unsigned a = 0; a < ARRAY_SIZE(action_names); a++)
        if (strlen(action_names[a]) == eq && !memcmp(s, action_names[a], eq)) {
            r->action = (enum pci_action)a;
            return pci_sel_parse(s + eq + 1, len - eq - 1, &r->sel, why, why_size);
        }
    return sel_err(why, why_size, s, len,
                   "unknown action (disable, conceal, pass or mediate)");
}

int pci_rules_parse(const char *s, struct pci_rule *rules, unsigned max,
                    char *why, size_t why_size)
{
    size_t len = strlen(s), pos = 0;
    unsigned n = 0;

    if (!len)
        return 0;
    for (;;) {
        size_t item = find(s + pos, len - pos, ',');
        if (!item)
            return sel_err(why, why_size, s, len, "empty item (two commas, or "
                           "a comma at an end)");
        if (n == max) {
            ksnprintf(why, why_size, "more than %u rules", max);
            return -E_RANGE;
        }
        int r = parse_rule(s + pos, item, &rules[n], why, why_size);
        if (r < 0)
            return r;
        n++;
        pos += item;
        if (pos == len)
            return (int)n;
        pos++; /* the comma */
        if (pos == len)
            return sel_err(why, why_size, s, len, "empty item (two commas, or "
                           "a comma at an end)");
    }
}

int pci_rules_action(const struct pci_rule *rules, unsigned n,
                     const struct pci_ident *id)
{
    static const enum pci_action order[] = { PCI_DISABLE, PCI_CONCEAL, PCI_PASS,
                                             PCI_MEDIATE };

    for (unsigned k = 0; k < ARRAY_SIZE(order); k++)
        for (unsigned i = 0; i < n; i++)
            if (rules[i].action == order[k] && pci_sel_match(&rules[i].sel, id))
                return (int)order[k];
    return -1;
}

bool pci_mediator_matches(const struct pci_mediator *m,
                          const struct pci_ident *id)
{
    /* a mediator for everything is a mistake unless vmm.pci= selects */
    if (m->match_class.kind == PCI_SEL_ANY && m->match_id.kind == PCI_SEL_ANY)
        return m->opt_in;
    return pci_sel_match(&m->match_class, id) && pci_sel_match(&m->match_id, id);
}

unsigned pci_bar_decode(u32 lo, u32 hi, struct pci_bar *out)
{
    *out = (struct pci_bar){ 0 };
    if (lo & 1) {
        out->io = true;
        out->base = lo & ~3u;
        return 1;
    }
    out->prefetch = lo & 8;
    switch ((lo >> 1) & 3) {
    case 0: /* 32-bit */
        out->base = lo & ~0xfu;
        return 1;
    case 2: /* 64-bit: the next BAR holds the high half */
        out->mem64 = true;
        out->base = (u64)hi << 32 | (lo & ~0xfu);
        return 2;
    default: /* 1: below 1 MiB (PCI 2.x, reserved since), 3: reserved */
        return 0;
    }
}

u8 pci_cap_find(pci_cfg_byte_reader rd, void *ctx, u8 cap)
{
    if (!(rd(ctx, 0x06) & 0x10)) /* status: capabilities list */
        return 0;
    u8 at = rd(ctx, 0x34) & 0xfc;
    /* at most 48 capabilities fit in 0x40-0xff */
    for (int n = 0; n < 48 && at >= 0x40; n++) {
        if (rd(ctx, at) == cap)
            return at;
        at = rd(ctx, (u16)(at + 1)) & 0xfc;
    }
    return 0;
}
