/* GDT descriptors to struct segment (common/segment.c), as the UEFI guest
 * start reads the firmware's GDT: OVMF's long-mode code and data
 * descriptors, a 64-bit TSS above 4 GiB, a byte-granular limit. */
#include "check.h"
#include <common/uefi_boot.h>

int main(void)
{
    struct segment s;

    s = segment_from_desc(0x38, 0x00af9b000000ffffULL, 0, false);
    CHECK_EQ(s.sel, 0x38);
    CHECK_EQ(s.attr, 0xa09b);          /* G, L, P, S, code, accessed */
    CHECK(s.attr & BIT(13));           /* L: 64-bit code */
    CHECK_EQ(s.limit, 0xffffffff);
    CHECK_EQ(s.base, 0);
    s = segment_from_desc(0x30, 0x00cf93000000ffffULL, 0, false);
    CHECK_EQ(s.attr, 0xc093);          /* G, D/B, P, S, data */
    CHECK_EQ(s.limit, 0xffffffff);
    /* TSS at 0x12_3456_7890, limit 0x67, busy (type 11), byte granular */
    s = segment_from_desc(0x40, 0x56008b3478900067ULL, 0x12, true);
    CHECK_EQ(s.attr, 0x8b);
    CHECK_EQ(s.limit, 0x67);
    CHECK_EQ(s.base, 0x1256347890ULL);
    /* the upper half is ignored for code/data */
    s = segment_from_desc(0x8, 0x00af9b000000ffffULL, 0xdeadbeef, false);
    CHECK_EQ(s.base, 0);
    return check_done("segment");
}
