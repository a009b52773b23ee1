/* XTS path ct64: BearSSL's constant-time bitsliced AES (aes_ct64), four
 * blocks per pass; for CPUs without AES-NI. Tweaks are doubled in scalar
 * code; four units' tweaks are encrypted in one pass. */
#include "crypto/bearssl_aes.h"
#include "crypto/wipe.h"
#include "crypto/xts_internal.h"

/* One pass over up to 4 blocks: out = AES(in ^ t) ^ t per block. q and
 * w: the caller's scratch (it wipes them once, not every pass). */
static inline __attribute__((always_inline)) void
ct64_pass(const uint64_t *sk_exp, unsigned rounds, int dec,
          const uint8_t *in, uint8_t *out, size_t nblocks,
          const uint64_t tw[4][2], uint64_t q[8], uint32_t w[16])
{
    for (size_t b = 0; b < 4; b++) {
        uint64_t lo = 0, hi = 0;

        if (b < nblocks) {
            lo = load64le(in + 16 * b) ^ tw[b][0];
            hi = load64le(in + 16 * b + 8) ^ tw[b][1];
        }
        /* w's words are little-endian halves of lo and hi (x86) */
        __builtin_memcpy(w + 4 * b, &lo, 8);
        __builtin_memcpy(w + 4 * b + 2, &hi, 8);
        br_aes_ct64_interleave_in(&q[b], &q[b + 4], w + 4 * b);
    }
    br_aes_ct64_ortho(q);
    if (dec)
        br_aes_ct64_bitslice_decrypt(rounds, sk_exp, q);
    else
        br_aes_ct64_bitslice_encrypt(rounds, sk_exp, q);
    br_aes_ct64_ortho(q);
    for (size_t b = 0; b < nblocks; b++) {
        uint64_t lo, hi;

        br_aes_ct64_interleave_out(w + 4 * b, q[b], q[b + 4]);
        __builtin_memcpy(&lo, w + 4 * b, 8);
        __builtin_memcpy(&hi, w + 4 * b + 2, 8);
        store64le(out + 16 * b, lo ^ tw[b][0]);
        store64le(out + 16 * b + 8, hi ^ tw[b][1]);
    }
}

static void ct64_units(const struct xts_key *k, uint64_t unit,
                       size_t unit_blocks, size_t nunits, const uint8_t *in,
                       uint8_t *out, int dec)
{
    uint64_t sk_data[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t sk_tweak[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t tw[4][2] = {{0}};
    uint64_t q[8];
    uint32_t w[16];

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
            ct64_pass(sk_tweak, k->rounds, 0, lba, t0, n, zero, q, w);
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
            if (n == 4)     /* the usual pass: a copy with no block count */
                ct64_pass(sk_data, k->rounds, dec, in, out, 4, tw, q, w);
            else
                ct64_pass(sk_data, k->rounds, dec, in, out, n, tw, q, w);
            in += 16 * n;
            out += 16 * n;
        }
        lo = hi = 0;
    }
    crypto_wipe(t0, sizeof(t0));
    crypto_wipe(tw, sizeof(tw));
    crypto_wipe(q, sizeof(q));
    crypto_wipe(w, sizeof(w));
    crypto_wipe(sk_data, sizeof(sk_data));
    crypto_wipe(sk_tweak, sizeof(sk_tweak));
}

/* op: 0 encrypt with K1, 1 decrypt with K1, 2 encrypt with K2. */
void xts_ct64_block(const struct xts_key *k, int op, const uint8_t in[16],
                       uint8_t out[16])
{
    uint64_t sk[(XTS_MAX_ROUNDS + 1) * 8];
    uint64_t zero[4][2] = {{0}};
    uint64_t q[8];
    uint32_t w[16];

    br_aes_ct64_skey_expand(sk, k->rounds, op == 2 ? k->ct_tweak : k->ct_data);
    ct64_pass(sk, k->rounds, op == 1, in, out, 1, zero, q, w);
    crypto_wipe(sk, sizeof(sk));
    crypto_wipe(q, sizeof(q));
    crypto_wipe(w, sizeof(w));
}


void xts_ct64_enc(const struct xts_key *k, uint64_t unit, size_t ub,
                     size_t n, const uint8_t *in, uint8_t *out)
{
    ct64_units(k, unit, ub, n, in, out, 0);
}

void xts_ct64_dec(const struct xts_key *k, uint64_t unit, size_t ub,
                     size_t n, const uint8_t *in, uint8_t *out)
{
    ct64_units(k, unit, ub, n, in, out, 1);
}
