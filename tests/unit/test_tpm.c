/* TPM 2.0 command marshalling and response checks (devices/tpm/tpm_cmd.c):
 * the bytes of each command against their layout in the TPM 2.0 Library
 * spec part 3; every response parser against well-formed answers, then
 * short ones, wrong tags, size fields that lie, every truncation, trailing
 * bytes and fields out of range, each refused with a line. */
#include <openssl/sha.h>

#include "check.h"
#include <devices/tpm/tpm_cmd.h>

static char why[160];

/* A response: header with the right size, then the body */
static size_t mkresp(u8 *out, u16 tag, u32 rc, const u8 *body, size_t n)
{
    size_t len = TPM_HEADER_LEN + n;

    out[0] = (u8)(tag >> 8);
    out[1] = (u8)tag;
    out[2] = (u8)(len >> 24);
    out[3] = (u8)(len >> 16);
    out[4] = (u8)(len >> 8);
    out[5] = (u8)len;
    out[6] = (u8)(rc >> 24);
    out[7] = (u8)(rc >> 16);
    out[8] = (u8)(rc >> 8);
    out[9] = (u8)rc;
    if (n)
        memcpy(out + TPM_HEADER_LEN, body, n);
    return len;
}

static void setsize(u8 *r, size_t len)
{
    r[2] = (u8)(len >> 24);
    r[3] = (u8)(len >> 16);
    r[4] = (u8)(len >> 8);
    r[5] = (u8)len;
}

static bool bytes_are(const struct tpm_cmd *c, const u8 *want, size_t n)
{
    if (c->overflow || c->len != n || memcmp(c->buf, want, n) != 0) {
        fprintf(stderr, "command bytes differ (len %zu, want %zu)\n", c->len, n);
        return false;
    }
    return true;
}

static void test_commands(void)
{
    static struct tpm_cmd c;
    u8 nonce[16], dig[32];

    for (int i = 0; i < 16; i++)
        nonce[i] = (u8)(0xa0 + i);
    for (int i = 0; i < 32; i++)
        dig[i] = (u8)i;

    static const u8 sas[] = {
        0x80, 0x01, 0, 0, 0, 0x2b, 0, 0, 0x01, 0x76,
        0x40, 0, 0, 0x07, 0x40, 0, 0, 0x07,            /* tpmKey, bind: null */
        0, 16, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
        0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, /* nonceCaller */
        0, 0,                                           /* encryptedSalt */
        0x01,                                           /* TPM_SE_POLICY */
        0x00, 0x10,                                     /* symmetric: null */
        0x00, 0x0b,                                     /* SHA-256 */
    };
    tpm_cmd_start_policy_session(&c, nonce, 16);
    CHECK(bytes_are(&c, sas, sizeof(sas)));

    static const u8 ppcr[] = {
        0x80, 0x01, 0, 0, 0, 0x1a, 0, 0, 0x01, 0x7f,
        0x03, 0, 0, 0,                 /* session */
        0, 0,                          /* pcrDigest: empty */
        0, 0, 0, 1, 0x00, 0x0b, 3, 0xff, 0x80, 0x00, /* sha256: 0-7, 15 */
    };
    tpm_cmd_policy_pcr(&c, 0x03000000, 0x80ff);
    CHECK(bytes_are(&c, ppcr, sizeof(ppcr)));

    static const u8 unseal[] = {
        0x80, 0x02, 0, 0, 0, 0x1b, 0, 0, 0x01, 0x5e,
        0x80, 0, 0, 1,                 /* itemHandle */
        0, 0, 0, 9,                    /* authorizationSize */
        0x03, 0, 0, 0, 0, 0, 0, 0, 0,  /* session, nonce, attrs, hmac */
    };
    tpm_cmd_unseal(&c, 0x80000001, 0x03000000);
    CHECK(bytes_are(&c, unseal, sizeof(unseal)));

    static const u8 ext[] = {
        0x80, 0x02, 0, 0, 0, 0x41, 0, 0, 0x01, 0x82,
        0, 0, 0, 15,
        0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,
        0, 0, 0, 1, 0x00, 0x0b,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    };
    tpm_cmd_pcr_extend(&c, 15, dig);
    CHECK(bytes_are(&c, ext, sizeof(ext)));

    static const u8 rd[] = {
        0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0x01, 0x7e,
        0, 0, 0, 1, 0x00, 0x0b, 3, 0x00, 0x00, 0x01, /* PCR 16 */
    };
    tpm_cmd_pcr_read(&c, 16);
    CHECK(bytes_are(&c, rd, sizeof(rd)));

    static const u8 st[] = { 0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0 };
    tpm_cmd_startup_clear(&c);
    CHECK(bytes_are(&c, st, sizeof(st)));

    static const u8 fl[] = { 0x80, 0x01, 0, 0, 0, 0x0e, 0, 0, 0x01, 0x65,
                             0x80, 0, 0, 2 };
    tpm_cmd_flush(&c, 0x80000002);
    CHECK(bytes_are(&c, fl, sizeof(fl)));

    /* Load: the blob is TPM2B_PRIVATE || TPM2B_PUBLIC, checked */
    static const u8 blob[] = { 0, 2, 0xaa, 0xbb, 0, 3, 0x11, 0x22, 0x33 };
    static const u8 load[] = {
        0x80, 0x02, 0, 0, 0, 0x24, 0, 0, 0x01, 0x57,
        0x81, 0, 0, 1,
        0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,
        0, 2, 0xaa, 0xbb, 0, 3, 0x11, 0x22, 0x33,
    };
    CHECK_EQ(tpm_cmd_load(&c, 0x81000001, blob, sizeof(blob), why, sizeof(why)), 0);
    CHECK(bytes_are(&c, load, sizeof(load)));
    for (size_t n = 0; n < sizeof(blob); n++)
        CHECK(tpm_cmd_load(&c, 0x81000001, blob, n, why, sizeof(why)) < 0);
    static const u8 extra[] = { 0, 2, 0xaa, 0xbb, 0, 1, 0x11, 0x99 };
    CHECK(tpm_cmd_load(&c, 0x81000001, extra, sizeof(extra), why, sizeof(why)) < 0);
    CHECK_STR(why, "the sealed object has 1 bytes after its TPM2B_PRIVATE and "
                   "TPM2B_PUBLIC");
    static const u8 empty[] = { 0, 0, 0, 1, 0x11 };
    CHECK(tpm_cmd_load(&c, 0x81000001, empty, sizeof(empty), why, sizeof(why)) < 0);
    static u8 huge[TPM_BUF_MAX];
    huge[0] = (TPM_BUF_MAX / 2 - 2) >> 8; huge[1] = (TPM_BUF_MAX / 2 - 2) & 0xff;
    huge[TPM_BUF_MAX / 2] = (TPM_BUF_MAX / 2 - 2) >> 8;
    huge[TPM_BUF_MAX / 2 + 1] = (TPM_BUF_MAX / 2 - 2) & 0xff;
    CHECK(tpm_cmd_load(&c, 0x81000001, huge, sizeof(huge), why, sizeof(why)) < 0);
    CHECK_STR(why, "the sealed object (4096 bytes) is too large");
}

static void test_header(void)
{
    u8 r[64];
    u32 rc;
    size_t n;

    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, NULL, 0);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), 0);
    for (size_t k = 0; k < n; k++)
        CHECK_EQ(tpm_resp_empty(r, k, &rc, why, sizeof(why)), -E_IO);
    CHECK_STR(why, "response of 9 bytes is shorter than a header");
    /* size field lies, both ways */
    setsize(r, 11);
    CHECK_EQ(tpm_resp_empty(r, 10, &rc, why, sizeof(why)), -E_IO);
    CHECK_STR(why, "response size field says 11 bytes, 10 came");
    setsize(r, 9);
    CHECK_EQ(tpm_resp_empty(r, 10, &rc, why, sizeof(why)), -E_IO);
    /* wrong tag */
    n = mkresp(r, TPM_ST_SESSIONS, 0, NULL, 0);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_IO);
    CHECK_STR(why, "response tag 0x8002, want 0x8001");
    n = mkresp(r, 0x00c4, 0, NULL, 0); /* TPM 1.2's TPM_TAG_RSP_COMMAND */
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_IO);
    /* an error code: reported as such when well-formed */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0x99d, NULL, 0);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_FAULT);
    CHECK_EQ(rc, 0x99d);
    CHECK_STR(why, "the TPM answered with response code 0x99d");
    n = mkresp(r, TPM_ST_SESSIONS, 0x99d, NULL, 0);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_IO);
    static const u8 junk[4] = { 1, 2, 3, 4 };
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0x101, junk, 4);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_IO);
    CHECK_STR(why, "error response 0x101 with tag 0x8001 and 14 bytes (want a "
                   "bare 0x8001 header)");
    /* trailing bytes after an empty response */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, junk, 1);
    CHECK_EQ(tpm_resp_empty(r, n, &rc, why, sizeof(why)), -E_IO);
    CHECK_STR(why, "the response: 1 bytes after its last field");
}

/* Every truncation of a good response, its size field made to agree, is
 * refused; so is one extra byte. */
typedef int (*parse_fn)(const u8 *r, size_t len);

static void truncations(const u8 *good, size_t n, parse_fn parse)
{
    u8 r[TPM_BUF_MAX];

    CHECK_EQ(parse(good, n), 0);
    for (size_t k = TPM_HEADER_LEN; k < n; k++) {
        memcpy(r, good, k);
        setsize(r, k);
        if (parse(r, k) != -E_IO) {
            fprintf(stderr, "truncation to %zu accepted\n", k);
            CHECK(0);
        }
    }
    memcpy(r, good, n);
    r[n] = 0;
    setsize(r, n + 1);
    CHECK_EQ(parse(r, n + 1), -E_IO);
}

static u32 got_handle;
static u8 got_data[TPM_UNSEAL_MAX];
static size_t got_len;

static int p_sas(const u8 *r, size_t len)
{
    u32 rc;
    return tpm_resp_start_auth_session(r, len, &got_handle, &rc, why, sizeof(why));
}

static int p_load(const u8 *r, size_t len)
{
    u32 rc;
    return tpm_resp_load(r, len, &got_handle, &rc, why, sizeof(why));
}

static int p_unseal(const u8 *r, size_t len)
{
    u32 rc;
    return tpm_resp_unseal(r, len, got_data, &got_len, &rc, why, sizeof(why));
}

static int p_extend(const u8 *r, size_t len)
{
    u32 rc;
    return tpm_resp_pcr_extend(r, len, &rc, why, sizeof(why));
}

static u8 got_pcr[32];

static int p_read15(const u8 *r, size_t len)
{
    u32 rc;
    return tpm_resp_pcr_read(r, len, 15, got_pcr, &rc, why, sizeof(why));
}

static void test_responses(void)
{
    u8 r[512], body[256];
    size_t n;

    /* StartAuthSession: handle, nonceTPM */
    static const u8 sas[] = { 0x03, 0, 0, 0, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                              10, 11, 12, 13, 14, 15, 16 };
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, sas, sizeof(sas));
    truncations(r, n, p_sas);
    CHECK_EQ(p_sas(r, n), 0);
    CHECK_EQ(got_handle, 0x03000000);
    memcpy(body, sas, sizeof(sas));
    body[0] = 0x02; /* an HMAC session's handle */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, sizeof(sas));
    CHECK_EQ(p_sas(r, n), -E_IO);
    CHECK_STR(why, "StartAuthSession response: handle 0x2000000 is not a policy "
                   "session");
    memcpy(body, sas, 4);
    body[4] = 0; body[5] = 8;
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, 4 + 2 + 8);
    CHECK_EQ(p_sas(r, n), -E_IO);
    CHECK_STR(why, "StartAuthSession response: nonceTPM of 8 bytes");
    memcpy(body, sas, sizeof(sas));
    body[5] = 200; /* nonce size past the end */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, sizeof(sas));
    CHECK_EQ(p_sas(r, n), -E_IO);

    /* Load: handle, parameterSize, name, auth (nonce, attrs, hmac) */
    static const u8 load[] = { 0x80, 0, 0, 2, 0, 0, 0, 6, 0, 4, 0, 0x0b, 0xaa, 0xbb,
                               0, 0, 1, 0, 0 };
    n = mkresp(r, TPM_ST_SESSIONS, 0, load, sizeof(load));
    truncations(r, n, p_load);
    CHECK_EQ(p_load(r, n), 0);
    CHECK_EQ(got_handle, 0x80000002);
    memcpy(body, load, sizeof(load));
    body[7] = 5; /* parameterSize lies: shorter than the name */
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, sizeof(load));
    CHECK_EQ(p_load(r, n), -E_IO);
    body[7] = 7; /* longer: covers one byte of the auth area */
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, sizeof(load));
    CHECK_EQ(p_load(r, n), -E_IO);
    body[7] = 0xff; /* past the end */
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, sizeof(load));
    CHECK_EQ(p_load(r, n), -E_IO);
    CHECK_STR(why, "Load response: a field runs past its 29 bytes or is out of "
                   "range");
    memcpy(body, load, sizeof(load));
    body[0] = 0x81; /* a persistent handle is not what Load returns */
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, sizeof(load));
    CHECK_EQ(p_load(r, n), -E_IO);
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, load, sizeof(load));
    CHECK_EQ(p_load(r, n), -E_IO);

    /* Unseal: parameterSize, outData, auth */
    body[0] = 0; body[1] = 0; body[2] = 0; body[3] = 66;
    body[4] = 0; body[5] = 64;
    for (int i = 0; i < 64; i++)
        body[6 + i] = (u8)(i * 3);
    memcpy(body + 70, "\0\0\1\0\0", 5);
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, 75);
    truncations(r, n, p_unseal);
    CHECK_EQ(p_unseal(r, n), 0);
    CHECK_EQ(got_len, 64);
    CHECK_EQ(got_data[63], (u8)(63 * 3));
    body[5] = 66; /* outData runs into the auth area */
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, 75);
    CHECK_EQ(p_unseal(r, n), -E_IO);
    /* more than MAX_SYM_DATA */
    memset(body, 0, sizeof(body));
    body[3] = 2 + 129;
    body[5] = 129;
    memcpy(body + 4 + 2 + 129, "\0\0\1\0\0", 5);
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, 4 + 2 + 129 + 5);
    CHECK_EQ(p_unseal(r, n), -E_IO);
    /* an HMAC in the auth area longer than any digest */
    memset(body, 0, sizeof(body));
    body[3] = 2; /* empty outData */
    body[6] = 0; body[7] = 0; body[8] = 1; body[9] = 0; body[10] = 65;
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, 11 + 65);
    CHECK_EQ(p_unseal(r, n), -E_IO);

    /* PCR_Extend: parameterSize 0, auth */
    static const u8 ext[] = { 0, 0, 0, 0, 0, 0, 1, 0, 0 };
    n = mkresp(r, TPM_ST_SESSIONS, 0, ext, sizeof(ext));
    truncations(r, n, p_extend);
    memcpy(body, ext, sizeof(ext));
    body[3] = 1;
    n = mkresp(r, TPM_ST_SESSIONS, 0, body, sizeof(ext));
    CHECK_EQ(p_extend(r, n), -E_IO);

    /* PCR_Read of PCR 15: counter, selection, one digest */
    u8 rd[4 + 4 + 2 + 1 + 3 + 4 + 2 + 32] = {
        0, 0, 0, 7, 0, 0, 0, 1, 0x00, 0x0b, 3, 0x00, 0x80, 0x00, 0, 0, 0, 1, 0, 32 };
    for (int i = 0; i < 32; i++)
        rd[20 + i] = (u8)(0xc0 + i);
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, rd, sizeof(rd));
    truncations(r, n, p_read15);
    CHECK_EQ(p_read15(r, n), 0);
    CHECK_EQ(got_pcr[31], 0xdf);
    memcpy(body, rd, sizeof(rd));
    body[12] = 0; /* the bank did not select PCR 15 (bank off) */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, sizeof(rd));
    CHECK_EQ(p_read15(r, n), -E_IO);
    CHECK_STR(why, "PCR_Read response: selection is not PCR 15 of the SHA-256 "
                   "bank (the bank may be off)");
    memcpy(body, rd, sizeof(rd));
    body[9] = 0x04; /* SHA-1 */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, sizeof(rd));
    CHECK_EQ(p_read15(r, n), -E_IO);
    memcpy(body, rd, sizeof(rd));
    body[17] = 2; /* two digests */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, sizeof(rd));
    CHECK_EQ(p_read15(r, n), -E_IO);
    memcpy(body, rd, 20);
    body[19] = 20; /* a SHA-1-sized digest */
    n = mkresp(r, TPM_ST_NO_SESSIONS, 0, body, 40);
    CHECK_EQ(p_read15(r, n), -E_IO);
    CHECK_STR(why, "PCR_Read response: a 20-byte digest");
}

static void test_pcr_mask(void)
{
    u32 m;

    CHECK_EQ(tpm_pcr_mask_parse("0-7", &m, why, sizeof(why)), 0);
    CHECK_EQ(m, 0xff);
    CHECK_EQ(tpm_pcr_mask_parse("0,2,4-5,23", &m, why, sizeof(why)), 0);
    CHECK_EQ(m, 0x800035);
    CHECK_EQ(tpm_pcr_mask_parse("7", &m, why, sizeof(why)), 0);
    CHECK_EQ(m, 0x80);
    static const char *const bad[] = { "", "24", "0-24", "7-3", "a", "0,", ",0",
                                       "0--3", "0-", "1 2", "100", "0,,1" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tpm_pcr_mask_parse(bad[i], &m, why, sizeof(why)) != -E_INVAL) {
            fprintf(stderr, "vmm.tpm_pcrs=%s accepted\n", bad[i]);
            CHECK(0);
        }
    CHECK_EQ(tpm_pcr_mask_parse("0-24", &m, why, sizeof(why)), -E_INVAL);
    CHECK_STR(why, "at offset 2: want a PCR number 0 to 23 ending the range");
}

static void test_cap_digest(void)
{
    u8 d[32];

    SHA256((const u8 *)tpm_cap_event, strlen(tpm_cap_event), d);
    CHECK(memcmp(d, tpm_cap_digest, 32) == 0);
}

int main(void)
{
    test_commands();
    test_header();
    test_responses();
    test_pcr_mask();
    test_cap_digest();
    return check_done("tpm");
}
