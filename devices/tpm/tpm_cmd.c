/* TPM 2.0 command marshalling and response checks (tpm_cmd.h). */
#include <devices/tpm/tpm_cmd.h>
#include <platform/format.h>
#include <string.h>

const char tpm_cap_event[] = "Veneer started the guest";
/* SHA-256(tpm_cap_event); tests/unit/test_tpm.c recomputes it */
const u8 tpm_cap_digest[TPM_SHA256_LEN] = {
    0x7c, 0xf4, 0x58, 0xef, 0x61, 0x37, 0xbf, 0xb5, 0x5b, 0x9b, 0x5d, 0x64,
    0x76, 0x64, 0xf3, 0xa8, 0xa4, 0xe0, 0xdd, 0xec, 0x8c, 0x61, 0x33, 0x11,
    0x68, 0x14, 0x59, 0xeb, 0x83, 0x7e, 0xcb, 0x3f,
};

/* ---- building ---------------------------------------------------------- */

static void put(struct tpm_cmd *c, const void *p, size_t n)
{
    if (c->overflow || n > sizeof(c->buf) - c->len) {
        c->overflow = true;
        return;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
}

static void put8(struct tpm_cmd *c, u8 v)
{
    put(c, &v, 1);
}

static void put16(struct tpm_cmd *c, u16 v)
{
    u8 b[2] = { (u8)(v >> 8), (u8)v };
    put(c, b, 2);
}

static void put32(struct tpm_cmd *c, u32 v)
{
    u8 b[4] = { (u8)(v >> 24), (u8)(v >> 16), (u8)(v >> 8), (u8)v };
    put(c, b, 4);
}

static void set32(u8 *p, u32 v)
{
    p[0] = (u8)(v >> 24);
    p[1] = (u8)(v >> 16);
    p[2] = (u8)(v >> 8);
    p[3] = (u8)v;
}

static void cmd_begin(struct tpm_cmd *c, u16 tag, u32 code)
{
    c->len = 0;
    c->overflow = false;
    put16(c, tag);
    put32(c, 0); /* size, set at the end */
    put32(c, code);
}

static void cmd_end(struct tpm_cmd *c)
{
    if (!c->overflow)
        set32(c->buf + 2, (u32)c->len);
}

/* The authorisation area with one session: handle, empty nonce, the
 * attributes, empty HMAC (the password session's empty password, or a
 * policy session that needs no authValue). Its size comes first. */
static void put_auth(struct tpm_cmd *c, u32 session, u8 attrs)
{
    put32(c, 4 + 2 + 1 + 2);
    put32(c, session);
    put16(c, 0);
    put8(c, attrs);
    put16(c, 0);
}

/* TPML_PCR_SELECTION with the SHA-256 bank only */
static void put_pcr_selection(struct tpm_cmd *c, u32 mask)
{
    put32(c, 1);
    put16(c, TPM_ALG_SHA256);
    put8(c, 3);
    put8(c, (u8)mask);
    put8(c, (u8)(mask >> 8));
    put8(c, (u8)(mask >> 16));
}

void tpm_cmd_start_policy_session(struct tpm_cmd *c, const u8 *nonce,
                                  size_t nonce_len)
{
    cmd_begin(c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
    put32(c, TPM_RH_NULL); /* tpmKey: unsalted */
    put32(c, TPM_RH_NULL); /* bind: unbound */
    put16(c, (u16)nonce_len);
    put(c, nonce, nonce_len);
    put16(c, 0);           /* encryptedSalt */
    put8(c, TPM_SE_POLICY);
    put16(c, TPM_ALG_NULL); /* symmetric: no parameter encryption */
    put16(c, TPM_ALG_SHA256);
    cmd_end(c);
}

void tpm_cmd_policy_pcr(struct tpm_cmd *c, u32 session, u32 mask)
{
    cmd_begin(c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_PCR);
    put32(c, session);
    put16(c, 0); /* pcrDigest: empty, the TPM uses the current values */
    put_pcr_selection(c, mask);
    cmd_end(c);
}

/* A TPM2B at b[*off]: its total length (2 + size) when it fits in len. */
static int tpm2b_len(const u8 *b, size_t len, size_t off, size_t *total)
{
    size_t n;

    if (len - off < 2)
        return -1;
    n = (size_t)b[off] << 8 | b[off + 1];
    if (n > len - off - 2)
        return -1;
    *total = 2 + n;
    return 0;
}

int tpm_cmd_load(struct tpm_cmd *c, u32 parent, const u8 *blob, size_t blob_len,
                 char *why, size_t whylen)
{
    size_t priv, pub;

    if (tpm2b_len(blob, blob_len, 0, &priv) < 0 || priv == 2) {
        ksnprintf(why, whylen, "the sealed object (%zu bytes) does not start "
                  "with a TPM2B_PRIVATE", blob_len);
        return -E_INVAL;
    }
    if (tpm2b_len(blob, blob_len, priv, &pub) < 0 || pub == 2) {
        ksnprintf(why, whylen, "the sealed object has no TPM2B_PUBLIC after its "
                  "%zu-byte TPM2B_PRIVATE", priv);
        return -E_INVAL;
    }
    if (priv + pub != blob_len) {
        ksnprintf(why, whylen, "the sealed object has %zu bytes after its "
                  "TPM2B_PRIVATE and TPM2B_PUBLIC", blob_len - priv - pub);
        return -E_INVAL;
    }
    cmd_begin(c, TPM_ST_SESSIONS, TPM_CC_LOAD);
    put32(c, parent);
    put_auth(c, TPM_RS_PW, 0);
    put(c, blob, blob_len);
    cmd_end(c);
    if (c->overflow) {
        ksnprintf(why, whylen, "the sealed object (%zu bytes) is too large",
                  blob_len);
        return -E_INVAL;
    }
    return 0;
}

void tpm_cmd_unseal(struct tpm_cmd *c, u32 object, u32 session)
{
    cmd_begin(c, TPM_ST_SESSIONS, TPM_CC_UNSEAL);
    put32(c, object);
    put_auth(c, session, 0); /* continueSession clear: the TPM ends it */
    cmd_end(c);
}

void tpm_cmd_pcr_extend(struct tpm_cmd *c, u32 pcr, const u8 digest[TPM_SHA256_LEN])
{
    cmd_begin(c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
    put32(c, pcr);
    put_auth(c, TPM_RS_PW, 0);
    put32(c, 1);
    put16(c, TPM_ALG_SHA256);
    put(c, digest, TPM_SHA256_LEN);
    cmd_end(c);
}

void tpm_cmd_pcr_read(struct tpm_cmd *c, u32 pcr)
{
    cmd_begin(c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
    put_pcr_selection(c, BIT(pcr));
    cmd_end(c);
}

void tpm_cmd_startup_clear(struct tpm_cmd *c)
{
    cmd_begin(c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
    put16(c, 0x0000); /* TPM_SU_CLEAR */
    cmd_end(c);
}

void tpm_cmd_flush(struct tpm_cmd *c, u32 handle)
{
    cmd_begin(c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
    put32(c, handle);
    cmd_end(c);
}

/* ---- checking ---------------------------------------------------------- */

struct rd {
    const u8 *p;
    size_t len, off;
    bool bad;
};

static u32 get(struct rd *r, unsigned n)
{
    u32 v = 0;

    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return 0;
    }
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | r->p[r->off + i];
    r->off += n;
    return v;
}

/* A TPM2B of at most `max` bytes: its bytes, or NULL (r->bad) */
static const u8 *get2b(struct rd *r, size_t max, size_t *n)
{
    const u8 *p;

    *n = get(r, 2);
    if (r->bad || *n > max || *n > r->len - r->off) {
        r->bad = true;
        return NULL;
    }
    p = r->p + r->off;
    r->off += *n;
    return p;
}

int tpm_resp_header(const u8 *r, size_t len, u16 want_tag, u32 *rc,
                    char *why, size_t whylen)
{
    u32 tag, size;

    *rc = 0;
    if (len < TPM_HEADER_LEN) {
        ksnprintf(why, whylen, "response of %zu bytes is shorter than a header",
                  len);
        return -E_IO;
    }
    tag = (u32)r[0] << 8 | r[1];
    size = (u32)r[2] << 24 | (u32)r[3] << 16 | (u32)r[4] << 8 | r[5];
    *rc = (u32)r[6] << 24 | (u32)r[7] << 16 | (u32)r[8] << 8 | r[9];
    if (size != len) {
        ksnprintf(why, whylen, "response size field says %u bytes, %zu came",
                  size, len);
        return -E_IO;
    }
    if (*rc) {
        /* an error response is a bare header, tagged without sessions */
        if (len != TPM_HEADER_LEN || tag != TPM_ST_NO_SESSIONS) {
            ksnprintf(why, whylen, "error response 0x%x with tag 0x%x and %zu "
                      "bytes (want a bare 0x8001 header)", *rc, tag, len);
            return -E_IO;
        }
        ksnprintf(why, whylen, "the TPM answered with response code 0x%x", *rc);
        return -E_FAULT;
    }
    if (tag != want_tag) {
        ksnprintf(why, whylen, "response tag 0x%x, want 0x%x", tag, want_tag);
        return -E_IO;
    }
    return 0;
}

static int resp_end(struct rd *r, const char *what, char *why, size_t whylen)
{
    if (r->bad) {
        ksnprintf(why, whylen, "%s response: a field runs past its %zu bytes "
                  "or is out of range", what, r->len);
        return -E_IO;
    }
    if (r->off != r->len) {
        ksnprintf(why, whylen, "%s response: %zu bytes after its last field",
                  what, r->len - r->off);
        return -E_IO;
    }
    return 0;
}

/* The response authorisation area of one session: nonce, attributes,
 * HMAC (empty for the password session, a digest at most). */
static void get_auth(struct rd *r)
{
    size_t n;

    get2b(r, 64, &n);
    get(r, 1);
    get2b(r, 64, &n);
}

/* parameterSize, then that many bytes of parameters: the end of them */
static size_t get_param_size(struct rd *r)
{
    u32 n = get(r, 4);

    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return r->off;
    }
    return r->off + n;
}

static void params_end(struct rd *r, size_t end)
{
    if (!r->bad && r->off != end)
        r->bad = true;
}

int tpm_resp_start_auth_session(const u8 *b, size_t len, u32 *session, u32 *rc,
                                char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    size_t n;
    int e = tpm_resp_header(b, len, TPM_ST_NO_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    *session = get(&r, 4);
    get2b(&r, 64, &n);
    /* a policy session's handle: 0x03xxxxxx */
    if (!r.bad && (*session >> 24) != 0x03) {
        ksnprintf(why, whylen, "StartAuthSession response: handle 0x%x is not a "
                  "policy session", *session);
        return -E_IO;
    }
    if (!r.bad && n < 16) {
        ksnprintf(why, whylen, "StartAuthSession response: nonceTPM of %zu bytes",
                  n);
        return -E_IO;
    }
    return resp_end(&r, "StartAuthSession", why, whylen);
}

int tpm_resp_empty(const u8 *b, size_t len, u32 *rc, char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    int e = tpm_resp_header(b, len, TPM_ST_NO_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    return resp_end(&r, "the", why, whylen);
}

int tpm_resp_load(const u8 *b, size_t len, u32 *object, u32 *rc,
                  char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    size_t n, end;
    int e = tpm_resp_header(b, len, TPM_ST_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    *object = get(&r, 4);
    end = get_param_size(&r);
    get2b(&r, 2 + 64, &n); /* name: algorithm and digest */
    params_end(&r, end);
    get_auth(&r);
    if (!r.bad && (*object >> 24) != 0x80) {
        ksnprintf(why, whylen, "Load response: handle 0x%x is not a transient "
                  "object", *object);
        return -E_IO;
    }
    return resp_end(&r, "Load", why, whylen);
}

int tpm_resp_unseal(const u8 *b, size_t len, u8 *out, size_t *out_len, u32 *rc,
                    char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    const u8 *data;
    size_t end;
    int e = tpm_resp_header(b, len, TPM_ST_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    end = get_param_size(&r);
    data = get2b(&r, TPM_UNSEAL_MAX, out_len);
    params_end(&r, end);
    get_auth(&r);
    e = resp_end(&r, "Unseal", why, whylen);
    if (e)
        return e;
    memcpy(out, data, *out_len);
    return 0;
}

int tpm_resp_pcr_extend(const u8 *b, size_t len, u32 *rc, char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    size_t end;
    int e = tpm_resp_header(b, len, TPM_ST_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    end = get_param_size(&r);
    params_end(&r, end);
    get_auth(&r);
    return resp_end(&r, "PCR_Extend", why, whylen);
}

int tpm_resp_pcr_read(const u8 *b, size_t len, u32 pcr, u8 out[TPM_SHA256_LEN],
                      u32 *rc, char *why, size_t whylen)
{
    struct rd r = { b, len, TPM_HEADER_LEN, false };
    const u8 *d;
    u32 count, alg, sel;
    size_t n;
    int e = tpm_resp_header(b, len, TPM_ST_NO_SESSIONS, rc, why, whylen);

    if (e)
        return e;
    get(&r, 4); /* pcrUpdateCounter */
    count = get(&r, 4);
    alg = get(&r, 2);
    n = get(&r, 1);
    sel = get(&r, 3);
    if (!r.bad && (count != 1 || alg != TPM_ALG_SHA256 || n != 3 ||
                   sel != ((BIT(pcr) & 0xff) << 16 | (BIT(pcr) >> 8 & 0xff) << 8 |
                           (BIT(pcr) >> 16 & 0xff)))) {
        ksnprintf(why, whylen, "PCR_Read response: selection is not PCR %u of the "
                  "SHA-256 bank (the bank may be off)", pcr);
        return -E_IO;
    }
    count = get(&r, 4);
    if (!r.bad && count != 1) {
        ksnprintf(why, whylen, "PCR_Read response: %u digests for one PCR", count);
        return -E_IO;
    }
    d = get2b(&r, TPM_SHA256_LEN, &n);
    if (!r.bad && n != TPM_SHA256_LEN) {
        ksnprintf(why, whylen, "PCR_Read response: a %zu-byte digest", n);
        return -E_IO;
    }
    e = resp_end(&r, "PCR_Read", why, whylen);
    if (e)
        return e;
    memcpy(out, d, TPM_SHA256_LEN);
    return 0;
}

/* ---- options ----------------------------------------------------------- */

static int pcr_num(const char **s, u32 *v)
{
    const char *p = *s;
    u32 n = 0;

    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        n = n * 10 + (u32)(*p++ - '0');
        if (n >= TPM_PCR_COUNT)
            return -1;
    }
    *s = p;
    *v = n;
    return 0;
}

int tpm_pcr_mask_parse(const char *s, u32 *mask, char *why, size_t whylen)
{
    const char *start = s;

    *mask = 0;
    if (!*s) {
        ksnprintf(why, whylen, "no PCR listed");
        return -E_INVAL;
    }
    while (*s) {
        u32 a, b;
        if (pcr_num(&s, &a) < 0) {
            ksnprintf(why, whylen, "at offset %zu: want a PCR number 0 to 23",
                      (size_t)(s - start));
            return -E_INVAL;
        }
        b = a;
        if (*s == '-') {
            s++;
            if (pcr_num(&s, &b) < 0 || b < a) {
                ksnprintf(why, whylen, "at offset %zu: want a PCR number %u to 23 "
                          "ending the range", (size_t)(s - start), a);
                return -E_INVAL;
            }
        }
        for (u32 i = a; i <= b; i++)
            *mask |= BIT(i);
        if (*s == ',' && s[1])
            s++;
        else if (*s) {
            ksnprintf(why, whylen, "at offset %zu: want ',' or '-'",
                      (size_t)(s - start));
            return -E_INVAL;
        }
    }
    return 0;
}
