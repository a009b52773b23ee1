/* The memory map the guest sees: the firmware's map with the VMM's
 * region removed and the VMM's real-mode stub area reserved. */
#ifndef VENEER_COMMON_E820_H
#define VENEER_COMMON_E820_H

#include <platform/bootinfo.h>

#define E820_MAX 160

/* Builds a sorted map from `in` where each of `cuts` replaces what it
 * overlaps: type 0 removes the range (a hole), another type re-types it.
 * Returns the number of entries, or -E_NOMEM if `max` is too small.
 * Pure: host-tested. */
int e820_build(const struct mem_range *in, u32 n, const struct mem_range *cuts,
               u32 ncuts, struct mem_range *out, u32 max);

/* Whether [base, base+len) lies wholly in entries of the types in `types`
 * (a mask of BIT(type)), adjacent entries joined; false for len 0 or a
 * range that wraps. Pure. */
bool e820_covers(const struct mem_range *map, u32 n, u64 base, u64 len,
                 u32 types);

/* Whether [base, base+len) is RAM a guest's device transfer (or the VMM
 * acting for the guest) may use, in the firmware's map `map`: every byte
 * in a usable or ACPI (reclaimable, NVS) entry, or in a reserved entry
 * that begins exactly where a RAM entry ends, below 4 GiB (the firmware's
 * own RAM: the EBDA, SeaBIOS's tables at the top of low memory, where it
 * keeps its AHCI command lists, NVMe queues and bounce pages). A reserved
 * range on its own (a chipset window, ECAM, the BIOS ROM), a hole or a
 * device window is not; false for len 0 or a wrapping range. The one
 * DMA-window rule of the IDE, AHCI and NVMe mediators (guest_ram_ok adds
 * the VMM region). Pure. */
bool e820_ram_ok(const struct mem_range *map, u32 n, u64 base, u64 len);

/* Whether any entry of the types in `types` overlaps [base, base+len).
 * Pure. */
bool e820_overlaps(const struct mem_range *map, u32 n, u64 base, u64 len,
                   u32 types);

/* INT 15h E801 and 88h answers derived from a built map: KiB of usable
 * memory contiguous from 1 MiB up to 16 MiB, 64 KiB blocks contiguous
 * from 16 MiB, and KiB contiguous from 1 MiB (capped at 0xffff). */
void e820_legacy_sizes(const struct mem_range *map, u32 n, u32 *kib_1m_16m,
                       u32 *blocks_above_16m, u32 *kib_above_1m);

#endif
