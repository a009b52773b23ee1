/* AES-XTS (IEEE 1619-2007) over BearSSL's AES key schedules.
 *
 * BearSSL has neither XTS nor a bare ECB interface, so the block loops are
 * ours: AES-NI on xmm (8 blocks in flight), VAES on ymm (16 blocks) and on
 * zmm (32 blocks), and BearSSL's constant-time bitsliced aes_ct64 (4 blocks)
 * when the CPU has no AES-NI. All paths share the tweak rule of the spec
 * (5.3.1): T_0 = E_K2(unit number, little-endian 128-bit), T_{j+1} = T_j * x
 * in GF(2^128) mod x^128 + x^7 + x^2 + x + 1, the field element stored
 * little-endian (byte 0 bit 0 is x^0).
 *
 * The vector paths multiply a whole 128-bit lane by x^k at once: shift the
 * two 64-bit halves left by k, carry the top k bits of the low half into the
 * high half, and fold the k bits shifted out of the top back in as their
 * carry-less product with 0x87 (x^7 + x^2 + x + 1), one PCLMULQDQ. */
#define _MM_MALLOC_H_INCLUDED 1  /* immintrin.h must not pull in <stdlib.h> */
#include <immintrin.h>

#include "crypto/xts.h"
#include "crypto/bearssl_aes.h"
#include "crypto/wipe.h"

#define AESNI_TARGET   __attribute__((target("sse2,aes")))
#define VAES256_TARGET __attribute__((target("avx2,aes,vaes,vpclmulqdq,pclmul")))
#define VAES512_TARGET                                                     \
    __attribute__((target("avx512f,avx512bw,avx2,aes,vaes,vpclmulqdq,pclmul")))
#define INLINE static inline __attribute__((always_inline))

/* ---- helpers ---------------------------------------------------------- */

void xts_wipe(void *p, size_t n)
{
    crypto_wipe(p, n);
}

static inline uint64_t load64le(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void copy_bytes(uint8_t *d, const uint8_t *s, size_t n)
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

/* ---- CPU features ----------------------------------------------------- */

enum {
    FEAT_AESNI = 1 << 0,
    FEAT_AVX = 1 << 1,          /* AVX usable: CPUID and XCR0 ymm state */
    FEAT_VAES256 = 1 << 2,
    FEAT_AVX512 = 1 << 3,       /* AVX-512 F+BW usable, XCR0 zmm state */
    FEAT_VAES512 = 1 << 4,
    FEAT_KNOWN = 1 << 31,
};

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static uint32_t cpu_features(void)
{
    static uint32_t cached;
    uint32_t r[4], max, f = FEAT_KNOWN, ecx1;
    uint64_t xcr0 = 0;

    if (cached)
        return cached;
    cpuid(0, 0, r);
    max = r[0];
    cpuid(1, 0, r);
    ecx1 = r[2];
    if (ecx1 & (1u << 25))                       /* AES */
        f |= FEAT_AESNI;
    if ((ecx1 & (1u << 27)) && (ecx1 & (1u << 28))) {   /* OSXSAVE, AVX */
        uint32_t lo, hi;

        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((uint64_t)hi << 32) | lo;
        if ((xcr0 & 0x6) == 0x6)                 /* SSE and AVX state */
            f |= FEAT_AVX;
    }
    if (max >= 7) {
        uint32_t ebx7, ecx7;
        int pclmul = (ecx1 >> 1) & 1;

        cpuid(7, 0, r);
        ebx7 = r[1];
        ecx7 = r[2];
        int avx2 = (ebx7 >> 5) & 1;
        int vaes = (ecx7 >> 9) & 1, vpclmul = (ecx7 >> 10) & 1;
        int avx512 = ((ebx7 >> 16) & 1) && ((ebx7 >> 30) & 1);  /* F, BW */

        if ((f & FEAT_AVX) && (f & FEAT_AESNI) && avx2 && vaes && vpclmul &&
            pclmul)
            f |= FEAT_VAES256;
        /* XCR0 bits 5-7: opmask, ZMM0-15 upper halves, ZMM16-31. */
        if ((f & FEAT_AVX) && avx512 && (xcr0 & 0xe0) == 0xe0) {
            f |= FEAT_AVX512;
            if (f & FEAT_VAES256)
                f |= FEAT_VAES512;
        }
    }
    cached = f;
    return f;
}

int xts_path_available(enum xts_path path)
{
    uint32_t f = cpu_features();

    switch (path) {
    case XTS_PATH_CT64:
        return 1;
    case XTS_PATH_AESNI:
        return !!(f & FEAT_AESNI);
    case XTS_PATH_VAES256:
        return !!(f & FEAT_VAES256);
    case XTS_PATH_VAES512:
        return !!(f & FEAT_VAES512);
    default:
        return 0;
    }
}

enum xts_path xts_best_path(void)
{
    for (int p = XTS_PATH_COUNT - 1; p > XTS_PATH_CT64; p--)
        if (xts_path_available((enum xts_path)p))
            return (enum xts_path)p;
    return XTS_PATH_CT64;
}

const char *xts_path_name(enum xts_path path)
{
    static const char *const names[XTS_PATH_COUNT] = {
        [XTS_PATH_AUTO] = "auto",
        [XTS_PATH_CT64] = "ct64",
        [XTS_PATH_AESNI] = "aesni",
        [XTS_PATH_VAES256] = "vaes256",
        [XTS_PATH_VAES512] = "vaes512",
    };

    return (unsigned)path < XTS_PATH_COUNT ? names[path] : "?";
}

void xts_wipe_vector_regs(void)
{
    uint32_t f = cpu_features();

    if (f & FEAT_AVX512) {
        __asm__ volatile(
            "vzeroall\n\t"
            "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
            "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
            "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
            "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
            "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
            "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
            "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
            "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
            "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
            "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
            "vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
            "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
            "vpxord %%zmm28, %%zmm28, %%zmm28\n\t"
            "vpxord %%zmm29, %%zmm29, %%zmm29\n\t"
            "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
            "vpxord %%zmm31, %%zmm31, %%zmm31\n\t"
            ::: "memory");
    } else if (f & FEAT_AVX) {
        __asm__ volatile("vzeroall" ::: "memory");
    } else {
        __asm__ volatile(
            "pxor %%xmm0, %%xmm0\n\t"   "pxor %%xmm1, %%xmm1\n\t"
            "pxor %%xmm2, %%xmm2\n\t"   "pxor %%xmm3, %%xmm3\n\t"
            "pxor %%xmm4, %%xmm4\n\t"   "pxor %%xmm5, %%xmm5\n\t"
            "pxor %%xmm6, %%xmm6\n\t"   "pxor %%xmm7, %%xmm7\n\t"
            "pxor %%xmm8, %%xmm8\n\t"   "pxor %%xmm9, %%xmm9\n\t"
            "pxor %%xmm10, %%xmm10\n\t" "pxor %%xmm11, %%xmm11\n\t"
            "pxor %%xmm12, %%xmm12\n\t" "pxor %%xmm13, %%xmm13\n\t"
            "pxor %%xmm14, %%xmm14\n\t" "pxor %%xmm15, %%xmm15\n\t"
            ::: "memory");
    }
}

/* ---- path: BearSSL aes_ct64 (constant time, 4 blocks per pass) --------- */

/* One pass over up to 4 blocks: out = AES(in ^ t) ^ t per block. */
static void ct64_pass(const uint64_t *sk_exp, unsigned rounds, int dec,
                      const uint8_t *in, uint8_t *out, size_t nblocks,
                      const uint64_t tw[4][2])
{
    uint64_t q[8];
    uint32_t w[16];

    for (size_t b = 0; b < 4; b++) {
        for (int i = 0; i < 4; i++) {
            uint32_t v = 0;

            if (b < nblocks) {
                const uint8_t *p = in + 16 * b + 4 * i;
                uint64_t t = tw[b][i >> 1] >> (32 * (i & 1));

                v = ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) ^
                    (uint32_t)t;
            }
            w[4 * b + i] = v;
        }
        br_aes_ct64_interleave_in(&q[b], &q[b + 4], w + 4 * b);
    }
    br_aes_ct64_ortho(q);
    if (dec)
        br_aes_ct64_bitslice_decrypt(rounds, sk_exp, q);
    else
        br_aes_ct64_bitslice_encrypt(rounds, sk_exp, q);
    br_aes_ct64_ortho(q);
    for (size_t b = 0; b < nblocks; b++) {
        br_aes_ct64_interleave_out(w + 4 * b, q[b], q[b + 4]);
        for (int i = 0; i < 4; i++) {
            uint32_t v = w[4 * b + i] ^
                         (uint32_t)(tw[b][i >> 1] >> (32 * (i & 1)));
            uint8_t *p = out + 16 * b + 4 * i;

            p[0] = (uint8_t)v;
            p[1] = (uint8_t)(v >> 8);
            p[2] = (uint8_t)(v >> 16);
            p[3] = (uint8_t)(v >> 24);
        }
    }
    xts_wipe(q, sizeof(q));
    xts_wipe(w, sizeof(w));
}

static void ct64_units(const struct xts_key *k, uint64_t unit,
                       size_t unit_blocks, size_t nunits, const uint8_t *in,
                       uint8_t *out, int dec)
{
    uint64_t sk_data[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t sk_tweak[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t tw[4][2] = {{0}};

    br_aes_ct64_skey_expand(sk_data, k->rounds, k->ct_data);
    br_aes_ct64_skey_expand(sk_tweak, k->rounds, k->ct_tweak);
    uint8_t t0[64];

    for (size_t u = 0; u < nunits; u++, unit++) {
        uint64_t lo, hi;

        if (u % 4 == 0) {
            /* The tweaks of the next four units in one bitsliced pass. */
            uint8_t lba[64] = {0};
            uint64_t zero[4][2] = {{0}};
            size_t n = nunits - u < 4 ? nunits - u : 4;

            for (size_t i = 0; i < n; i++)
                store64le(lba + 16 * i, unit + i);
            ct64_pass(sk_tweak, k->rounds, 0, lba, t0, n, zero);
        }
        lo = load64le(t0 + 16 * (u % 4));
        hi = load64le(t0 + 16 * (u % 4) + 8);
        for (size_t b = 0; b < unit_blocks; b += 4) {
            size_t n = unit_blocks - b < 4 ? unit_blocks - b : 4;

            for (size_t i = 0; i < n; i++) {
                tw[i][0] = lo;
                tw[i][1] = hi;
                tweak_double(&lo, &hi);
            }
            ct64_pass(sk_data, k->rounds, dec, in, out, n, tw);
            in += 16 * n;
            out += 16 * n;
        }
        lo = hi = 0;
    }
    xts_wipe(t0, sizeof(t0));
    xts_wipe(tw, sizeof(tw));
    xts_wipe(sk_data, sizeof(sk_data));
    xts_wipe(sk_tweak, sizeof(sk_tweak));
}

/* op: 0 encrypt with K1, 1 decrypt with K1, 2 encrypt with K2. */
static void ct64_block(const struct xts_key *k, int op, const uint8_t in[16],
                       uint8_t out[16])
{
    uint64_t sk[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t zero[4][2] = {{0}};

    br_aes_ct64_skey_expand(sk, k->rounds, op == 2 ? k->ct_tweak : k->ct_data);
    ct64_pass(sk, k->rounds, op == 1, in, out, 1, zero);
    xts_wipe(sk, sizeof(sk));
}

/* ---- path: AES-NI on xmm, 8 blocks in flight ---------------------------- */

AESNI_TARGET INLINE __m128i x_double(__m128i t)
{
    /* Each dword's top bit moves to the next dword; the top of dword 3
     * wraps to dword 0 as the reduction 0x87. */
    __m128i m = _mm_srai_epi32(t, 31);

    m = _mm_shuffle_epi32(m, 0x93);
    m = _mm_and_si128(m, _mm_set_epi32(1, 1, 1, 0x87));
    return _mm_xor_si128(_mm_slli_epi32(t, 1), m);
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

AESNI_TARGET INLINE void aesni_units(const struct xts_key *k, uint64_t unit,
                                     size_t unit_blocks, size_t nunits,
                                     const uint8_t *in, uint8_t *out,
                                     const int dec)
{
    const unsigned rounds = k->rounds;
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
                x[i] = _mm_xor_si128(
                    _mm_xor_si128(_mm_loadu_si128((const __m128i *)in + i),
                                  tw[i]), rk[0]);
            for (unsigned r = 1; r < rounds; r++) {
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = dec ? _mm_aesdec_si128(x[i], rk[r])
                               : _mm_aesenc_si128(x[i], rk[r]);
            }
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                x[i] = dec ? _mm_aesdeclast_si128(x[i], rk[rounds])
                           : _mm_aesenclast_si128(x[i], rk[rounds]);
                _mm_storeu_si128((__m128i *)out + i,
                                 _mm_xor_si128(x[i], tw[i]));
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

AESNI_TARGET static void aesni_enc(const struct xts_key *k, uint64_t unit,
                                   size_t ub, size_t n, const uint8_t *in,
                                   uint8_t *out)
{
    aesni_units(k, unit, ub, n, in, out, 0);
}

AESNI_TARGET static void aesni_dec(const struct xts_key *k, uint64_t unit,
                                   size_t ub, size_t n, const uint8_t *in,
                                   uint8_t *out)
{
    aesni_units(k, unit, ub, n, in, out, 1);
}

AESNI_TARGET static void aesni_block(const struct xts_key *k, int op,
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

/* ---- path: VAES on ymm (2 blocks per register) ------------------------- */

/* Each 128-bit lane times x^(8*B), B bytes (1..7). */
#define Y_MULX_BYTES(t, B)                                                  \
    _mm256_xor_si256(_mm256_bslli_epi128((t), (B)),                         \
                     _mm256_clmulepi64_epi128(                              \
                         _mm256_bsrli_epi128((t), 16 - (B)),                \
                         _mm256_set1_epi64x(0x87), 0x00))

/* Each lane times x^k (k in 0..63 per 64-bit half, taken from cnt; the
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
                                         uint64_t unit, size_t unit_blocks,
                                         size_t nunits, const uint8_t *in,
                                         uint8_t *out, const int dec)
{
    const unsigned rounds = k->rounds;
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
         * sectors encrypted together, the next chunk's computed while the
         * current chunk's rounds run (as in the zmm path). */
        const __m256i *tk2 = (const __m256i *)k->vtweak_enc;
        const size_t chunks = unit_blocks / 16;
        __m256i tb[Y_TWEAK_BATCH / 2] = { 0 }, tw[8];
        size_t left = nunits;

        y_tweaks(tk2, rounds, unit,
                 left >= Y_TWEAK_BATCH ? Y_TWEAK_BATCH / 2 : (left + 1) / 2, tb);
        y_chunk_tweaks(y_unit_tweak(tb, 0, cl01, cr01), tw, cl2, cr2, cl4, cr4);
        for (size_t u = 0; u < nunits; u++) {
            for (size_t c = 0; c < chunks; c++) {
                __m256i x[8], nt[8];

#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = _mm256_xor_si256(
                        _mm256_xor_si256(
                            _mm256_loadu_si256((const __m256i *)in + i), tw[i]),
                        rk(0));
                if (c + 1 < chunks) {
                    y_chunk_tweaks(Y_MULX_BYTES(tw[0], 2), nt, cl2, cr2, cl4,
                                   cr4);
                } else if (u + 1 < nunits) {
                    if ((u + 1) % Y_TWEAK_BATCH == 0) {
                        left = nunits - u - 1;
                        y_tweaks(tk2, rounds, unit + u + 1,
                                 left >= Y_TWEAK_BATCH ? Y_TWEAK_BATCH / 2
                                                       : (left + 1) / 2, tb);
                    }
                    y_chunk_tweaks(y_unit_tweak(tb, u + 1, cl01, cr01), nt,
                                   cl2, cr2, cl4, cr4);
                } else {
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++)
                        nt[i] = _mm256_setzero_si256();
                }
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
                    tw[i] = nt[i];
                }
                in += 256;
                out += 256;
            }
        }
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

VAES256_TARGET static void vaes256_enc(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    vaes256_units(k, unit, ub, n, in, out, 0);
}

VAES256_TARGET static void vaes256_dec(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    vaes256_units(k, unit, ub, n, in, out, 1);
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
                                         uint64_t unit, size_t unit_blocks,
                                         size_t nunits, const uint8_t *in,
                                         uint8_t *out, const int dec)
{
    const unsigned rounds = k->rounds;
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
        __m512i tw[8];

        z_refill(tk, rounds, unit, nunits, tbatch);
        z_chunk_tweaks(z_unit_tweak(tbatch, 0, cl03, cr03), tw, cl4, cr4);
        for (size_t u = 0; u < nunits; u++) {
            for (size_t c = 0; c < chunks; c++) {
                __m512i x[8], nt[8];

#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    x[i] = _mm512_ternarylogic_epi64(
                        _mm512_loadu_si512((const __m512i *)in + i), tw[i],
                        rk[0], 0x96);
                if (c + 1 < chunks) {
                    z_chunk_tweaks(Z_MULX_BYTES(tw[0], 4), nt, cl4, cr4);
                } else if (u + 1 < nunits) {
                    if ((u + 1) % Z_TWEAK_BATCH == 0)
                        z_refill(tk, rounds, unit + u + 1, nunits - u - 1,
                                 tbatch);
                    z_chunk_tweaks(z_unit_tweak(tbatch, u + 1, cl03, cr03), nt,
                                   cl4, cr4);
                } else {
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++)
                        nt[i] = _mm512_setzero_si512();
                }
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
                    tw[i] = nt[i];
                }
                in += 512;
                out += 512;
            }
        }
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

VAES512_TARGET static void vaes512_enc(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    vaes512_units(k, unit, ub, n, in, out, 0);
}

VAES512_TARGET static void vaes512_dec(const struct xts_key *k, uint64_t unit,
                                       size_t ub, size_t n, const uint8_t *in,
                                       uint8_t *out)
{
    vaes512_units(k, unit, ub, n, in, out, 1);
}

/* ---- dispatch ---------------------------------------------------------- */

typedef void xts_units_fn(const struct xts_key *k, uint64_t unit,
                          size_t unit_blocks, size_t nunits,
                          const uint8_t *in, uint8_t *out);

static void ct64_enc(const struct xts_key *k, uint64_t unit, size_t ub,
                     size_t n, const uint8_t *in, uint8_t *out)
{
    ct64_units(k, unit, ub, n, in, out, 0);
}

static void ct64_dec(const struct xts_key *k, uint64_t unit, size_t ub,
                     size_t n, const uint8_t *in, uint8_t *out)
{
    ct64_units(k, unit, ub, n, in, out, 1);
}

static const struct {
    xts_units_fn *enc, *dec;
    void (*block)(const struct xts_key *, int, const uint8_t *, uint8_t *);
} paths[XTS_PATH_COUNT] = {
    [XTS_PATH_CT64] = { ct64_enc, ct64_dec, ct64_block },
    [XTS_PATH_AESNI] = { aesni_enc, aesni_dec, aesni_block },
    [XTS_PATH_VAES256] = { vaes256_enc, vaes256_dec, aesni_block },
    [XTS_PATH_VAES512] = { vaes512_enc, vaes512_dec, aesni_block },
};

void xts_key_wipe(struct xts_key *k)
{
    xts_wipe(k, sizeof(*k));
}

static int halves_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;

    for (size_t i = 0; i < n; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

int xts_key_setup(struct xts_key *k, const void *key, size_t key_len,
                  enum xts_path path)
{
    const uint8_t *kb = key;
    size_t half = key_len / 2;
    unsigned r1, r2;

    if ((uintptr_t)k & 63)
        return XTS_ERR_ALIGN;
    xts_key_wipe(k);
    if (key_len != 32 && key_len != 64)
        return XTS_ERR_KEY_SIZE;
    if (halves_equal(kb, kb + half, half))
        return XTS_ERR_WEAK_KEY;
    if (path == XTS_PATH_AUTO)
        path = xts_best_path();
    if (!xts_path_available(path))
        return XTS_ERR_PATH;

    if (path == XTS_PATH_CT64) {
        r1 = br_aes_ct64_keysched(k->ct_data, kb, half);
        r2 = br_aes_ct64_keysched(k->ct_tweak, kb + half, half);
    } else {
        r1 = br_aes_x86ni_keysched_enc(k->data_enc, kb, half);
        br_aes_x86ni_keysched_dec(k->data_dec, kb, half);
        r2 = br_aes_x86ni_keysched_enc(k->tweak_enc, kb + half, half);
        xts_wipe_vector_regs();
        for (unsigned r = 0; r <= XTS_MAX_ROUNDS; r++)
            for (unsigned i = 0; i < 64; i++) {
                k->vdata_enc[r][i] = k->data_enc[16 * r + i % 16];
                k->vdata_dec[r][i] = k->data_dec[16 * r + i % 16];
                k->vtweak_enc[r][i] = k->tweak_enc[16 * r + i % 16];
            }
    }
    if (r1 != r2 || (r1 != 10 && r1 != 14)) {
        xts_key_wipe(k);
        return XTS_ERR_KEY_SIZE;
    }
    k->rounds = r1;
    k->path = path;
    return XTS_OK;
}

/* The paths keep tweaks (E_K2 outputs) in registers, but the compiler
 * spills some; their frames are below 1 KiB (objdump: the zmm path's is
 * the largest, about 0x300 bytes). Called right after a path returns, from
 * the same frame, this overwrites the stack the path used. */
#define SCRUB_BYTES 1536

/* Plain stores (not rep stos, which the compiler would pick for a loop
 * and which costs more than a one-sector request). */
__attribute__((noinline, optimize("no-tree-loop-distribute-patterns")))
static void scrub_stack_sse(void)
{
    __m128i buf[SCRUB_BYTES / 16];

#pragma GCC unroll 8
    for (size_t i = 0; i < SCRUB_BYTES / 16; i++)
        _mm_store_si128(&buf[i], _mm_setzero_si128());
    __asm__ volatile("" : : "r"(buf) : "memory");
}

__attribute__((noinline, optimize("no-tree-loop-distribute-patterns")))
VAES512_TARGET static void scrub_stack_zmm(void)
{
    __m512i buf[SCRUB_BYTES / 64];

#pragma GCC unroll 8
    for (size_t i = 0; i < SCRUB_BYTES / 64; i++)
        _mm512_store_si512(&buf[i], _mm512_setzero_si512());
    __asm__ volatile("" : : "r"(buf) : "memory");
}

static void scrub_stack(const struct xts_key *k)
{
    if (k->path == XTS_PATH_VAES512)
        scrub_stack_zmm();
    else
        scrub_stack_sse();
}

/* Ciphertext stealing (IEEE 1619-2007 5.3.2 / 5.4.2) for the last full
 * block and the partial one of a unit; the full blocks before them went
 * through the path's bulk loop. */
static void xts_steal(const struct xts_key *k, uint64_t unit, size_t full,
                      size_t tail, const uint8_t *in, uint8_t *out, int dec)
{
    void (*block)(const struct xts_key *, int, const uint8_t *, uint8_t *) =
        paths[k->path].block;
    uint8_t b[16], t[16];
    uint64_t lo, hi, lo2, hi2;
    const uint8_t *pin = in + 16 * (full - 1);
    uint8_t *pout = out + 16 * (full - 1);

    xts_wipe(b, sizeof(b));
    store64le(b, unit);
    block(k, 2, b, t);
    lo = load64le(t);
    hi = load64le(t + 8);
    for (size_t i = 0; i < full - 1; i++)
        tweak_double(&lo, &hi);
    lo2 = lo;
    hi2 = hi;
    tweak_double(&lo2, &hi2);
    /* Encrypt: the last full block uses T_{m-1}, the stolen one T_m;
     * decrypt takes them in the other order. */
    if (dec) {
        uint64_t s = lo; lo = lo2; lo2 = s;
        s = hi; hi = hi2; hi2 = s;
    }
    for (int i = 0; i < 16; i++)
        b[i] = pin[i] ^ (uint8_t)((i < 8 ? lo : hi) >> (8 * (i & 7)));
    block(k, dec, b, b);
    for (int i = 0; i < 16; i++)
        b[i] ^= (uint8_t)((i < 8 ? lo : hi) >> (8 * (i & 7)));
    /* b: the block whose head becomes the partial output and whose tail is
     * stolen into the last full block. */
    copy_bytes(t, b, 16);
    copy_bytes(t, pin + 16, tail);
    copy_bytes(pout + 16, b, tail);
    for (int i = 0; i < 16; i++)
        t[i] ^= (uint8_t)((i < 8 ? lo2 : hi2) >> (8 * (i & 7)));
    block(k, dec, t, t);
    for (int i = 0; i < 16; i++)
        pout[i] = t[i] ^ (uint8_t)((i < 8 ? lo2 : hi2) >> (8 * (i & 7)));
    lo = hi = lo2 = hi2 = 0;
    xts_wipe(b, sizeof(b));
    xts_wipe(t, sizeof(t));
}

static int xts_units(const struct xts_key *k, uint64_t unit, size_t unit_len,
                     size_t nunits, const void *in, void *out, int dec)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    size_t full = unit_len / 16, tail = unit_len % 16;

    if (k->rounds == 0 || k->path <= XTS_PATH_AUTO || k->path >= XTS_PATH_COUNT)
        return XTS_ERR_NOKEY;
    if (unit_len < 16)
        return XTS_ERR_LENGTH;
    if (nunits == 0)
        return XTS_OK;
    if (unit + (nunits - 1) < unit)
        return XTS_ERR_LBA;
    if (tail == 0) {
        (dec ? paths[k->path].dec : paths[k->path].enc)(k, unit, full, nunits,
                                                        src, dst);
    } else {
        for (size_t u = 0; u < nunits; u++, unit++) {
            if (full > 1)
                (dec ? paths[k->path].dec : paths[k->path].enc)(
                    k, unit, full - 1, 1, src, dst);
            xts_steal(k, unit, full, tail, src, dst, dec);
            src += unit_len;
            dst += unit_len;
        }
    }
    scrub_stack(k);
    /* ct64 too: the compiler may use SSE registers in BearSSL's code. */
    xts_wipe_vector_regs();
    return XTS_OK;
}

int xts_encrypt_units(const struct xts_key *k, uint64_t first_unit,
                      size_t unit_len, size_t nunits, const void *in,
                      void *out)
{
    return xts_units(k, first_unit, unit_len, nunits, in, out, 0);
}

int xts_decrypt_units(const struct xts_key *k, uint64_t first_unit,
                      size_t unit_len, size_t nunits, const void *in,
                      void *out)
{
    return xts_units(k, first_unit, unit_len, nunits, in, out, 1);
}

int xts_encrypt_sectors(const struct xts_key *k, uint64_t lba,
                        size_t sector_size, size_t nsectors, const void *in,
                        void *out)
{
    if (sector_size != 512 && sector_size != 4096)
        return XTS_ERR_SECTOR;
    return xts_units(k, lba, sector_size, nsectors, in, out, 0);
}

int xts_decrypt_sectors(const struct xts_key *k, uint64_t lba,
                        size_t sector_size, size_t nsectors, const void *in,
                        void *out)
{
    if (sector_size != 512 && sector_size != 4096)
        return XTS_ERR_SECTOR;
    return xts_units(k, lba, sector_size, nsectors, in, out, 1);
}
