/* Multiboot2 information parsing (well-formed and malformed) and the
 * choice of the VMM region from a memory map. */
#include "check.h"
#include <platform/bootinfo.h>
#include <stdint.h>

static uint8_t buf[4096];
static size_t pos;

static void put32(uint32_t v) { memcpy(buf + pos, &v, 4); pos += 4; }
static void put64(uint64_t v) { memcpy(buf + pos, &v, 8); pos += 8; }
static void align8(void) { while (pos % 8) buf[pos++] = 0; }

static void begin(void) { memset(buf, 0, sizeof buf); pos = 8; }
static void tag_string(uint32_t type, const char *s)
{
    put32(type);
    put32(8 + (uint32_t)strlen(s) + 1);
    memcpy(buf + pos, s, strlen(s) + 1);
    pos += strlen(s) + 1;
    align8();
}
static void tag_mmap(const struct mem_range *r, int n)
{
    put32(6);
    put32(16 + 24 * (uint32_t)n);
    put32(24);
    put32(0);
    for (int i = 0; i < n; i++) {
        put64(r[i].base);
        put64(r[i].len);
        put32(r[i].type);
        put32(0);
    }
    align8();
}
static void end(void)
{
    put32(0);
    put32(8);
    uint32_t total = (uint32_t)pos;
    memcpy(buf, &total, 4);
}

static const struct mem_range qemu_map[] = {
    { 0x0, 0x9fc00, 1 },          { 0x9fc00, 0x400, 2 },
    { 0xf0000, 0x10000, 2 },      { 0x100000, 0x3fee0000, 1 },
    { 0x3ffe0000, 0x20000, 2 },   { 0xfffc0000, 0x40000, 2 },
    { 0x100000000, 0x40000000, 1 },
};

static void test_parse(void)
{
    struct boot_info bi;
    const char *why;

    begin();
    tag_string(1, "vmm.mem=64M vmm.loglevel=debug");
    tag_string(2, "GRUB 2.06");
    put32(3); put32(16 + 6); put32(0x800000); put32(0x801000);
    memcpy(buf + pos, "key\0\0", 6); pos += 6; align8();
    tag_mmap(qemu_map, 7);
    put32(14); put32(8 + 20); memcpy(buf + pos, "RSD PTR ", 8); pos += 20; align8();
    end();
    CHECK_EQ(mb2_parse(buf, sizeof buf, &bi, &why), 0);
    CHECK_STR(bi.cmdline, "vmm.mem=64M vmm.loglevel=debug");
    CHECK_STR(bi.loader, "GRUB 2.06");
    CHECK_EQ(bi.module_count, 1);
    CHECK_EQ(bi.modules[0].start, 0x800000);
    CHECK_EQ(bi.modules[0].end, 0x801000);
    CHECK_STR(bi.modules[0].name, "key");
    CHECK_EQ(bi.mmap_count, 7);
    CHECK_EQ(bi.mmap[3].base, 0x100000);
    CHECK_EQ(bi.mmap[6].len, 0x40000000);
    CHECK_EQ(bi.rsdp_len, 20);
    CHECK(memcmp(bi.rsdp, "RSD PTR ", 8) == 0);
    CHECK(!bi.efi_boot_services_exited);

    /* A cmdline longer than the copy is cut, still terminated. */
    char longline[2000];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    begin();
    tag_string(1, longline);
    tag_mmap(qemu_map, 7);
    end();
    CHECK_EQ(mb2_parse(buf, sizeof buf, &bi, &why), 0);
    CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);

    /* Malformed: each is refused with a reason. */
    CHECK(mb2_parse(buf, 4, &bi, &why) < 0 && why);
    begin(); tag_mmap(qemu_map, 7); end();
    CHECK(mb2_parse(buf, pos - 1, &bi, &why) < 0);         /* total > avail */
    CHECK(strstr(why, "total size") != NULL);
    begin(); tag_mmap(qemu_map, 7);                         /* no end tag */
    { uint32_t total = (uint32_t)pos; memcpy(buf, &total, 4); }
    CHECK(mb2_parse(buf, sizeof buf, &bi, &why) < 0);
    CHECK(strstr(why, "end tag") != NULL);
    begin(); put32(1); put32(4000); end();                 /* tag past end */
    CHECK(mb2_parse(buf, sizeof buf, &bi, &why) < 0);
    CHECK(strstr(why, "runs past") != NULL);
    begin(); put32(1); put32(3); end();                    /* tag too small */
    CHECK(mb2_parse(buf, sizeof buf, &bi, &why) < 0);
    begin(); tag_string(1, "x"); end();                    /* no memory map */
    CHECK(mb2_parse(buf, sizeof buf, &bi, &why) < 0);
    CHECK(strstr(why, "no memory map") != NULL);
    begin(); put32(6); put32(16); put32(20); put32(0); end(); /* bad entry size */
    CHECK(mb2_parse(buf, sizeof buf, &bi, &why) < 0);
    CHECK(strstr(why, "entry size") != NULL);
}

static void test_region(void)
{
    const uint64_t M32 = 32u << 20;

    /* QEMU, 1 GiB + 1 GiB high: top of the range below 4 GiB, 2M-aligned. */
    CHECK_EQ(memmap_choose_region(qemu_map, 7, M32, NULL, 0), 0x3de00000);
    /* Avoiding something at the top moves it down past it. */
    struct mem_range avoid = { 0x3f000000, 0x1000, 0 };
    CHECK_EQ(memmap_choose_region(qemu_map, 7, M32, &avoid, 1), 0x3d000000);
    /* Not a multiple of 2M, zero, or too big: nothing. */
    CHECK_EQ(memmap_choose_region(qemu_map, 7, M32 + 4096, NULL, 0), 0);
    CHECK_EQ(memmap_choose_region(qemu_map, 7, 0, NULL, 0), 0);
    CHECK_EQ(memmap_choose_region(qemu_map, 7, 2ULL << 30, NULL, 0), 0);
    /* A usable range that a reserved entry overlaps is not taken there. */
    struct mem_range overlap[] = {
        { 0x100000, 0x7ff00000, 1 },
        { 0x7f000000, 0x100000, 2 },
    };
    uint64_t b = memmap_choose_region(overlap, 2, M32, NULL, 0);
    CHECK(b != 0 && b + M32 <= 0x7f000000);
    /* Usable RAM only above 4 GiB: refused, the region must be below. */
    struct mem_range high[] = { { 0x100000000, 0x100000000, 1 } };
    CHECK_EQ(memmap_choose_region(high, 1, M32, NULL, 0), 0);
    /* Never below 16 MiB. */
    struct mem_range tiny[] = { { 0x100000, 0x2000000, 1 } };
    CHECK_EQ(memmap_choose_region(tiny, 1, M32, NULL, 0), 0);
    /* The highest fitting range wins when several qualify. */
    struct mem_range two[] = {
        { 0x100000, 0xbff00000, 1 },
        { 0xc0000000, 0x10000000, 2 },
        { 0xd0000000, 0x08000000, 1 },
    };
    CHECK_EQ(memmap_choose_region(two, 3, M32, NULL, 0), 0xd6000000);
}

int main(void)
{
    test_parse();
    test_region();
    return check_done("multiboot2");
}
