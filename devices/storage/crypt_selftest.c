/* simd_selftest hypercall: runs an IEEE 1619 XTS-AES-128 vector (vector 2
 * of the standard: key 11..11 22..22, data unit 0x3333333333, 32 bytes of
 * 0x44) through the VMM's fastest path inside simd_begin/simd_end and
 * compares. The guest calls it with its own vector registers loaded and
 * checks they come back unchanged: the proof that VMM crypto on an exit
 * path leaves the guest's FPU/SSE/AVX state alone.
 * Returns RBX = the path used (enum xts_path), RCX = 1 if the ciphertext
 * matched. */
#include <common/hypercall.h>
#include <crypto/xts.h>
#include <platform/simd.h>
#include <string.h>

static const u8 expect[32] = {
    0xc4, 0x54, 0x18, 0x5e, 0x6a, 0x16, 0x93, 0x6e, 0x39, 0x33, 0x40, 0x38,
    0xac, 0xef, 0x83, 0x8b, 0xfb, 0x18, 0x6f, 0xff, 0x74, 0x80, 0xad, 0xc4,
    0x28, 0x93, 0x82, 0xec, 0xd6, 0xd3, 0x94, 0xf0,
};

static struct xts_key key;

static int hc_simd_selftest(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    u8 k[32], buf[32];
    int r;

    memset(k, 0x11, 16);
    memset(k + 16, 0x22, 16);
    memset(buf, 0x44, sizeof(buf));
    simd_begin();
    r = xts_key_setup(&key, k, sizeof(k), XTS_PATH_AUTO);
    if (r == XTS_OK)
        r = xts_encrypt_units(&key, 0x3333333333ULL, 32, 1, buf, buf);
    out[0] = key.path;
    xts_key_wipe(&key);
    simd_end();
    memset(k, 0, sizeof(k));
    if (r != XTS_OK)
        return -E_INVAL;
    out[1] = memcmp(buf, expect, sizeof(buf)) == 0;
    return 0;
}
HYPERCALL("simd_selftest", hc_simd_selftest);
