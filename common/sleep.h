/* S3 under the VMM (common/sleep.c, docs/sleep.md). */
#ifndef VENEER_COMMON_SLEEP_H
#define VENEER_COMMON_SLEEP_H

#include <common/acpi/probe.h>
#include <common/vcpu.h>

/* The guest's S3 request: its PM1 control write `e` on v (PM1b when
 * `pm1b`). Returns only when the VMM refuses it (-E_NOTSUP, one log line
 * naming the reason, the write skipped); otherwise the machine sleeps and
 * the VMM resumes the guest at its own waking vector after the wake. */
int sleep_s3(struct vcpu *v, const struct vcpu_exit *e,
             const struct acpi_platform *pf, bool pm1b);

#endif
