/* The VMM's page tables and its move into the reserved region. */
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/trap.h>
#include <string.h>

u64 vmm_cr3;
u64 direct_map_top;
phys_addr_t image_phys_base = LOAD_PHYS;

extern void relocate_image(void *dst, const void *src, u64 len, u64 cr3);

/* Table frames come from the top of the region downwards; the frame pool,
 * built afterwards, marks them used. */
static u64 next_table, table_floor;

static u64 *new_table(u64 *phys_out)
{
    if (next_table - PAGE_SIZE < table_floor)
        panic("paging: VMM region too small for the page tables");
    next_table -= PAGE_SIZE;
    u64 *t = phys_to_virt(next_table);
    memset(t, 0, PAGE_SIZE);
    *phys_out = next_table;
    return t;
}

static u64 *next_level(u64 *table, unsigned idx)
{
    u64 phys;

    if (table[idx] & PTE_P)
        return phys_to_virt(table[idx] & PTE_ADDR);
    u64 *t = new_table(&phys);
    table[idx] = phys | PTE_P | PTE_W;
    return t;
}

static bool cpu_has_1g_pages(void)
{
    struct cpuid_regs r = cpuid(0x80000000);

    if (r.eax < 0x80000001)
        return false;
    return cpuid(0x80000001).edx & BIT(26);
}

void paging_init_and_relocate(u64 region_base, u64 region_size,
                              u64 direct_top, u64 *tables_used)
{
    u64 image_len = (u64)(__image_end - __image_start);
    u64 pml4_phys;
    bool big = cpu_has_1g_pages();

    next_table = region_base + region_size;
    table_floor = region_base + ALIGN_UP(image_len, PAGE_SIZE);
    u64 *pml4 = new_table(&pml4_phys);

    /* Direct map: 1 GiB pages when the CPU has them, else 2 MiB. */
    for (u64 pa = 0; pa < direct_top; pa += GiB(1)) {
        u64 va = DIRECT_MAP_BASE + pa;
        u64 *pdpt = next_level(pml4, (va >> 39) & 511);
        if (big) {
            pdpt[(va >> 30) & 511] = pa | PTE_P | PTE_W | PTE_PS | PTE_G;
            continue;
        }
        u64 *pd = next_level(pdpt, (va >> 30) & 511);
        for (unsigned i = 0; i < 512; i++)
            pd[i] = (pa + i * MiB(2)) | PTE_P | PTE_W | PTE_PS | PTE_G;
    }
    /* The image window: KERNEL_VBASE -> the region, 2 MiB pages. */
    for (u64 off = 0; off < region_size; off += MiB(2)) {
        u64 va = KERNEL_VBASE + off;
        u64 *pdpt = next_level(pml4, (va >> 39) & 511);
        u64 *pd = next_level(pdpt, (va >> 30) & 511);
        pd[(va >> 21) & 511] = (region_base + off) | PTE_P | PTE_W | PTE_PS | PTE_G;
    }
    *tables_used = region_base + region_size - next_table;
    direct_map_top = direct_top;

    /* Copy from the image's current physical place (via the direct map of
     * the boot tables, which cover 0-4 GiB) and switch. */
    vmm_cr3 = pml4_phys;
    image_phys_base = region_base;
    relocate_image(phys_to_virt(region_base), __image_start, image_len,
                   pml4_phys);
    write_cr4(read_cr4() | CR4_PGE);
}
