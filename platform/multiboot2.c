/* Multiboot2 boot information: parsed defensively (every tag's size is
 * checked against the total) and copied out. Pure: host-tested. */
#include <platform/bootinfo.h>
#include <string.h>

enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_MMAP = 6,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
    u32 type;
    u32 size;
} __packed;

struct mb2_mmap_entry {
    u64 base;
    u64 len;
    u32 type;
    u32 reserved;
} __packed;
CHECK_SIZE(struct mb2_mmap_entry, 24);

static void copy_string(char *dst, size_t cap, const void *src, size_t avail)
{
    const char *s = src;
    size_t n = strnlen(s, avail);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int parse_mmap(const u8 *tag, u32 size, struct boot_info *out,
                      const char **why)
{
    u32 entry_size, off;

    if (size < 16) {
        *why = "memory map tag too short";
        return -E_INVAL;
    }
    memcpy(&entry_size, tag + 8, 4);
    if (entry_size < sizeof(struct mb2_mmap_entry) || entry_size % 8) {
        *why = "memory map entry size invalid";
        return -E_INVAL;
    }
    for (off = 16; off + entry_size <= size; off += entry_size) {
        struct mb2_mmap_entry e;
        memcpy(&e, tag + off, sizeof(e));
        if (e.len == 0)
            continue;
        if (out->mmap_count == BOOT_MAX_MMAP) {
            out->mmap_truncated = true;
            break;
        }
        out->mmap[out->mmap_count++] = (struct mem_range){ e.base, e.len, e.type };
    }
    return 0;
}

int mb2_parse(const void *info, u64 avail, struct boot_info *out,
              const char **why)
{
    const u8 *p = info;
    u32 total;
    bool seen_end = false;

    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (avail < 8) {
        *why = "boot information shorter than its header";
        return -E_INVAL;
    }
    memcpy(&total, p, 4);
    if (total < 16 || total > avail) {
        *why = "boot information total size out of bounds";
        return -E_INVAL;
    }
    out->info_len = total;
    for (u32 off = 8; off + sizeof(struct mb2_tag) <= total;) {
        struct mb2_tag t;
        memcpy(&t, p + off, sizeof(t));
        if (t.size < 8 || t.size > total - off) {
            *why = "a tag's size runs past the boot information";
            return -E_INVAL;
        }
        const u8 *tag = p + off;
        switch (t.type) {
        case MB2_TAG_END:
            seen_end = true;
            break;
        case MB2_TAG_CMDLINE:
            copy_string(out->cmdline, sizeof(out->cmdline), tag + 8, t.size - 8);
            break;
        case MB2_TAG_LOADER:
            copy_string(out->loader, sizeof(out->loader), tag + 8, t.size - 8);
            break;
        case MB2_TAG_MODULE:
            if (t.size >= 16 && out->module_count < BOOT_MAX_MODULES) {
                struct boot_module *m = &out->modules[out->module_count++];
                u32 s, e;
                memcpy(&s, tag + 8, 4);
                memcpy(&e, tag + 12, 4);
                m->start = s;
                m->end = e;
                copy_string(m->name, sizeof(m->name), tag + 16, t.size - 16);
            }
            break;
        case MB2_TAG_MMAP: {
            int r = parse_mmap(tag, t.size, out, why);
            if (r < 0)
                return r;
            break;
        }
        case MB2_TAG_EFI64:
            if (t.size >= 16)
                memcpy(&out->efi_system_table, tag + 8, 8);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW: {
            u32 n = t.size - 8;
            /* Prefer the ACPI 2.0+ RSDP when both are given. */
            if (t.type == MB2_TAG_ACPI_OLD && out->rsdp_len > 20)
                break;
            if (n > sizeof(out->rsdp))
                n = sizeof(out->rsdp);
            memcpy(out->rsdp, tag + 8, n);
            out->rsdp_len = n;
            break;
        }
        default:
            break;
        }
        if (seen_end)
            break;
        off += (t.size + 7) & ~7u;
    }
    if (!seen_end) {
        *why = "boot information has no end tag";
        return -E_INVAL;
    }
    if (out->mmap_count == 0) {
        *why = "boot information has no memory map";
        return -E_INVAL;
    }
    /* We do not ask GRUB to keep boot services: on UEFI they are gone. */
    out->efi_boot_services_exited = out->efi_system_table != 0;
    return 0;
}

const char *mem_type_name(u32 type)
{
    switch (type) {
    case MEM_USABLE: return "usable";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIM: return "ACPI data";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    default: return "other";
    }
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
    return a < b + blen && b < a + alen;
}

static bool usable_everywhere(const struct mem_range *map, u32 n, u64 base,
                              u64 size)
{
    /* Firmware maps may overlap: a usable range that another entry also
     * calls reserved is not ours to take. */
    for (u32 i = 0; i < n; i++)
        if (map[i].type != MEM_USABLE &&
            overlaps(base, size, map[i].base, map[i].len))
            return false;
    return true;
}

u64 memmap_choose_region(const struct mem_range *map, u32 n, u64 size,
                         const struct mem_range *avoid, u32 navoid)
{
    const u64 align = MiB(2), limit = GiB(4);
    u64 best = 0;

    if (size == 0 || !IS_ALIGNED(size, align))
        return 0;
    for (u32 i = 0; i < n; i++) {
        if (map[i].type != MEM_USABLE || map[i].len < size)
            continue;
        u64 lo = ALIGN_UP(map[i].base, align);
        u64 end = map[i].base + map[i].len;
        if (end < map[i].base || end > limit)
            end = limit;
        end = ALIGN_DOWN(end, align);
        if (lo < MiB(16))
            lo = MiB(16); /* leave low memory to real-mode firmware users */
        /* Walk down from the top until no avoided range is hit. */
        for (u64 top = end; top >= lo + size && top > best; top -= align) {
            u64 base = top - size;
            bool clash = !usable_everywhere(map, n, base, size);
            for (u32 j = 0; j < navoid && !clash; j++)
                clash = overlaps(base, size, avoid[j].base, avoid[j].len);
            if (!clash) {
                if (base > best)
                    best = base;
                break;
            }
        }
    }
    return best;
}
