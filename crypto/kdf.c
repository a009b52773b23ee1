/* PBKDF2-HMAC-SHA256 (RFC 8018 5.2):
 *   T_i = U_1 ^ U_2 ^ ... ^ U_c,  U_1 = PRF(P, S || INT_32_BE(i)),
 *   U_j = PRF(P, U_{j-1});  DK = T_1 || T_2 || ... truncated to dkLen.
 * BearSSL's key context holds the padded-key inner and outer states, so
 * each U_j costs two compressions. */
#include <bearssl_hash.h>
#include <bearssl_hmac.h>

#include "crypto/kdf.h"
#include "crypto/wipe.h"

#define SHA256_LEN 32

int kdf_pbkdf2_sha256(const void *pass, size_t pass_len,
                      const void *salt, size_t salt_len,
                      uint32_t iterations, void *out, size_t out_len)
{
    br_hmac_key_context kc;
    br_hmac_context hc;
    uint8_t u[SHA256_LEN], t[SHA256_LEN], ctr[4];
    uint8_t *dk = out;

    if (iterations == 0)
        return KDF_ERR_ITER;
    if (out_len == 0 || (uint64_t)out_len > 0xffffffffull * SHA256_LEN)
        return KDF_ERR_LENGTH;

    br_hmac_key_init(&kc, &br_sha256_vtable, pass, pass_len);
    for (uint32_t block = 1; out_len > 0; block++) {
        size_t n = out_len < SHA256_LEN ? out_len : SHA256_LEN;

        ctr[0] = (uint8_t)(block >> 24);
        ctr[1] = (uint8_t)(block >> 16);
        ctr[2] = (uint8_t)(block >> 8);
        ctr[3] = (uint8_t)block;
        br_hmac_init(&hc, &kc, 0);
        br_hmac_update(&hc, salt, salt_len);
        br_hmac_update(&hc, ctr, sizeof(ctr));
        br_hmac_out(&hc, u);
        for (int i = 0; i < SHA256_LEN; i++)
            t[i] = u[i];
        for (uint32_t j = 1; j < iterations; j++) {
            br_hmac_init(&hc, &kc, 0);
            br_hmac_update(&hc, u, sizeof(u));
            br_hmac_out(&hc, u);
            for (int i = 0; i < SHA256_LEN; i++)
                t[i] ^= u[i];
        }
        for (size_t i = 0; i < n; i++)
            dk[i] = t[i];
        dk += n;
        out_len -= n;
    }
    crypto_wipe(&kc, sizeof(kc));
    crypto_wipe(&hc, sizeof(hc));
    crypto_wipe(u, sizeof(u));
    crypto_wipe(t, sizeof(t));
    return KDF_OK;
}

/* SHA-256("veneer-kcv-v1" || key), first 8 bytes: a check that the key a
 * passphrase or key file yields is the one the configuration expects,
 * without storing anything on the disk. 64 bits identify a key; they do
 * not help a guesser, who must still run PBKDF2 per guess. */
void kdf_key_check_value(const void *key, size_t key_len, uint8_t out[8])
{
    static const char label[] = "veneer-kcv-v1";
    br_sha256_context c;
    uint8_t h[32];

    br_sha256_init(&c);
    br_sha256_update(&c, label, sizeof(label) - 1);
    br_sha256_update(&c, key, key_len);
    br_sha256_out(&c, h);
    for (int i = 0; i < 8; i++)
        out[i] = h[i];
    crypto_wipe(h, sizeof(h));
    crypto_wipe(&c, sizeof(c));
}
