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

enum s3_entry_mode { S3_ENTRY_REAL, S3_ENTRY_PM32, S3_ENTRY_LM64 };

struct s3_entry {
    enum s3_entry_mode mode;
    u16 cs;       /* real mode: vector >> 4 (base cs << 4) */
    u64 rip;      /* real mode: vector & 15; PM32, LM64: the vector */
};

/* The 64-bit wake's identity page tables: this many 4 KiB pages of
 * guest-physical memory the guest's memory map marks reserved (outside
 * the VMM region), written by the VMM at each wake before the guest
 * runs. Layout (page index): 0 PML4; 1 PDPT of the low 512 GiB; 2-5 the
 * page directories of the low 4 GiB; 6 the page directory of the GiB
 * holding a vector above 4 GiB; 7 the PDPT of a vector at or above
 * 512 GiB; 8-9 page tables for the 2 MiB blocks the hole only partly
 * covers (its first and its last). */
#define S3_WAKE_PT_PAGES 10

/* What the 64-bit wake depends on besides the FACS. */
struct s3_wake_limits {
    u64 pt_base;    /* guest-physical base of the tables, 0: none */
    u64 hole_base;  /* the VMM region: never mapped, below 4 GiB */
    u64 hole_len;
    u64 max_pa;     /* 1 << the CPU's physical address width */
};

/* As the firmware would hand the CPU to the OS (ACPI 6.5 5.2.10; edk2's
 * S3 resume does the same): a nonzero X_Firmware_Waking_Vector (FACS
 * version >= 1) wins, entered in 32-bit protected mode with paging off,
 * unless FACS version >= 2 has 64BIT_WAKE_SUPPORTED_F and the OS set
 * 64BIT_WAKE_F: then in 64-bit mode on identity page tables (`lim`);
 * otherwise Firmware_Waking_Vector in real mode. Returns NULL with *out
 * filled, or why the VMM cannot (no page tables for a 64-bit wake;
 * vectors that are no address of their mode, or a 64-bit one in the VMM
 * region or in the tables themselves). */
const char *s3_entry_plan(const struct acpi_facs *f,
                          const struct s3_wake_limits *lim,
                          struct s3_entry *out);

/* Fills `t` (S3_WAKE_PT_PAGES * 512 entries, the tables' contents as they
 * will lie at lim->pt_base) with an identity map for the 64-bit wake at
 * `vector`: the low 4 GiB in 2 MiB pages, and the GiB holding the vector
 * if it lies above, read/write, supervisor, cacheable as the MTRRs say;
 * the hole (the VMM region) left unmapped, to the 4 KiB page where it
 * begins or ends inside a 2 MiB block. The CR3 for them is lim->pt_base.
 * Returns NULL, or why not (what s3_entry_plan refuses, and a hole that
 * is not page-aligned or not below 4 GiB). Pure. */
const char *s3_wake_tables(u64 *t, const struct s3_wake_limits *lim,
                           u64 vector);

#endif
