/* Clevis/Tang bindings and the McCallum-Relyea exchange (crypto/tang.h).
 * Formats as clevis 19 and tang 14 (Debian 12) write them: RFC 7516
 * compact JWE, RFC 7518 4.6 ECDH-ES with Concat KDF, RFC 7638
 * thumbprints. */
#include <bearssl.h>
#include <crypto/tang.h>
#include <crypto/wipe.h>
#include <platform/b64url.h>
#include <platform/format.h>
#include <platform/json.h>
#include <string.h>

#define CURVE BR_EC_secp521r1
#define HDR_JSON_MAX 6144
#define HDR_TOKS 256

static const br_ec_impl *const ec = &br_ec_prime_i31;

static int why_line(char *why, size_t whylen, const char *fmt, const char *arg)
{
    ksnprintf(why, whylen, fmt, arg);
    return -E_INVAL;
}

/* A P-521 point from a JWK's x and y (66 bytes each), checked to be on
 * the curve (BearSSL refuses a point off it). */
static int jwk_point(const struct json_doc *d, int jwk, uint8_t out[TANG_POINT_LEN],
                     const char *what, char *why, size_t whylen)
{
    int x = json_member(d, jwk, "x"), y = json_member(d, jwk, "y");
    static const uint8_t one = 1;
    uint8_t tmp[TANG_POINT_LEN];

    if (jwk < 0 || d->toks[jwk].type != JSON_OBJECT)
        return why_line(why, whylen, "%s is not a JSON object", what);
    if (!json_string_is(d, json_member(d, jwk, "kty"), "EC"))
        return why_line(why, whylen, "%s: kty is not \"EC\"", what);
    if (!json_string_is(d, json_member(d, jwk, "crv"), "P-521"))
        return why_line(why, whylen, "%s: crv is not \"P-521\"", what);
    out[0] = 4;
    for (int i = 0; i < 2; i++) {
        int t = i ? y : x;
        if (t < 0 || d->toks[t].type != JSON_STRING || d->toks[t].has_escape ||
            b64url_decode(d->text + d->toks[t].start, d->toks[t].len,
                          out + 1 + i * TANG_COORD_LEN, TANG_COORD_LEN) != TANG_COORD_LEN)
            return why_line(why, whylen, i ? "%s: y is not 66 bytes of base64url"
                                           : "%s: x is not 66 bytes of base64url", what);
    }
    memcpy(tmp, out, sizeof(tmp));
    if (!ec->mul(tmp, sizeof(tmp), &one, 1, CURVE))
        return why_line(why, whylen, "%s: the point is not on P-521", what);
    return 0;
}

void tang_thumbprint(const uint8_t pub[TANG_POINT_LEN], char out[44])
{
    char x[90], y[90], json[240];
    uint8_t h[32];
    br_sha256_context c;

    b64url_encode(pub + 1, TANG_COORD_LEN, x, sizeof(x));
    b64url_encode(pub + 1 + TANG_COORD_LEN, TANG_COORD_LEN, y, sizeof(y));
    int n = ksnprintf(json, sizeof(json),
                      "{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                      x, y);
    br_sha256_init(&c);
    br_sha256_update(&c, json, (size_t)n);
    br_sha256_out(&c, h);
    b64url_encode(h, sizeof(h), out, 44);
}

static bool has_op(const struct json_doc *d, int jwk, const char *op)
{
    int ops = json_member(d, jwk, "key_ops");

    for (unsigned i = 0; ops >= 0 && (int)i < (int)d->toks[ops].size; i++)
        if (json_string_is(d, json_element(d, ops, i), op))
            return true;
    return false;
}

/* The advertised key whose thumbprint is kid: it must be an exchange key. */
static int find_server_key(const struct json_doc *d, int adv, struct tang_binding *b,
                           char *why, size_t whylen)
{
    int keys = json_member(d, adv, "keys");
    char thp[44];

    if (keys < 0 || d->toks[keys].type != JSON_ARRAY)
        return why_line(why, whylen, "JWE header: clevis.tang.adv has no keys array%s", "");
    for (unsigned i = 0; i < d->toks[keys].size; i++) {
        int k = json_element(d, keys, i);
        uint8_t p[TANG_POINT_LEN];
        if (!json_string_is(d, json_member(d, k, "kty"), "EC") ||
            !json_string_is(d, json_member(d, k, "crv"), "P-521"))
            continue;
        if (jwk_point(d, k, p, "JWE header: a key of clevis.tang.adv", why, whylen) < 0)
            return -E_INVAL;
        tang_thumbprint(p, thp);
        if (strcmp(thp, b->kid) != 0)
            continue;
        if (!has_op(d, k, "deriveKey") || !json_string_is(d, json_member(d, k, "alg"), "ECMR"))
            return why_line(why, whylen, "JWE header: kid %s names an advertised "
                            "key that is not an ECMR exchange key", b->kid);
        memcpy(b->srv, p, sizeof(p));
        return 0;
    }
    return why_line(why, whylen, "JWE header: kid %s is the SHA-256 thumbprint "
                    "of no P-521 key in clevis.tang.adv", b->kid);
}

static int parse_decimal(const char **s, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    const char *p = *s;

    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p++ - '0');
        if (v > max || p - *s > 5)
            return -1;
    }
    *s = p;
    *out = v;
    return 0;
}

/* http://A.B.C.D[:PORT][/PATH]: the VMM has no DNS resolver and no TLS. */
static int parse_url(struct tang_binding *b, char *why, size_t whylen)
{
    const char *s = b->url;
    uint32_t ip = 0, v, port = 80;

    if (strncmp(s, "http://", 7) != 0)
        return why_line(why, whylen, "clevis.tang.url %s: not an http:// URL "
                        "(the VMM speaks plain HTTP to Tang)", b->url);
    s += 7;
    for (int i = 0; i < 4; i++) {
        if (parse_decimal(&s, 255, &v) < 0 || (i < 3 && *s++ != '.'))
            return why_line(why, whylen, "clevis.tang.url %s: the host is not a "
                            "dotted IPv4 address (the VMM has no DNS resolver)", b->url);
        ip = ip << 8 | v;
    }
    if (*s == ':' && (s++, parse_decimal(&s, 65535, &port) < 0 || port == 0))
        return why_line(why, whylen, "clevis.tang.url %s: bad port", b->url);
    if (*s && *s != '/')
        return why_line(why, whylen, "clevis.tang.url %s: junk after the host", b->url);
    size_t n = strlen(s);
    while (n && s[n - 1] == '/')
        n--;
    if (n >= sizeof(b->path))
        return why_line(why, whylen, "clevis.tang.url %s: path too long", b->url);
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == '?' || s[i] == '#')
            return why_line(why, whylen, "clevis.tang.url %s: the path holds a "
                            "character the VMM does not send", b->url);
    memcpy(b->path, s, n);
    b->path[n] = 0;
    b->ip = ip;
    b->port = (uint16_t)port;
    return 0;
}

static int parse_header(const char *json, size_t len, struct tang_binding *b,
                        char *why, size_t whylen)
{
    static struct json_tok toks[HDR_TOKS]; /* callers are serialised (one boot) */
    struct json_doc d;
    char jwhy[96];
    int cl, tg;

    if (json_parse(json, len, toks, HDR_TOKS, &d, jwhy, sizeof(jwhy)) < 0)
        return why_line(why, whylen, "JWE header is not valid JSON: %s", jwhy);
    if (d.toks[0].type != JSON_OBJECT)
        return why_line(why, whylen, "JWE header is not a JSON object%s", "");
    if (!json_string_is(&d, json_member(&d, 0, "alg"), "ECDH-ES"))
        return why_line(why, whylen, "JWE header: alg is not \"ECDH-ES\"%s", "");
    if (!json_string_is(&d, json_member(&d, 0, "enc"), "A256GCM"))
        return why_line(why, whylen, "JWE header: enc is not \"A256GCM\"%s", "");
    static const char *const unsupported[] = { "zip", "crit", "apu", "apv", "jku",
                                               "x5u", NULL };
    for (int i = 0; unsupported[i]; i++)
        if (json_member(&d, 0, unsupported[i]) >= 0)
            return why_line(why, whylen, "JWE header: member \"%s\" is not "
                            "supported (clevis does not write it)", unsupported[i]);
    cl = json_member(&d, 0, "clevis");
    if (!json_string_is(&d, json_member(&d, cl, "pin"), "tang"))
        return why_line(why, whylen, "JWE header: clevis.pin is not \"tang\"%s", "");
    tg = json_member(&d, cl, "tang");
    if (json_string_copy(&d, json_member(&d, tg, "url"), b->url, sizeof(b->url)) <= 0)
        return why_line(why, whylen, "JWE header: clevis.tang.url is missing, "
                        "not a string or longer than 127 characters%s", "");
    if (parse_url(b, why, whylen) < 0)
        return -E_INVAL;
    int kid = json_member(&d, 0, "kid");
    if (kid < 0 || d.toks[kid].type != JSON_STRING || d.toks[kid].has_escape ||
        d.toks[kid].len != 43 ||
        json_string_copy(&d, kid, b->kid, sizeof(b->kid)) != 43)
        return why_line(why, whylen, "JWE header: kid is not a 43-character "
                        "SHA-256 thumbprint%s", "");
    if (jwk_point(&d, json_member(&d, 0, "epk"), b->epk, "JWE header: epk",
                  why, whylen) < 0)
        return -E_INVAL;
    int adv = json_member(&d, tg, "adv");
    if (adv < 0 || d.toks[adv].type != JSON_OBJECT)
        return why_line(why, whylen, "JWE header: clevis.tang.adv is missing or "
                        "not an object%s", "");
    return find_server_key(&d, adv, b, why, whylen);
}

int tang_parse_jwe(const char *jwe, size_t len, struct tang_binding *b,
                   char *why, size_t whylen)
{
    static char hdr[HDR_JSON_MAX];
    const char *part[5];
    size_t plen[5];
    unsigned n = 0;
    size_t start = 0;
    long got;

    memset(b, 0, sizeof(*b));
    while (len && (jwe[len - 1] == '\n' || jwe[len - 1] == '\r'))
        len--;
    if (len > TANG_JWE_MAX) {
        ksnprintf(why, whylen, "JWE of %llu bytes is longer than %d",
                  (unsigned long long)len, TANG_JWE_MAX);
        return -E_INVAL;
    }
    for (size_t i = 0; i <= len; i++) {
        if (i < len && jwe[i] != '.')
            continue;
        if (n == 5)
            return why_line(why, whylen, "JWE: more than five parts (not compact "
                            "serialisation)%s", "");
        part[n] = jwe + start;
        plen[n++] = i - start;
        start = i + 1;
    }
    if (n != 5)
        return why_line(why, whylen, "JWE: fewer than five '.'-separated parts "
                        "(not a compact JWE)%s", "");
    if (plen[0] == 0 || plen[0] >= TANG_HDR_MAX)
        return why_line(why, whylen, "JWE: the protected header is empty or too long%s", "");
    got = b64url_decode(part[0], plen[0], (uint8_t *)hdr, sizeof(hdr));
    if (got < 0)
        return why_line(why, whylen, "JWE: the protected header is not base64url%s", "");
    if (plen[1] != 0)
        return why_line(why, whylen, "JWE: an encrypted key is present (ECDH-ES "
                        "direct has none)%s", "");
    if (b64url_decode(part[2], plen[2], b->iv, sizeof(b->iv)) != 12)
        return why_line(why, whylen, "JWE: the IV is not 12 bytes of base64url%s", "");
    long ct = b64url_decode(part[3], plen[3], b->ct, sizeof(b->ct));
    if (ct <= 0)
        return why_line(why, whylen, "JWE: the ciphertext is not 1 to 256 bytes "
                        "of base64url%s", "");
    b->ct_len = (size_t)ct;
    if (b64url_decode(part[4], plen[4], b->tag, sizeof(b->tag)) != 16)
        return why_line(why, whylen, "JWE: the tag is not 16 bytes of base64url%s", "");
    memcpy(b->aad, part[0], plen[0]);
    b->aad_len = plen[0];
    return parse_header(hdr, (size_t)got, b, why, whylen);
}

int tang_blind(const struct tang_binding *b, const uint8_t e[TANG_SCALAR_LEN],
               uint8_t x[TANG_POINT_LEN])
{
    static const uint8_t one = 1;

    memcpy(x, b->epk, TANG_POINT_LEN);
    return ec->muladd(x, NULL, TANG_POINT_LEN, &one, 1, e, TANG_SCALAR_LEN, CURVE)
               ? 0 : -E_INVAL;
}

int tang_request_body(const uint8_t x[TANG_POINT_LEN], char *out, size_t size)
{
    char bx[90], by[90];

    b64url_encode(x + 1, TANG_COORD_LEN, bx, sizeof(bx));
    b64url_encode(x + 1 + TANG_COORD_LEN, TANG_COORD_LEN, by, sizeof(by));
    int n = ksnprintf(out, size, "{\"alg\":\"ECMR\",\"crv\":\"P-521\",\"kty\":\"EC\","
                      "\"x\":\"%s\",\"y\":\"%s\"}", bx, by);
    return n < 0 || (size_t)n >= size ? -E_RANGE : n;
}

int tang_parse_reply(const char *body, size_t len, uint8_t y[TANG_POINT_LEN],
                     char *why, size_t whylen)
{
    struct json_tok toks[32];
    struct json_doc d;
    char jwhy[96];

    if (json_parse(body, len, toks, 32, &d, jwhy, sizeof(jwhy)) < 0)
        return why_line(why, whylen, "the server's answer is not valid JSON: %s", jwhy);
    return jwk_point(&d, 0, y, "the server's answer", why, whylen);
}

/* y := p - y on P-521 (p = 2^521 - 1): the point's negation. */
static void negate_y(uint8_t pt[TANG_POINT_LEN])
{
    uint8_t *y = pt + 1 + TANG_COORD_LEN;
    int borrow = 0;

    for (int i = TANG_COORD_LEN - 1; i >= 0; i--) {
        int p = i == 0 ? 0x01 : 0xff;
        int v = p - y[i] - borrow;
        borrow = v < 0;
        y[i] = (uint8_t)v;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 7518 4.6.2 Concat KDF for "enc":"A256GCM", one SHA-256 round:
 * counter 1 || Z || AlgorithmID || PartyUInfo (empty) || PartyVInfo
 * (empty) || SuppPubInfo (256). */
static void concat_kdf(const uint8_t z[TANG_COORD_LEN], uint8_t cek[32])
{
    uint8_t buf[4 + TANG_COORD_LEN + 4 + 7 + 4 + 4 + 4];
    br_sha256_context c;
    size_t o = 0;

    put32(buf, 1), o += 4;
    memcpy(buf + o, z, TANG_COORD_LEN), o += TANG_COORD_LEN;
    put32(buf + o, 7), o += 4;
    memcpy(buf + o, "A256GCM", 7), o += 7;
    put32(buf + o, 0), o += 4;
    put32(buf + o, 0), o += 4;
    put32(buf + o, 256), o += 4;
    br_sha256_init(&c);
    br_sha256_update(&c, buf, o);
    br_sha256_out(&c, cek);
    crypto_wipe(buf, sizeof(buf));
    crypto_wipe(&c, sizeof(c));
}

int tang_recover(const struct tang_binding *b, const uint8_t e[TANG_SCALAR_LEN],
                 const uint8_t y[TANG_POINT_LEN], uint8_t *out, size_t size,
                 size_t *out_len, char *why, size_t whylen)
{
    static const uint8_t one = 1;
    uint8_t es[TANG_POINT_LEN], k[TANG_POINT_LEN], cek[32];
    br_aes_ct64_ctr_keys aes;
    br_gcm_context gcm;
    int r = 0;

    if (size < b->ct_len)
        return why_line(why, whylen, "the binding's plaintext does not fit%s", "");
    /* e*S, negated, added to Y: s*(c + e)*G - e*s*G = c*s*G */
    memcpy(es, b->srv, sizeof(es));
    memcpy(k, y, sizeof(k));
    if (!ec->mul(es, sizeof(es), e, TANG_SCALAR_LEN, CURVE)) {
        r = why_line(why, whylen, "e*S failed (bad server key)%s", "");
        goto out;
    }
    negate_y(es);
    if (!ec->muladd(k, es, sizeof(k), &one, 1, &one, 1, CURVE)) {
        r = why_line(why, whylen, "unblinding the server's answer failed (the "
                     "point at infinity or off the curve)%s", "");
        goto out;
    }
    concat_kdf(k + 1, cek);
    br_aes_ct64_ctr_init(&aes, cek, sizeof(cek));
    br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);
    br_gcm_reset(&gcm, b->iv, sizeof(b->iv));
    br_gcm_aad_inject(&gcm, b->aad, b->aad_len);
    br_gcm_flip(&gcm);
    memcpy(out, b->ct, b->ct_len);
    br_gcm_run(&gcm, 0, out, b->ct_len);
    if (!br_gcm_check_tag(&gcm, b->tag)) {
        crypto_wipe(out, b->ct_len);
        r = why_line(why, whylen, "the server's answer does not open the binding "
                     "(GCM tag mismatch: the answer came from other keys)%s", "");
        goto out;
    }
    *out_len = b->ct_len;
out:
    crypto_wipe(es, sizeof(es));
    crypto_wipe(k, sizeof(k));
    crypto_wipe(cek, sizeof(cek));
    crypto_wipe(&aes, sizeof(aes));
    crypto_wipe(&gcm, sizeof(gcm));
    return r;
}

void tang_scalar_from_seed(const uint8_t *seed, size_t n, uint8_t e[TANG_SCALAR_LEN])
{
    br_sha256_context c;

    /* two bytes of zero, then 512 bits: below P-521's order, and zero
     * only with probability 2^-512 (tang_blind would then fail) */
    memset(e, 0, TANG_SCALAR_LEN);
    for (uint8_t i = 0; i < 2; i++) {
        br_sha256_init(&c);
        br_sha256_update(&c, &i, 1);
        br_sha256_update(&c, seed, n);
        br_sha256_out(&c, e + 2 + 32 * i);
    }
    crypto_wipe(&c, sizeof(c));
}
