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

/* The guest-physical base of S3_WAKE_PT_PAGES pages (common/sleep_entry.h)
 * the guest's memory map shows as reserved, outside the VMM region: where
 * a 64-bit wake's identity page tables go. Set by the boot path that
 * builds the map; without it a 64-bit wake is refused. */
void sleep_set_wake_tables(u64 pa);

#endif
