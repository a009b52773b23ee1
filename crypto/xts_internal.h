/* Private to crypto/xts*.c: what the implementation paths share. Each
 * path lives in its own file (xts_ct64.c, xts_aesni.c, xts_vaes.c) and
 * xts.c dispatches, steals ciphertext and wipes. */
#ifndef VENEER_CRYPTO_XTS_INTERNAL_H
#define VENEER_CRYPTO_XTS_INTERNAL_H

#define _MM_MALLOC_H_INCLUDED 1  /* immintrin.h must not pull in <stdlib.h> */
#include <immintrin.h>

#include "crypto/xts.h"

#define AESNI_TARGET   __attribute__((target("sse2,aes")))
#define VAES256_TARGET __attribute__((target("avx2,aes,vaes,vpclmulqdq,pclmul")))
#define VAES512_TARGET                                                     \
    __attribute__((target("avx512f,avx512bw,avx2,aes,vaes,vpclmulqdq,pclmul")))
#define INLINE static inline __attribute__((always_inline))

/* A path's bulk function: nunits units of unit_blocks 16-byte blocks,
 * tweaks from unit number unit on. */
typedef void xts_units_fn(const struct xts_key *k, uint64_t unit,
                          size_t unit_blocks, size_t nunits,
                          const uint8_t *in, uint8_t *out);
/* One block: op 0 encrypts with K1, 1 decrypts with K1, 2 encrypts with K2
 * (for ciphertext stealing). */
typedef void xts_block_fn(const struct xts_key *k, int op,
                          const uint8_t in[16], uint8_t out[16]);

xts_units_fn xts_ct64_enc, xts_ct64_dec;
xts_block_fn xts_ct64_block;
xts_units_fn xts_aesni_enc, xts_aesni_dec;
xts_block_fn xts_aesni_block;
xts_units_fn xts_vaes256_enc, xts_vaes256_dec;
xts_units_fn xts_vaes512_enc, xts_vaes512_dec;

/* x86 is little-endian: one 8-byte access each (the byte loops these
 * replace were not merged by the compiler, about 200 instructions a block
 * on the ct64 path). */
static inline uint64_t load64le(const uint8_t *p)
{
    uint64_t v;

    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
    __builtin_memcpy(p, &v, sizeof(v));
}

static inline void copy_bytes(uint8_t *d, const uint8_t *s, size_t n)
{
    while (n--)
        *d++ = *s++;
}

/* T * x, on a tweak held as two little-endian 64-bit halves. */
static inline void tweak_double(uint64_t *lo, uint64_t *hi)
{
    uint64_t carry = *hi >> 63;

    *hi = (*hi << 1) | (*lo >> 63);
    *lo = (*lo << 1) ^ (0x87 & (0 - carry));
}


/* ---- AES-NI single-block helpers, shared by the xmm and ymm paths ------- */

AESNI_TARGET INLINE __m128i x_double(__m128i t)
{
    /* Each dword's top bit moves to the next dword; the top of dword 3
     * wraps to dword 0 as the reduction 0x87. */
    /* Shuffle first (PSHUFD does not overwrite its source) and double
     * with an add, which any vector ALU takes: no register copy without
     * AVX, one instruction fewer a block. */
    __m128i m = _mm_srai_epi32(_mm_shuffle_epi32(t, 0x93), 31);

    m = _mm_and_si128(m, _mm_set_epi32(1, 1, 1, 0x87));
    return _mm_xor_si128(_mm_add_epi32(t, t), m);
}

AESNI_TARGET INLINE __m128i x_encrypt1(const __m128i *rk, unsigned rounds,
                                      __m128i x)
{
    x = _mm_xor_si128(x, rk[0]);
    for (unsigned r = 1; r < rounds; r++)
        x = _mm_aesenc_si128(x, rk[r]);
    return _mm_aesenclast_si128(x, rk[rounds]);
}

AESNI_TARGET INLINE __m128i x_crypt1(const __m128i *rk, unsigned rounds,
                                    __m128i x, const int dec)
{
    x = _mm_xor_si128(x, rk[0]);
    for (unsigned r = 1; r < rounds; r++)
        x = dec ? _mm_aesdec_si128(x, rk[r]) : _mm_aesenc_si128(x, rk[r]);
    return dec ? _mm_aesdeclast_si128(x, rk[rounds])
               : _mm_aesenclast_si128(x, rk[rounds]);
}

#endif
