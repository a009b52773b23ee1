/* PBKDF2-HMAC-SHA256 against published vectors (RFC 7914 section 11, and
 * the RFC 6070 inputs with SHA-256 as listed by the IETF/NIST community
 * vector sets), and against OpenSSL's PKCS5_PBKDF2_HMAC on random input. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto/kdf.h"

struct vec {
    const char *pass;
    size_t pass_len;
    const char *salt;
    size_t salt_len;
    uint32_t iter;
    const char *dk_hex;
};

#define S(x) x, sizeof(x) - 1

static const struct vec vecs[] = {
    /* RFC 7914 11. */
    { S("passwd"), S("salt"), 1,
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783" },
    { S("Password"), S("NaCl"), 80000,
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d" },
    /* RFC 6070's inputs with HMAC-SHA256. */
    { S("password"), S("salt"), 1,
      "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b" },
    { S("password"), S("salt"), 2,
      "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43" },
    { S("password"), S("salt"), 4096,
      "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a" },
    { S("passwordPASSWORDpassword"),
      S("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096,
      "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1"
      "c635518c7dac47e9" },
    { S("pass\0word"), S("sa\0lt"), 4096,
      "89b69d0516f829893c696226650a8687" },
};

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;

        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

int main(void)
{
    uint8_t want[128], got[128], ref[128];

    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const struct vec *v = &vecs[i];
        size_t n = unhex(v->dk_hex, want);

        memset(got, 0xaa, sizeof(got));
        CHECK_EQ(kdf_pbkdf2_sha256(v->pass, v->pass_len, v->salt,
                                   v->salt_len, v->iter, got, n), KDF_OK);
        CHECK(memcmp(got, want, n) == 0);
        CHECK_EQ(got[n], 0xaa);           /* nothing written past dkLen */
    }

    CHECK_EQ(kdf_pbkdf2_sha256("a", 1, "b", 1, 0, got, 32), KDF_ERR_ITER);
    CHECK_EQ(kdf_pbkdf2_sha256("a", 1, "b", 1, 1, got, 0), KDF_ERR_LENGTH);

    /* Random passphrases, salts, iteration counts and lengths (including
     * empty passphrase and salt, and passphrases longer than a SHA-256
     * block, which HMAC hashes first) against OpenSSL. */
    srand(1619);
    for (int r = 0; r < 200; r++) {
        uint8_t pass[200], salt[64];
        size_t pl = (size_t)rand() % sizeof(pass);
        size_t sl = (size_t)rand() % sizeof(salt);
        uint32_t it = 1 + (uint32_t)rand() % 50;
        size_t n = 1 + (size_t)rand() % sizeof(got);

        for (size_t i = 0; i < pl; i++)
            pass[i] = (uint8_t)rand();
        for (size_t i = 0; i < sl; i++)
            salt[i] = (uint8_t)rand();
        CHECK_EQ(kdf_pbkdf2_sha256(pass, pl, salt, sl, it, got, n), KDF_OK);
        CHECK_EQ(PKCS5_PBKDF2_HMAC((const char *)pass, (int)pl, salt,
                                   (int)sl, (int)it, EVP_sha256(), (int)n,
                                   ref), 1);
        CHECK(memcmp(got, ref, n) == 0);
    }
    return check_done("kdf");
}
