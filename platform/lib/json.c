/* The strict JSON parser (platform/json.h). */
#include <platform/format.h>
#include <platform/json.h>
#include <string.h>

struct json_parser {
    const char *s;
    size_t len, pos;
    struct json_tok *toks;
    unsigned ntoks, max;
    char *why;
    size_t whylen;
};

static int fail(struct json_parser *p, const char *what)
{
    ksnprintf(p->why, p->whylen, "%s at byte %llu", what,
              (unsigned long long)p->pos);
    return -E_INVAL;
}

static void skip_ws(struct json_parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int new_tok(struct json_parser *p, enum json_type type)
{
    if (p->ntoks == p->max)
        return fail(p, "more JSON values than the parser holds");
    struct json_tok *t = &p->toks[p->ntoks];
    memset(t, 0, sizeof(*t));
    t->type = (u8)type;
    t->start = (u32)p->pos;
    return (int)p->ntoks++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static int parse_string(struct json_parser *p)
{
    int t = new_tok(p, JSON_STRING);

    if (t < 0)
        return t;
    p->pos++; /* the opening quote */
    p->toks[t].start = (u32)p->pos;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, "control character in a string");
        if (c >= 0x80)
            return fail(p, "non-ASCII byte in a string");
        if (c == '\\') {
            p->toks[t].has_escape = 1;
            if (p->pos + 1 >= p->len)
                return fail(p, "unterminated escape");
            char e = p->s[p->pos + 1];
            if (e == 'u') {
                if (p->pos + 6 > p->len || !is_hex(p->s[p->pos + 2]) ||
                    !is_hex(p->s[p->pos + 3]) || !is_hex(p->s[p->pos + 4]) ||
                    !is_hex(p->s[p->pos + 5]))
                    return fail(p, "\\u not followed by four hex digits");
                p->pos += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || !e)
                return fail(p, "unknown escape in a string");
            p->pos += 2;
            continue;
        }
        p->pos++;
    }
    p->toks[t].len = (u32)(p->pos - p->toks[t].start);
    p->pos++;
    p->toks[t].next = p->ntoks;
    return t;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_number(struct json_parser *p)
{
    int t = new_tok(p, JSON_NUMBER);
    size_t q = p->pos;

    if (t < 0)
        return t;
    if (q < p->len && p->s[q] == '-')
        q++;
    if (q < p->len && p->s[q] == '0') {
        q++;
    } else if (q < p->len && is_digit(p->s[q])) {
        while (q < p->len && is_digit(p->s[q]))
            q++;
    } else {
        p->pos = q;
        return fail(p, "malformed number");
    }
    if (q < p->len && p->s[q] == '.') {
        q++;
        if (q >= p->len || !is_digit(p->s[q])) {
            p->pos = q;
            return fail(p, "no digit after a decimal point");
        }
        while (q < p->len && is_digit(p->s[q]))
            q++;
    }
    if (q < p->len && (p->s[q] == 'e' || p->s[q] == 'E')) {
        q++;
        if (q < p->len && (p->s[q] == '+' || p->s[q] == '-'))
            q++;
        if (q >= p->len || !is_digit(p->s[q])) {
            p->pos = q;
            return fail(p, "no digit in an exponent");
        }
        while (q < p->len && is_digit(p->s[q]))
            q++;
    }
    p->toks[t].len = (u32)(q - p->pos);
    p->pos = q;
    p->toks[t].next = p->ntoks;
    return t;
}

static int parse_word(struct json_parser *p, const char *w, enum json_type type)
{
    size_t n = strlen(w);
    int t;

    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
        return fail(p, "unexpected character");
    t = new_tok(p, type);
    if (t < 0)
        return t;
    p->toks[t].len = (u32)n;
    p->pos += n;
    p->toks[t].next = p->ntoks;
    return t;
}

static int parse_value(struct json_parser *p, unsigned depth);

static bool same_key(const struct json_parser *p, int a, int b)
{
    const struct json_tok *x = &p->toks[a], *y = &p->toks[b];

    return x->len == y->len && memcmp(p->s + x->start, p->s + y->start, x->len) == 0;
}

static int parse_object(struct json_parser *p, unsigned depth)
{
    int t = new_tok(p, JSON_OBJECT);

    if (t < 0)
        return t;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        p->toks[t].next = p->ntoks;
        return t;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return fail(p, "object member name is not a string");
        int k = parse_string(p);
        if (k < 0)
            return k;
        /* duplicate names: a second "alg" must not hide the first */
        for (int m = t + 1; m < k; m = (int)p->toks[m + 1].next)
            if (same_key(p, m, k))
                return fail(p, "duplicate member name");
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return fail(p, "no ':' after a member name");
        p->pos++;
        int v = parse_value(p, depth + 1);
        if (v < 0)
            return v;
        p->toks[k].next = (u32)v;
        p->toks[t].size++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            break;
        }
        return fail(p, "no ',' or '}' after an object member");
    }
    p->toks[t].next = p->ntoks;
    return t;
}

static int parse_array(struct json_parser *p, unsigned depth)
{
    int t = new_tok(p, JSON_ARRAY);

    if (t < 0)
        return t;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        p->toks[t].next = p->ntoks;
        return t;
    }
    for (;;) {
        int v = parse_value(p, depth + 1);
        if (v < 0)
            return v;
        p->toks[t].size++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            break;
        }
        return fail(p, "no ',' or ']' after an array element");
    }
    p->toks[t].next = p->ntoks;
    return t;
}

static int parse_value(struct json_parser *p, unsigned depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(p, "nested too deeply");
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, "value expected, end of text found");
    switch (p->s[p->pos]) {
    case '{': return parse_object(p, depth);
    case '[': return parse_array(p, depth);
    case '"': return parse_string(p);
    case 't': return parse_word(p, "true", JSON_TRUE);
    case 'f': return parse_word(p, "false", JSON_FALSE);
    case 'n': return parse_word(p, "null", JSON_NULL);
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            return parse_number(p);
        return fail(p, "unexpected character");
    }
}

int json_parse(const char *text, size_t len, struct json_tok *toks,
               unsigned max_toks, struct json_doc *doc, char *why, size_t whylen)
{
    struct json_parser p = { .s = text, .len = len, .toks = toks,
                             .max = max_toks, .why = why, .whylen = whylen };
    int r;

    if (len > 0xffffffffu) {
        ksnprintf(why, whylen, "JSON text of %llu bytes is too long",
                  (unsigned long long)len);
        return -E_INVAL;
    }
    r = parse_value(&p, 0);
    if (r < 0)
        return r;
    skip_ws(&p);
    if (p.pos != len)
        return fail(&p, "text after the JSON value");
    doc->text = text;
    doc->toks = toks;
    doc->ntoks = p.ntoks;
    return 0;
}

int json_member(const struct json_doc *doc, int obj, const char *name)
{
    size_t n = strlen(name);

    if (obj < 0 || (unsigned)obj >= doc->ntoks || doc->toks[obj].type != JSON_OBJECT)
        return -1;
    for (unsigned i = (unsigned)obj + 1; i < doc->toks[obj].next;) {
        const struct json_tok *k = &doc->toks[i];
        unsigned v = k->next;
        if (!k->has_escape && k->len == n &&
            memcmp(doc->text + k->start, name, n) == 0)
            return (int)v;
        i = doc->toks[v].next;
    }
    return -1;
}

int json_element(const struct json_doc *doc, int arr, unsigned idx)
{
    if (arr < 0 || (unsigned)arr >= doc->ntoks || doc->toks[arr].type != JSON_ARRAY ||
        idx >= doc->toks[arr].size)
        return -1;
    unsigned i = (unsigned)arr + 1;
    while (idx--)
        i = doc->toks[i].next;
    return (int)i;
}

bool json_string_is(const struct json_doc *doc, int t, const char *s)
{
    if (t < 0 || (unsigned)t >= doc->ntoks)
        return false;
    const struct json_tok *k = &doc->toks[t];
    return k->type == JSON_STRING && !k->has_escape && k->len == strlen(s) &&
           memcmp(doc->text + k->start, s, k->len) == 0;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int json_string_copy(const struct json_doc *doc, int t, char *out, size_t size)
{
    size_t o = 0;

    if (t < 0 || (unsigned)t >= doc->ntoks || doc->toks[t].type != JSON_STRING || !size)
        return -E_INVAL;
    const char *s = doc->text + doc->toks[t].start;
    for (size_t i = 0; i < doc->toks[t].len; i++) {
        char c = s[i];
        if (c == '\\') {
            char e = s[++i];
            if (e == 'u') {
                int v = (hexval(s[i + 1]) << 12) | (hexval(s[i + 2]) << 8) |
                        (hexval(s[i + 3]) << 4) | hexval(s[i + 4]);
                if (v == 0 || v >= 0x80)
                    return -E_INVAL;
                c = (char)v;
                i += 4;
            } else {
                c = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' :
                    e == 'r' ? '\r' : e == 't' ? '\t' : e;
            }
        }
        if (o + 1 >= size)
            return -E_RANGE;
        out[o++] = c;
    }
    out[o] = 0;
    return (int)o;
}
