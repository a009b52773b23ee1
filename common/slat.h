/* Second-level address translation tables (NPT, EPT): the shared shape.
 * Both are 4-level radix trees of 512 eight-byte entries with large pages
 * at the 1 GiB and 2 MiB levels; they differ in entry bits, which each
 * backend describes in a struct slat_format. The map is an identity map
 * (guest-physical == host-physical) with holes. */
#ifndef VENEER_COMMON_SLAT_H
#define VENEER_COMMON_SLAT_H

#include <platform/types.h>

struct slat_format {
    u64 table_bits;  /* bits of an entry pointing to a table */
    u64 large_bit;   /* the page-size bit of 1 GiB / 2 MiB leaves */
    bool gb_pages;   /* 1 GiB leaves allowed */
    /* Leaf bits for [gpa, gpa+size); returns false if the range cannot
     * be one leaf (e.g. its memory type is not uniform): it is split. */
    bool (*leaf_bits)(u64 gpa, u64 size, u64 *bits);
};

struct slat {
    const struct slat_format *fmt;
    u64 root;        /* physical address of the top table */
};

/* Builds an identity map of [0, top). */
int slat_init(struct slat *s, const struct slat_format *fmt, u64 top);
/* Makes [gpa, gpa+len) (4 KiB aligned) present or absent, splitting large
 * pages only where needed. Callers flush TLBs and serialise. */
int slat_protect(struct slat *s, u64 gpa, u64 len, bool present);
/* Counts of leaves by size (for the boot log and tests). */
void slat_stats(const struct slat *s, u64 *gb, u64 *mb2, u64 *kb4);

#endif
