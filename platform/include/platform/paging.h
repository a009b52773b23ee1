/* The VMM's own page tables: a direct map of physical memory at
 * DIRECT_MAP_BASE and the image window at KERNEL_VBASE onto the region.
 * No identity map: a stray low pointer faults. */
#ifndef VENEER_PLATFORM_PAGING_H
#define VENEER_PLATFORM_PAGING_H

#include <platform/types.h>

#define PTE_P    BIT(0)
#define PTE_W    BIT(1)
#define PTE_U    BIT(2)
#define PTE_PWT  BIT(3)
#define PTE_PCD  BIT(4)
#define PTE_A    BIT(5)
#define PTE_D    BIT(6)
#define PTE_PS   BIT(7)
#define PTE_G    BIT(8)
#define PTE_NX   BIT(63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Builds the final tables from frames of the region (taken from its top,
 * above the image), copies the image to the region and switches to them.
 * `direct_top`: how much physical address space the direct map covers. */
void paging_init_and_relocate(u64 region_base, u64 region_size,
                              u64 direct_top, u64 *tables_used);

/* The physical address of the VMM's PML4 (what APs and VM exits load). */
extern u64 vmm_cr3;
/* The end of the physical range the direct map covers. */
extern u64 direct_map_top;

#endif
