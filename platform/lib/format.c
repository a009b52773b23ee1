/* printf-style formatting (see format.h). Pure: host-tested too. */
#include <platform/format.h>
#include <stdbool.h>
#include <stdint.h>

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width, prec; /* prec < 0: none */
};

static void emit_number(struct out *o, const struct spec *sp,
                        unsigned long long v, bool neg, unsigned base,
                        bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    if (n == 0 && sp->prec != 0)
        tmp[n++] = '0';

    const char *prefix = "";
    if (neg)
        prefix = "-";
    else if (sp->plus && base == 10)
        prefix = "+";
    else if (sp->space && base == 10)
        prefix = " ";
    else if (sp->alt && base == 16 && n && !(n == 1 && tmp[0] == '0'))
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && tmp[n - 1] != '0')
        prefix = "0";

    int plen = 0;
    while (prefix[plen])
        plen++;
    int zeros = sp->prec > n ? sp->prec - n : 0;
    int total = plen + zeros + n;
    int fill = sp->width > total ? sp->width - total : 0;

    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += fill;
        fill = 0;
    }
    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (sp->left)
        pad(o, ' ', fill);
}

static void emit_string(struct out *o, const struct spec *sp, const char *s)
{
    int n = 0;

    if (!s)
        s = "(null)";
    while (s[n] && (sp->prec < 0 || n < sp->prec))
        n++;
    int fill = sp->width > n ? sp->width - n : 0;
    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static unsigned long long fetch_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_LONG: return va_arg(*ap, unsigned long);
    case LEN_LLONG: return va_arg(*ap, unsigned long long);
    case LEN_SIZE: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static long long fetch_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (signed char)va_arg(*ap, int);
    case LEN_SHORT: return (short)va_arg(*ap, int);
    case LEN_LONG: return va_arg(*ap, long);
    case LEN_LLONG: return va_arg(*ap, long long);
    case LEN_SIZE: return (long long)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                sp->prec = sp->prec * 10 + (*f++ - '0');
        }
    }
    return f;
}

static const char *parse_length(const char *f, enum length *len)
{
    *len = LEN_INT;
    if (f[0] == 'h' && f[1] == 'h') { *len = LEN_CHAR; return f + 2; }
    if (f[0] == 'h') { *len = LEN_SHORT; return f + 1; }
    if (f[0] == 'l' && f[1] == 'l') { *len = LEN_LLONG; return f + 2; }
    if (f[0] == 'l' || f[0] == 'j') { *len = LEN_LONG; return f + 1; }
    if (f[0] == 'z' || f[0] == 't') { *len = LEN_SIZE; return f + 1; }
    return f;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    struct spec sp;
    enum length len;
    va_list ap;

    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        f = parse_spec(f + 1, &sp, &ap);
        f = parse_length(f, &len);
        switch (*f) {
        case 'd':
        case 'i': {
            long long v = fetch_signed(&ap, len);
            unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v
                                           : (unsigned long long)v;
            emit_number(&o, &sp, mag, v < 0, 10, false);
            break;
        }
        case 'u': emit_number(&o, &sp, fetch_unsigned(&ap, len), false, 10, false); break;
        case 'x': emit_number(&o, &sp, fetch_unsigned(&ap, len), false, 16, false); break;
        case 'X': emit_number(&o, &sp, fetch_unsigned(&ap, len), false, 16, true); break;
        case 'o': emit_number(&o, &sp, fetch_unsigned(&ap, len), false, 8, false); break;
        case 'p':
            sp.alt = true;
            emit_number(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        case 's': emit_string(&o, &sp, va_arg(ap, const char *)); break;
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            sp.prec = 1;
            if (c[0] == 0) { /* %c with NUL still counts one character */
                put(&o, 0);
                break;
            }
            emit_string(&o, &sp, c);
            break;
        }
        case '%': put(&o, '%'); break;
        case '\0': f--; break; /* a lone '%' at the end */
        default:                /* unknown conversion: show it as written */
            put(&o, '%');
            put(&o, *f);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
