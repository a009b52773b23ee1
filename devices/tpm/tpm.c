/* The disk key sealed in a TPM 2.0: unsealed once at boot under a
 * PolicyPCR session, then the lock PCR is extended with "Veneer started
 * the guest" so that the guest, which shares the TPM, can no longer
 * satisfy the policy (docs/storage.md, "TPM"). */
#include <crypto/wipe.h>
#include <devices/tpm/tpm.h>
#include <devices/tpm/tpm_cmd.h>
#include <devices/tpm/tpm_tis.h>
#include <platform/bootinfo.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/time.h>
#include <string.h>

#define TPM_MODULE "veneer.tpm"
#define TPM_LOCK_PCR 15
#define KEY_BYTES 64

static char pcrs_opt[64];
OPTION_STRING("vmm.tpm_pcrs", pcrs_opt,
              "PCRs (SHA-256 bank) the TPM-sealed key's policy covers, e.g. 0-7 "
              "(default 0-7, and 0-9 when veneer.efi started Veneer: it "
              "measures veneer.elf into 9, the option line into 8; PCR 15, "
              "extended once the key is read, is always added)");
static u64 parent_handle = 0x81000001;
OPTION_UINT("vmm.tpm_parent", parent_handle, 0x81000000, 0x81ffffff,
            "persistent handle of the storage key the sealed object was created "
            "under (default 0x81000001)");

extern struct boot_info boot_info;
static u32 pcr_mask;

/* A malformed vmm.tpm_pcrs= refuses the start, whatever vmm.key= says */
static int tpm_options(void)
{
    char why[80];

    if (!pcrs_opt[0])
        ksnprintf(pcrs_opt, sizeof(pcrs_opt), "%s", boot_info.uefi_entry ? "0-9" : "0-7");
    if (tpm_pcr_mask_parse(pcrs_opt, &pcr_mask, why, sizeof(why)) < 0) {
        log_err("tpm", "vmm.tpm_pcrs=%s: %s", pcrs_opt, why);
        return -E_INVAL;
    }
    return 0;
}
/* before storage_init (devices, 05) asks for the key */
INIT_FUNC(devices, 01, tpm_options);

/* Closes the TIS, saying once when locality 0 stays with the firmware */
static void close_tis(void)
{
    static bool said;

    if (tis_close() && !said) {
        said = true;
        log_info("tpm", "locality 0 was active before Veneer used the TPM (the "
                 "firmware's): left active for it");
    }
}

static struct tpm_cmd cmd;
static u8 resp[TPM_BUF_MAX];
static bool capped;

static const struct boot_module *tpm_module(void)
{
    for (u32 i = 0; i < boot_info.module_count; i++)
        if (strcmp(boot_info.modules[i].name, TPM_MODULE) == 0)
            return &boot_info.modules[i];
    return NULL;
}

#define TPM_RC_YIELDED 0x908
#define TPM_RC_TESTING 0x90a
#define TPM_RC_RETRY   0x922
#define TPM_RETRIES    20
#define TPM_RETRY_US   20000

static void delay_us(u64 us)
{
    u64 end = rdtsc() + us_to_tsc(us);

    while (rdtsc() < end)
        cpu_relax();
}

/* Sends `cmd`, the response in `resp` and its length in *rlen (or < 0,
 * `why` set). The warnings that ask for the same command again (the TPM
 * busy: RETRY, YIELDED, TESTING) get it again, 20 times at most. */
static int transact(char *why, size_t whylen, size_t *rlen)
{
    int r;

    if (cmd.overflow) {
        ksnprintf(why, whylen, "a TPM command did not fit its buffer");
        return -E_INVAL;
    }
    for (unsigned i = 0;; i++) {
        u32 rc;
        r = tis_transact(cmd.buf, cmd.len, resp, sizeof(resp), rlen, why, whylen);
        if (r < 0 || i == TPM_RETRIES)
            return r;
        rc = (u32)resp[6] << 24 | (u32)resp[7] << 16 | (u32)resp[8] << 8 | resp[9];
        if (rc != TPM_RC_RETRY && rc != TPM_RC_YIELDED && rc != TPM_RC_TESTING)
            return r;
        delay_us(TPM_RETRY_US);
    }
}

static void flush(u32 handle)
{
    char why[120];
    size_t n;
    u32 rc;

    tpm_cmd_flush(&cmd, handle);
    if (transact(why, sizeof(why), &n) < 0 ||
        tpm_resp_empty(resp, n, &rc, why, sizeof(why)) < 0)
        log_warn("tpm", "flushing handle 0x%x: %s", handle, why);
}

static void hex(const u8 *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int pcr_read(u32 pcr, u8 value[TPM_SHA256_LEN], char *why, size_t whylen)
{
    size_t n;
    u32 rc;
    int r;

    tpm_cmd_pcr_read(&cmd, pcr);
    r = transact(why, whylen, &n);
    return r < 0 ? r : tpm_resp_pcr_read(resp, n, pcr, value, &rc, why, whylen);
}

/* A TPM nobody started (TPM_RC_INITIALIZE: the firmware did not, or its
 * TPM2_Startup(STATE) after an S3 wake failed because the guest had sent
 * TPM2_Shutdown(CLEAR)) is started here, with reset PCRs: left alone, the
 * guest would start it itself and find PCR 15 at zero. */
static int startup(char *why, size_t whylen)
{
    size_t n;
    u32 rc;
    int r;

    tpm_cmd_startup_clear(&cmd);
    r = transact(why, whylen, &n);
    if (r == 0)
        r = tpm_resp_empty(resp, n, &rc, why, whylen);
    if (r == 0)
        log_warn("tpm", "the TPM was not started: TPM2_Startup(CLEAR) sent (all "
                 "PCRs at their reset values)");
    return r;
}

/* Extends the lock PCR (TPM open): 0 or < 0 with `why` */
static int cap(char *why, size_t whylen)
{
    size_t n;
    u32 rc = 0;
    int r;

    for (int tries = 0; tries < 2; tries++) {
        tpm_cmd_pcr_extend(&cmd, TPM_LOCK_PCR, tpm_cap_digest);
        r = transact(why, whylen, &n);
        if (r == 0)
            r = tpm_resp_pcr_extend(resp, n, &rc, why, whylen);
        if (r != -E_FAULT || rc != TPM_RC_INITIALIZE || tries)
            break;
        r = startup(why, whylen);
        if (r < 0)
            break;
    }
    if (r == 0) {
        capped = true;
        log_info("tpm", "PCR %u extended with SHA-256(\"%s\"): the guest cannot "
                 "unseal what was sealed to its reset value", TPM_LOCK_PCR,
                 tpm_cap_event);
    }
    return r;
}

static const char *rc_name(u32 rc)
{
    /* format-one codes carry the handle/session/parameter number in 8..11 */
    if ((rc & 0x80) && (rc & 0x3f) == 0x1d)
        return "TPM_RC_POLICY_FAIL: the PCRs differ from those the key was sealed to";
    if ((rc & 0x80) && (rc & 0x3f) == 0x1f)
        return "TPM_RC_INTEGRITY: the sealed object was not made under this TPM's "
               "storage key";
    if ((rc & 0x80) && (rc & 0x3f) == 0x0b)
        return "TPM_RC_HANDLE: no storage key at the parent handle";
    return "see the TPM 2.0 Library spec part 2, TPM_RC";
}

/* The unseal sequence on an open TPM: 0 with the key */
static int unseal(const u8 *blob, size_t blob_len, u32 mask, u8 key[KEY_BYTES],
                  char *why, size_t whylen)
{
    u8 nonce[16], data[TPM_UNSEAL_MAX];
    u32 session = 0, object = 0, rc = 0;
    size_t n, dlen = 0;
    u64 t;
    int r;

    /* the nonce only freshens an unsalted session: no secret rides on it */
    for (unsigned i = 0; i < sizeof(nonce); i += 8) {
        t = rdtsc() * 0x9e3779b97f4a7c15ULL;
        memcpy(nonce + i, &t, 8);
    }
    tpm_cmd_start_policy_session(&cmd, nonce, sizeof(nonce));
    r = transact(why, whylen, &n);
    if (r == 0)
        r = tpm_resp_start_auth_session(resp, n, &session, &rc, why, whylen);
    if (r < 0)
        return r;
    tpm_cmd_policy_pcr(&cmd, session, mask);
    r = transact(why, whylen, &n);
    if (r == 0)
        r = tpm_resp_empty(resp, n, &rc, why, whylen);
    if (r < 0)
        goto out;
    r = tpm_cmd_load(&cmd, (u32)parent_handle, blob, blob_len, why, whylen);
    if (r == 0)
        r = transact(why, whylen, &n);
    if (r == 0)
        r = tpm_resp_load(resp, n, &object, &rc, why, whylen);
    if (r == -E_FAULT)
        ksnprintf(why, whylen, "TPM2_Load under 0x%llx: response code 0x%x (%s)",
                  (unsigned long long)parent_handle, rc, rc_name(rc));
    if (r < 0)
        goto out;
    tpm_cmd_unseal(&cmd, object, session);
    r = transact(why, whylen, &n);
    if (r == 0)
        r = tpm_resp_unseal(resp, n, data, &dlen, &rc, why, whylen);
    if (r == 0) {
        session = 0; /* ended with the command (continueSession clear) */
        if (dlen != KEY_BYTES) {
            ksnprintf(why, whylen, "the sealed object holds %zu bytes, want %d "
                      "(one AES-256-XTS key)", dlen, KEY_BYTES);
            r = -E_INVAL;
        } else {
            memcpy(key, data, KEY_BYTES);
        }
    } else if (r == -E_FAULT) {
        ksnprintf(why, whylen, "TPM2_Unseal: response code 0x%x (%s)", rc,
                  rc_name(rc));
    }
out:
    crypto_wipe(data, sizeof(data));
    crypto_wipe(resp, sizeof(resp));
    if (object)
        flush(object);
    if (session)
        flush(session);
    return r;
}

int keysrc_tpm_get(u8 key[KEY_BYTES], char *why, size_t whylen)
{
    const struct boot_module *m = tpm_module();
    u8 value[TPM_SHA256_LEN];
    char text[2 * TPM_SHA256_LEN + 1], capwhy[120];
    u32 mask = pcr_mask | BIT(TPM_LOCK_PCR);
    int r;

    if (capped) {
        ksnprintf(why, whylen, "PCR %d is already extended in this boot",
                  TPM_LOCK_PCR);
        return -E_EXIST;
    }
    r = tis_open(why, whylen);
    if (r < 0)
        return r;
    /* the values the policy is checked against, for the log (and for
     * sealing: tools/tpm-seal.sh takes them) */
    for (u32 i = 0; i < TPM_PCR_COUNT && r == 0; i++) {
        if (!(mask & BIT(i)))
            continue;
        r = pcr_read(i, value, why, whylen);
        if (r == 0) {
            hex(value, sizeof(value), text);
            log_info("tpm", "PCR %u sha256 %s", i, text);
        }
    }
    if (r < 0) {
        /* nothing to unseal with: still close the door */
    } else if (!m) {
        ksnprintf(why, whylen, "no module named %s was loaded (GRUB: module2 "
                  "/boot/%s %s; UEFI: %s beside veneer.efi)", TPM_MODULE,
                  TPM_MODULE, TPM_MODULE, TPM_MODULE);
        r = -E_NOENT;
    } else {
        r = unseal(phys_to_virt(m->start), m->end - m->start, mask, key, why,
                   whylen);
    }
    if (cap(capwhy, sizeof(capwhy)) < 0) {
        /* the guest could unseal the key too: refuse to use it */
        if (r == 0) {
            crypto_wipe(key, KEY_BYTES);
            ksnprintf(why, whylen, "PCR %d could not be extended after unsealing "
                      "(%s): key not used", TPM_LOCK_PCR, capwhy);
            r = -E_IO;
        } else {
            log_warn("tpm", "PCR %d not extended: %s", TPM_LOCK_PCR, capwhy);
        }
    }
    close_tis();
    if (r == 0)
        log_info("tpm", "key unsealed (PCRs %s and %d, parent 0x%llx)", pcrs_opt,
                 TPM_LOCK_PCR, (unsigned long long)parent_handle);
    return r;
}

/* Whatever the key source, before the guest runs: a TPM present gets its
 * lock PCR extended (a sealed key on the boot medium stays sealed for the
 * guest even when this boot used the passphrase). */
static int tpm_cap_boot(void)
{
    char why[120];

    if (capped)
        return 0;
    if (tis_open(why, sizeof(why)) < 0) {
        log_info("tpm", "%s: nothing to extend", why);
        return 0;
    }
    if (cap(why, sizeof(why)) < 0)
        log_warn("tpm", "PCR %d not extended: %s", TPM_LOCK_PCR, why);
    close_tis();
    return 0;
}
INIT_FUNC(late, 00, tpm_cap_boot);

/* After an S3 wake the firmware restarts the TPM: TPM2_Startup(STATE)
 * keeps the PCRs, but a guest that issued TPM2_Shutdown(CLEAR) before
 * sleeping gets them reset (and could replay the firmware's event log
 * into 0-7). Extended again before the guest runs, the lock PCR is never
 * at its reset value while the guest runs. */
static int tpm_cap_resume(void)
{
    capped = false;
    return tpm_cap_boot();
}
INIT_FUNC(resume, 50, tpm_cap_resume);
