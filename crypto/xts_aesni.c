/* XTS path aesni: AES-NI on xmm registers, 8 blocks in flight; the
 * tweak chain is doubled one block at a time (SSE2), and multi-unit
 * requests encrypt 8 units' tweaks together. */
#include "crypto/xts_internal.h"

AESNI_TARGET INLINE void aesni_units(const struct xts_key *k,
                                     const unsigned rounds, uint64_t unit,
                                     size_t unit_blocks, size_t nunits,
                                     const uint8_t *in, uint8_t *out,
                                     const int dec)
{
    const __m128i *rk = (const __m128i *)(dec ? k->data_dec : k->data_enc);
    const __m128i *tk = (const __m128i *)k->tweak_enc;

    __m128i tb[8] = { 0 };

    for (size_t u = 0; u < nunits; u++, unit++) {
        __m128i t;
        size_t b = 0;

        if (nunits - (u - u % 8) < 8) {
            /* A short request (or its tail): one tweak at a time. */
            t = x_encrypt1(tk, rounds, _mm_set_epi64x(0, (long long)unit));
        } else if (u % 8 == 0) {
            /* The tweaks of the next 8 units, 8 AES chains in flight. */
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                tb[i] = _mm_xor_si128(
                    _mm_set_epi64x(0, (long long)(unit + (uint64_t)i)), tk[0]);
            for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    tb[i] = _mm_aesenc_si128(tb[i], tk[r]);
            }
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                tb[i] = _mm_aesenclast_si128(tb[i], tk[rounds]);
            t = tb[0];
        } else {
            t = tb[u % 8];
        }

        for (; b + 8 <= unit_blocks; b += 8) {
            __m128i tw[8], x[8];

            tw[0] = t;
#pragma GCC unroll 8
            for (int i = 1; i < 8; i++)
                tw[i] = x_double(tw[i - 1]);
            t = x_double(tw[7]);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in + i),
                                     _mm_xor_si128(tw[i], rk[0]));
            for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = dec ? _mm_aesdec_si128(x[i], rk[r])
                               : _mm_aesenc_si128(x[i], rk[r]);
            }
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                /* AESENCLAST(x, k ^ t) = AESENCLAST(x, k) ^ t */
                __m128i lk = _mm_xor_si128(tw[i], rk[rounds]);

                x[i] = dec ? _mm_aesdeclast_si128(x[i], lk)
                           : _mm_aesenclast_si128(x[i], lk);
                _mm_storeu_si128((__m128i *)out + i, x[i]);
            }
            in += 128;
            out += 128;
        }
        for (; b < unit_blocks; b++) {
            __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), t);

            x = x_crypt1(rk, rounds, x, dec);
            _mm_storeu_si128((__m128i *)out, _mm_xor_si128(x, t));
            t = x_double(t);
            in += 16;
            out += 16;
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        tb[i] = _mm_setzero_si128();
    __asm__ volatile("" : : "r"(tb) : "memory");
}

/* A copy per key size (xts_key_setup allows 10 and 14 rounds), so that
 * the rounds unroll with their count known. */
AESNI_TARGET void xts_aesni_enc(const struct xts_key *k, uint64_t unit,
                                   size_t ub, size_t n, const uint8_t *in,
                                   uint8_t *out)
{
    if (k->rounds == 10)
        aesni_units(k, 10, unit, ub, n, in, out, 0);
    else
        aesni_units(k, 14, unit, ub, n, in, out, 0);
}

AESNI_TARGET void xts_aesni_dec(const struct xts_key *k, uint64_t unit,
                                   size_t ub, size_t n, const uint8_t *in,
                                   uint8_t *out)
{
    if (k->rounds == 10)
        aesni_units(k, 10, unit, ub, n, in, out, 1);
    else
        aesni_units(k, 14, unit, ub, n, in, out, 1);
}

AESNI_TARGET void xts_aesni_block(const struct xts_key *k, int op,
                                     const uint8_t in[16], uint8_t out[16])
{
    const __m128i *rk = (const __m128i *)(op == 2   ? k->tweak_enc
                                          : op == 1 ? k->data_dec
                                                    : k->data_enc);
    _mm_storeu_si128((__m128i *)out,
                     op == 1 ? x_crypt1(rk, k->rounds,
                                        _mm_loadu_si128((const __m128i *)in), 1)
                             : x_crypt1(rk, k->rounds,
                                        _mm_loadu_si128((const __m128i *)in), 0));
}
