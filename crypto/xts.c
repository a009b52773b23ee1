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
 * This file: CPU feature detection, path dispatch, key set-up, ciphertext
 * stealing, the public functions and the wiping; the paths are in
 * xts_ct64.c, xts_aesni.c and xts_vaes.c. */
#include "crypto/bearssl_aes.h"
#include "crypto/wipe.h"
#include "crypto/xts_internal.h"

/* ---- helpers ---------------------------------------------------------- */

void xts_wipe(void *p, size_t n)
{
    crypto_wipe(p, n);
}

/* ---- CPU features ----------------------------------------------------- */

enum {
    FEAT_AESNI = 1 << 0,
    FEAT_AVX = 1 << 1,          /* AVX usable: CPUID and XCR0 ymm state */
    FEAT_VAES256 = 1 << 2,
    FEAT_AVX512 = 1 << 3,       /* AVX-512 F+BW usable, XCR0 zmm state */
    FEAT_VAES512 = 1 << 4,
    FEAT_KNOWN = 1 << 30,
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

/* ---- dispatch ---------------------------------------------------------- */


static const struct {
    xts_units_fn *enc, *dec;
    xts_block_fn *block;
} paths[XTS_PATH_COUNT] = {
    [XTS_PATH_CT64] = { xts_ct64_enc, xts_ct64_dec, xts_ct64_block },
    [XTS_PATH_AESNI] = { xts_aesni_enc, xts_aesni_dec, xts_aesni_block },
    [XTS_PATH_VAES256] = { xts_vaes256_enc, xts_vaes256_dec, xts_aesni_block },
    [XTS_PATH_VAES512] = { xts_vaes512_enc, xts_vaes512_dec, xts_aesni_block },
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
 * spills some. Called right after a path returns, from the same frame,
 * these overwrite the stack the path used: the vector paths' frames are
 * below 1.6 KiB (objdump of the VMM's objects, with the rounds unrolled
 * per key size: vaes256 0x560 and vaes512 0x580 bytes below six pushes
 * and up to 63 bytes of alignment; the host build's are smaller); ct64
 * zeroes its own 2 KiB of arrays, and below them BearSSL's bitsliced
 * rounds spill their state, so it gets the deeper scrub. */
#define SCRUB_BYTES 2048
#define SCRUB_DEEP_BYTES 4096

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
static void scrub_stack_deep(void)
{
    __m128i buf[SCRUB_DEEP_BYTES / 16];

#pragma GCC unroll 8
    for (size_t i = 0; i < SCRUB_DEEP_BYTES / 16; i++)
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
    else if (k->path == XTS_PATH_CT64)
        scrub_stack_deep();
    else
        scrub_stack_sse();
}

/* Ciphertext stealing (IEEE 1619-2007 5.3.2 / 5.4.2) for the last full
 * block and the partial one of a unit; the full blocks before them went
 * through the path's bulk loop. */
static void xts_steal(const struct xts_key *k, uint64_t unit, size_t full,
                      size_t tail, const uint8_t *in, uint8_t *out, int dec)
{
    xts_block_fn *block = paths[k->path].block;
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
