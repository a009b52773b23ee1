/* Clevis/Tang bindings (crypto/tang.c) against a binding Debian's clevis 19
 * made (tests/data/tang: `clevis encrypt tang` of key.hex's 64 bytes with
 * a tangd 14 whose exchange key is exchange.jwk; other-exchange.jwk is a
 * key `jose jwk gen` made for "another server"). The server's part of the
 * exchange (Y = s*X) is played here with BearSSL; everything else is the
 * VMM's code. Malformed bindings and answers are each refused with a line. */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "check.h"
#include <crypto/tang.h>
#include <platform/b64url.h>
#include <platform/json.h>

#ifndef TANG_DATA
#define TANG_DATA "tests/data/tang"
#endif

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", TANG_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* The private scalar d of a JWK file. */
static void jwk_d(const char *name, uint8_t d[TANG_SCALAR_LEN])
{
    static struct json_tok toks[64];
    struct json_doc doc;
    char why[96];
    size_t len;
    char *text = slurp(name, &len);

    if (json_parse(text, len, toks, 64, &doc, why, sizeof(why)) < 0) {
        fprintf(stderr, "%s: %s\n", name, why);
        exit(1);
    }
    int t = json_member(&doc, 0, "d");
    CHECK_EQ(b64url_decode(text + doc.toks[t].start, doc.toks[t].len, d,
                           TANG_SCALAR_LEN), TANG_SCALAR_LEN);
    free(text);
}

static void server(const uint8_t d[TANG_SCALAR_LEN], const uint8_t x[TANG_POINT_LEN],
                   uint8_t y[TANG_POINT_LEN])
{
    memcpy(y, x, TANG_POINT_LEN);
    CHECK_EQ(br_ec_prime_i31.mul(y, TANG_POINT_LEN, d, TANG_SCALAR_LEN,
                                 BR_EC_secp521r1), 1);
}

static struct tang_binding b;
static char *jwe;
static size_t jwe_len;
static uint8_t key[64];

static void test_recover(void)
{
    uint8_t e[TANG_SCALAR_LEN] = { 0 }, d[TANG_SCALAR_LEN], d2[TANG_SCALAR_LEN];
    uint8_t x[TANG_POINT_LEN], y[TANG_POINT_LEN], out[TANG_PLAIN_MAX];
    char why[160] = "", body[TANG_REQUEST_MAX], thp[44];
    size_t n = 0;

    CHECK_EQ(tang_parse_jwe(jwe, jwe_len, &b, why, sizeof(why)), 0);
    if (why[0])
        fprintf(stderr, "%s\n", why);
    CHECK_STR(b.url, "http://10.0.2.2:18765");
    CHECK_EQ(b.ip, 0x0a000202);
    CHECK_EQ(b.port, 18765);
    CHECK_STR(b.path, "");
    CHECK_EQ(strlen(b.kid), 43);
    CHECK_EQ(b.ct_len, 64);
    tang_thumbprint(b.srv, thp);
    CHECK_STR(thp, b.kid);

    for (int i = 2; i < TANG_SCALAR_LEN; i++)
        e[i] = (uint8_t)(i * 29 + 7);
    jwk_d("exchange.jwk", d);
    jwk_d("other-exchange.jwk", d2);
    CHECK_EQ(tang_blind(&b, e, x), 0);
    CHECK(memcmp(x, b.epk, TANG_POINT_LEN) != 0); /* the server never sees epk */
    int len = tang_request_body(x, body, sizeof(body));
    CHECK(len > 0);
    /* the request parses back (as tangd reads it) to X */
    uint8_t xb[TANG_POINT_LEN];
    CHECK_EQ(tang_parse_reply(body, (size_t)len, xb, why, sizeof(why)), 0);
    CHECK(memcmp(xb, x, TANG_POINT_LEN) == 0);
    CHECK(strstr(body, "\"alg\":\"ECMR\"") != NULL);

    server(d, x, y);
    CHECK_EQ(tang_recover(&b, e, y, out, sizeof(out), &n, why, sizeof(why)), 0);
    CHECK_EQ(n, 64);
    CHECK(memcmp(out, key, 64) == 0);

    /* another e: the same key */
    e[10] ^= 0x5a;
    CHECK_EQ(tang_blind(&b, e, x), 0);
    server(d, x, y);
    CHECK_EQ(tang_recover(&b, e, y, out, sizeof(out), &n, why, sizeof(why)), 0);
    CHECK(memcmp(out, key, 64) == 0);

    /* a different server's key: the tag does not match */
    server(d2, x, y);
    memset(out, 0, sizeof(out));
    CHECK(tang_recover(&b, e, y, out, sizeof(out), &n, why, sizeof(why)) < 0);
    CHECK(strstr(why, "GCM tag mismatch") != NULL);
    /* an answer with the wrong e */
    server(d, x, y);
    e[10] ^= 1;
    CHECK(tang_recover(&b, e, y, out, sizeof(out), &n, why, sizeof(why)) < 0);
    e[10] ^= 1;
    /* too small an output */
    CHECK(tang_recover(&b, e, y, out, 32, &n, why, sizeof(why)) < 0);
    /* the answer off the curve */
    y[100] ^= 1;
    CHECK(tang_recover(&b, e, y, out, sizeof(out), &n, why, sizeof(why)) < 0);
}

/* The JWE with its header's JSON rewritten: `from` replaced by `to`. */
static int with_header(const char *from, const char *to, char *why, size_t whylen)
{
    static char hdr[8192], nh[8192], out[20000];
    const char *dot = strchr(jwe, '.');
    long n = b64url_decode(jwe, (size_t)(dot - jwe), (uint8_t *)hdr, sizeof(hdr) - 1);
    hdr[n] = 0;
    char *at = strstr(hdr, from);
    if (!at) {
        fprintf(stderr, "test: '%s' not in the header\n", from);
        return 1;
    }
    snprintf(nh, sizeof(nh), "%.*s%s%s", (int)(at - hdr), hdr, to, at + strlen(from));
    long t = b64url_encode((const uint8_t *)nh, strlen(nh), out, sizeof(out));
    snprintf(out + t, sizeof(out) - (size_t)t, "%s", dot);
    return tang_parse_jwe(out, strlen(out), &b, why, whylen);
}

static void test_bad_header(void)
{
    static const struct { const char *from, *to, *says; } cases[] = {
        { "\"alg\":\"ECDH-ES\"", "\"alg\":\"ECDH-ES+A256KW\"", "alg is not" },
        { "\"enc\":\"A256GCM\"", "\"enc\":\"A128GCM\"", "enc is not" },
        { "\"pin\":\"tang\"", "\"pin\":\"tpm2\"", "clevis.pin" },
        { "\"kid\":\"", "\"kid\":\"A", "kid is not" },
        { "\"kid\":\"", "\"kid\":\"A\",\"x\":\"", "kid is not" },
        { "http://10.0.2.2:18765", "http://tang.example:80", "no DNS" },
        { "http://10.0.2.2:18765", "https://10.0.2.2", "not an http" },
        { "http://10.0.2.2:18765", "http://10.0.2.256", "dotted IPv4" },
        { "http://10.0.2.2:18765", "http://10.0.2.2:0", "bad port" },
        { "http://10.0.2.2:18765", "http://10.0.2.2:99999", "bad port" },
        { "http://10.0.2.2:18765", "http://10.0.2.2x", "junk" },
        { "\"alg\":\"ECDH-ES\"", "\"alg\":\"ECDH-ES\",\"zip\":\"DEF\"", "zip" },
        { "\"alg\":\"ECDH-ES\"", "\"alg\":\"ECDH-ES\",\"alg\":\"ECDH-ES\"", "duplicate" },
        { "\"epk\":{\"crv\":\"P-521\"", "\"epk\":{\"crv\":\"P-256\"", "epk: crv" },
        { "\"epk\":{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"A",
          "\"epk\":{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"B", "not on P-521" },
        { "\"epk\":{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"A",
          "\"epk\":{\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"", "x is not 66" },
        { "\"keys\":[", "\"keyz\":[", "no keys array" },
        { "{\"alg\":\"ECDH-ES\"", "[{\"alg\":\"ECDH-ES\"", "not valid JSON" },
        { "\"deriveKey\"", "\"verify\"", "not an ECMR exchange key" },
    };
    char why[200];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why[0] = 0;
        CHECK(with_header(cases[i].from, cases[i].to, why, sizeof(why)) < 0);
        CHECK(strstr(why, cases[i].says) != NULL);
        if (!strstr(why, cases[i].says))
            fprintf(stderr, "case %zu said: %s\n", i, why);
    }
    /* the unchanged header through the same path still parses */
    CHECK_EQ(with_header("\"alg\"", "\"alg\"", why, sizeof(why)), 0);
}

static void test_bad_jwe(void)
{
    char why[200], *m = malloc(jwe_len + 8);

    /* every truncation is refused, with a line */
    for (size_t n = 0; n < jwe_len - 1; n++) {
        why[0] = 0;
        CHECK(tang_parse_jwe(jwe, n, &b, why, sizeof(why)) < 0);
        CHECK(why[0] != 0);
    }
    /* a byte changed anywhere: refused, or (a base64url character that
     * decodes to other bits of the IV/ciphertext/tag) parsed */
    for (size_t i = 0; i < jwe_len; i += 7) {
        memcpy(m, jwe, jwe_len);
        m[i] = m[i] == '.' ? 'A' : '.';
        why[0] = 0;
        CHECK(tang_parse_jwe(m, jwe_len, &b, why, sizeof(why)) < 0);
        CHECK(why[0] != 0);
    }
    /* an encrypted key present, the IV shortened */
    const char *d1 = strchr(jwe, '.');
    size_t h = (size_t)(d1 - jwe);
    memcpy(m, jwe, h + 1);
    memcpy(m + h + 1, "AAAA", 4);
    memcpy(m + h + 5, d1 + 1, jwe_len - h - 1);
    CHECK(tang_parse_jwe(m, jwe_len + 4, &b, why, sizeof(why)) < 0);
    CHECK(strstr(why, "encrypted key") != NULL);
    free(m);
}

static void test_bad_reply(void)
{
    static const char *const bad[] = {
        "", "{}", "[]", "{\"kty\":\"EC\",\"crv\":\"P-521\"}",
        "{\"kty\":\"RSA\",\"crv\":\"P-521\",\"x\":\"\",\"y\":\"\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"\",\"y\":\"\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}",
        "<html>404</html>",
    };
    uint8_t y[TANG_POINT_LEN];
    char why[160];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        CHECK(tang_parse_reply(bad[i], strlen(bad[i]), y, why, sizeof(why)) < 0);
        CHECK(strstr(why, "the server's answer") != NULL);
    }
}

int main(void)
{
    size_t n;
    char *hex = slurp("key.hex", &n);

    for (int i = 0; i < 64; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        key[i] = (uint8_t)v;
    }
    free(hex);
    jwe = slurp("binding.jwe", &jwe_len);
    test_recover();
    test_bad_header();
    test_bad_jwe();
    test_bad_reply();
    free(jwe);
    return check_done("tang");
}
