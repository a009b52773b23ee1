/* Where the disk keys come from: the ordered list of vmm.key= (e.g.
 * `tpm,tang,prompt`) and the methods' one interface (docs/storage.md
 * "Keys"). storage.c walks the list: the first method whose keys match
 * vmm.kcv= wins; each failure is one log line, then the next method. */
#ifndef VENEER_DEVICES_STORAGE_KEYSRC_H
#define VENEER_DEVICES_STORAGE_KEYSRC_H

#include <devices/storage/storage_rules.h>
#include <platform/types.h>

#define KEYSRC_KEY_BYTES 64 /* AES-256-XTS: two 256-bit keys */
#define KEYSRC_MAX 4        /* methods in one list */

enum keysrc_id { KEYSRC_MODULE, KEYSRC_PROMPT, KEYSRC_TANG, KEYSRC_TPM, KEYSRC_COUNT };

/* A method that yields raw keys (every one but the prompt, which asks
 * until the passphrase matches and is storage.c's own).
 *
 *   get: fills keys[s] for every slot s in `needed` (bit s = slot s) and
 *        returns 0, or returns < 0 with one line in why (no "method:"
 *        prefix: the caller adds it). It never installs a key: the caller
 *        checks each against vmm.kcv= and wipes `keys` afterwards.
 *   late: runs at the late init stage (storage_keys_late, late 60: after
 *        the VMM's network is up, before the APs and the guest start);
 *        the others run at the devices stage (storage_init, devices 05,
 *        before the PCI scan). A list stops at its first late method and
 *        goes on from there at the late stage.
 *
 * A method that gives one key only (the TPM) refuses a `needed` other
 * than bit 0 with a line. */
struct keysrc_method {
    const char *name;
    bool late;
    int (*get)(u32 needed, u8 keys[STORAGE_MAX_KEYS][KEYSRC_KEY_BYTES],
               char *why, size_t whylen);
};

/* The Tang method (devices/storage/keysrc_tang.c). */
int keysrc_tang_get(u32 needed, u8 keys[STORAGE_MAX_KEYS][KEYSRC_KEY_BYTES],
                    char *why, size_t whylen);

/* Parses vmm.key=: `auto` alone, or 1 to KEYSRC_MAX distinct names of
 * module, prompt, tang, tpm, comma-separated, `prompt` last if present
 * (it asks until the passphrase is right: nothing after it could run).
 * Returns how many (out[] holds enum keysrc_id; 0 for auto), or < 0 with a
 * line in why. Pure (host-tested in test_storage.c). */
int keysrc_parse_list(const char *s, u8 out[KEYSRC_MAX], char *why, size_t whylen);
const char *keysrc_name(enum keysrc_id id);

#endif
