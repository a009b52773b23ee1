/* Passphrase to key: PBKDF2 (RFC 8018 5.2) with HMAC-SHA256 as the PRF,
 * over BearSSL's HMAC (BearSSL has no PBKDF2). Free of libc. */
#ifndef VENEER_CRYPTO_KDF_H
#define VENEER_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define KDF_OK          0
#define KDF_ERR_ITER   (-1)   /* zero iterations */
#define KDF_ERR_LENGTH (-2)   /* zero output, or more than RFC 8018 allows */

/* A default for new images: the cost is paid once per unlock. */
#define KDF_DEFAULT_ITERATIONS 200000u

/* Derives out_len bytes into out. The PRF's intermediate state is wiped
 * before returning. */
int kdf_pbkdf2_sha256(const void *pass, size_t pass_len,
                      const void *salt, size_t salt_len,
                      uint32_t iterations, void *out, size_t out_len);

/* The key check value of vmm.kcv= (docs/storage.md): the first 8 bytes
 * of SHA-256("veneer-kcv-v1" || key). */
void kdf_key_check_value(const void *key, size_t key_len, uint8_t out[8]);

#endif
