/* base64url without padding (platform/b64url.h). */
#include <platform/b64url.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long b64url_decoded_len(size_t n)
{
    if (n % 4 == 1)
        return -1;
    return (long)(n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0));
}

long b64url_decode(const char *text, size_t n, u8 *out, size_t size)
{
    long want = b64url_decoded_len(n);
    u32 acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    if (want < 0 || (size_t)want > size)
        return -E_INVAL;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(text[i]);
        if (v < 0)
            return -E_INVAL;
        acc = (acc << 6) | (u32)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (u8)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc) /* the last character's unused bits must be zero */
        return -E_INVAL;
    return (long)o;
}

long b64url_encode(const u8 *in, size_t n, char *out, size_t size)
{
    size_t o = 0;
    u32 acc = 0;
    unsigned bits = 0;

    if (size < (n * 4 + 2) / 3 + 1)
        return -E_RANGE;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = 0;
    return (long)o;
}
