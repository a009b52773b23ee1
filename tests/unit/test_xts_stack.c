/* After a request no tweak is left on the stack: the vector paths spill
 * tweaks (E_K2 outputs) and xts.c scrubs the stack they used (a fixed
 * depth, sized from their frames in an optimized build). This test is built
 * like the VMM's code, -O2 without sanitizers (ASan's frames are larger and
 * not what ships), and checks every path the CPU offers: the 512 tweaks of
 * a 16-sector request are computed with OpenSSL's AES-ECB under K2, and
 * the 8 KiB below the caller's stack pointer are searched for any of them.
 * (With the scrub left out, this build found 1, 24 and 4 of them for
 * aesni, vaes256 and vaes512.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto/xts.h"

#define SCAN_BYTES 8192

__attribute__((noinline)) static int stack_has_block(const uint8_t (*blocks)[16],
                                                     int n)
{
    uint8_t here;
    /* Through an integer: the compiler may not reason about the bytes
     * below a local, and must read them. */
    uintptr_t top = (uintptr_t)&here;
    const volatile uint8_t *p = (const volatile uint8_t *)(top - SCAN_BYTES);
    int found = 0;

    for (size_t off = 0; off + 16 <= SCAN_BYTES; off++)
        for (int b = 0; b < n; b++) {
            int i = 0;

            while (i < 16 && p[off + i] == blocks[b][i])
                i++;
            if (i == 16)
                found++;
        }
    return found;
}

/* A tweak in a dead frame, where the paths' frames would be: the scan
 * must find it. */
__attribute__((noinline)) static void plant(const uint8_t *block)
{
    volatile uint8_t a[512];

    for (int i = 0; i < 16; i++)
        a[200 + i] = block[i];
    (void)a;
}

/* Zeroes the stack below the caller, so that each check starts clean. */
__attribute__((noinline)) static void clear_below(void)
{
    volatile uint8_t a[SCAN_BYTES + 1024];

    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = 0;
}

static struct xts_key k;
static uint8_t buf[16 * 512], tweaks[16 * 32][16];

__attribute__((noinline)) static int encrypt_request(void)
{
    return xts_encrypt_sectors(&k, 1000, 512, 16, buf, buf);
}

__attribute__((noinline)) static int decrypt_request(void)
{
    return xts_decrypt_sectors(&k, 1000, 512, 16, buf, buf);
}

/* The tweaks of sectors 1000..1015, as IEEE 1619 defines them. */
static void reference_tweaks(const uint8_t *k2)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl;

    EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, k2, NULL);
    EVP_CIPHER_CTX_set_padding(c, 0);
    for (int s = 0; s < 16; s++) {
        uint8_t *t0 = tweaks[32 * s];
        uint64_t lo, hi;

        memset(t0, 0, 16);
        t0[0] = (uint8_t)(1000 + s);
        t0[1] = (uint8_t)((1000 + s) >> 8);
        EVP_EncryptUpdate(c, t0, &outl, t0, 16);
        memcpy(&lo, t0, 8);
        memcpy(&hi, t0 + 8, 8);
        for (int j = 1; j < 32; j++) {
            uint64_t carry = hi >> 63;

            hi = (hi << 1) | (lo >> 63);
            lo = (lo << 1) ^ (0x87 & (0 - carry));
            memcpy(tweaks[32 * s + j], &lo, 8);
            memcpy(tweaks[32 * s + j] + 8, &hi, 8);
        }
    }
    EVP_CIPHER_CTX_free(c);
}

int main(void)
{
    uint8_t key[64];

    srand(1619);
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)rand();
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rand();
    reference_tweaks(key + 32);
    /* The scan must be able to see a tweak at all. */
    clear_below();
    plant(tweaks[37]);
    CHECK_EQ(stack_has_block((const uint8_t (*)[16])tweaks, 16 * 32), 1);
    for (int p = XTS_PATH_CT64; p < XTS_PATH_COUNT; p++) {
        int found_enc, found_dec;

        if (!xts_path_available((enum xts_path)p)) {
            printf("path %-8s skipped: this CPU lacks it\n",
                   xts_path_name((enum xts_path)p));
            continue;
        }
        CHECK_EQ(xts_key_setup(&k, key, 64, (enum xts_path)p), XTS_OK);
        clear_below();
        CHECK_EQ(encrypt_request(), XTS_OK);
        found_enc = stack_has_block((const uint8_t (*)[16])tweaks, 16 * 32);
        clear_below();
        CHECK_EQ(decrypt_request(), XTS_OK);
        found_dec = stack_has_block((const uint8_t (*)[16])tweaks, 16 * 32);
        printf("path %-8s tweaks left on the stack: %d after encrypt, %d "
               "after decrypt\n", xts_path_name((enum xts_path)p), found_enc,
               found_dec);
        CHECK_EQ(found_enc, 0);
        CHECK_EQ(found_dec, 0);
        xts_key_wipe(&k);
    }
    return check_done("xts_stack");
}
