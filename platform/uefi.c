/* The UEFI loader's parameter blocks (platform/uefi_params.h): found by
 * UUID, every size checked against what the block says and what the
 * loader mapped, copied out. Pure: host-tested (tests/unit/test_uefi.c). */
#include <platform/bootinfo.h>
#include <platform/uefi_params.h>
#include <string.h>

#define MAX_BLOCKS 32
#define EFI_PAGE 4096ULL

enum efi_mem_type {
    EFI_RESERVED, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE, EFI_BS_DATA,
    EFI_RT_CODE, EFI_RT_DATA, EFI_CONVENTIONAL, EFI_UNUSABLE,
    EFI_ACPI_RECLAIM, EFI_ACPI_NVS, EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE,
    EFI_PERSISTENT,
};

static const u8 uuid_boot[16] = UEFI_UUID_BOOT;
static const u8 uuid_memmap[16] = UEFI_UUID_MEMMAP;
static const u8 uuid_acpi[16] = UEFI_UUID_ACPI;
static const u8 uuid_options[16] = UEFI_UUID_OPTIONS;
static const u8 uuid_module[16] = UEFI_UUID_MODULE;
static const u8 uuid_wake[16] = UEFI_UUID_WAKE;
static const u8 uuid_cpu[16] = UEFI_UUID_CPU;

/* What the OS may use once boot services are gone is usable to the VMM's
 * view (the direct map, the second-level map's top); the runtime ranges
 * and the VMM region itself (allocated reserved) are not. */
static u32 mem_type_from_efi(u32 t)
{
    switch (t) {
    case EFI_LOADER_CODE: case EFI_LOADER_DATA: case EFI_BS_CODE:
    case EFI_BS_DATA: case EFI_CONVENTIONAL: case EFI_PERSISTENT:
        return MEM_USABLE;
    case EFI_ACPI_RECLAIM: return MEM_ACPI_RECLAIM;
    case EFI_ACPI_NVS: return MEM_ACPI_NVS;
    case EFI_UNUSABLE: return MEM_BAD;
    default: return MEM_RESERVED;
    }
}

static void copy_string(char *dst, size_t cap, const char *src, size_t avail)
{
    size_t n = strnlen(src, avail);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Adds a range keeping the map sorted and merged with same-type neighbours. */
static void mmap_add(struct boot_info *out, u64 base, u64 len, u32 type)
{
    u32 i = out->mmap_count;

    if (i && out->mmap[i - 1].type == type &&
        out->mmap[i - 1].base + out->mmap[i - 1].len == base) {
        out->mmap[i - 1].len += len;
        return;
    }
    if (i == BOOT_MAX_MMAP) {
        out->mmap_truncated = true;
        return;
    }
    while (i && out->mmap[i - 1].base > base) {
        out->mmap[i] = out->mmap[i - 1];
        i--;
    }
    out->mmap[i] = (struct mem_range){ base, len, type };
    out->mmap_count++;
}

static int parse_memmap(const struct uefi_param_memmap *m,
                        const void *(*map)(u64, u64), struct boot_info *out,
                        const char **why)
{
    if (m->desc_size < sizeof(struct uefi_mem_desc) || m->desc_size % 8 ||
        m->desc_size > 4096) {
        *why = "memory map descriptor size invalid";
        return -E_INVAL;
    }
    if (m->map_size == 0 || m->map_size > MiB(1) || m->map_size % m->desc_size) {
        *why = "memory map size invalid";
        return -E_INVAL;
    }
    const u8 *d = map(m->map, m->map_size);
    if (!d) {
        *why = "memory map outside the loader's mapping";
        return -E_INVAL;
    }
    for (u64 off = 0; off < m->map_size; off += m->desc_size) {
        struct uefi_mem_desc e;
        memcpy(&e, d + off, sizeof(e));
        if (e.pages == 0)
            continue;
        if (e.phys % EFI_PAGE || e.pages > (~0ULL - e.phys) / EFI_PAGE) {
            *why = "memory map descriptor out of range";
            return -E_INVAL;
        }
        mmap_add(out, e.phys, e.pages * EFI_PAGE, mem_type_from_efi(e.type));
    }
    return 0;
}

static int parse_boot(const struct uefi_param_boot *b, struct boot_info *out,
                      const char **why)
{
    if (!b->system_table) {
        *why = "no EFI system table";
        return -E_INVAL;
    }
    if (b->region_base % MiB(2) || b->region_size % MiB(2) ||
        b->region_size == 0 || b->region_base + b->region_size > GiB(4) ||
        b->region_base + b->region_size < b->region_base) {
        *why = "VMM region not 2 MiB aligned below 4 GiB";
        return -E_INVAL;
    }
    out->efi_system_table = b->system_table;
    out->uefi_region_base = b->region_base;
    out->uefi_region_size = b->region_size;
    copy_string(out->loader, sizeof(out->loader), b->loader, sizeof(b->loader));
    return 0;
}

static bool block_is(const struct uefi_param_head *h, const u8 *uuid,
                     u32 min_size)
{
    return memcmp(h->uuid, uuid, 16) == 0 && h->size >= min_size;
}

int uefi_parse(u64 params, const void *(*map)(u64 phys, u64 len),
               struct boot_info *out, struct uefi_param_cpu *cpu,
               const char **why)
{
    const u64 *ptrs = map(params, MAX_BLOCKS * sizeof(u64));
    bool seen_boot = false, seen_memmap = false, seen_cpu = false;

    memset(out, 0, sizeof(*out));
    memset(cpu, 0, sizeof(*cpu));
    *why = NULL;
    if (!ptrs) {
        *why = "parameter array outside the loader's mapping";
        return -E_INVAL;
    }
    for (u32 i = 0;; i++) {
        if (i == MAX_BLOCKS) {
            *why = "parameter array not terminated";
            return -E_INVAL;
        }
        if (!ptrs[i])
            break;
        const struct uefi_param_head *h = map(ptrs[i], sizeof(*h));
        if (!h || h->size < sizeof(*h) || h->size > MiB(1) ||
            !(h = map(ptrs[i], h->size))) {
            *why = "a parameter block's size runs outside the mapping";
            return -E_INVAL;
        }
        int r = 0;
        if (block_is(h, uuid_boot, sizeof(struct uefi_param_boot))) {
            r = parse_boot((const void *)h, out, why);
            seen_boot = true;
        } else if (block_is(h, uuid_memmap, sizeof(struct uefi_param_memmap))) {
            r = parse_memmap((const void *)h, map, out, why);
            seen_memmap = true;
        } else if (block_is(h, uuid_acpi, sizeof(struct uefi_param_acpi))) {
            const struct uefi_param_acpi *a = (const void *)h;
            u32 n = a->copy_len <= sizeof(a->copy) ? a->copy_len : sizeof(a->copy);
            memcpy(out->rsdp, a->copy, n);
            out->rsdp_len = n;
        } else if (block_is(h, uuid_options, sizeof(struct uefi_param_head) + 1)) {
            const struct uefi_param_options *o = (const void *)h;
            copy_string(out->cmdline, sizeof(out->cmdline), o->line,
                        h->size - sizeof(*h));
        } else if (block_is(h, uuid_module, sizeof(struct uefi_param_module))) {
            const struct uefi_param_module *m = (const void *)h;
            if (m->end < m->start) {
                *why = "a module ends before it starts";
                return -E_INVAL;
            }
            if (out->module_count < BOOT_MAX_MODULES) {
                struct boot_module *bm = &out->modules[out->module_count++];
                bm->start = m->start;
                bm->end = m->end;
                copy_string(bm->name, sizeof(bm->name), m->name, sizeof(m->name));
            }
        } else if (block_is(h, uuid_wake, sizeof(struct uefi_param_wake))) {
            const struct uefi_param_wake *w = (const void *)h;
            if (w->base % EFI_PAGE || !w->pages || w->pages > 512 ||
                w->base >= GiB(4) || w->pages * EFI_PAGE > GiB(4) - w->base) {
                *why = "the S3 wake pages are not whole pages below 4 GiB";
                return -E_INVAL;
            }
            out->uefi_wake_base = w->base;
            out->uefi_wake_pages = w->pages;
        } else if (block_is(h, uuid_cpu, sizeof(struct uefi_param_cpu))) {
            memcpy(cpu, h, sizeof(*cpu));
            seen_cpu = true;
        }
        if (r < 0)
            return r;
    }
    if (!seen_boot || !seen_memmap || !seen_cpu) {
        *why = !seen_boot ? "no BOOT block" : !seen_memmap ? "no MEMMAP block"
                                                           : "no CPU block";
        return -E_INVAL;
    }
    out->uefi_entry = true;
    return 0;
}
