/* Inside platform/iommu/: what a unit driver gives the shared layer. */
#ifndef VENEER_PLATFORM_IOMMU_UNIT_H
#define VENEER_PLATFORM_IOMMU_UNIT_H

#include <platform/iommu.h>

#define IOMMU_MAX_UNITS 16
#define IOMMU_FAULT_LOG_MAX 32

struct iommu_unit;
struct iommu_unit_ops {
    void (*poll)(struct iommu_unit *u);
    void (*trust)(struct iommu_unit *u, u8 bus, u8 devfn, bool trusted);
    /* [pa, pa + len) of the VMM region made reachable (map) by trusted
     * functions, or not (unmap), and the unit's caches invalidated. */
    int (*dma_map)(struct iommu_unit *u, u64 pa, u64 len, bool map);
    /* After an S3 wake the unit is as after reset (translation off, its
     * table pointers zero): the same tables, still in VMM memory, given to
     * it again and translation turned back on. 0, or < 0 with one line. */
    int (*resume)(struct iommu_unit *u);
};
struct iommu_unit {
    const struct iommu_unit_ops *ops;
    const char *name;   /* "VT-d", "AMD-Vi" */
    u64 regs_phys;
};

/* The shape of one format's I/O page-table entries; level 1 maps 4 KiB,
 * 2 maps 2 MiB, 3 maps 1 GiB, 4 points to 512 GiB. */
struct iopt_fmt {
    u64 (*table)(unsigned level, u64 pa); /* an entry pointing to a table */
    u64 (*leaf)(unsigned level, u64 pa);  /* a leaf mapping pa */
    bool mb2, gb;                         /* large leaves allowed */
    bool coherent;                        /* the walker snoops caches */
};
/* Builds the identity map of m (levels 3 or 4) from the VMM's frames; the
 * root's physical address, or 0 when memory ran out. */
u64 iopt_build(const struct iopt_fmt *f, unsigned levels, const struct iommu_map *m);

/* The same over any page source (iopt.c, host-tested): alloc returns a
 * zeroed 4 KiB page's physical address or 0, virt maps it. */
struct iopt_mem {
    u64 (*alloc)(void);
    void *(*virt)(u64 pa);
};
u64 iopt_build_with(const struct iopt_fmt *f, unsigned levels,
                    const struct iommu_map *m, const struct iopt_mem *mem);

/* One 4 KiB identity page made present in the table at root (tables
 * allocated where absent; nothing to do under a large leaf): 0, or
 * -E_NOMEM. For the trusted domain, which maps the VMM region only where
 * the mediators DMA (iommu_dma_map). */
int iopt_map_page(const struct iopt_fmt *f, unsigned levels, u64 root, u64 pa,
                  const struct iopt_mem *mem);
/* Takes a page iopt_map_page made present back (tables stay); false when
 * it was not mapped page by page. */
bool iopt_unmap_page(const struct iopt_fmt *f, unsigned levels, u64 root, u64 pa,
                     const struct iopt_mem *mem);

/* [pa, pa + len) made present (map) or absent page by page in the table
 * at root, over the VMM's frames; the caller invalidates. */
int iommu_pt_dma_map(const struct iopt_fmt *f, unsigned levels, u64 root,
                     u64 pa, u64 len, bool map);

int iommu_add_unit(struct iommu_unit *u);
void iommu_report_fault(struct iommu_unit *u, u16 sid, u64 addr, bool write,
                        unsigned reason);
/* Faults were lost (the unit's records or log overflowed). */
void iommu_report_overflow(struct iommu_unit *u);

#endif
