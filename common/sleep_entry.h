/* How the guest is resumed after an S3 wake, from its FACS (common/
 * sleep_entry.c, host-tested by tests/unit/test_sleep_entry.c). */
#ifndef VENEER_COMMON_SLEEP_ENTRY_H
#define VENEER_COMMON_SLEEP_ENTRY_H

#include <common/acpi/acpi.h>
#include <platform/types.h>

/* FACS flags (ACPI 6.5 5.2.10): the platform can wake into 64-bit mode;
 * OSPM flags: the OS asks for it. */
#define FACS_64BIT_WAKE_SUPPORTED BIT(1)
#define FACS_OSPM_64BIT_WAKE BIT(0)

enum s3_entry_mode { S3_ENTRY_REAL, S3_ENTRY_PM32 };

struct s3_entry {
    enum s3_entry_mode mode;
    u16 cs;       /* real mode: vector >> 4 (base cs << 4) */
    u64 rip;      /* real mode: vector & 15; PM32: the 32-bit vector */
};

/* As the firmware would hand the CPU to the OS (ACPI 6.5 5.2.10; edk2's
 * S3 resume does the same): a nonzero X_Firmware_Waking_Vector (FACS
 * version >= 1) wins, entered in 32-bit protected mode with paging off,
 * unless FACS version >= 2 has 64BIT_WAKE_SUPPORTED_F and the OS set
 * 64BIT_WAKE_F (64-bit mode); otherwise Firmware_Waking_Vector in real
 * mode. Returns NULL with *out filled, or why the VMM cannot (a 64-bit
 * wake needs identity page tables in guest memory, which the VMM has
 * none of; vectors that are no address of their mode). */
const char *s3_entry_plan(const struct acpi_facs *f, struct s3_entry *out);

#endif
