/* TPM 2.0 commands the VMM sends, marshalled and their responses checked
 * (pure: host-tested by tests/unit/test_tpm.c). TPM Library spec part 3
 * for each command's layout; all integers big-endian. Every parser takes
 * the whole response as the TIS driver read it and refuses, with one line
 * in `why`, a response that is short, has the wrong tag, a size field that
 * disagrees with what was read, trailing bytes, or a field out of range. */
#ifndef VENEER_DEVICES_TPM_CMD_H
#define VENEER_DEVICES_TPM_CMD_H

#include <platform/types.h>

#define TPM_ST_NO_SESSIONS 0x8001
#define TPM_ST_SESSIONS    0x8002

#define TPM_CC_STARTUP           0x00000144
#define TPM_CC_LOAD              0x00000157
#define TPM_CC_UNSEAL            0x0000015e
#define TPM_CC_FLUSH_CONTEXT     0x00000165
#define TPM_CC_START_AUTH_SESSION 0x00000176
#define TPM_CC_PCR_READ          0x0000017e
#define TPM_CC_POLICY_PCR        0x0000017f
#define TPM_CC_PCR_EXTEND        0x00000182

#define TPM_RH_NULL  0x40000007
#define TPM_RS_PW    0x40000009
#define TPM_ALG_SHA256 0x000b
#define TPM_ALG_NULL   0x0010
#define TPM_SE_POLICY  0x01

#define TPM_HEADER_LEN 10
#define TPM_BUF_MAX    4096  /* commands and responses the VMM handles */
#define TPM_SHA256_LEN 32
#define TPM_PCR_COUNT  24
#define TPM_UNSEAL_MAX 128   /* MAX_SYM_DATA */

/* A command being built: the header is filled by tpm_cmd_finish. */
struct tpm_cmd {
    u8 buf[TPM_BUF_MAX];
    size_t len;
    bool overflow;
};

/* Responses carry `why` (one line) when they return < 0:
 *   -E_IO    malformed (short, tag, size, trailing bytes, field range)
 *   -E_FAULT the TPM answered with a non-zero response code (*rc holds it)
 */
int tpm_resp_header(const u8 *r, size_t len, u16 want_tag, u32 *rc,
                    char *why, size_t whylen);

/* TPM2_StartAuthSession: an unsalted, unbound policy session (SHA-256,
 * no parameter encryption). `nonce`: 16 to 32 bytes. */
void tpm_cmd_start_policy_session(struct tpm_cmd *c, const u8 *nonce,
                                  size_t nonce_len);
int tpm_resp_start_auth_session(const u8 *r, size_t len, u32 *session, u32 *rc,
                                char *why, size_t whylen);

/* TPM2_PolicyPCR with an empty pcrDigest (the TPM takes the PCRs' current
 * values) over the SHA-256 bank's PCRs in `mask` (bit n: PCR n). */
void tpm_cmd_policy_pcr(struct tpm_cmd *c, u32 session, u32 mask);
/* A response with no handle and no parameter (PolicyPCR, FlushContext). */
int tpm_resp_empty(const u8 *r, size_t len, u32 *rc, char *why, size_t whylen);

/* TPM2_Load of `blob` (TPM2B_PRIVATE then TPM2B_PUBLIC, as tpm2_create -r
 * and -u write them) under `parent`, authorised by the empty password. */
int tpm_cmd_load(struct tpm_cmd *c, u32 parent, const u8 *blob, size_t blob_len,
                 char *why, size_t whylen);
int tpm_resp_load(const u8 *r, size_t len, u32 *object, u32 *rc,
                  char *why, size_t whylen);

/* TPM2_Unseal of `object` in the policy `session` (not continued). */
void tpm_cmd_unseal(struct tpm_cmd *c, u32 object, u32 session);
/* The unsealed bytes are copied to `out` (TPM_UNSEAL_MAX) and their count
 * returned in *out_len. */
int tpm_resp_unseal(const u8 *r, size_t len, u8 *out, size_t *out_len, u32 *rc,
                    char *why, size_t whylen);

/* TPM2_PCR_Extend of PCR `pcr`'s SHA-256 bank, empty password. */
void tpm_cmd_pcr_extend(struct tpm_cmd *c, u32 pcr, const u8 digest[TPM_SHA256_LEN]);
int tpm_resp_pcr_extend(const u8 *r, size_t len, u32 *rc, char *why, size_t whylen);

/* TPM2_PCR_Read of one PCR of the SHA-256 bank. */
void tpm_cmd_pcr_read(struct tpm_cmd *c, u32 pcr);
int tpm_resp_pcr_read(const u8 *r, size_t len, u32 pcr, u8 out[TPM_SHA256_LEN],
                      u32 *rc, char *why, size_t whylen);

/* TPM2_Startup(SU_CLEAR): for a TPM nobody started since its reset. */
#define TPM_RC_INITIALIZE 0x100
void tpm_cmd_startup_clear(struct tpm_cmd *c);

/* TPM2_FlushContext of a loaded object or session handle. */
void tpm_cmd_flush(struct tpm_cmd *c, u32 handle);

/* "0-7,15" -> bit mask of PCRs (0..23); < 0 with `why` when malformed. */
int tpm_pcr_mask_parse(const char *s, u32 *mask, char *why, size_t whylen);

/* The value a PCR reset to zeros holds after one SHA-256 extend by the
 * digest of `tpm_cap_event` is what tests expect; the digest itself: */
extern const char tpm_cap_event[];
extern const u8 tpm_cap_digest[TPM_SHA256_LEN];

#endif
