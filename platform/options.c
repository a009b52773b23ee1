/* The option-line parser (see options.h). Pure: host-tested. */
#include <platform/format.h>
#include <platform/options.h>
#include <string.h>

#define MAX_WORD 256

static bool word_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int parse_u64(const char *s, size_t len, uint64_t *out, size_t *used)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0, start;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    start = i;
    for (; i < len; i++) {
        unsigned d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -1; /* overflow */
        v = v * base + d;
    }
    if (i == start)
        return -2; /* no digits */
    *out = v;
    *used = i;
    return 0;
}

static void fmt_size(char *buf, size_t n, uint64_t v)
{
    if (v && (v & ((1ULL << 30) - 1)) == 0)
        ksnprintf(buf, n, "%lluG", (unsigned long long)(v >> 30));
    else if (v && (v & ((1ULL << 20) - 1)) == 0)
        ksnprintf(buf, n, "%lluM", (unsigned long long)(v >> 20));
    else if (v && (v & ((1ULL << 10) - 1)) == 0)
        ksnprintf(buf, n, "%lluK", (unsigned long long)(v >> 10));
    else
        ksnprintf(buf, n, "%llu", (unsigned long long)v);
}

static int parse_number(const struct option_def *d, const char *val,
                        size_t len, char *why, size_t why_size)
{
    uint64_t v;
    size_t used;
    int shift = 0;
    char lo[24], hi[24];

    if (parse_u64(val, len, &v, &used) == -2) {
        ksnprintf(why, why_size, "'%.*s' is not a number", (int)len, val);
        return -1;
    }
    if (used == 0 || parse_u64(val, len, &v, &used) == -1) {
        ksnprintf(why, why_size, "'%.*s' is too large", (int)len, val);
        return -1;
    }
    if (d->type == OPT_SIZE && used + 1 == len) {
        switch (val[used]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: break;
        }
        if (shift)
            used++;
    }
    if (used != len) {
        ksnprintf(why, why_size, "'%.*s' is not a %s", (int)len, val,
                  d->type == OPT_SIZE ? "size (a number with an optional "
                                        "K, M or G suffix)"
                                      : "number");
        return -1;
    }
    if (shift && v > (UINT64_MAX >> shift)) {
        ksnprintf(why, why_size, "'%.*s' is too large", (int)len, val);
        return -1;
    }
    v <<= shift;
    if (v < d->min || v > d->max) {
        if (d->type == OPT_SIZE) {
            fmt_size(lo, sizeof(lo), d->min);
            fmt_size(hi, sizeof(hi), d->max);
        } else {
            ksnprintf(lo, sizeof(lo), "%llu", (unsigned long long)d->min);
            ksnprintf(hi, sizeof(hi), "%llu", (unsigned long long)d->max);
        }
        ksnprintf(why, why_size, "'%.*s' is out of range (%s to %s)",
                  (int)len, val, lo, hi);
        return -1;
    }
    *(uint64_t *)d->dst = v;
    return 0;
}

static int parse_choice(const struct option_def *d, const char *val,
                        size_t len, char *why, size_t why_size)
{
    size_t n = 0;

    for (int i = 0; d->choices[i]; i++) {
        if (word_is(val, len, d->choices[i])) {
            *(int *)d->dst = i;
            return 0;
        }
    }
    n = (size_t)ksnprintf(why, why_size, "'%.*s' is not one of:", (int)len,
                          val);
    for (int i = 0; d->choices[i] && n < why_size; i++)
        n += (size_t)ksnprintf(why + n, why_size - n, " %s", d->choices[i]);
    return -1;
}

int option_parse_value(const struct option_def *d, const char *val,
                       size_t len, char *why, size_t why_size)
{
    switch (d->type) {
    case OPT_BOOL:
        if (word_is(val, len, "1") || word_is(val, len, "yes") ||
            word_is(val, len, "on") || word_is(val, len, "true")) {
            *(bool *)d->dst = true;
            return 0;
        }
        if (word_is(val, len, "0") || word_is(val, len, "no") ||
            word_is(val, len, "off") || word_is(val, len, "false")) {
            *(bool *)d->dst = false;
            return 0;
        }
        ksnprintf(why, why_size,
                  "'%.*s' is not a boolean (1/0, yes/no, on/off, true/false)",
                  (int)len, val);
        return -1;
    case OPT_UINT:
    case OPT_SIZE:
        return parse_number(d, val, len, why, why_size);
    case OPT_CHOICE:
        return parse_choice(d, val, len, why, why_size);
    case OPT_STRING:
        if (len + 1 > d->max) {
            ksnprintf(why, why_size, "value is %zu bytes, at most %llu allowed",
                      len, (unsigned long long)(d->max - 1));
            return -1;
        }
        memcpy(d->dst, val, len);
        ((char *)d->dst)[len] = '\0';
        return 0;
    }
    ksnprintf(why, why_size, "option has an unknown type");
    return -1;
}

static const struct option_def *find_def(const struct option_def *defs,
                                         size_t n, const char *key,
                                         size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (word_is(key, len, defs[i].key))
            return &defs[i];
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool names_password(const char *w, size_t len)
{
    static const char key[] = "password";

    for (size_t i = 0; i + sizeof(key) - 1 <= len; i++)
        if (!memcmp(w + i, key, sizeof(key) - 1))
            return true;
    return false;
}

static void refuse(option_error_fn err, void *ctx, const char *word,
                   size_t wlen, const char *why)
{
    char msg[384];
    const char *eq = memchr(word, '=', wlen);

    if (eq && names_password(word, (size_t)(eq - word)))
        wlen = (size_t)(eq + 1 - word); /* the key only: never the secret */
    ksnprintf(msg, sizeof(msg), "option '%.*s' refused: %s",
              (int)(wlen > 80 ? 80 : wlen), word, why);
    if (err)
        err(ctx, msg);
}

void options_redact(const char *line, char *out, size_t size)
{
    size_t o = 0;
    const char *p = line ? line : "";

    if (!size)
        return;
    while (*p && o + 1 < size) {
        if (is_space(*p)) {
            out[o++] = *p++;
            continue;
        }
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        const char *eq = memchr(w, '=', (size_t)(p - w));
        size_t keep = eq && names_password(w, (size_t)(eq - w)) ? (size_t)(eq + 1 - w)
                                                                : (size_t)(p - w);
        for (size_t i = 0; i < keep && o + 1 < size; i++)
            out[o++] = w[i];
        if (keep != (size_t)(p - w))
            for (const char *h = "(hidden)"; *h && o + 1 < size; h++)
                out[o++] = *h;
    }
    out[o] = 0;
}

int options_parse(const char *line, const struct option_def *defs, size_t n,
                  option_error_fn err, void *ctx)
{
    bool seen[128] = { false };
    int refused = 0;
    bool first = true;
    const char *p = line ? line : "";

    while (*p) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        size_t wlen = (size_t)(p - w);
        const char *eq = memchr(w, '=', wlen);
        char why[256];

        if (first && !eq && w[0] == '/') {
            first = false; /* the image path */
            continue;
        }
        first = false;
        if (wlen > MAX_WORD) {
            refuse(err, ctx, w, wlen, "word longer than 256 characters");
            refused++;
            continue;
        }
        if (!eq) {
            refuse(err, ctx, w, wlen, "not of the form key=value");
            refused++;
            continue;
        }
        size_t klen = (size_t)(eq - w);
        const struct option_def *d = find_def(defs, n, w, klen);
        if (!d) {
            ksnprintf(why, sizeof(why), "unknown option '%.*s'", (int)klen, w);
            refuse(err, ctx, w, wlen, why);
            refused++;
            continue;
        }
        size_t idx = (size_t)(d - defs);
        if (idx < sizeof(seen) && seen[idx]) {
            refuse(err, ctx, w, wlen, "given more than once");
            refused++;
            continue;
        }
        if (eq + 1 == p) {
            refuse(err, ctx, w, wlen, "empty value");
            refused++;
            continue;
        }
        if (option_parse_value(d, eq + 1, (size_t)(p - eq - 1), why,
                               sizeof(why)) < 0) {
            refuse(err, ctx, w, wlen, why);
            refused++;
            continue;
        }
        if (idx < sizeof(seen))
            seen[idx] = true;
        if (d->seen)
            *d->seen = true;
    }
    return refused;
}
