/* What the boot loader told us, copied out of its structures before the
 * guest can overwrite them. */
#ifndef VENEER_PLATFORM_BOOTINFO_H
#define VENEER_PLATFORM_BOOTINFO_H

#include <platform/types.h>

#define MB2_BOOT_MAGIC 0x36d76289

enum mem_type {
    MEM_USABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIM = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
};

struct mem_range {
    u64 base;
    u64 len;
    u32 type;
};

#define BOOT_MAX_MMAP 128
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 1024

struct boot_module {
    u64 start, end;
    char name[64];
};

struct boot_info {
    char cmdline[BOOT_CMDLINE_MAX];
    char loader[64];
    struct mem_range mmap[BOOT_MAX_MMAP];
    u32 mmap_count;
    bool mmap_truncated;
    struct boot_module modules[BOOT_MAX_MODULES];
    u32 module_count;
    u8 rsdp[36];          /* ACPI RSDP as the loader copied it */
    u32 rsdp_len;         /* 0: none given */
    u64 efi_system_table; /* 0: BIOS boot */
    bool efi_boot_services_exited;
    u64 info_phys, info_len;
    /* Started by veneer.efi (boot services running; platform/uefi.c). */
    bool uefi_entry;
    u64 uefi_region_base, uefi_region_size;
    u64 uefi_wake_base, uefi_wake_pages; /* WAKE block: 0 if none */
};

struct uefi_param_cpu;

/* Parses the UEFI loader's parameter blocks (platform/uefi_params.h):
 * `params` is the physical address of the NULL-terminated pointer array;
 * `map(phys, len)` returns a readable pointer to [phys, phys+len) or NULL.
 * Fills `out` (memory map, options, RSDP, modules, region) and `cpu` (the
 * loader's CPU state). Returns 0, or < 0 with `why` saying what was
 * malformed. Pure: host-tested. */
int uefi_parse(u64 params, const void *(*map)(u64 phys, u64 len),
               struct boot_info *out, struct uefi_param_cpu *cpu,
               const char **why);

extern struct boot_info boot_info;

/* Parses a multiboot2 information structure at `info` (`avail` bytes
 * readable) into `out`. Returns 0, or < 0 with `why` saying what was
 * malformed. Pure: host-tested. */
int mb2_parse(const void *info, u64 avail, struct boot_info *out,
              const char **why);

const char *mem_type_name(u32 type);

/* Picks the VMM region: `size` bytes, 2 MiB aligned, at the top of the
 * highest usable range below 4 GiB that holds it and overlaps none of the
 * `avoid` ranges. Returns the base, or 0 if none fits. Pure: host-tested. */
u64 memmap_choose_region(const struct mem_range *map, u32 n, u64 size,
                         const struct mem_range *avoid, u32 navoid);

#endif
