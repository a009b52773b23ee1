/* The guest's entry after an S3 wake (common/sleep_entry.h). */
#include <common/sleep_entry.h>

const char *s3_entry_plan(const struct acpi_facs *f, struct s3_entry *out)
{
    u32 vector = f->firmware_waking_vector;
    u64 xvector = f->version >= 1 ? f->x_firmware_waking_vector : 0;

    if (xvector) {
        if (f->version >= 2 && (f->flags & FACS_64BIT_WAKE_SUPPORTED) &&
            (f->ospm_flags & FACS_OSPM_64BIT_WAKE))
            return "the guest asks for a 64-bit wake (X_Firmware_Waking_Vector "
                   "with 64BIT_WAKE_F): only real-mode and 32-bit "
                   "protected-mode wakes are supported";
        if (xvector > 0xffffffffull)
            return "the guest's X_Firmware_Waking_Vector is above 4 GiB (not "
                   "a 32-bit protected-mode address)";
        *out = (struct s3_entry){ S3_ENTRY_PM32, 0, xvector };
        return NULL;
    }
    if (!vector)
        return "the guest's waking vector is 0: it would not resume";
    if (vector >= 0x100000)
        return "the guest's waking vector is above 1 MiB (not a real-mode "
               "address)";
    *out = (struct s3_entry){ S3_ENTRY_REAL, (u16)(vector >> 4), vector & 0xf };
    return NULL;
}
