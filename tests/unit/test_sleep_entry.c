/* The guest's entry after an S3 wake from its FACS (common/sleep_entry.c):
 * the real-mode vector as SeaBIOS, Bochs' BIOS and OVMF hand it over
 * (CS = vector >> 4, IP = vector & 15), X_Firmware_Waking_Vector in 32-bit
 * protected mode when the FACS has one (version >= 1) and it is set, a
 * 64-bit wake refused, and every vector that is no address of its mode
 * refused with its reason. */
#include "check.h"
#include <common/sleep_entry.h>

static struct acpi_facs facs(u8 version, u32 vector, u64 xvector, u32 flags,
                             u32 ospm)
{
    struct acpi_facs f;

    memset(&f, 0, sizeof(f));
    memcpy(f.signature, "FACS", 4);
    f.length = 64;
    f.version = version;
    f.firmware_waking_vector = vector;
    f.x_firmware_waking_vector = xvector;
    f.flags = flags;
    f.ospm_flags = ospm;
    return f;
}

int main(void)
{
    struct s3_entry e;
    struct acpi_facs f;
    const char *why;

    /* Linux: a page-aligned real-mode vector, X left 0 (QEMU's FACS) */
    f = facs(0, 0x9a000, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_REAL);
    CHECK_EQ(e.cs, 0x9a00);
    CHECK_EQ(e.rip, 0);
    /* an unaligned one: CS keeps the low bits (0803:000b) */
    f = facs(0, 0x803b, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.cs, 0x803);
    CHECK_EQ(e.rip, 0xb);
    CHECK_EQ(((u64)e.cs << 4) + e.rip, 0x803b);
    /* the last real-mode byte, then the first that is not one */
    f = facs(1, 0xfffff, 0, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.cs, 0xffff);
    CHECK_EQ(e.rip, 0xf);
    f = facs(1, 0x100000, 0, 0, 0);
    why = s3_entry_plan(&f, &e);
    CHECK(why && strstr(why, "above 1 MiB"));
    f = facs(2, 0, 0, 0, 0);
    why = s3_entry_plan(&f, &e);
    CHECK(why && strstr(why, "is 0"));

    /* X vector ignored in a version 0 FACS (no such field there) */
    f = facs(0, 0x9a000, 0x200000, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_REAL);
    /* version 1: X wins, 32-bit protected mode, whatever the real one */
    f = facs(1, 0x9a000, 0x200000, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    CHECK_EQ(e.rip, 0x200000);
    f = facs(1, 0, 0xfffffff0ull, 0, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    /* version 2, 64-bit only if the platform offers it AND the OS asks */
    f = facs(2, 0, 0x200000, FACS_64BIT_WAKE_SUPPORTED, 0);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    f = facs(2, 0, 0x200000, 0, FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &e) == NULL);
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    f = facs(1, 0, 0x200000, FACS_64BIT_WAKE_SUPPORTED, FACS_OSPM_64BIT_WAKE);
    CHECK(s3_entry_plan(&f, &e) == NULL); /* version 1: no 64-bit wake */
    CHECK_EQ(e.mode, S3_ENTRY_PM32);
    f = facs(2, 0x9a000, 0x200000, FACS_64BIT_WAKE_SUPPORTED, FACS_OSPM_64BIT_WAKE);
    why = s3_entry_plan(&f, &e);
    CHECK(why && strstr(why, "64-bit wake"));
    /* a 32-bit entry above 4 GiB is no address */
    f = facs(1, 0x9a000, 0x100000000ull, 0, 0);
    why = s3_entry_plan(&f, &e);
    CHECK(why && strstr(why, "above 4 GiB"));
    return check_done("sleep_entry");
}
