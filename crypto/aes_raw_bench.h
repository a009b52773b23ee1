/* make bench only: the raw AES rate of an XTS path's instructions
 * (crypto/aes_raw_bench.c). */
#ifndef VENEER_CRYPTO_AES_RAW_BENCH_H
#define VENEER_CRYPTO_AES_RAW_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/xts.h"

/* nblocks independent 16-byte blocks through K1 (k's schedules; ct64 uses
 * BearSSL's own aes_ct64 modes keyed with key_k1). nblocks: a multiple of
 * 32. Returns 0, or -1 for a path it does not know. */
int aes_raw_run(enum xts_path path, const struct xts_key *k,
                const uint8_t key_k1[32], int dec, const uint8_t *in,
                uint8_t *out, size_t nblocks);

/* Forgets the BearSSL contexts (after the key changes). */
void aes_raw_reset(void);

#endif
