/* EFI_LOAD_OPTION variables (Boot####) and device paths as veneer.efi
 * reads them (UEFI 2.10, 3.1.3 and 10.3). Pure: no boot services, so that
 * the host test (tests/unit/test_loadopt.c) can feed it malformed
 * variables: a Boot#### variable is input that anyone with root in the
 * OS can write, and veneer.efi parses it before the OS runs. */
#ifndef VENEER_BOOT_EFI_LOADOPT_H
#define VENEER_BOOT_EFI_LOADOPT_H

#include <efi.h>

#define LOADOPT_HIDDEN   0x00000008
#define LOADOPT_CATEGORY 0x00001f00

struct load_option {
    UINT32 attributes;
    const CHAR16 *description;  /* NUL-terminated inside the variable */
    EFI_DEVICE_PATH *path;      /* well formed, ends in an end node */
    UINTN path_len;
    UINT8 *data;                /* optional data (may be empty) */
    UINTN data_len;
};

/* Parses the variable's `size` bytes. FALSE when they do not hold a whole
 * option: too short, a description without its NUL, a path length past
 * the end, or a path whose nodes do not fit or do not end in an end node
 * exactly at its length. */
BOOLEAN loadopt_parse(UINT8 *opt, UINTN size, struct load_option *out);

/* A well-formed device path of exactly `len` bytes (each node at least 4
 * bytes and inside, the last one an end-of-path node). */
BOOLEAN device_path_ok(const EFI_DEVICE_PATH *dp, UINTN len);

/* Does a file-path node of the path end with `name` (ASCII, any case)?
 * The path must be well formed (device_path_ok). */
BOOLEAN device_path_names(const EFI_DEVICE_PATH *dp, UINTN len, const char *name);

/* "Boot" and four upper-case hex digits. */
void boot_option_name(CHAR16 out[9], UINT16 nr);

#endif
