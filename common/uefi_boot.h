/* The UEFI guest start: the BSP's guest state is the UEFI loader's own
 * long-mode state at its call into the VMM (platform/uefi_params.h), so the
 * guest resumes in the loader, which returns EFI_SUCCESS to the firmware. */
#ifndef VENEER_COMMON_UEFI_BOOT_H
#define VENEER_COMMON_UEFI_BOOT_H

#include <common/vcpu.h>

int uefi_boot_prepare(struct vcpu *v);

/* A GDT descriptor (SDM 3.4.5; `hi`: the upper 8 bytes of a 16-byte
 * system descriptor in long mode, used when `system`) as a struct segment
 * (the VMX access-rights layout both backends take). Pure: host-tested. */
struct segment segment_from_desc(u16 sel, u64 lo, u64 hi, bool system);

#endif
