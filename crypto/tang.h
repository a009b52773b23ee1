/* Clevis/Tang bindings (docs/storage.md "Tang"): the compact JWE that
 * `clevis encrypt tang` writes, and the McCallum-Relyea exchange that
 * recovers its content key from the Tang server, on P-521 with BearSSL.
 *
 *   binding: the JWE header holds epk = c*G (c forgotten), kid = the
 *            SHA-256 JWK thumbprint of the server's exchange key S = s*G,
 *            and the server's advertised keys; the content key came from
 *            ECDH-ES: Z = x(c*S), CEK = Concat KDF(Z, "A256GCM", 256).
 *   recover: pick e, send X = epk + e*G (POST /rec/kid), the server
 *            answers Y = s*X; then Y - e*S = s*c*G, whose x is Z.
 * The server never sees epk (blinded by e); a listener sees X and Y only.
 * Pure (no VMM state): host-tested in tests/unit/test_tang.c against a
 * binding Debian's clevis made. Uses the FPU/SSE (BearSSL): the VMM calls
 * it between simd_begin and simd_end. */
#ifndef VENEER_CRYPTO_TANG_H
#define VENEER_CRYPTO_TANG_H

#include <stddef.h>
#include <stdint.h>

#define TANG_POINT_LEN 133   /* P-521 uncompressed: 04 || x || y */
#define TANG_COORD_LEN 66
#define TANG_SCALAR_LEN 66
#define TANG_JWE_MAX 16384
#define TANG_HDR_MAX 8192    /* the protected header, base64url */
#define TANG_PLAIN_MAX 256   /* four 64-byte key slots */
#define TANG_REQUEST_MAX 320

struct tang_binding {
    uint8_t epk[TANG_POINT_LEN];
    uint8_t srv[TANG_POINT_LEN];     /* the server's exchange key named by kid */
    char kid[48];
    char url[128];                   /* as in clevis.tang.url */
    uint32_t ip;                     /* its host, dotted quad, host order */
    uint16_t port;
    char path[64];                   /* the URL's path, without a final '/' */
    char aad[TANG_HDR_MAX];          /* GCM's AAD: the header's base64url text */
    size_t aad_len;
    uint8_t iv[12], tag[16];
    uint8_t ct[TANG_PLAIN_MAX];
    size_t ct_len;
};

/* Parses a compact JWE (five base64url parts; a trailing newline is
 * allowed): 0, or < 0 with one line in why naming the malformed field. */
int tang_parse_jwe(const char *jwe, size_t len, struct tang_binding *b,
                   char *why, size_t whylen);

/* X = epk + e*G (e: big-endian, non-zero, below the group order). */
int tang_blind(const struct tang_binding *b, const uint8_t e[TANG_SCALAR_LEN],
               uint8_t x[TANG_POINT_LEN]);

/* The request body: {"alg":"ECMR","crv":"P-521","kty":"EC","x":..,"y":..}.
 * Its length, or < 0. */
int tang_request_body(const uint8_t x[TANG_POINT_LEN], char *out, size_t size);

/* The server's JWK answer: 0 and its point in y, or < 0 with a line. */
int tang_parse_reply(const char *body, size_t len, uint8_t y[TANG_POINT_LEN],
                     char *why, size_t whylen);

/* Unblinds Y, derives the content key and opens the JWE: 0 and the
 * plaintext in out (*out_len bytes), or < 0 with a line (a GCM tag that
 * does not match: the answer came from other keys). Intermediate secrets
 * are wiped. */
int tang_recover(const struct tang_binding *b, const uint8_t e[TANG_SCALAR_LEN],
                 const uint8_t y[TANG_POINT_LEN], uint8_t *out, size_t size,
                 size_t *out_len, char *why, size_t whylen);

/* The blinding scalar e from a random seed (SHA-256 expanded): two zero
 * bytes, then 64 bytes. */
void tang_scalar_from_seed(const uint8_t *seed, size_t n, uint8_t e[TANG_SCALAR_LEN]);

/* The RFC 7638 SHA-256 thumbprint of a P-521 public key, base64url (43
 * characters and a NUL). */
void tang_thumbprint(const uint8_t pub[TANG_POINT_LEN], char out[44]);

#endif
