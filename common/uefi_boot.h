/* The UEFI guest start: the BSP's guest state is the UEFI loader's own
 * long-mode state at its call into the VMM (platform/uefi_params.h), so the
 * guest resumes in the loader, which returns EFI_SUCCESS to the firmware. */
#ifndef VENEER_COMMON_UEFI_BOOT_H
#define VENEER_COMMON_UEFI_BOOT_H

#include <common/vcpu.h>

int uefi_boot_prepare(struct vcpu *v);

#endif
