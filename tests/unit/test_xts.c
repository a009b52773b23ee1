/* AES-XTS: every IEEE 1619 XTS-AES vector in Debian's openssl source
 * (test/recipes/30-test_evp_data/evpciph_aes_common.txt, fetched into
 * build/ by crypto/module.mk and parsed here), through every path the CPU
 * offers (a path it lacks is reported as skipped), plus a randomized
 * cross-check against OpenSSL's EVP aes-xts in both directions, in place
 * and out of place, 1-128 sectors of 512 and 4096 bytes, and refusals. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto/xts.h"

#ifndef XTS_VECTORS_FILE
#define XTS_VECTORS_FILE "build/openssl-vectors/evpciph_aes_common.txt"
#endif

/* ---- the vector file ------------------------------------------------------ */

struct stanza {
    char cipher[32], operation[16], result[32], avail[16];
    uint8_t key[64], iv[16], pt[1024], ct[1024];
    size_t key_len, iv_len, pt_len, ct_len;
    int line;
};

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
           n < max) {
        unsigned v;

        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Reads the next stanza (lines "Name = value" up to a blank line); returns
 * 0 at end of file. */
static int next_stanza(FILE *f, struct stanza *st, int *lineno)
{
    char line[4096];
    int got = 0;

    memset(st, 0, sizeof(*st));
    while (fgets(line, sizeof(line), f)) {
        char *eq, *name, *val, *end;

        (*lineno)++;
        if (line[0] == '#')
            continue;
        for (end = line + strlen(line); end > line && isspace((unsigned char)end[-1]);)
            *--end = 0;
        if (line[0] == 0) {
            if (got)
                return 1;
            continue;
        }
        eq = strstr(line, " = ");
        if (!eq)
            continue;
        *eq = 0;
        name = line;
        val = eq + 3;
        if (!got)
            st->line = *lineno;
        got = 1;
        if (!strcmp(name, "Cipher"))
            snprintf(st->cipher, sizeof(st->cipher), "%s", val);
        else if (!strcmp(name, "Operation"))
            snprintf(st->operation, sizeof(st->operation), "%s", val);
        else if (!strcmp(name, "Result"))
            snprintf(st->result, sizeof(st->result), "%s", val);
        else if (!strcmp(name, "Availablein"))
            snprintf(st->avail, sizeof(st->avail), "%s", val);
        else if (!strcmp(name, "Key"))
            st->key_len = parse_hex(val, st->key, sizeof(st->key));
        else if (!strcmp(name, "IV"))
            st->iv_len = parse_hex(val, st->iv, sizeof(st->iv));
        else if (!strcmp(name, "Plaintext"))
            st->pt_len = parse_hex(val, st->pt, sizeof(st->pt));
        else if (!strcmp(name, "Ciphertext"))
            st->ct_len = parse_hex(val, st->ct, sizeof(st->ct));
    }
    return got;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Runs every XTS stanza of the file through one path; returns how many
 * stanzas it checked. */
static int run_vectors(enum xts_path path, int *refused)
{
    FILE *f = fopen(XTS_VECTORS_FILE, "r");
    struct stanza *st = malloc(sizeof(*st));
    int lineno = 0, n = 0;

    *refused = 0;
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "cannot open %s (make fetches it)\n", XTS_VECTORS_FILE);
        free(st);
        return 0;
    }
    while (next_stanza(f, st, &lineno)) {
        struct xts_key k;
        uint8_t out[1024];
        int rc, enc, dec, half_eq;

        if (strcasecmp(st->cipher, "aes-128-xts") &&
            strcasecmp(st->cipher, "aes-256-xts"))
            continue;
        n++;
        CHECK_EQ(st->key_len, strcasecmp(st->cipher, "aes-128-xts") ? 64 : 32);
        CHECK_EQ(st->iv_len, 16);
        CHECK_EQ(st->pt_len, st->ct_len);
        /* Our tweak input is a 64-bit unit number (plain64). */
        CHECK_EQ(le64(st->iv + 8), 0);
        half_eq = !memcmp(st->key, st->key + st->key_len / 2, st->key_len / 2);
        rc = xts_key_setup(&k, st->key, st->key_len, path);
        if (half_eq) {
            /* Refused in both directions: OpenSSL refuses them for
             * encryption, and for decryption in FIPS mode. */
            CHECK_EQ(rc, XTS_ERR_WEAK_KEY);
            (*refused)++;
            continue;
        }
        CHECK(!strcmp(st->result, ""));
        CHECK_EQ(rc, XTS_OK);
        enc = strcasecmp(st->operation, "DECRYPT") != 0;
        dec = strcasecmp(st->operation, "ENCRYPT") != 0;
        if (enc) {
            memset(out, 0, sizeof(out));
            CHECK_EQ(xts_encrypt_units(&k, le64(st->iv), st->pt_len, 1,
                                       st->pt, out), XTS_OK);
            if (memcmp(out, st->ct, st->ct_len)) {
                fprintf(stderr, "%s: line %d: encrypt mismatch (%s, %zu bytes)\n",
                        xts_path_name(path), st->line, st->cipher, st->pt_len);
                CHECK(0);
            }
            memcpy(out, st->pt, st->pt_len);          /* in place */
            xts_encrypt_units(&k, le64(st->iv), st->pt_len, 1, out, out);
            CHECK(memcmp(out, st->ct, st->ct_len) == 0);
        }
        if (dec) {
            memset(out, 0, sizeof(out));
            CHECK_EQ(xts_decrypt_units(&k, le64(st->iv), st->ct_len, 1,
                                       st->ct, out), XTS_OK);
            if (memcmp(out, st->pt, st->pt_len)) {
                fprintf(stderr, "%s: line %d: decrypt mismatch (%s, %zu bytes)\n",
                        xts_path_name(path), st->line, st->cipher, st->pt_len);
                CHECK(0);
            }
            memcpy(out, st->ct, st->ct_len);
            xts_decrypt_units(&k, le64(st->iv), st->ct_len, 1, out, out);
            CHECK(memcmp(out, st->pt, st->pt_len) == 0);
        }
        xts_key_wipe(&k);
    }
    fclose(f);
    free(st);
    return n;
}

/* ---- OpenSSL EVP as the reference ------------------------------------------ */

static void evp_xts(const uint8_t *key, size_t key_len, uint64_t unit,
                    size_t unit_len, size_t nunits, const uint8_t *in,
                    uint8_t *out, int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *ci = key_len == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
    int ok = EVP_CipherInit_ex(c, ci, NULL, key, NULL, enc);

    for (size_t u = 0; u < nunits; u++) {
        uint8_t iv[16] = {0};
        int outl = 0;

        for (int i = 0; i < 8; i++)
            iv[i] = (uint8_t)((unit + u) >> (8 * i));
        ok &= EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1);
        ok &= EVP_CipherUpdate(c, out + u * unit_len, &outl,
                               in + u * unit_len, (int)unit_len);
        ok &= outl == (int)unit_len;
    }
    EVP_CIPHER_CTX_free(c);
    CHECK(ok);
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rand() >> 7);
}

static uint64_t random_lba(void)
{
    switch (rand() % 4) {
    case 0:
        return (uint64_t)(rand() % 1000);
    case 1:                                     /* carries in the tweak */
        return 0xffffffffull - (uint64_t)(rand() % 200);
    case 2:
        return ~0ull - 200 - (uint64_t)(rand() % 1000);
    default:
        return ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 2) ^
               (uint64_t)rand();
    }
}

static void cross_check(enum xts_path path)
{
    static uint8_t pt[128 * 4096], ct[128 * 4096], ref[128 * 4096],
        buf[128 * 4096];
    const size_t sizes[] = { 512, 4096 };
    int rounds = path == XTS_PATH_CT64 ? 6 : 16;

    for (int ks = 32; ks <= 64; ks += 32) {
        for (int si = 0; si < 2; si++) {
            for (int r = 0; r < rounds; r++) {
                uint8_t key[64];
                struct xts_key k;
                size_t ss = sizes[si];
                size_t n = r == 0 ? 1 : r == 1 ? 128 : 1 + (size_t)rand() % 128;
                uint64_t lba = random_lba();

                fill_random(key, sizeof(key));
                fill_random(pt, n * ss);
                CHECK_EQ(xts_key_setup(&k, key, (size_t)ks, path), XTS_OK);

                /* encrypt, out of place and in place */
                evp_xts(key, (size_t)ks, lba, ss, n, pt, ref, 1);
                CHECK_EQ(xts_encrypt_sectors(&k, lba, ss, n, pt, ct), XTS_OK);
                CHECK(memcmp(ct, ref, n * ss) == 0);
                memcpy(buf, pt, n * ss);
                CHECK_EQ(xts_encrypt_sectors(&k, lba, ss, n, buf, buf), XTS_OK);
                CHECK(memcmp(buf, ref, n * ss) == 0);
                /* and OpenSSL decrypts ours */
                evp_xts(key, (size_t)ks, lba, ss, n, ct, buf, 0);
                CHECK(memcmp(buf, pt, n * ss) == 0);

                /* decrypt OpenSSL's ciphertext, out of place and in place */
                fill_random(pt, n * ss);
                evp_xts(key, (size_t)ks, lba, ss, n, pt, ref, 1);
                CHECK_EQ(xts_decrypt_sectors(&k, lba, ss, n, ref, buf), XTS_OK);
                CHECK(memcmp(buf, pt, n * ss) == 0);
                memcpy(buf, ref, n * ss);
                CHECK_EQ(xts_decrypt_sectors(&k, lba, ss, n, buf, buf), XTS_OK);
                CHECK(memcmp(buf, pt, n * ss) == 0);

                xts_key_wipe(&k);
            }
        }
        /* Block-multiple data units other than sectors, many at once: the
         * vector paths' chunk loops, tails and tweak batches (16 units)
         * at other shapes than 512/4096. */
        static const size_t lens[] = { 16, 32, 48, 64, 80, 272, 1024, 2048, 8192 };
        for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            uint8_t key[64];
            struct xts_key k;
            size_t len = lens[li];
            size_t n = len <= 2048 ? 1 + (size_t)rand() % 40 : 1 + (size_t)rand() % 8;
            uint64_t unit = random_lba();

            fill_random(key, sizeof(key));
            fill_random(pt, n * len);
            CHECK_EQ(xts_key_setup(&k, key, (size_t)ks, path), XTS_OK);
            evp_xts(key, (size_t)ks, unit, len, n, pt, ref, 1);
            CHECK_EQ(xts_encrypt_units(&k, unit, len, n, pt, ct), XTS_OK);
            if (memcmp(ct, ref, n * len)) {
                fprintf(stderr, "%s: %zu units of %zu bytes: encrypt mismatch\n",
                        xts_path_name(path), n, len);
                CHECK(0);
            }
            CHECK_EQ(xts_decrypt_units(&k, unit, len, n, ref, buf), XTS_OK);
            CHECK(memcmp(buf, pt, n * len) == 0);
            xts_key_wipe(&k);
        }
        /* General data units, ciphertext stealing included. */
        for (int r = 0; r < 40; r++) {
            uint8_t key[64];
            struct xts_key k;
            size_t len = 16 + (size_t)rand() % 700;
            size_t n = 1 + (size_t)rand() % 4;
            uint64_t unit = random_lba();

            fill_random(key, sizeof(key));
            fill_random(pt, n * len);
            CHECK_EQ(xts_key_setup(&k, key, (size_t)ks, path), XTS_OK);
            evp_xts(key, (size_t)ks, unit, len, n, pt, ref, 1);
            CHECK_EQ(xts_encrypt_units(&k, unit, len, n, pt, ct), XTS_OK);
            if (memcmp(ct, ref, n * len)) {
                fprintf(stderr, "%s: unit length %zu x %zu: encrypt mismatch\n",
                        xts_path_name(path), len, n);
                CHECK(0);
            }
            CHECK_EQ(xts_decrypt_units(&k, unit, len, n, ref, ref), XTS_OK);
            CHECK(memcmp(ref, pt, n * len) == 0);
            xts_key_wipe(&k);
        }
    }
}

/* ---- refusals and API contracts -------------------------------------------- */

static void refusals(void)
{
    struct xts_key k;
    uint8_t key[64], buf[4096] = {0};
    const uint8_t zero[sizeof(k)] = {0};

    fill_random(key, sizeof(key));
    CHECK_EQ(xts_key_setup(&k, key, 48, XTS_PATH_AUTO), XTS_ERR_KEY_SIZE);
    CHECK_EQ(xts_key_setup(&k, key, 16, XTS_PATH_AUTO), XTS_ERR_KEY_SIZE);
    memcpy(key + 32, key, 32);
    CHECK_EQ(xts_key_setup(&k, key, 64, XTS_PATH_AUTO), XTS_ERR_WEAK_KEY);
    CHECK(memcmp(&k, zero, sizeof(k)) == 0);   /* left wiped */
    memcpy(key + 16, key, 16);
    CHECK_EQ(xts_key_setup(&k, key, 32, XTS_PATH_AUTO), XTS_ERR_WEAK_KEY);
    fill_random(key, sizeof(key));
    CHECK_EQ(xts_key_setup(&k, key, 64, XTS_PATH_COUNT), XTS_ERR_PATH);
    CHECK_EQ(xts_key_setup(&k, key, 64, XTS_PATH_AUTO), XTS_OK);
    CHECK_EQ(k.path, xts_best_path());
    CHECK_EQ(xts_encrypt_sectors(&k, 0, 1024, 1, buf, buf), XTS_ERR_SECTOR);
    CHECK_EQ(xts_decrypt_sectors(&k, 0, 520, 1, buf, buf), XTS_ERR_SECTOR);
    CHECK_EQ(xts_encrypt_units(&k, 0, 15, 1, buf, buf), XTS_ERR_LENGTH);
    CHECK_EQ(xts_encrypt_sectors(&k, ~0ull, 512, 2, buf, buf), XTS_ERR_LBA);
    CHECK_EQ(xts_encrypt_sectors(&k, ~0ull, 512, 1, buf, buf), XTS_OK);
    CHECK_EQ(xts_encrypt_sectors(&k, 5, 512, 0, buf, buf), XTS_OK);
    xts_key_wipe(&k);
    CHECK(memcmp(&k, zero, sizeof(k)) == 0);
    CHECK_EQ(xts_encrypt_sectors(&k, 0, 512, 1, buf, buf), XTS_ERR_NOKEY);
    CHECK(xts_path_available(XTS_PATH_CT64));
    CHECK(!xts_path_available(XTS_PATH_AUTO));
    {
        static uint8_t raw[sizeof(struct xts_key) + 64]
            __attribute__((aligned(64)));

        fill_random(key, sizeof(key));
        CHECK_EQ(xts_key_setup((struct xts_key *)(raw + 16), key, 64,
                               XTS_PATH_AUTO), XTS_ERR_ALIGN);
    }
}

/* The paths' vector registers are zero after a call (read back with the
 * widest registers the CPU has). */
__attribute__((target("avx512f"))) static int zmm_all_zero(void)
{
    uint8_t z[32][64];

    __asm__ volatile(
#define ST(n) "vmovdqu64 %%zmm" #n ", " #n "*64(%0)\n\t"
        ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7) ST(8) ST(9) ST(10)
        ST(11) ST(12) ST(13) ST(14) ST(15) ST(16) ST(17) ST(18) ST(19)
        ST(20) ST(21) ST(22) ST(23) ST(24) ST(25) ST(26) ST(27) ST(28)
        ST(29) ST(30) ST(31)
#undef ST
        :: "r"(z) : "memory");
    for (size_t i = 0; i < sizeof(z); i++)
        if (((uint8_t *)z)[i])
            return 0;
    return 1;
}

static void vector_regs_wiped(enum xts_path path)
{
    struct xts_key k;
    uint8_t key[64], buf[4096];

    if (!xts_path_available(XTS_PATH_VAES512))
        return;
    fill_random(key, sizeof(key));
    fill_random(buf, sizeof(buf));
    xts_key_setup(&k, key, 64, path);
    xts_encrypt_sectors(&k, 7, 4096, 1, buf, buf);
    CHECK(zmm_all_zero());
    xts_decrypt_sectors(&k, 7, 4096, 1, buf, buf);
    CHECK(zmm_all_zero());
    xts_key_wipe(&k);
}

int main(void)
{
    int tested = 0;

    srand(1619);
    refusals();
    for (int p = XTS_PATH_CT64; p < XTS_PATH_COUNT; p++) {
        int n, refused;

        if (!xts_path_available((enum xts_path)p)) {
            printf("path %-8s skipped: this CPU lacks it\n",
                   xts_path_name((enum xts_path)p));
            continue;
        }
        n = run_vectors((enum xts_path)p, &refused);
        /* The file carries 40-odd XTS stanzas; far fewer means the
         * parser or the file is wrong, not that there is nothing to do. */
        CHECK(n >= 30);
        cross_check((enum xts_path)p);
        vector_regs_wiped((enum xts_path)p);
        printf("path %-8s %d IEEE 1619 stanzas (%d equal-half keys refused), "
               "EVP cross-check done\n", xts_path_name((enum xts_path)p), n,
               refused);
        tested++;
    }
    CHECK(tested >= 1);
    printf("best path here: %s\n", xts_path_name(xts_best_path()));
    return check_done("xts");
}
