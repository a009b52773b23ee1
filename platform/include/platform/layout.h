/* Where the VMM lives in virtual and physical memory.
 *
 * The image is linked at KERNEL_VBASE (-mcmodel=kernel) and loaded by GRUB
 * at LOAD_PHYS; early boot moves it to the reserved region at the top of
 * usable RAM below 4 GiB and maps KERNEL_VBASE there. All physical memory
 * is reachable at DIRECT_MAP_BASE + phys. */
#ifndef VENEER_PLATFORM_LAYOUT_H
#define VENEER_PLATFORM_LAYOUT_H

#define KERNEL_VBASE     0xffffffff80000000
#define LOAD_PHYS        0x200000
#define DIRECT_MAP_BASE  0xffff800000000000
#define BOOT_WINDOW_SIZE 0x4000000 /* 64 MiB mapped at KERNEL_VBASE at entry */

#define BSP_STACK_SIZE   0x8000
#define IST_STACK_SIZE   0x2000

#ifndef __ASSEMBLY__
#include <platform/types.h>

extern char __image_start[], __image_end[], __bss_start[], __bss_end[];
extern char __text_start[], __text_end[];

/* The physical base the image runs at now (LOAD_PHYS, then the region). */
extern phys_addr_t image_phys_base;

static inline void *phys_to_virt(phys_addr_t p)
{
    return (void *)(uintptr_t)(p + DIRECT_MAP_BASE);
}

static inline phys_addr_t virt_to_phys(const void *v)
{
    uintptr_t a = (uintptr_t)v;

    if (a >= KERNEL_VBASE)
        return a - KERNEL_VBASE + image_phys_base;
    return a - DIRECT_MAP_BASE;
}
#endif

#endif
