/* The boot path's shared state and its one way of saying no. */
#ifndef VENEER_PLATFORM_BOOT_H
#define VENEER_PLATFORM_BOOT_H

#include <platform/bootinfo.h>

/* Prints "refusing to start: <reason>" and halts. For what the machine or
 * the user got wrong (a missing CPU feature, a bad option): not a panic. */
__noreturn void refuse_to_start(const char *fmt, ...) __printf(1, 2);

/* Called by the BSP at its entry. */
void vmm_main(u32 magic, u32 info_phys);

#endif
