/* Storage encryption policy: the vmm.crypt= rules, the keys, and the
 * cipher calls the disk mediators make (storage.h, docs/storage.md). */
#include <platform/prompt.h>
#include <crypto/kdf.h>
#include <platform/boot.h>
#include <crypto/xts.h>
#include <crypto/wipe.h>
#include <common/hypercall.h>
#include <devices/storage/keysrc.h>
#include <devices/storage/storage.h>
#include <devices/storage/storage_rules.h>
#include <devices/tpm/tpm.h>
#include <platform/bootinfo.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/iommu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/simd.h>
#include <platform/spinlock.h>
#include <string.h>

#define KEY_BYTES 64 /* AES-256-XTS: two 256-bit keys */
#define KEY_MODULE "veneer.key"
#define MAX_DISKS 32
#define PASSPHRASE_MAX 256

static char crypt_opt[512];
OPTION_STRING("vmm.crypt", crypt_opt,
              "encryption rules DEV/RANGE/KEY,... e.g. any/all/k0 (docs/storage.md)");
static char kcv_opt[4 * 17 + 1];
OPTION_STRING("vmm.kcv", kcv_opt,
              "key check values, 16 hex digits per key slot, comma-separated "
              "(vdisk kcv prints them)");
static char key_opt[48] = "auto";
OPTION_STRING("vmm.key", key_opt,
              "where keys come from: auto (the veneer.key module if loaded, "
              "else the passphrase prompt), or an ordered list of module, "
              "prompt, tang, tpm (e.g. tang,prompt): the first whose keys "
              "match vmm.kcv= wins");
static u64 kdf_iterations = KDF_DEFAULT_ITERATIONS;
OPTION_UINT("vmm.kdf_iter", kdf_iterations, 1000, 100000000,
            "PBKDF2-HMAC-SHA256 iterations for the passphrase (default 200000)");
static bool s3_prompt;
OPTION_BOOL("vmm.s3_prompt", s3_prompt,
            "at each S3 wake, ask for the disk passphrase again before the "
            "guest runs (key 0 is wiped at the sleep; needs the passphrase "
            "prompt on a BIOS boot)");
static char kdf_salt[64] = "veneer";
OPTION_STRING("vmm.kdf_salt", kdf_salt,
              "PBKDF2 salt for the passphrase (default \"veneer\")");

extern struct boot_info boot_info;

static struct storage_rule rules[STORAGE_MAX_RULES];
static unsigned nrules;
static u8 kcv[STORAGE_MAX_KEYS][8];
static bool have_kcv[STORAGE_MAX_KEYS];
static struct xts_key keys[STORAGE_MAX_KEYS];
static bool key_loaded[STORAGE_MAX_KEYS];
static struct storage_dev *disks[MAX_DISKS];
static unsigned ndisks;
static spinlock_t disks_lock = SPINLOCK_INIT;

static int parse_kcvs(void)
{
    const char *s = kcv_opt;
    unsigned slot = 0;

    while (*s) {
        size_t len = 0;
        while (s[len] && s[len] != ',')
            len++;
        if (slot == STORAGE_MAX_KEYS) {
            log_err("storage", "vmm.kcv=: more than %d values", STORAGE_MAX_KEYS);
            return -E_INVAL;
        }
        if (len && storage_kcv_parse(s, len, kcv[slot]) < 0) {
            log_err("storage", "vmm.kcv=: value %u '%.*s' is not 16 hex digits",
                    slot, (int)len, s);
            return -E_INVAL;
        }
        have_kcv[slot++] = len != 0; /* an empty value: no check for that slot */
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}

static bool kcv_matches(unsigned slot, const u8 *raw)
{
    u8 got[8];
    bool ok;

    simd_begin();
    kdf_key_check_value(raw, KEY_BYTES, got);
    simd_end();
    ok = memcmp(got, kcv[slot], 8) == 0;
    memset(got, 0, sizeof(got));
    return ok;
}

static int install_key(unsigned slot, const u8 *raw)
{
    int r;

    simd_begin();
    r = xts_key_setup(&keys[slot], raw, KEY_BYTES, XTS_PATH_AUTO);
    simd_end();
    if (r == XTS_ERR_WEAK_KEY) {
        log_err("storage", "key %u has two equal halves (refused by XTS)", slot);
        return -E_INVAL;
    }
    if (r != XTS_OK) {
        log_err("storage", "key %u: XTS key set-up failed (%d)", slot, r);
        return -E_INVAL;
    }
    key_loaded[slot] = true;
    log_info("storage", "key %u loaded (AES-256-XTS, %s path)%s", slot,
             xts_path_name(keys[slot].path),
             have_kcv[slot] ? ", check value matches" : "");
    return 0;
}

static const struct boot_module *key_module(void)
{
    for (u32 i = 0; i < boot_info.module_count; i++)
        if (strcmp(boot_info.modules[i].name, KEY_MODULE) == 0)
            return &boot_info.modules[i];
    return NULL;
}

/* The key file lies in the guest's memory (GRUB put it there): whatever
 * happens to it, it is wiped before the guest runs. */
static void wipe_key_module(const struct boot_module *m)
{
    static bool wiped;

    if (!m || wiped)
        return;
    wiped = true;
    crypto_wipe(phys_to_virt(m->start), m->end - m->start);
    log_info("storage", "key file module %s wiped from memory", KEY_MODULE);
}

/* The key file: slot 0's 64 bytes, then slot 1's, ... Wiped from guest
 * memory once read. */
static int keysrc_module_get(u32 needed, u8 out[STORAGE_MAX_KEYS][KEY_BYTES],
                             char *why, size_t whylen)
{
    const struct boot_module *m = key_module();
    int rc = 0;

    if (!m) {
        ksnprintf(why, whylen, "vmm.key=module but no module named %s was loaded "
                  "(module2 /boot/veneer.key veneer.key)", KEY_MODULE);
        return -E_NOENT;
    }
    u64 len = m->end - m->start;
    u8 *p = phys_to_virt(m->start);
    if (len == 0 || len % KEY_BYTES || len / KEY_BYTES > STORAGE_MAX_KEYS) {
        ksnprintf(why, whylen, "key file module %s is %llu bytes: want 64 bytes "
                  "(one AES-256-XTS key) per slot, 1 to %d slots", KEY_MODULE,
                  (unsigned long long)len, STORAGE_MAX_KEYS);
        rc = -E_INVAL;
    }
    for (unsigned s = 0; !rc && s < STORAGE_MAX_KEYS; s++) {
        if (!(needed & BIT(s)))
            continue;
        if ((u64)(s + 1) * KEY_BYTES > len) {
            ksnprintf(why, whylen, "a rule uses key %u but the key file holds %llu "
                      "key%s", s, (unsigned long long)(len / KEY_BYTES),
                      len == KEY_BYTES ? "" : "s");
            rc = -E_INVAL;
        } else {
            memcpy(out[s], p + s * KEY_BYTES, KEY_BYTES);
        }
    }
    wipe_key_module(m);
    return rc;
}

/* The passphrase's key for slot 0: 1 installed, 0 wrong (its key does not
 * match vmm.kcv=), negative on an error. `pass` is the caller's to wipe. */
static int passphrase_try(const char *pass, size_t n)
{
    u8 raw[KEY_BYTES];
    int r;

    simd_begin();
    r = kdf_pbkdf2_sha256(pass, n, kdf_salt, strlen(kdf_salt),
                          (u32)kdf_iterations, raw, sizeof(raw));
    simd_end();
    if (r != KDF_OK) {
        log_err("storage", "PBKDF2 failed (%d)", r);
        return -E_INVAL;
    }
    if (!kcv_matches(0, raw)) {
        crypto_wipe(raw, sizeof(raw));
        return 0;
    }
    r = install_key(0, raw);
    crypto_wipe(raw, sizeof(raw));
    return r < 0 ? r : 1;
}

/* ---- the passphrase from veneer.efi (UEFI) ---------------------------
 * On a UEFI boot the VMM cannot read the firmware's console (a USB
 * keyboard, the GOP screen): veneer.efi, running on as the guest before
 * anything else, asks on ConIn/ConOut and hands the typed passphrase over
 * through the `passphrase` hypercall; the key derivation, the check value
 * and the retries stay here. The call is open only while key 0 waits for
 * its passphrase: once the key is in, it answers -E_EXIST to everyone. A
 * guest that calls it first learns only what vmm.kcv= (on the ESP) already
 * tells: whether a passphrase is right. Encrypted ranges are refused
 * (storage_crypt: no key) until then. */
static bool key_pending;
static char hc_pass[PASSPHRASE_MAX];
static size_t hc_pass_len;
static unsigned hc_attempts;
static spinlock_t hc_pass_lock = SPINLOCK_INIT;

enum { PASS_STATUS, PASS_APPEND, PASS_CHECK, PASS_CLEAR };

/* passphrase: RBX = op.
 *   PASS_STATUS: returns RBX = 1 while a passphrase is wanted, RCX = the
 *                wrong attempts so far;
 *   PASS_APPEND: RCX = n (1-24) bytes in RDX, RSI, RDI (packed as names);
 *   PASS_CHECK:  RBX = 1 the key is in, 0 wrong (the bytes are wiped);
 *   PASS_CLEAR:  forgets the bytes appended.
 * -E_EXIST once no passphrase is wanted, -E_RANGE past PASSPHRASE_MAX-1. */
static int hc_passphrase(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    int r = 0;

    spin_lock(&hc_pass_lock);
    if (in[0] == PASS_STATUS) {
        out[0] = key_pending;
        out[1] = hc_attempts;
    } else if (!key_pending) {
        r = -E_EXIST;
    } else if (in[0] == PASS_APPEND) {
        u64 n = in[1];
        char chunk[25];
        hypercall_unpack(&in[2], chunk);
        if (n == 0 || n > 24 || hc_pass_len + n >= sizeof(hc_pass)) {
            r = n > 24 || n == 0 ? -E_INVAL : -E_RANGE;
        } else {
            memcpy(hc_pass + hc_pass_len, chunk, n);
            hc_pass_len += n;
        }
        crypto_wipe(chunk, sizeof(chunk));
        out[2] = out[3] = out[4] = 0;
    } else if (in[0] == PASS_CHECK) {
        r = passphrase_try(hc_pass, hc_pass_len);
        crypto_wipe(hc_pass, sizeof(hc_pass));
        hc_pass_len = 0;
        if (r == 1) {
            key_pending = false;
            log_info("storage", "key 0 from the passphrase veneer.efi passed on "
                     "(attempt %u)", hc_attempts + 1);
        } else if (r == 0) {
            hc_attempts++;
            log_warn_ratelimited("storage", "wrong passphrase from veneer.efi "
                                 "(attempt %u): its key does not match vmm.kcv=",
                                 hc_attempts);
        }
        out[0] = r == 1;
        r = r < 0 ? r : 0;
    } else if (in[0] == PASS_CLEAR) {
        crypto_wipe(hc_pass, sizeof(hc_pass));
        hc_pass_len = 0;
    } else {
        r = -E_INVAL;
    }
    spin_unlock(&hc_pass_lock);
    return r;
}
HYPERCALL("passphrase", hc_passphrase);

static int passphrase_ask(char *why, size_t whylen);

static int key_from_passphrase(char *why, size_t whylen)
{
    if (!have_kcv[0]) {
        ksnprintf(why, whylen, "the passphrase prompt needs vmm.kcv= (key 0's check "
                  "value, from `vdisk kcv`) so that a mistyped passphrase is caught");
        return -E_INVAL;
    }
    if (boot_info.uefi_entry) {
        if (s3_prompt) {
            ksnprintf(why, whylen, "vmm.s3_prompt=1: on a UEFI boot veneer.efi "
                      "asks for the passphrase, and it does not run at an S3 wake");
            return -E_INVAL;
        }
        key_pending = true;
        log_info("storage", "key 0 waits for the disk passphrase: veneer.efi asks "
                 "on the firmware console once the guest runs (PBKDF2-HMAC-SHA256, "
                 "%llu iterations); no encrypted sector is read or written until then",
                 (unsigned long long)kdf_iterations);
        return 0;
    }
    log_info("storage", "asking for the disk passphrase (PBKDF2-HMAC-SHA256, "
             "%llu iterations)", (unsigned long long)kdf_iterations);
    return passphrase_ask(why, whylen);
}

/* Asks on the VMM's console until the passphrase's key matches vmm.kcv=
 * and is installed as key 0 (a wrong one is asked again). */
static int passphrase_ask(char *why, size_t whylen)
{
    char pass[PASSPHRASE_MAX];
    int r;

    for (unsigned attempt = 1;; attempt++) {
        size_t n = prompt_secret("Veneer: disk passphrase: ", pass, sizeof(pass));
        r = passphrase_try(pass, n);
        crypto_wipe(pass, sizeof(pass));
        if (r < 0) {
            ksnprintf(why, whylen, "the passphrase's key was refused (see above)");
            return r;
        }
        if (r == 1)
            return 0;
        log_warn("storage", "wrong passphrase (attempt %u): its key does not "
                 "match vmm.kcv=; try again", attempt);
        prompt_message("Veneer: wrong passphrase, try again.\n");
    }
}

/* ---- the methods of vmm.key= (devices/storage/keysrc.h) ---------------- */

/* The TPM method (devices/tpm/: key 0 unsealed, PCR 15 extended after the
 * attempt whatever its outcome) runs at the devices stage, before the
 * always-run PCR 15 extend of the late stage. */
static int keysrc_tpm_method(u32 needed, u8 keys[STORAGE_MAX_KEYS][KEYSRC_KEY_BYTES],
                             char *why, size_t whylen)
{
    if (needed & ~1u) {
        ksnprintf(why, whylen, "the TPM gives key 0 only; a rule uses key %d",
                  __builtin_ctz(needed & ~1u));
        return -E_INVAL;
    }
    return keysrc_tpm_get(keys[0], why, whylen);
}

static const struct keysrc_method methods[KEYSRC_COUNT] = {
    [KEYSRC_MODULE] = { "module", false, keysrc_module_get },
    [KEYSRC_PROMPT] = { "prompt", false, NULL }, /* key_from_passphrase */
    [KEYSRC_TANG] = { "tang", true, keysrc_tang_get },
    [KEYSRC_TPM] = { "tpm", false, keysrc_tpm_method },
};

static u8 key_list[KEYSRC_MAX];
static int key_list_len;
static int key_next;       /* the next method to try */
static u32 keys_needed;
static u8 raw_keys[STORAGE_MAX_KEYS][KEY_BYTES];

/* A method's keys: every needed slot checked against vmm.kcv= before any
 * is installed. */
static int install_checked(enum keysrc_id id, char *why, size_t whylen)
{
    for (unsigned s = 0; s < STORAGE_MAX_KEYS; s++)
        if ((keys_needed & BIT(s)) && have_kcv[s] && !kcv_matches(s, raw_keys[s])) {
            if (id == KEYSRC_MODULE)
                ksnprintf(why, whylen, "key %u of the key file does not match "
                          "vmm.kcv= (wrong key file for this configuration)", s);
            else
                ksnprintf(why, whylen, "key %u from %s does not match vmm.kcv= "
                          "(a binding for another disk or configuration)", s,
                          keysrc_name(id));
            return -E_INVAL;
        }
    for (unsigned s = 0; s < STORAGE_MAX_KEYS; s++)
        if ((keys_needed & BIT(s)) && install_key(s, raw_keys[s]) < 0) {
            ksnprintf(why, whylen, "key %u refused (see above)", s);
            return -E_INVAL;
        }
    return 0;
}

static int try_method(enum keysrc_id id, char *why, size_t whylen)
{
    int r;

    if (id == KEYSRC_PROMPT) {
        if (keys_needed & ~1u) {
            ksnprintf(why, whylen, "the passphrase gives key 0 only; a rule uses "
                      "key %d", __builtin_ctz(keys_needed & ~1u));
            return -E_INVAL;
        }
        return key_from_passphrase(why, whylen);
    }
    r = methods[id].get(keys_needed, raw_keys, why, whylen);
    if (r == 0)
        r = install_checked(id, why, whylen);
    crypto_wipe(raw_keys, sizeof(raw_keys));
    return r;
}

/* Tries the methods from key_next on, stopping (0, deferred) before a
 * late one unless `late`. 1: keys in; < 0: all failed. */
static int walk_keys(bool late)
{
    char why[200];

    for (; key_next < key_list_len; key_next++) {
        enum keysrc_id id = key_list[key_next];
        if (methods[id].late && !late)
            return 0;
        why[0] = 0;
        if (try_method(id, why, sizeof(why)) == 0) {
            key_next = key_list_len; /* done: nothing left for the late stage */
            if (key_list_len > 1)
                log_info("storage", "keys from method %s (vmm.key=%s)",
                         keysrc_name(id), key_opt);
            return 1;
        }
        if (key_next + 1 < key_list_len)
            log_warn("storage", "key method %s failed: %s; trying %s", keysrc_name(id),
                     why, keysrc_name(key_list[key_next + 1]));
        else if (key_list_len > 1)
            log_err("storage", "key method %s failed: %s (the last of vmm.key=%s)",
                    keysrc_name(id), why, key_opt);
        else
            log_err("storage", "%s", why);
    }
    return -E_NOENT;
}

/* vmm.key=, refused when malformed even with no rule to use it. */
static int parse_key_list(void)
{
    char why[160];
    int r = keysrc_parse_list(key_opt, key_list, why, sizeof(why));

    if (r < 0) {
        log_err("storage", "vmm.key=%s: %s", key_opt, why);
        return r;
    }
    key_list_len = r;
    return 0;
}

static int load_keys(u32 needed)
{
    int r;

    keys_needed = needed;
    if (key_list_len == 0) { /* auto */
        key_list[0] = key_module() ? KEYSRC_MODULE : KEYSRC_PROMPT;
        key_list_len = 1;
    }
    for (int i = 0; i < key_list_len; i++) {
        enum keysrc_id id = key_list[i];
        if (id != KEYSRC_PROMPT && !methods[id].get) {
            log_err("storage", "vmm.key=%s: the %s method is not built into this "
                    "VMM", key_opt, keysrc_name(id));
            return -E_NOSYS;
        }
        if (id == KEYSRC_TANG && key_list_len == 1 && !have_kcv[0])
            log_warn("storage", "vmm.key=tang without vmm.kcv=: the binding's "
                     "GCM tag alone vouches for the key");
        if (id == KEYSRC_TPM && !have_kcv[0]) {
            log_err("storage", "vmm.key=%s: the tpm method needs vmm.kcv= (key 0's "
                    "check value, from `vdisk kcv`): the unsealed key is checked "
                    "against it", key_opt);
            return -E_INVAL;
        }
    }
    /* the wake can only ask again: a key file is wiped at boot, a Tang
     * server or the TPM (PCR 15 extended) cannot be asked at the wake */
    if (s3_prompt && (key_list_len != 1 || key_list[0] != KEYSRC_PROMPT)) {
        log_err("storage", "vmm.s3_prompt=1 needs the passphrase prompt as the "
                "one key method: the key file is wiped from memory at boot, its "
                "keys cannot be asked for again at a wake (vmm.key=%s)", key_opt);
        wipe_key_module(key_module());
        return -E_INVAL;
    }
    /* with a choice of methods, the check value decides whose key is right */
    for (unsigned s = 0; s < STORAGE_MAX_KEYS && key_list_len > 1; s++)
        if ((needed & BIT(s)) && !have_kcv[s]) {
            log_err("storage", "vmm.key=%s: a list of methods needs vmm.kcv= for "
                    "key %u (the check value decides which method's key is right)",
                    key_opt, s);
            return -E_INVAL;
        }
    r = walk_keys(false);
    if (r == 0)
        log_info("storage", "key methods from %s on wait for the VMM's network "
                 "(before the guest runs)", keysrc_name(key_list[key_next]));
    if (r != 0)
        wipe_key_module(key_module());
    return r < 0 ? r : 0;
}

/* After net_start (late, 50), before the APs and the guest start. */
static int storage_keys_late(void)
{
    if (key_next >= key_list_len || !nrules)
        return 0;
    int r = walk_keys(true);
    wipe_key_module(key_module());
    if (r < 0)
        refuse_to_start("no key method of vmm.key=%s gave the disk keys (see "
                        "the storage lines above)", key_opt);
    return 0;
}
INIT_FUNC(late, 60, storage_keys_late);

static int storage_configure(void)
{
    char why[160], text[64];
    u32 needed = 0;
    int n = storage_rules_parse(crypt_opt, rules, STORAGE_MAX_RULES, why,
                                sizeof(why));

    if (n < 0) {
        log_err("storage", "vmm.crypt=%s: %s", crypt_opt, why);
        return n;
    }
    nrules = (unsigned)n;
    if (parse_kcvs() < 0 || parse_key_list() < 0)
        return -E_INVAL;
    if (!nrules) {
        wipe_key_module(key_module());
        log_info("storage", "no vmm.crypt= rules: disks pass in the clear");
        return 0;
    }
    for (unsigned i = 0; i < nrules; i++) {
        storage_rule_format(&rules[i], text, sizeof(text));
        log_info("storage", "rule %u: %s", i, text);
        needed |= BIT(rules[i].key);
    }
    return load_keys(needed);
}
/* A configuration the VMM cannot honour is the user's to fix, not a VMM
 * fault: refuse to start (nothing was encrypted or written yet). */
static int storage_init(void)
{
    if (storage_configure() < 0)
        refuse_to_start("the disk encryption configuration was refused (see "
                        "the storage lines above); fix the vmm.crypt=/vmm.kcv=/"
                        "vmm.key= options or the key file");
    return 0;
}
/* Before pci_init (devices, 10): the mediators register disks against
 * loaded keys. */
INIT_FUNC(devices, 05, storage_init);

/* ---- S3 with vmm.s3_prompt=1 (docs/sleep.md) ---------------------------
 * The sleep wipes key 0 (its XTS key schedule, the only copy), after the
 * mediators delivered what finished ("suspend", 41); the wake asks for the
 * passphrase again ("resume"), before the APs and the guest run, until its
 * key matches vmm.kcv=. Until then no CPU runs the guest, so no sector can
 * be read or written. */
static bool s3_key_wiped;

static int storage_s3_suspend(void)
{
    if (!s3_prompt || !key_loaded[0])
        return 0;
    key_loaded[0] = false;
    crypto_wipe(&keys[0], sizeof(keys[0]));
    s3_key_wiped = true;
    log_info("storage", "S3: key 0 wiped from memory (vmm.s3_prompt=1: the "
             "passphrase is asked again at the wake)");
    return 0;
}
INIT_FUNC(suspend, 50, storage_s3_suspend);

static int storage_s3_resume(void)
{
    char why[160];
    int r;

    if (!s3_key_wiped)
        return 0;
    s3_key_wiped = false;
    log_info("storage", "S3 wake: asking for the disk passphrase again before "
             "the guest runs (vmm.s3_prompt=1)");
    if ((r = passphrase_ask(why, sizeof(why))) < 0)
        log_err("storage", "S3 wake: %s", why);
    return r;
}
INIT_FUNC(resume, 50, storage_s3_resume);

/* At the guest's power-off: what went through each disk. */
static int storage_summary(void)
{
    for (unsigned i = 0; i < ndisks; i++)
        log_info("storage", "%s: %llu sectors read, %llu written, %llu of them "
                 "through the cipher", disks[i]->name,
                 (unsigned long long)disks[i]->sectors_from_disk,
                 (unsigned long long)disks[i]->sectors_to_disk,
                 (unsigned long long)disks[i]->sectors_crypted);
    return 0;
}
INIT_FUNC(poweroff, 50, storage_summary);

static void disk_name(struct storage_dev *d)
{
    const char *k = storage_kind_name(d->kind);

    if (!d->pci)
        ksnprintf(d->name, sizeof(d->name), "%s%u.%u", k, d->unit / 2, d->unit % 2);
    else
        ksnprintf(d->name, sizeof(d->name), "%s %02x:%02x.%x %s%u", k,
                  d->pci->id.bus, d->pci->id.dev, d->pci->id.fn,
                  d->kind == STORAGE_NVME ? "n" : d->kind == STORAGE_AHCI ? "p" : "u",
                  d->unit);
}

int storage_register(struct storage_dev *d)
{
    char text[64];

    disk_name(d);
    if (d->sector_size != 512 && d->sector_size != 4096) {
        log_err("storage", "%s: sector size %u is not 512 or 4096: not registered",
                d->name, d->sector_size);
        return -E_INVAL;
    }
    d->nrules = 0;
    for (unsigned i = 0; i < nrules; i++) {
        if (!storage_rule_applies(&rules[i], d->kind, d->unit,
                                  d->pci ? &d->pci->id : NULL))
            continue;
        if (d->nrules == STORAGE_MAX_DEV_RULES) {
            log_err("storage", "%s: more than %d rules apply", d->name,
                    STORAGE_MAX_DEV_RULES);
            return -E_INVAL;
        }
        d->rules[d->nrules++] = &rules[i];
    }
    spin_lock(&disks_lock);
    if (ndisks == MAX_DISKS) {
        spin_unlock(&disks_lock);
        log_err("storage", "%s: more than %d disks", d->name, MAX_DISKS);
        return -E_RANGE;
    }
    disks[ndisks++] = d;
    spin_unlock(&disks_lock);
    if (!d->nrules) {
        log_info("storage", "%s: %u-byte sectors, passed through in the clear",
                 d->name, d->sector_size);
        return 0;
    }
    for (unsigned i = 0; i < d->nrules; i++) {
        storage_rule_format(d->rules[i], text, sizeof(text));
        log_info("storage", "%s: %u-byte sectors, encrypted by rule %s", d->name,
                 d->sector_size, text);
    }
    return 0;
}

bool storage_encrypting(void)
{
    return nrules != 0;
}

bool storage_range_plain(const struct storage_dev *d, u64 lba, u64 n)
{
    u64 run;

    while (n) {
        if (storage_rules_run(d->rules, d->nrules, lba, n, &run) >= 0)
            return false;
        lba += run;
        n -= run;
    }
    return true;
}

int storage_crypt(struct storage_dev *d, u64 lba, u64 n, void *buf, bool to_disk)
{
    u8 *p = buf;
    u64 run, done = 0;
    int r = 0;

    if (n && lba + n < lba) {
        log_warn("storage", "%s: request at LBA %llu for %llu sectors wraps",
                 d->name, (unsigned long long)lba, (unsigned long long)n);
        return -E_RANGE;
    }
    __atomic_fetch_add(to_disk ? &d->sectors_to_disk : &d->sectors_from_disk, n,
                       __ATOMIC_RELAXED);
    simd_begin();
    while (n) {
        int w = storage_rules_run(d->rules, d->nrules, lba, n, &run);
        if (w >= 0) {
            unsigned slot = d->rules[w]->key;
            if (!key_loaded[slot]) {
                r = -E_NOENT;
                break;
            }
            r = to_disk ? xts_encrypt_sectors(&keys[slot], lba, d->sector_size,
                                              run, p, p)
                        : xts_decrypt_sectors(&keys[slot], lba, d->sector_size,
                                              run, p, p);
            if (r != XTS_OK) {
                r = -E_INVAL;
                break;
            }
            done += run;
        }
        p += run * d->sector_size;
        lba += run;
        n -= run;
    }
    simd_end();
    __atomic_fetch_add(&d->sectors_crypted, done, __ATOMIC_RELAXED);
    if (r)
        log_warn("storage", "%s: cannot %scrypt LBA %llu (%d): request refused",
                 d->name, to_disk ? "en" : "de", (unsigned long long)lba, r);
    return r;
}

void storage_report(void (*line)(void *ctx, const char *text), void *ctx)
{
    char text[160], rule[64];
    u32 used = 0;

    ksnprintf(text, sizeof(text), "%u disk%s, %u vmm.crypt= rule%s", ndisks,
              ndisks == 1 ? "" : "s", nrules, nrules == 1 ? "" : "s");
    line(ctx, text);
    for (unsigned i = 0; i < ndisks; i++) {
        const struct storage_dev *d = disks[i];
        ksnprintf(text, sizeof(text), "disk %s: %llu sectors of %u bytes, %s, "
                  "%llu read, %llu written", d->name, (unsigned long long)d->sectors,
                  d->sector_size, d->nrules ? "encrypted by rule" : "in the clear",
                  (unsigned long long)d->sectors_from_disk,
                  (unsigned long long)d->sectors_to_disk);
        line(ctx, text);
    }
    for (unsigned i = 0; i < nrules; i++) {
        storage_rule_format(&rules[i], rule, sizeof(rule));
        ksnprintf(text, sizeof(text), "rule %u: %s", i, rule);
        line(ctx, text);
        used |= (u32)BIT(rules[i].key);
    }
    for (unsigned k = 0; k < STORAGE_MAX_KEYS; k++)
        if (used & BIT(k)) {
            ksnprintf(text, sizeof(text), "key slot %u: loaded %s", k,
                      key_loaded[k] ? "yes" : "no");
            line(ctx, text);
        }
}

void *storage_bounce_alloc(size_t len, u64 *phys)
{
    u64 pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    phys_addr_t p = alloc_pages(pages ? pages : 1);

    if (!p) {
        log_warn("storage", "out of VMM memory for a %llu KiB bounce buffer",
                 (unsigned long long)(len >> 10));
        return NULL;
    }
    /* the only pages of the VMM region the mediated devices may reach */
    if (iommu_dma_map(p, (pages ? pages : 1) * PAGE_SIZE, true) < 0) {
        iommu_dma_map(p, (pages ? pages : 1) * PAGE_SIZE, false);
        free_pages(p, pages ? pages : 1);
        return NULL;
    }
    *phys = p;
    return phys_to_virt(p);
}

void storage_bounce_free(void *virt, size_t len)
{
    u64 pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;

    if (virt) {
        iommu_dma_map(virt_to_phys(virt), (pages ? pages : 1) * PAGE_SIZE, false);
        free_pages(virt_to_phys(virt), pages ? pages : 1);
    }
}
