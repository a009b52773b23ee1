/* The UEFI loader's parameter blocks (platform/uefi.c): a well-formed set
 * as veneer.efi builds it, then malformed ones, each refused with a reason. */
#include "check.h"
#include <platform/bootinfo.h>
#include <platform/uefi_params.h>
#include <stdint.h>

/* A fake physical memory: [0x10000, 0x10000 + sizeof mem). */
#define BASE 0x10000ULL
static uint8_t mem[16384];

static const void *fake_map(uint64_t phys, uint64_t len)
{
    if (phys < BASE || len > sizeof mem || phys - BASE > sizeof mem - len)
        return NULL;
    return mem + (phys - BASE);
}

static const uint8_t u_boot[16] = UEFI_UUID_BOOT, u_mm[16] = UEFI_UUID_MEMMAP,
    u_acpi[16] = UEFI_UUID_ACPI, u_opt[16] = UEFI_UUID_OPTIONS,
    u_mod[16] = UEFI_UUID_MODULE, u_cpu[16] = UEFI_UUID_CPU,
    u_wake[16] = UEFI_UUID_WAKE;
static size_t pos, np;
static uint64_t *ptrs;

static void *add(const uint8_t *uuid, uint32_t size)
{
    void *p = mem + pos;
    struct uefi_param_head *h = p;
    memcpy(h->uuid, uuid, 16);
    h->version = 1;
    h->size = size;
    ptrs[np++] = BASE + pos;
    pos += (size + 7) & ~7u;
    return p;
}

static struct uefi_param_boot *boot;
static struct uefi_param_memmap *mm;
static struct uefi_param_cpu *cpu;
static struct uefi_param_wake *wake;

static void build(void)
{
    memset(mem, 0, sizeof mem);
    ptrs = (uint64_t *)mem;
    np = 0;
    pos = 32 * 8;
    boot = add(u_boot, sizeof(*boot));
    boot->system_table = 0x3f5eb018;
    boot->region_base = 0x3bc00000;
    boot->region_size = 32 << 20;
    strcpy(boot->loader, "veneer.efi 1");
    struct uefi_param_acpi *a = add(u_acpi, sizeof(*a));
    a->copy_len = 36;
    memcpy(a->copy, "RSD PTR ", 8);
    struct uefi_param_options *o = add(u_opt, sizeof(*o) + 18);
    memcpy(o->line, "vmm.loglevel=info", 18);
    struct uefi_param_module *m = add(u_mod, sizeof(*m));
    m->start = 0x5000000;
    m->end = 0x5000040;
    strcpy(m->name, "veneer.key");
    wake = add(u_wake, sizeof(*wake));
    wake->base = 0x3f000000;
    wake->pages = UEFI_WAKE_PAGES;
    cpu = add(u_cpu, sizeof(*cpu));
    cpu->rip = 0x3de6a3ae;
    cpu->cs = 0x38;
    mm = add(u_mm, sizeof(*mm));
    /* OVMF-like descriptors (48 bytes each), unsorted at the end. */
    struct uefi_mem_desc d[] = {
        { 7, 0, 0x0, 0, 0xa0, 0 },           /* conventional */
        { 4, 0, 0x100000, 0, 0x700, 0 },     /* boot services data */
        { 7, 0, 0x800000, 0, 0x100, 0 },     /* merges with the above */
        { 0, 0, 0x3bc00000, 0, 0x2000, 0 },  /* the region: reserved */
        { 10, 0, 0x3ff70000, 0, 0x90, 0 },   /* ACPI NVS */
        { 9, 0, 0x3f76c000, 0, 0x12, 0 },    /* ACPI reclaim, out of order */
    };
    size_t ds = 48;
    mm->map = BASE + 8192;
    mm->desc_size = ds;
    mm->map_size = ds * 6;
    for (int i = 0; i < 6; i++)
        memcpy(mem + 8192 + i * ds, &d[i], sizeof d[i]);
    ptrs[np] = 0;
}

static int parse(struct boot_info *bi, struct uefi_param_cpu *c, const char **why)
{
    return uefi_parse(BASE, fake_map, bi, c, why);
}

int main(void)
{
    static struct boot_info bi;
    struct uefi_param_cpu c;
    const char *why;

    build();
    CHECK_EQ(parse(&bi, &c, &why), 0);
    CHECK(bi.uefi_entry);
    CHECK_EQ(bi.efi_system_table, 0x3f5eb018);
    CHECK_EQ(bi.uefi_region_base, 0x3bc00000);
    CHECK_EQ(bi.uefi_region_size, 32 << 20);
    CHECK_STR(bi.loader, "veneer.efi 1");
    CHECK_STR(bi.cmdline, "vmm.loglevel=info");
    CHECK_EQ(bi.module_count, 1);
    CHECK_STR(bi.modules[0].name, "veneer.key");
    CHECK_EQ(bi.modules[0].end - bi.modules[0].start, 0x40);
    CHECK_EQ(bi.rsdp_len, 36);
    CHECK_EQ(c.rip, 0x3de6a3ae);
    CHECK_EQ(c.cs, 0x38);
    CHECK_EQ(bi.uefi_wake_base, 0x3f000000);
    CHECK_EQ(bi.uefi_wake_pages, UEFI_WAKE_PAGES);
    CHECK_EQ(bi.mmap_count, 5);
    CHECK_EQ(bi.mmap[0].base, 0);
    CHECK_EQ(bi.mmap[1].base, 0x100000);
    CHECK_EQ(bi.mmap[1].len, 0x800000);           /* merged, both usable */
    CHECK_EQ(bi.mmap[1].type, MEM_USABLE);
    CHECK_EQ(bi.mmap[2].type, MEM_RESERVED);      /* the region */
    CHECK_EQ(bi.mmap[3].base, 0x3f76c000);        /* sorted */
    CHECK_EQ(bi.mmap[3].type, MEM_ACPI_RECLAIM);
    CHECK_EQ(bi.mmap[4].type, MEM_ACPI_NVS);

    build(); ptrs[np - 1] = 0; /* no memory map */
    CHECK(parse(&bi, &c, &why) < 0 && why && strstr(why, "MEMMAP"));
    build(); boot->region_base = 0x3bc01000;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "aligned"));
    build(); boot->region_base = 0xff000000; boot->region_size = 64 << 20;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "4 GiB"));
    build(); mm->desc_size = 12;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "descriptor size"));
    build(); mm->map_size = 1ULL << 40;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "memory map size"));
    build(); mm->map = BASE + sizeof mem - 48;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "outside"));
    build(); cpu->head.size = 1u << 30;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "size"));
    build(); ptrs[np] = BASE + 1000000;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "outside"));
    build(); for (int i = 0; i < 32; i++) ptrs[i] = ptrs[0];
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "not terminated"));
    build(); ((struct uefi_param_module *)(mem + (ptrs[3] - BASE)))->end = 0;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "module"));
    /* The S3 wake's pages: optional; whole pages below 4 GiB */
    build(); wake->head.uuid[0] ^= 1;
    CHECK_EQ(parse(&bi, &c, &why), 0);
    CHECK_EQ(bi.uefi_wake_base, 0);
    CHECK_EQ(bi.uefi_wake_pages, 0);
    build(); wake->base = 0x3f000800;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "S3 wake"));
    build(); wake->base = 0xffffc000; /* 10 pages run past 4 GiB */
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "S3 wake"));
    build(); wake->pages = 0;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "S3 wake"));
    /* An unknown block is skipped; a truncated known one is not taken. */
    build(); boot->head.uuid[0] ^= 1;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "BOOT"));
    build(); cpu->head.size = 30;
    CHECK(parse(&bi, &c, &why) < 0 && strstr(why, "CPU"));
    return check_done("uefi");
}
