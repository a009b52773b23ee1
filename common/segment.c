/* GDT descriptors as struct segment (see uefi_boot.h). Pure: host-tested. */
#include <common/uefi_boot.h>

struct segment segment_from_desc(u16 sel, u64 lo, u64 hi, bool system)
{
    u32 limit = (u32)(lo & 0xffff) | (u32)((lo >> 32) & 0xf0000);
    /* access byte (bits 40-47) -> attr[7:0]; AVL, L, D/B, G (52-55) ->
     * attr[15:12] */
    u32 attr = (u32)((lo >> 40) & 0xff) | (u32)((lo >> 40) & 0xf000);
    u64 base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24);

    if (attr & BIT(15))
        limit = (limit << 12) | 0xfff;
    if (system)
        base |= (hi & 0xffffffff) << 32;
    return (struct segment){ .sel = sel, .attr = attr, .limit = limit,
                             .base = base };
}
