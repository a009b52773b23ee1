/* The disk key sealed in a TPM 2.0 (docs/storage.md, "TPM"). */
#ifndef VENEER_DEVICES_TPM_H
#define VENEER_DEVICES_TPM_H

#include <platform/types.h>

/* The 64-byte key unsealed from the veneer.tpm module under a PolicyPCR
 * session: 0 with the key, negative with a one-line reason in `why`.
 * Whatever the outcome, the TPM's lock PCR is extended before it returns
 * (the key cannot be unsealed again until the next platform reset). The
 * caller checks the key against vmm.kcv= and wipes it. */
int keysrc_tpm_get(u8 key[64], char *why, size_t whylen);

#endif
