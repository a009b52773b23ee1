/* The UEFI entry's state shared with common code (platform/uefi.c,
 * platform/main.c; the guest start is common/uefi_boot.c). */
#ifndef VENEER_PLATFORM_UEFI_H
#define VENEER_PLATFORM_UEFI_H

#include <platform/bootinfo.h>
#include <platform/uefi_params.h>

/* The loader's CPU state at its call (boot_info.uefi_entry only). */
extern struct uefi_param_cpu uefi_caller;

#endif
