/* make bench: the raw AES rate of each XTS path's instructions, the
 * ceiling an XTS path is measured against (issue 23): the same AES round
 * instructions, the same register width and the same number of registers
 * in flight as the path, on independent blocks (ECB), with nothing else
 * (no tweaks, no whitening). For ct64 the reference is BearSSL's own
 * aes_ct64 modes that run four independent blocks per pass: CTR for
 * encryption, CBC decryption for decryption.
 *
 * Bench only: never linked into the VMM or a test. */
#include <string.h>

#include <bearssl.h>

#include "crypto/aes_raw_bench.h"
#include "crypto/xts_internal.h"

/* rk: (rounds + 1) round keys; for the vector widths each one replicated
 * (the layout struct xts_key keeps: 64 bytes per round key). */
AESNI_TARGET INLINE void raw_aesni_r(const struct xts_key *k, const int dec,
                                     const uint8_t *in, uint8_t *out,
                                     size_t nblocks,
                                     const unsigned rounds)
{
    const __m128i *rk = (const __m128i *)(dec ? k->data_dec : k->data_enc);

    for (size_t b = 0; b + 8 <= nblocks; b += 8) {
        __m128i x[8];

#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            x[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in + i),
                                 rk[0]);
#pragma GCC unroll 14
        for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = dec ? _mm_aesdec_si128(x[i], rk[r])
                           : _mm_aesenc_si128(x[i], rk[r]);
        }
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            _mm_storeu_si128((__m128i *)out + i,
                             dec ? _mm_aesdeclast_si128(x[i], rk[rounds])
                                 : _mm_aesenclast_si128(x[i], rk[rounds]));
        in += 128;
        out += 128;
    }
}

VAES256_TARGET INLINE void raw_vaes256_r(const struct xts_key *k, const int dec,
                                         const uint8_t *in, uint8_t *out,
                                         size_t nblocks,
                                         const unsigned rounds)
{
    const __m256i *rk2 = (const __m256i *)(dec ? k->vdata_dec : k->vdata_enc);

    for (size_t b = 0; b + 16 <= nblocks; b += 16) {
        __m256i x[8];

#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            x[i] = _mm256_xor_si256(
                _mm256_loadu_si256((const __m256i *)in + i), rk2[0]);
#pragma GCC unroll 14
        for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = dec ? _mm256_aesdec_epi128(x[i], rk2[2 * r])
                           : _mm256_aesenc_epi128(x[i], rk2[2 * r]);
        }
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            _mm256_storeu_si256(
                (__m256i *)out + i,
                dec ? _mm256_aesdeclast_epi128(x[i], rk2[2 * rounds])
                    : _mm256_aesenclast_epi128(x[i], rk2[2 * rounds]));
        in += 256;
        out += 256;
    }
}

VAES512_TARGET INLINE void raw_vaes512_r(const struct xts_key *k, const int dec,
                                         const uint8_t *in, uint8_t *out,
                                         size_t nblocks,
                                         const unsigned rounds)
{
    const __m512i *rk4 = (const __m512i *)(dec ? k->vdata_dec : k->vdata_enc);

    for (size_t b = 0; b + 32 <= nblocks; b += 32) {
        __m512i x[8];

#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            x[i] = _mm512_xor_si512(
                _mm512_loadu_si512((const __m512i *)in + i), rk4[0]);
#pragma GCC unroll 14
        for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = dec ? _mm512_aesdec_epi128(x[i], rk4[r])
                           : _mm512_aesenc_epi128(x[i], rk4[r]);
        }
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            _mm512_storeu_si512(
                (__m512i *)out + i,
                dec ? _mm512_aesdeclast_epi128(x[i], rk4[rounds])
                    : _mm512_aesenclast_epi128(x[i], rk4[rounds]));
        in += 512;
        out += 512;
    }
}

/* A copy per key size, the rounds unrolled with their count known, as
 * the XTS paths do (xts_vaes.c, xts_aesni.c). */
#define RAW_BY_ROUNDS(tgt, name)                                            \
    tgt static void name(const struct xts_key *k, int dec,                  \
                         const uint8_t *in, uint8_t *out, size_t nblocks)   \
    {                                                                       \
        if (k->rounds == 10 && dec)                                         \
            name##_r(k, 1, in, out, nblocks, 10);                           \
        else if (k->rounds == 10)                                           \
            name##_r(k, 0, in, out, nblocks, 10);                           \
        else if (dec)                                                       \
            name##_r(k, 1, in, out, nblocks, 14);                           \
        else                                                                \
            name##_r(k, 0, in, out, nblocks, 14);                           \
    }
RAW_BY_ROUNDS(AESNI_TARGET, raw_aesni)
RAW_BY_ROUNDS(VAES256_TARGET, raw_vaes256)
RAW_BY_ROUNDS(VAES512_TARGET, raw_vaes512)

/* BearSSL's aes_ct64 on the same bytes: CTR (encryption runs four
 * counter blocks per pass) and CBC decryption (four ciphertext blocks per
 * pass). Contexts are set up once per run, as a caller would keep them. */
static struct {
    br_aes_ct64_ctr_keys ctr;
    br_aes_ct64_cbcdec_keys cbcdec;
    int ready;
} ct;

static void raw_ct64(const uint8_t key[32], int dec, const uint8_t *in,
                     uint8_t *out, size_t nblocks)
{
    static const uint8_t iv[16];
    uint8_t civ[16] = { 0 };

    if (!ct.ready) {
        br_aes_ct64_ctr_init(&ct.ctr, key, 32);
        br_aes_ct64_cbcdec_init(&ct.cbcdec, key, 32);
        ct.ready = 1;
    }
    if (in != out)
        memcpy(out, in, 16 * nblocks);
    if (dec)
        br_aes_ct64_cbcdec_run(&ct.cbcdec, civ, out, 16 * nblocks);
    else
        br_aes_ct64_ctr_run(&ct.ctr, iv, 0, out, 16 * nblocks);
}

int aes_raw_run(enum xts_path path, const struct xts_key *k,
                const uint8_t key_k1[32], int dec, const uint8_t *in,
                uint8_t *out, size_t nblocks)
{
    switch (path) {
    case XTS_PATH_CT64:
        raw_ct64(key_k1, dec, in, out, nblocks);
        return 0;
    case XTS_PATH_AESNI:
        raw_aesni(k, dec, in, out, nblocks);
        return 0;
    case XTS_PATH_VAES256:
        raw_vaes256(k, dec, in, out, nblocks);
        return 0;
    case XTS_PATH_VAES512:
        raw_vaes512(k, dec, in, out, nblocks);
        return 0;
    default:
        return -1;
    }
}

void aes_raw_reset(void)
{
    memset(&ct, 0, sizeof(ct));
}
