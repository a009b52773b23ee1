/* XTS paths vaes256 and vaes512: VAES on ymm (2 blocks per register, 16
 * per chunk) and zmm (4 per register, 32 per chunk). Tweaks of a lane are
 * multiplied by x^k in one go: shift the 64-bit halves left by k, carry
 * between them, and fold the k bits shifted out of the top back in as
 * their carry-less product with 0x87 (one VPCLMULQDQ). Sector tweaks are
 * encrypted in batches, and the next chunk's tweaks are computed while
 * the current chunk's rounds run. */
#include "crypto/xts_internal.h"

/* ---- path: VAES on ymm (2 blocks per register) ------------------------- */

/* Each 128-bit lane times x^(8*B), B bytes (1..7). */
#define Y_MULX_BYTES(t, B)                                                  \
    _mm256_xor_si256(_mm256_bslli_epi128((t), (B)),                         \
                     _mm256_clmulepi64_epi128(                              \
                         _mm256_bsrli_epi128((t), 16 - (B)),                \
                         _mm256_set1_epi64x(0x87), 0x00))

/* Each lane times x^k (k in 0..63 per 64-bit half, from cl; the
 * right-shift counts are 64 - k, and a count of 64 yields 0). */
VAES256_TARGET INLINE __m256i y_mulx_var(__m256i t, __m256i cl, __m256i cr)
{
    __m256i s = _mm256_sllv_epi64(t, cl);
    __m256i c = _mm256_srlv_epi64(t, cr);

    s = _mm256_or_si256(s, _mm256_bslli_epi128(c, 8));
    return _mm256_xor_si256(
        s, _mm256_clmulepi64_epi128(_mm256_bsrli_epi128(c, 8),
                                    _mm256_set1_epi64x(0x87), 0x00));
}

/* E_K2 of the tweak inputs of nvec * 2 units from unit (lane j % 2 of
 * out[j / 2]); tk2: the replicated tweak schedule, a ymm per 64 bytes. */
#define Y_TWEAK_BATCH 8

VAES256_TARGET INLINE void y_tweaks(const __m256i *tk2, unsigned rounds,
                                    uint64_t unit, size_t nvec, __m256i *out)
{
    __m256i x[Y_TWEAK_BATCH / 2];

    if (nvec == Y_TWEAK_BATCH / 2) {
#pragma GCC unroll 4
        for (int i = 0; i < Y_TWEAK_BATCH / 2; i++)
            x[i] = _mm256_xor_si256(
                _mm256_set_epi64x(0, (long long)(unit + 2 * i + 1), 0,
                                  (long long)(unit + 2 * i)), tk2[0]);
        for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 4
            for (int i = 0; i < Y_TWEAK_BATCH / 2; i++)
                x[i] = _mm256_aesenc_epi128(x[i], tk2[2 * r]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < Y_TWEAK_BATCH / 2; i++)
            out[i] = _mm256_aesenclast_epi128(x[i], tk2[2 * rounds]);
        return;
    }
    for (size_t i = 0; i < nvec; i++) {
        __m256i v = _mm256_xor_si256(
            _mm256_set_epi64x(0, (long long)(unit + 2 * i + 1), 0,
                              (long long)(unit + 2 * i)), tk2[0]);

        for (unsigned r = 1; r < rounds; r++)
            v = _mm256_aesenc_epi128(v, tk2[2 * r]);
        out[i] = _mm256_aesenclast_epi128(v, tk2[2 * rounds]);
    }
}

/* [T0, T0*x] of unit u of the batch. */
VAES256_TARGET INLINE __m256i y_unit_tweak(const __m256i *tb, size_t u,
                                           __m256i cl01, __m256i cr01)
{
    __m256i v = tb[(u % Y_TWEAK_BATCH) / 2];

    v = (u & 1) ? _mm256_permute2x128_si256(v, v, 0x11)
                : _mm256_permute2x128_si256(v, v, 0x00);
    return y_mulx_var(v, cl01, cr01);
}

/* The tweaks of a 16-block chunk: tw[i] = t * x^(2i). */
VAES256_TARGET INLINE void y_chunk_tweaks(__m256i t, __m256i *tw,
                                          __m256i cl2, __m256i cr2,
                                          __m256i cl4, __m256i cr4)
{
    tw[0] = t;
    tw[1] = y_mulx_var(t, cl2, cr2);
    tw[2] = y_mulx_var(t, cl4, cr4);
    tw[3] = y_mulx_var(tw[1], cl4, cr4);
    tw[4] = Y_MULX_BYTES(t, 1);
    tw[5] = Y_MULX_BYTES(tw[1], 1);
    tw[6] = Y_MULX_BYTES(tw[2], 1);
    tw[7] = Y_MULX_BYTES(tw[3], 1);
}

VAES256_TARGET INLINE void vaes256_units(const struct xts_key *k,
                                         const unsigned rounds, uint64_t unit,
                                         size_t unit_blocks, size_t nunits,
                                         const uint8_t *in, uint8_t *out,
                                         const int dec)
{
    /* The replicated schedule, 64 bytes per round key; a ymm reads the
     * first 32 (hence the stride of 2). */
    const __m256i *rk2 = (const __m256i *)(dec ? k->vdata_dec : k->vdata_enc);
    const __m128i *tk = (const __m128i *)k->tweak_enc;
#define rk(r) rk2[2 * (r)]
    /* [T, T*x] from [T, T]; and the step to the next lane pair: x^2. */
    const __m256i cl01 = _mm256_set_epi64x(1, 1, 0, 0);
    const __m256i cr01 = _mm256_set_epi64x(63, 63, 64, 64);
    const __m256i cl2 = _mm256_set1_epi64x(2);
    const __m256i cr2 = _mm256_set1_epi64x(62);
    const __m256i cl4 = _mm256_set1_epi64x(4);
    const __m256i cr4 = _mm256_set1_epi64x(60);

    if (unit_blocks % 16 == 0) {
        /* Whole 16-block chunks (512- and 4096-byte sectors): tweaks of 8
         * sectors encrypted together. Each tweak is read once, at the
         * whitening, where it also gives the last round's key (folded in:
         * AESENCLAST(x, k ^ t) = AESENCLAST(x, k) ^ t, kept in lk) and the
         * next chunk's tweak (the same lanes 16 blocks on: times x^16),
         * written back in place; the rounds of the chunk then run with
         * nothing else in the way. At a sector's last chunk the next
         * sector's tweaks are made instead, after the whitening. */
        const __m256i *tk2 = (const __m256i *)k->vtweak_enc;
        const size_t chunks = unit_blocks / 16;
        const __m256i p87 = _mm256_set1_epi64x(0x87);
        __m256i tb[Y_TWEAK_BATCH / 2] = { 0 }, tw[8], lk[8];
        size_t left = nunits;

        y_tweaks(tk2, rounds, unit,
                 left >= Y_TWEAK_BATCH ? Y_TWEAK_BATCH / 2 : (left + 1) / 2, tb);
        y_chunk_tweaks(y_unit_tweak(tb, 0, cl01, cr01), tw, cl2, cr2, cl4, cr4);
        for (size_t u = 0; u < nunits; u++) {
            for (size_t c = 0; c < chunks; c++) {
                __m256i x[8];

                if (c + 1 < chunks) {
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++) {
                        __m256i t = tw[i];

                        x[i] = _mm256_xor_si256(
                            _mm256_loadu_si256((const __m256i *)in + i),
                            _mm256_xor_si256(t, rk(0)));
                        lk[i] = _mm256_xor_si256(t, rk(rounds));
                        tw[i] = _mm256_xor_si256(
                            _mm256_bslli_epi128(t, 2),
                            _mm256_clmulepi64_epi128(
                                _mm256_bsrli_epi128(t, 14), p87, 0x00));
                    }
                } else {
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++) {
                        x[i] = _mm256_xor_si256(
                            _mm256_loadu_si256((const __m256i *)in + i),
                            _mm256_xor_si256(tw[i], rk(0)));
                        lk[i] = _mm256_xor_si256(tw[i], rk(rounds));
                    }
                    if (u + 1 < nunits) {
                        if ((u + 1) % Y_TWEAK_BATCH == 0) {
                            left = nunits - u - 1;
                            y_tweaks(tk2, rounds, unit + u + 1,
                                     left >= Y_TWEAK_BATCH ? Y_TWEAK_BATCH / 2
                                                           : (left + 1) / 2, tb);
                        }
                        y_chunk_tweaks(y_unit_tweak(tb, u + 1, cl01, cr01), tw,
                                       cl2, cr2, cl4, cr4);
                    }
                }
#pragma GCC unroll 14
                for (unsigned r = 1; r < rounds; r++) {
                    const __m256i key = rk(r);

#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++)
                        x[i] = dec ? _mm256_aesdec_epi128(x[i], key)
                                   : _mm256_aesenc_epi128(x[i], key);
                }
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++) {
                    x[i] = dec ? _mm256_aesdeclast_epi128(x[i], lk[i])
                               : _mm256_aesenclast_epi128(x[i], lk[i]);
                    _mm256_storeu_si256((__m256i *)out + i, x[i]);
                }
                in += 256;
                out += 256;
            }
        }
        /* Encrypted tweaks: not left on the stack. */
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            tw[i] = lk[i] = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int i = 0; i < Y_TWEAK_BATCH / 2; i++)
            tb[i] = _mm256_setzero_si256();
        __asm__ volatile("" : : "r"(tw), "r"(lk), "r"(tb) : "memory");
        return;
    }
    for (size_t u = 0; u < nunits; u++, unit++) {
        __m128i t0 = x_encrypt1(tk, rounds, _mm_set_epi64x(0, (long long)unit));
        __m256i t = y_mulx_var(_mm256_broadcastsi128_si256(t0), cl01, cr01);
        size_t b = 0;

        for (; b + 16 <= unit_blocks; b += 16) {
            __m256i tw[8], x[8];

            tw[0] = t;
            tw[1] = y_mulx_var(t, cl2, cr2);
            tw[2] = y_mulx_var(t, cl4, cr4);
            tw[3] = y_mulx_var(tw[1], cl4, cr4);
            tw[4] = Y_MULX_BYTES(t, 1);
            tw[5] = Y_MULX_BYTES(tw[1], 1);
            tw[6] = Y_MULX_BYTES(tw[2], 1);
            tw[7] = Y_MULX_BYTES(tw[3], 1);
            t = Y_MULX_BYTES(t, 2);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = _mm256_xor_si256(
                    _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)in + i),
                                     tw[i]), rk(0));
            for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = dec ? _mm256_aesdec_epi128(x[i], rk(r))
                               : _mm256_aesenc_epi128(x[i], rk(r));
            }
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                x[i] = dec ? _mm256_aesdeclast_epi128(x[i], rk(rounds))
                           : _mm256_aesenclast_epi128(x[i], rk(rounds));
                _mm256_storeu_si256((__m256i *)out + i,
                                    _mm256_xor_si256(x[i], tw[i]));
            }
            in += 256;
            out += 256;
        }
        for (; b + 2 <= unit_blocks; b += 2) {
            __m256i x = _mm256_xor_si256(
                _mm256_loadu_si256((const __m256i *)in), t);

            x = _mm256_xor_si256(x, rk(0));
            for (unsigned r = 1; r < rounds; r++)
                x = dec ? _mm256_aesdec_epi128(x, rk(r))
                        : _mm256_aesenc_epi128(x, rk(r));
            x = dec ? _mm256_aesdeclast_epi128(x, rk(rounds))
                    : _mm256_aesenclast_epi128(x, rk(rounds));
            _mm256_storeu_si256((__m256i *)out, _mm256_xor_si256(x, t));
            t = y_mulx_var(t, cl2, cr2);
            in += 32;
            out += 32;
        }
        if (b < unit_blocks) {
            __m128i tl = _mm256_castsi256_si128(t);
            __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), tl);

            x = _mm_xor_si128(x, _mm256_castsi256_si128(rk(0)));
            for (unsigned r = 1; r < rounds; r++)
                x = dec ? _mm_aesdec_si128(x, _mm256_castsi256_si128(rk(r)))
                        : _mm_aesenc_si128(x, _mm256_castsi256_si128(rk(r)));
            x = dec ? _mm_aesdeclast_si128(x, _mm256_castsi256_si128(rk(rounds)))
                    : _mm_aesenclast_si128(x, _mm256_castsi256_si128(rk(rounds)));
            _mm_storeu_si128((__m128i *)out, _mm_xor_si128(x, tl));
            in += 16;
            out += 16;
        }
    }
#undef rk
}

/* A copy per key size (xts_key_setup allows 10 and 14 rounds), so that
 * the rounds unroll with their count known. */
VAES256_TARGET void xts_vaes256_enc(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    if (k->rounds == 10)
        vaes256_units(k, 10, unit, ub, n, in, out, 0);
    else
        vaes256_units(k, 14, unit, ub, n, in, out, 0);
}

VAES256_TARGET void xts_vaes256_dec(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    if (k->rounds == 10)
        vaes256_units(k, 10, unit, ub, n, in, out, 1);
    else
        vaes256_units(k, 14, unit, ub, n, in, out, 1);
}

/* ---- path: VAES on zmm (4 blocks per register) ------------------------- */

#define Z_MULX_BYTES(t, B)                                                  \
    _mm512_xor_si512(_mm512_bslli_epi128((t), (B)),                         \
                     _mm512_clmulepi64_epi128(                              \
                         _mm512_bsrli_epi128((t), 16 - (B)),                \
                         _mm512_set1_epi64(0x87), 0x00))

VAES512_TARGET INLINE __m512i z_mulx_var(__m512i t, __m512i cl, __m512i cr)
{
    __m512i s = _mm512_sllv_epi64(t, cl);
    __m512i c = _mm512_srlv_epi64(t, cr);

    s = _mm512_or_si512(s, _mm512_bslli_epi128(c, 8));
    return _mm512_xor_si512(
        s, _mm512_clmulepi64_epi128(_mm512_bsrli_epi128(c, 8),
                                    _mm512_set1_epi64(0x87), 0x00));
}

/* How many sectors' tweaks are encrypted together (4 per zmm). */
#define Z_TWEAK_BATCH 16

/* E_K2 of the tweak inputs (unit + j, 0) for j = 0..15, lane j % 4 of
 * out[j / 4]. Unit numbers wrap mod 2^64 as in the scalar paths; the
 * public functions refuse ranges that would. */
VAES512_TARGET INLINE void z_tweaks(const __m512i *tk, unsigned rounds,
                                    uint64_t unit, __m512i *out)
{
    __m512i x[Z_TWEAK_BATCH / 4];
    const __m512i step = _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0);

#pragma GCC unroll 4
    for (int i = 0; i < Z_TWEAK_BATCH / 4; i++)
        x[i] = _mm512_xor_si512(
            _mm512_maskz_add_epi64(0x55,
                                   _mm512_set1_epi64((long long)(unit + 4 * i)),
                                   step), tk[0]);
    for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 4
        for (int i = 0; i < Z_TWEAK_BATCH / 4; i++)
            x[i] = _mm512_aesenc_epi128(x[i], tk[r]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < Z_TWEAK_BATCH / 4; i++)
        out[i] = _mm512_aesenclast_epi128(x[i], tk[rounds]);
}

/* The same for the few units of a short request: only the registers
 * needed (a one-sector request pays for one tweak, not sixteen). */
VAES512_TARGET INLINE void z_tweaks_few(const __m512i *tk, unsigned rounds,
                                        uint64_t unit, size_t nvec,
                                        __m512i *out)
{
    const __m512i step = _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0);

    for (size_t i = 0; i < nvec; i++) {
        __m512i x = _mm512_xor_si512(
            _mm512_maskz_add_epi64(0x55,
                                   _mm512_set1_epi64((long long)(unit + 4 * i)),
                                   step), tk[0]);

        for (unsigned r = 1; r < rounds; r++)
            x = _mm512_aesenc_epi128(x, tk[r]);
        out[i] = _mm512_aesenclast_epi128(x, tk[rounds]);
    }
}

/* Fills the tweak batch for units unit.. (left of them still to do). */
VAES512_TARGET INLINE void z_refill(const __m512i *tk, unsigned rounds,
                                    uint64_t unit, size_t left,
                                    __m512i *tbatch)
{
    if (left >= Z_TWEAK_BATCH / 2)
        z_tweaks(tk, rounds, unit, tbatch);
    else
        z_tweaks_few(tk, rounds, unit, (left + 3) / 4, tbatch);
}

/* [T0, T0*x, T0*x^2, T0*x^3] of unit u: T0 is lane u % 4 of register
 * (u % 16) / 4 of the batch. */
VAES512_TARGET INLINE __m512i z_unit_tweak(const __m512i *tbatch, size_t u,
                                           __m512i cl03, __m512i cr03)
{
    const long long l = (long long)(2 * (u & 3));
    __m512i t0 = _mm512_permutexvar_epi64(
        _mm512_set_epi64(l + 1, l, l + 1, l, l + 1, l, l + 1, l),
        tbatch[(u % Z_TWEAK_BATCH) / 4]);

    return z_mulx_var(t0, cl03, cr03);
}

/* The tweaks of a 32-block chunk: tw[i] = t * x^(4i). */
VAES512_TARGET INLINE void z_chunk_tweaks(__m512i t, __m512i *tw,
                                          __m512i cl4, __m512i cr4)
{
    tw[0] = t;
    tw[1] = z_mulx_var(t, cl4, cr4);
    tw[2] = Z_MULX_BYTES(t, 1);
    tw[3] = Z_MULX_BYTES(tw[1], 1);
    tw[4] = Z_MULX_BYTES(t, 2);
    tw[5] = Z_MULX_BYTES(tw[1], 2);
    tw[6] = Z_MULX_BYTES(tw[2], 2);
    tw[7] = Z_MULX_BYTES(tw[3], 2);
}

VAES512_TARGET INLINE void vaes512_units(const struct xts_key *k,
                                         const unsigned rounds, uint64_t unit,
                                         size_t unit_blocks, size_t nunits,
                                         const uint8_t *in, uint8_t *out,
                                         const int dec)
{
    const __m512i *rk = (const __m512i *)(dec ? k->vdata_dec : k->vdata_enc);
    const __m512i *tk = (const __m512i *)k->vtweak_enc;
    __m512i tbatch[Z_TWEAK_BATCH / 4] = { 0 };
    /* [T, T*x, T*x^2, T*x^3] from four copies of T. */
    const __m512i cl03 = _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i cr03 = _mm512_set_epi64(61, 61, 62, 62, 63, 63, 64, 64);
    const __m512i cl4 = _mm512_set1_epi64(4);
    const __m512i cr4 = _mm512_set1_epi64(60);

    if (unit_blocks % 32 == 0) {
        /* 512- and 4096-byte sectors: whole 32-block chunks. The next
         * chunk's tweaks (same sector, or the first of the next) are
         * computed ahead, while this chunk's rounds run, so their latency
         * does not delay it. */
        const size_t chunks = unit_blocks / 32;
        /* Tweaks in memory, read where used (folded into round key 0 and
         * the last round key, as in the ymm path), which frees registers. */
        __m512i twbuf[2][8];
        __m512i *tw = twbuf[0], *nt = twbuf[1];

        z_refill(tk, rounds, unit, nunits, tbatch);
        z_chunk_tweaks(z_unit_tweak(tbatch, 0, cl03, cr03), tw, cl4, cr4);
        for (size_t u = 0; u < nunits; u++) {
            for (size_t c = 0; c < chunks; c++) {
                __m512i x[8], *swap;

#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = _mm512_ternarylogic_epi64(
                        _mm512_loadu_si512((const __m512i *)in + i), tw[i],
                        rk[0], 0x96);
                if (c + 1 < chunks) {
                    /* The same lanes 32 blocks on: each times x^32. */
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++)
                        nt[i] = Z_MULX_BYTES(tw[i], 4);
                } else if (u + 1 < nunits) {
                    if ((u + 1) % Z_TWEAK_BATCH == 0)
                        z_refill(tk, rounds, unit + u + 1, nunits - u - 1,
                                 tbatch);
                    z_chunk_tweaks(z_unit_tweak(tbatch, u + 1, cl03, cr03), nt,
                                   cl4, cr4);
                }
#pragma GCC unroll 14
                for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++)
                        x[i] = dec ? _mm512_aesdec_epi128(x[i], rk[r])
                                   : _mm512_aesenc_epi128(x[i], rk[r]);
                }
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++) {
                    __m512i lk = _mm512_xor_si512(tw[i], rk[rounds]);

                    x[i] = dec ? _mm512_aesdeclast_epi128(x[i], lk)
                               : _mm512_aesenclast_epi128(x[i], lk);
                    _mm512_storeu_si512((__m512i *)out + i, x[i]);
                }
                swap = tw;
                tw = nt;
                nt = swap;
                in += 512;
                out += 512;
            }
        }
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            twbuf[0][i] = twbuf[1][i] = _mm512_setzero_si512();
        __asm__ volatile("" : : "r"(twbuf) : "memory");
        nunits = 0;     /* done; on to the wipe */
    }
    for (size_t u = 0; u < nunits; u++, unit++) {
        if (u % Z_TWEAK_BATCH == 0)
            z_refill(tk, rounds, unit, nunits - u, tbatch);
        __m512i t = z_unit_tweak(tbatch, u, cl03, cr03);
        size_t b = 0;

        for (; b + 32 <= unit_blocks; b += 32) {
            __m512i tw[8], x[8];

            z_chunk_tweaks(t, tw, cl4, cr4);
            t = Z_MULX_BYTES(t, 4);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                x[i] = _mm512_ternarylogic_epi64(
                    _mm512_loadu_si512((const __m512i *)in + i), tw[i],
                    rk[0], 0x96);
#pragma GCC unroll 14
            for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = dec ? _mm512_aesdec_epi128(x[i], rk[r])
                               : _mm512_aesenc_epi128(x[i], rk[r]);
            }
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                x[i] = dec ? _mm512_aesdeclast_epi128(x[i], rk[rounds])
                           : _mm512_aesenclast_epi128(x[i], rk[rounds]);
                _mm512_storeu_si512((__m512i *)out + i,
                                    _mm512_xor_si512(x[i], tw[i]));
            }
            in += 512;
            out += 512;
        }
        while (b < unit_blocks) {
            size_t n = unit_blocks - b < 4 ? unit_blocks - b : 4;
            __mmask8 m = (__mmask8)((1u << (2 * n)) - 1);
            __m512i x = _mm512_maskz_loadu_epi64(m, in);

            x = _mm512_ternarylogic_epi64(x, t, rk[0], 0x96);
            for (unsigned r = 1; r < rounds; r++)
                x = dec ? _mm512_aesdec_epi128(x, rk[r])
                        : _mm512_aesenc_epi128(x, rk[r]);
            x = dec ? _mm512_aesdeclast_epi128(x, rk[rounds])
                    : _mm512_aesenclast_epi128(x, rk[rounds]);
            _mm512_mask_storeu_epi64(out, m, _mm512_xor_si512(x, t));
            t = z_mulx_var(t, cl4, cr4);
            b += n;
            in += 16 * n;
            out += 16 * n;
        }
    }
    /* The encrypted tweaks may have been spilled: zero the array and make
     * the stores observable so they are not dropped as dead. */
#pragma GCC unroll 4
    for (int i = 0; i < Z_TWEAK_BATCH / 4; i++)
        tbatch[i] = _mm512_setzero_si512();
    __asm__ volatile("" : : "r"(tbatch) : "memory");
}

VAES512_TARGET void xts_vaes512_enc(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    if (k->rounds == 10)
        vaes512_units(k, 10, unit, ub, n, in, out, 0);
    else
        vaes512_units(k, 14, unit, ub, n, in, out, 0);
}

VAES512_TARGET void xts_vaes512_dec(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    if (k->rounds == 10)
        vaes512_units(k, 10, unit, ub, n, in, out, 1);
    else
        vaes512_units(k, 14, unit, ub, n, in, out, 1);
}
