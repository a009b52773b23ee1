/* vmm.crypt= rules: parsing, matching, splitting a request (pure; see
 * storage_rules.h). */
#include <devices/storage/storage.h>
#include <devices/storage/storage_rules.h>
#include <platform/format.h>
#include <string.h>

static const char *const kind_names[STORAGE_KIND_COUNT] = {
    [STORAGE_ATA] = "ata", [STORAGE_AHCI] = "ahci", [STORAGE_NVME] = "nvme",
};

const char *storage_kind_name(enum storage_kind k)
{
    return (unsigned)k < STORAGE_KIND_COUNT ? kind_names[k] : "?";
}

static bool word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

static size_t find(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return i;
    return len;
}

/* Decimal, 1 to 20 digits, no overflow. */
static bool parse_dec(const char *s, size_t len, u64 *out)
{
    u64 v = 0;

    if (!len || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        u64 d = (u64)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int parse_dev(const char *s, size_t len, struct storage_rule *r,
                     char *why, size_t why_size)
{
    size_t at = find(s, len, '@');
    size_t dot = find(s, at, '.');
    u64 unit;

    r->kind = -2;
    if (word_is(s, dot, "any"))
        r->kind = -1;
    for (int k = 0; k < STORAGE_KIND_COUNT; k++)
        if (word_is(s, dot, kind_names[k]))
            r->kind = k;
    if (r->kind == -2) {
        ksnprintf(why, why_size, "device '%.*s' is none of any, ata, ahci, nvme",
                  (int)dot, s);
        return -E_INVAL;
    }
    if (dot < at) {
        if (!parse_dec(s + dot + 1, at - dot - 1, &unit) || unit > 0xffffffffu) {
            ksnprintf(why, why_size, "unit '%.*s' is not a decimal number",
                      (int)(at - dot - 1), s + dot + 1);
            return -E_INVAL;
        }
        r->has_unit = true;
        r->unit = (u32)unit;
    }
    if (at < len) {
        struct pci_sel sel;
        char swhy[96];

        if (pci_sel_parse(s + at + 1, len - at - 1, &sel, swhy, sizeof(swhy)) < 0 ||
            sel.kind != PCI_SEL_SLOT) {
            ksnprintf(why, why_size, "controller '%.*s' is not a PCI slot BB:DD.F",
                      (int)(len - at - 1), s + at + 1);
            return -E_INVAL;
        }
        r->has_slot = true;
        r->bus = sel.bus;
        r->dev = sel.dev;
        r->fn = sel.fn;
    }
    return 0;
}

static int parse_range(const char *s, size_t len, struct storage_rule *r,
                       char *why, size_t why_size)
{
    size_t dash = find(s, len, '-');

    if (word_is(s, len, "all")) {
        r->first = 0;
        r->last = STORAGE_LBA_END;
        return 0;
    }
    if (dash == len || !parse_dec(s, dash, &r->first))
        goto bad;
    if (word_is(s + dash + 1, len - dash - 1, "end"))
        r->last = STORAGE_LBA_END;
    else if (!parse_dec(s + dash + 1, len - dash - 1, &r->last))
        goto bad;
    if (r->last < r->first) {
        ksnprintf(why, why_size, "range '%.*s' ends before it starts", (int)len, s);
        return -E_INVAL;
    }
    return 0;
bad:
    ksnprintf(why, why_size, "range '%.*s' is not all, FIRST-LAST or FIRST-end",
              (int)len, s);
    return -E_INVAL;
}

static int parse_key(const char *s, size_t len, struct storage_rule *r,
                     char *why, size_t why_size)
{
    u64 k;

    if (len < 2 || s[0] != 'k' || !parse_dec(s + 1, len - 1, &k) ||
        k >= STORAGE_MAX_KEYS) {
        ksnprintf(why, why_size, "key '%.*s' is not k0 .. k%d", (int)len, s,
                  STORAGE_MAX_KEYS - 1);
        return -E_INVAL;
    }
    r->key = (u8)k;
    return 0;
}

static int parse_rule(const char *s, size_t len, struct storage_rule *r,
                      char *why, size_t why_size)
{
    size_t a = find(s, len, '/');
    size_t b = a < len ? a + 1 + find(s + a + 1, len - a - 1, '/') : len;
    int rc;

    memset(r, 0, sizeof(*r));
    if (a == len || b == len || find(s + b + 1, len - b - 1, '/') != len - b - 1) {
        ksnprintf(why, why_size, "not DEVICE/RANGE/KEY");
        return -E_INVAL;
    }
    rc = parse_dev(s, a, r, why, why_size);
    if (!rc)
        rc = parse_range(s + a + 1, b - a - 1, r, why, why_size);
    if (!rc)
        rc = parse_key(s + b + 1, len - b - 1, r, why, why_size);
    return rc;
}

int storage_rules_parse(const char *s, struct storage_rule *out, unsigned max,
                        char *why, size_t why_size)
{
    size_t len = strlen(s);
    unsigned n = 0;

    for (size_t pos = 0; pos < len;) {
        size_t end = pos + find(s + pos, len - pos, ',');
        char inner[128];

        if (end == pos) {
            ksnprintf(why, why_size, "empty rule at offset %u", (unsigned)pos);
            return -E_INVAL;
        }
        if (n == max) {
            ksnprintf(why, why_size, "more than %u rules", max);
            return -E_RANGE;
        }
        if (parse_rule(s + pos, end - pos, &out[n], inner, sizeof(inner)) < 0) {
            ksnprintf(why, why_size, "rule '%.*s': %s", (int)(end - pos), s + pos,
                      inner);
            return -E_INVAL;
        }
        n++;
        pos = end + 1;
        if (end + 1 == len) {
            ksnprintf(why, why_size, "empty rule after the last ','");
            return -E_INVAL;
        }
    }
    return (int)n;
}

bool storage_rule_applies(const struct storage_rule *r, int kind, u32 unit,
                          const struct pci_ident *slot)
{
    if (r->kind >= 0 && r->kind != kind)
        return false;
    if (r->has_unit && r->unit != unit)
        return false;
    if (r->has_slot && (!slot || slot->bus != r->bus || slot->dev != r->dev ||
                        slot->fn != r->fn))
        return false;
    return true;
}

static bool covers(const struct storage_rule *r, u64 lba)
{
    return lba >= r->first && lba <= r->last;
}

int storage_rules_run(const struct storage_rule *const *rules, unsigned nrules,
                      u64 lba, u64 n, u64 *run)
{
    int which = -1;
    u64 limit = n; /* sectors from lba on until the answer may change */

    for (unsigned i = 0; i < nrules; i++) {
        const struct storage_rule *r = rules[i];
        if (which < 0 && covers(r, lba)) {
            which = (int)i;
            if (r->last - lba < limit)
                limit = r->last - lba + 1;
        } else if (r->first > lba && r->first - lba < limit) {
            /* An earlier-listed or later rule starts inside the run: only
             * earlier ones change the answer, but cutting at every start
             * keeps this simple and the runs still exact. */
            limit = r->first - lba;
        }
    }
    *run = limit;
    return which;
}

void storage_rule_format(const struct storage_rule *r, char *buf, size_t size)
{
    char unit[16] = "", slot[16] = "", range[48];

    if (r->has_unit)
        ksnprintf(unit, sizeof(unit), ".%u", r->unit);
    if (r->has_slot)
        ksnprintf(slot, sizeof(slot), "@%02x:%02x.%x", r->bus, r->dev, r->fn);
    if (r->first == 0 && r->last == STORAGE_LBA_END)
        ksnprintf(range, sizeof(range), "all");
    else if (r->last == STORAGE_LBA_END)
        ksnprintf(range, sizeof(range), "%llu-end", (unsigned long long)r->first);
    else
        ksnprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)r->first,
                  (unsigned long long)r->last);
    ksnprintf(buf, size, "%s%s%s/%s/k%u", r->kind < 0 ? "any" : kind_names[r->kind],
              unit, slot, range, r->key);
}

int storage_kcv_parse(const char *s, size_t len, u8 out[8])
{
    if (len != 16)
        return -E_INVAL;
    for (size_t i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -E_INVAL;
        if (i % 2 == 0)
            out[i / 2] = (u8)(d << 4);
        else
            out[i / 2] |= (u8)d;
    }
    return 0;
}
