/* The interface between the UEFI loader (boot/efi/veneer.efi) and the VMM.
 *
 * The loader finds `struct uefi_header` in the first 32 KiB of veneer.elf's
 * first loadable segment, loads the image into the VMM region it reserved
 * (region base = LOAD_PHYS of the link), maps it at KERNEL_VBASE on page
 * tables of its own (identity and direct map of 0-4 GiB) and jumps to
 * `entry` in 64-bit mode, interrupts off, with RDI = the physical address
 * of a NULL-terminated array of physical pointers to parameter blocks.
 * Each block starts with `struct uefi_param_head`: a UUID naming it, a
 * version, and its size in bytes (the VMM bounds every field by it; a block
 * it does not know is skipped, a known one with a newer version is read as
 * far as the version it knows).
 *
 * The VMM never returns there. It resumes the loader as its guest in the
 * state of `struct uefi_cpu_state` (the loader's own long-mode state).
 * This header is shared, as a layout, by both programs: types only. */
#ifndef VENEER_PLATFORM_UEFI_PARAMS_H
#define VENEER_PLATFORM_UEFI_PARAMS_H

#include <stdint.h>

#define UEFI_HEADER_MAGIC   "VENEER-UEFI-HDR"   /* 15 chars + NUL */
#define UEFI_HEADER_VERSION 1
#define UEFI_MAGIC          0x56454e55          /* "UNEV": vmm_main's magic */

struct uefi_header {
    char magic[16];
    uint32_t version;
    uint32_t size;           /* sizeof(struct uefi_header) */
    uint64_t entry;          /* virtual address (KERNEL_VBASE window) */
    uint64_t vbase;          /* KERNEL_VBASE: mapped onto the region base */
    uint64_t load_phys;      /* the link's physical base (LOAD_PHYS) */
    uint64_t image_size;     /* bytes from load_phys to the image end (bss) */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_header) == 56, "uefi_header layout");

struct uefi_param_head {
    uint8_t uuid[16];
    uint32_t version;
    uint32_t size;           /* the whole block, this head included */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_head) == 24, "uefi_param_head layout");

/* The blocks. UUIDs are random (version 4), written in byte order. */
#define UEFI_UUID_BOOT    { 0x6a,0x1e,0x43,0x0d,0x5f,0x2b,0x4c,0x8e, \
                            0x9b,0x37,0x02,0xd4,0xc1,0x6e,0x58,0xa9 }
#define UEFI_UUID_MEMMAP  { 0x2c,0x94,0xe0,0x7b,0x31,0x8a,0x46,0x55, \
                            0xa0,0x1d,0xbe,0x62,0x7f,0x03,0x9c,0x14 }
#define UEFI_UUID_ACPI    { 0xd3,0x05,0x7a,0x62,0x1b,0xc4,0x4f,0x0a, \
                            0x8e,0x51,0x9d,0x26,0x44,0xe7,0x30,0xbb }
#define UEFI_UUID_OPTIONS { 0x81,0xf6,0x2d,0x39,0xac,0x47,0x4b,0x1e, \
                            0xb2,0x68,0x5c,0x0f,0xd9,0x13,0x7e,0x46 }
#define UEFI_UUID_MODULE  { 0x47,0xb8,0x91,0xe5,0x06,0xdd,0x42,0x7c, \
                            0x93,0xfa,0x28,0x6b,0x0e,0x85,0xc1,0x52 }
#define UEFI_UUID_CPU     { 0xe9,0x3a,0x64,0x18,0x72,0x0f,0x49,0xd1, \
                            0xaf,0x4c,0x13,0x8b,0x5e,0x2a,0x96,0x07 }
#define UEFI_UUID_WAKE    { 0x5b,0xc2,0x17,0x8e,0x94,0x3d,0x4a,0x61, \
                            0xb7,0x0e,0x6f,0x21,0xd8,0x49,0xa3,0x3c }

/* BOOT (required): the firmware and the region the loader reserved. */
struct uefi_param_boot {
    struct uefi_param_head head;
    uint64_t system_table;   /* EFI_SYSTEM_TABLE, physical */
    uint64_t image_handle;
    uint64_t region_base;    /* 2 MiB aligned, below 4 GiB */
    uint64_t region_size;
    uint32_t region_efi_type;/* the memory type it was allocated as */
    uint32_t reserved;
    char loader[32];         /* "veneer.efi 0.x", NUL-terminated */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_boot) == 24 + 40 + 32, "param_boot");

/* MEMMAP (required): GetMemoryMap's output, after the last allocation. */
struct uefi_param_memmap {
    struct uefi_param_head head;
    uint64_t map;            /* physical address of the descriptors */
    uint64_t map_size;       /* bytes */
    uint64_t desc_size;      /* bytes per descriptor (>= 40) */
    uint32_t desc_version;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_memmap) == 24 + 32, "param_memmap");

/* The EFI_MEMORY_DESCRIPTOR prefix the VMM reads (UEFI 2.9 7.2). */
struct uefi_mem_desc {
    uint32_t type;
    uint32_t pad;
    uint64_t phys;
    uint64_t virt;
    uint64_t pages;          /* 4 KiB pages */
    uint64_t attr;
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_mem_desc) == 40, "uefi_mem_desc");

/* ACPI (optional): the RSDP the configuration table names. */
struct uefi_param_acpi {
    struct uefi_param_head head;
    uint64_t rsdp;           /* physical */
    uint8_t copy[36];        /* its first 36 bytes (20 for revision 0) */
    uint32_t copy_len;
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_acpi) == 24 + 48, "param_acpi");

/* WAKE (optional): pages below 4 GiB the loader allocated as
 * EfiReservedMemoryType for a 64-bit S3 wake's identity page tables (the
 * VMM writes them at each wake; common/sleep_entry.h). The OS sees them
 * reserved in the UEFI memory map; they are not in the VMM region. */
#define UEFI_WAKE_PAGES 10
struct uefi_param_wake {
    struct uefi_param_head head;
    uint64_t base;           /* physical, page-aligned */
    uint64_t pages;          /* 4 KiB pages */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_wake) == 24 + 16, "param_wake");

/* OPTIONS (optional): the option line (veneer.cfg), NUL-terminated. */
struct uefi_param_options {
    struct uefi_param_head head;
    char line[];             /* head.size - 24 bytes */
} __attribute__((packed));

/* MODULE (optional, repeated): a file the loader read for the VMM. */
struct uefi_param_module {
    struct uefi_param_head head;
    uint64_t start, end;     /* physical */
    char name[64];           /* NUL-terminated, e.g. "veneer.key" */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_module) == 24 + 16 + 64, "param_module");

/* CPU (required): the loader's state at the call, which the VMM gives back
 * to it as the guest's. The loader saved its callee-saved registers and
 * FPU/SSE state on its stack before; `rip` is where it restores them and
 * returns EFI_SUCCESS. */
struct uefi_param_cpu {
    struct uefi_param_head head;
    uint64_t rip, rsp, rflags;
    uint64_t cr0, cr3, cr4, efer, pat;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint16_t cs, ds, es, fs, gs, ss, tr, ldtr;
    uint16_t pad[6];
    uint64_t fs_base, gs_base, kernel_gs_base;
    uint64_t xcr0;           /* 0: no XSAVE (CR4.OSXSAVE clear) */
} __attribute__((packed));
_Static_assert(sizeof(struct uefi_param_cpu) == 24 + 80 + 32 + 32, "param_cpu");

#endif
