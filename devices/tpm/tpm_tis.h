/* The TPM's FIFO (TIS) interface at 0xFED40000, locality 0 (TCG PC Client
 * Platform TPM Profile spec, "FIFO Interface"): one command at a time, by
 * polling, every wait bounded. Used only before the guest runs. */
#ifndef VENEER_DEVICES_TPM_TIS_H
#define VENEER_DEVICES_TPM_TIS_H

#include <platform/types.h>

#define TIS_BASE 0xfed40000ULL

/* -E_NOENT: no TPM answers there; -E_NOTSUP: not a TPM 2.0; -E_TIMEOUT:
 * locality 0 not granted. `why` names the reason. */
int tis_open(char *why, size_t whylen);
/* Sends `cmd`, reads the whole response (its size field bounds the read)
 * into `resp`. < 0 with `why` on a timeout or a malformed exchange. */
int tis_transact(const u8 *cmd, size_t len, u8 *resp, size_t cap, size_t *rlen,
                 char *why, size_t whylen);
/* Leaves the TPM idle and gives locality 0 up, unless it was active
 * before tis_open (then true: whoever held it, the firmware, keeps it; a
 * locality given up under it would drop its later commands). */
bool tis_close(void);

#endif
