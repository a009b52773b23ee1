/* The guest page walk over tables built in a buffer standing for guest
 * memory: every paging mode, page sizes, faults, bad tables. */
#include "check.h"
#include <common/guest_mem.h>
#include <platform/cpu.h>

#define MEM (1u << 20)
static u8 mem[MEM];

static int rd(void *ctx, u64 gpa, u64 *pte, unsigned size)
{
    (void)ctx;
    if (gpa + size > MEM)
        return -E_FAULT;
    *pte = 0;
    memcpy(pte, mem + gpa, size);
    return 0;
}

static void put64(u64 at, u64 v) { memcpy(mem + at, &v, 8); }
static void put32(u64 at, u32 v) { memcpy(mem + at, &v, 4); }

static int walk(const struct paging_ctx *pc, u64 gla, bool write, struct walk_result *w)
{
    return guest_walk(pc, gla, write, rd, NULL, w);
}

int main(void)
{
    struct walk_result w;

    /* Real mode / no paging: linear = physical. */
    struct paging_ctx real = { CR0_ET, 0, 0, 0 };
    CHECK_EQ(walk(&real, 0x9ec37, false, &w), 0);
    CHECK_EQ(w.gpa, 0x9ec37);

    /* 4-level long mode: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
    memset(mem, 0, sizeof mem);
    u64 va = 0xffff800000201234ULL; /* PML4 256, PDPT 0, PD 1, PT 1 */
    put64(0x1000 + 256 * 8, 0x2000 | 7);
    put64(0x2000 + 0 * 8, 0x3000 | 7);
    put64(0x3000 + 1 * 8, 0x4000 | 3);            /* supervisor */
    put64(0x4000 + 1 * 8, 0xabcd000 | 1 | BIT(63));/* read-only, NX */
    struct paging_ctx lm = { CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA };
    CHECK_EQ(walk(&lm, va, false, &w), 0);
    CHECK_EQ(w.gpa, 0xabcd234);
    CHECK(!w.writable);
    CHECK(!w.user);
    CHECK(w.nx);
    /* 2 MiB page at PD entry 2; 1 GiB page at PDPT entry 1. */
    put64(0x3000 + 2 * 8, 0x40000000 | 0x83);
    CHECK_EQ(walk(&lm, 0xffff800000412345ULL, false, &w), 0);
    CHECK_EQ(w.gpa, 0x40012345);
    put64(0x2000 + 1 * 8, 0x80000000ULL | 0x83);
    CHECK_EQ(walk(&lm, 0xffff800041234567ULL, true, &w), 0);
    CHECK_EQ(w.gpa, 0x81234567);
    CHECK(w.writable);
    /* Not present: #PF error code with W for a write. */
    CHECK_EQ(walk(&lm, 0xffff800000601000ULL, true, &w), -E_FAULT);
    CHECK_EQ(w.fault_error, 2);
    CHECK_EQ(walk(&lm, 0x1000, false, &w), -E_FAULT); /* PML4 0 empty */
    /* PS in a PML4 entry is reserved. */
    put64(0x1000 + 1 * 8, 0x5000 | 0x83);
    CHECK_EQ(walk(&lm, 0x0000008000000000ULL, false, &w), -E_FAULT);
    CHECK(w.fault_error & 8);
    /* A table outside guest memory is refused, not followed. */
    put64(0x1000 + 2 * 8, 0x7fff0000000ULL | 7);
    CHECK_EQ(walk(&lm, 0x0000010000000000ULL, false, &w), -E_INVAL);

    /* PAE (32-bit): PDPTEs at CR3 0x6000, PD 0x7000, PT 0x8000. */
    memset(mem, 0, sizeof mem);
    put64(0x6000 + 3 * 8, 0x7000 | 1);
    put64(0x7000 + 5 * 8, 0x8000 | 7);
    put64(0x8000 + 7 * 8, 0x123000 | 7);
    struct paging_ctx pae = { CR0_PE | CR0_PG, 0x6000, CR4_PAE, 0 };
    u32 va32 = (3u << 30) | (5u << 21) | (7u << 12) | 0x55;
    CHECK_EQ(walk(&pae, va32, false, &w), 0);
    CHECK_EQ(w.gpa, 0x123055);
    put64(0x6000 + 2 * 8, 0x7000 | 1 | BIT(1)); /* reserved bit in a PDPTE */
    CHECK_EQ(walk(&pae, 2u << 30, false, &w), -E_FAULT);
    CHECK(w.fault_error & 8);

    /* 32-bit paging, 4 KiB and (with PSE) 4 MiB pages. */
    memset(mem, 0, sizeof mem);
    put32(0x9000 + 0x300 * 4, 0xa000 | 7);
    put32(0xa000 + 0x12 * 4, 0x00456000 | 7);
    struct paging_ctx p32 = { CR0_PE | CR0_PG, 0x9000, 0, 0 };
    CHECK_EQ(walk(&p32, 0xc0012abcu, false, &w), 0);
    CHECK_EQ(w.gpa, 0x456abc);
    put32(0x9000 + 0x301 * 4, 0x01400000 | 0x87);
    struct paging_ctx pse = { CR0_PE | CR0_PG, 0x9000, CR4_PSE, 0 };
    CHECK_EQ(walk(&pse, 0xc0512345u, false, &w), 0);
    CHECK_EQ(w.gpa, 0x1512345);
    CHECK_EQ(walk(&pse, 0x00001000u, false, &w), -E_FAULT);
    return check_done("guest_walk");
}
