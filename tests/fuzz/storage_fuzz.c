/* libFuzzer target for the storage mediators' pure parsers of guest
 * descriptors. The first input byte picks a mode, the next 24 bytes are
 * the parser's arguments, the rest is a guest memory image at MEM_BASE
 * with a "VMM region" hole in its middle that no region may touch:
 *   0: IDE PRD table walk (ide_prd_walk), the task-file decode
 *      (ata_decode) of the first bytes, and ide_prd_build
 *   1: AHCI command FIS decode (ahci_decode_cfis) and PRDT walk
 *      (ahci_prdt_walk), 32- and 64-bit, and ahci_prdt_build
 *   2: NVMe PRP walk (nvme_prp_walk) and admin/NVM command decode
 * Every region a walk accepts must lie in the image outside the hole, and
 * the totals must add up; a violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/storage/ahci/ahci_cmd.h"
#include "devices/storage/ide/ide_prd.h"
#include "devices/storage/nvme/nvme_cmd.h"

#define MEM_BASE 0x10000u
#define ARGS 24

static const uint8_t *mem;
static size_t mem_len;

/* The hole: the second quarter of the image. */
static uint64_t hole_lo(void) { return MEM_BASE + mem_len / 4; }
static uint64_t hole_hi(void) { return MEM_BASE + mem_len / 2; }

static bool in_mem(uint64_t gpa, uint64_t len)
{
    if (!len || gpa < MEM_BASE || gpa - MEM_BASE > mem_len ||
        len > mem_len - (gpa - MEM_BASE))
        return false;
    return gpa + len <= hole_lo() || gpa >= hole_hi();
}

static int mem_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa < MEM_BASE || gpa - MEM_BASE > mem_len || len > mem_len - (gpa - MEM_BASE))
        return -1;
    memcpy(buf, mem + (gpa - MEM_BASE), len);
    return 0;
}

static bool mem_ok(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    return in_mem(gpa, len);
}

static uint64_t arg64(const uint8_t *a, unsigned i)
{
    uint64_t v;
    memcpy(&v, a + 8 * i, 8);
    return v;
}

static void fuzz_ide(const uint8_t *a)
{
    static struct ide_prd_walk w;
    static struct ide_prd table[IDE_PRD_MAX];
    const struct ide_mem_ops ops = { mem_read, mem_ok, NULL };
    struct ata_taskfile tf;
    struct ata_geometry geo = { (uint16_t)a[20], (uint16_t)(a[21] & 0x1f), a[22] };
    struct ata_cmd c;

    memcpy(&tf, a, sizeof(tf) <= ARGS ? sizeof(tf) : ARGS);
    (void)ata_decode(&tf, a[23] & 1 ? &geo : NULL, &c);
    if (ide_prd_walk((uint32_t)arg64(a, 1), arg64(a, 2) & 0xffffff, &ops, &w) < 0) {
        if (w.error >= IDE_PRD_ERROR_COUNT || !ide_prd_error_name(w.error))
            abort();
        return;
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < w.n; i++) {
        if (!in_mem(w.r[i].addr, w.r[i].len))
            abort();
        total += w.r[i].len;
    }
    if (total != w.bytes || w.n > IDE_PRD_MAX)
        abort();
    unsigned n = ide_prd_build(MEM_BASE & ~1u, w.bytes & ~1ull, table, IDE_PRD_MAX);
    (void)n;
}

static void fuzz_ahci(const uint8_t *a)
{
    static struct ahci_prdt_walk w;
    static struct ahci_prd built[AHCI_PRDT_MAX];
    const struct ahci_mem_ops ops = { mem_read, mem_ok, NULL };
    struct ahci_ata_cmd c;
    uint8_t cfis[64] = { 0 };

    if (mem_len >= 64)
        memcpy(cfis, mem, 64);
    ahci_decode_cfis(cfis, a[0] & 0x1f, &c);
    if (c.ncq && c.tag > 31)
        abort();
    bool addr64 = a[1] & 1;
    unsigned prdtl = (unsigned)(arg64(a, 1) & 0x1ff);
    if (ahci_prdt_walk(arg64(a, 2), prdtl, addr64, &ops, &w) < 0) {
        if (w.error >= AHCI_ERR_COUNT || !ahci_error_name(w.error))
            abort();
        return;
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < w.n; i++) {
        if (!in_mem(w.r[i].addr, w.r[i].len) || (w.r[i].addr & 1) || (w.r[i].len & 1))
            abort();
        if (!addr64 && w.r[i].addr + w.r[i].len > (1ull << 32))
            abort();
        total += w.r[i].len;
    }
    if (total != w.bytes || w.n != prdtl)
        abort();
    (void)ahci_prdt_build(0x100000, w.bytes & ~1ull, built, AHCI_PRDT_MAX);
}

static void fuzz_nvme(const uint8_t *a)
{
    static struct nvme_prp_walk w;
    const struct nvme_mem_ops ops = { mem_read, mem_ok, NULL };
    struct nvme_sqe e;
    struct nvme_decoded d;
    struct nvme_ns_info ns = { a[0] & 1 ? 4096 : 512, arg64(a, 2) >> 20, a[0] & 2 };
    uint64_t len = (arg64(a, 0) >> 8) % (512 * 1024) + 1;

    memset(&e, 0, sizeof(e));
    if (mem_len >= sizeof(e))
        memcpy(&e, mem, sizeof(e));
    nvme_decode_admin(&e, 128 * 1024, &d);
    nvme_decode_io(&e, a[0] & 4 ? &ns : NULL, 128 * 1024, &d);
    if (nvme_prp_walk(arg64(a, 1), arg64(a, 2), len, 256 * 1024, 4096, &ops, &w) < 0) {
        if (w.error >= NVME_PRP_ERROR_COUNT || !nvme_prp_error_name(w.error))
            abort();
        (void)nvme_prp_error_status(w.error);
        return;
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < w.n; i++) {
        if (!in_mem(w.r[i].addr, w.r[i].len))
            abort();
        total += w.r[i].len;
    }
    if (total != len || w.n > NVME_PRP_MAX_SEGS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t a[ARGS] = { 0 };

    if (size < 1 + ARGS)
        return 0;
    memcpy(a, data + 1, ARGS);
    mem = data + 1 + ARGS;
    mem_len = size - 1 - ARGS;
    switch (data[0] % 3) {
    case 0: fuzz_ide(a); break;
    case 1: fuzz_ahci(a); break;
    default: fuzz_nvme(a); break;
    }
    return 0;
}
