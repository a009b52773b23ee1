/* The NVMe mediator's pure parts (devices/storage/nvme/nvme_cmd.c): admin and NVM
 * command decode, the PRP walk on a fake guest memory (every layout of the
 * NVMe 1.4 4.3 rules, and each malformed one the mediator must refuse),
 * the PRP build over a bounce buffer, doorbell decode, queue arithmetic,
 * finding a firmware's completion queue position, Identify data. */
#include "check.h"
#include <devices/storage/nvme/nvme_cmd.h>
#include <stdlib.h>

#define MEM_SIZE 0x100000u      /* 1 MiB of "guest RAM" at 0 */
#define HOLE 0x80000u           /* [HOLE, HOLE + 64 KiB): the "VMM region" */
#define PG 4096u
#define XMAX (32u * PG)

static u8 *mem;
static unsigned reads;

static int mem_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa + len > MEM_SIZE)
        return -E_FAULT;
    reads++;
    memcpy(buf, mem + gpa, len);
    return 0;
}

static bool mem_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    if (!len || gpa + len < gpa || gpa + len > MEM_SIZE)
        return false;
    return gpa + len <= HOLE || gpa >= HOLE + 0x10000;
}

static const struct nvme_mem_ops ops = { mem_read, mem_ok, NULL };

static void put64(u64 gpa, u64 v)
{
    memcpy(mem + gpa, &v, 8);
}

/* ---- decode ---------------------------------------------------------------- */

static struct nvme_sqe sqe(u8 opc, u32 nsid, u32 c10, u32 c11, u32 c12)
{
    struct nvme_sqe e = { 0 };

    e.cdw0 = opc | 0x1234u << 16;
    e.nsid = nsid;
    e.cdw10 = c10;
    e.cdw11 = c11;
    e.cdw12 = c12;
    return e;
}

static void test_decode_io(void)
{
    struct nvme_ns_info ns = { .sector_size = 512, .sectors = 10000, .crypt = true };
    struct nvme_ns_info plain = { .sector_size = 4096, .sectors = 10000, .crypt = false };
    struct nvme_decoded d;
    struct nvme_sqe e;

    e = sqe(NVME_IO_READ, 1, 1024, 0, 7);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_HOST);
    CHECK(d.media);
    CHECK_EQ(d.lba, 1024);
    CHECK_EQ(d.nlb, 8);
    CHECK_EQ(d.bytes, 4096);
    CHECK_STR(d.name, "Read");
    e = sqe(NVME_IO_WRITE, 1, 5, 0, 0);
    nvme_decode_io(&e, &plain, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_DEV);
    CHECK_EQ(d.bytes, 4096);
    /* the 64-bit LBA from cdw11:cdw10 */
    e = sqe(NVME_IO_READ, 1, 0, 1, 0);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_REFUSE);
    CHECK_EQ(d.status, NVME_SC_LBA_RANGE);
    /* wrap, beyond the namespace, too long (checked first) */
    e = sqe(NVME_IO_READ, 1, 0xfffffffc, 0xffffffff, 7);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_LBA_RANGE);
    CHECK_STR(d.why, "LBA range wraps past 2^64");
    e = sqe(NVME_IO_READ, 1, 9999, 0, 1);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_STR(d.why, "LBA range beyond the namespace");
    e = sqe(NVME_IO_READ, 1, 9999, 0, 0);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_HOST);
    e = sqe(NVME_IO_READ, 1, 0, 0, 0xffff);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
    e = sqe(NVME_IO_READ, 1, 0, 0, 64);   /* 32 KiB + 512: 1 block too many */
    nvme_decode_io(&e, &ns, 32 * 1024, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
    /* flush passes; the broadcast NSID too */
    e = sqe(NVME_IO_FLUSH, 1, 0, 0, 0);
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_NODATA);
    e = sqe(NVME_IO_FLUSH, 0xffffffff, 0, 0, 0);
    nvme_decode_io(&e, NULL, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_NODATA);
    e = sqe(NVME_IO_READ, 7, 0, 0, 0);
    nvme_decode_io(&e, NULL, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_NS);
    /* other NVM commands: refused on an encrypted namespace */
    e = sqe(0x08, 1, 0, 0, 0); /* Write Zeroes */
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    nvme_decode_io(&e, &plain, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_NODATA);
    e = sqe(0x09, 1, 0, 0, 0); /* Dataset Management: moves data */
    nvme_decode_io(&e, &plain, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    /* metadata formats are not mediated */
    struct nvme_ns_info md = { .sector_size = 0, .sectors = 100 };
    e = sqe(NVME_IO_READ, 1, 0, 0, 0);
    nvme_decode_io(&e, &md, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_NS);
    /* fused, SGL */
    e = sqe(NVME_IO_READ, 1, 0, 0, 0);
    e.cdw0 |= 1u << 8;
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
    e.cdw0 = NVME_IO_READ | 1u << 14;
    nvme_decode_io(&e, &ns, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
}

static void test_decode_admin(void)
{
    struct nvme_decoded d;
    struct nvme_sqe e;

    e = sqe(NVME_ADM_IDENTIFY, 0, 1, 0, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_HOST);
    CHECK_EQ(d.bytes, 4096);
    e = sqe(NVME_ADM_GET_LOG, 0, 0x007f0002, 0, 0); /* 128 dwords */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_HOST);
    CHECK_EQ(d.bytes, 512);
    e = sqe(NVME_ADM_GET_LOG, 0, 0xffff0002, 0xffff, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
    e = sqe(NVME_ADM_SET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, 0x00030003, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_NODATA);
    e = sqe(NVME_ADM_SET_FEATURES, 0, 0x0e, 0, 0); /* timestamp */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_DEV);
    CHECK_EQ(d.bytes, 8);
    e = sqe(NVME_ADM_GET_FEATURES, 0, 0x0c, 0, 0); /* APST */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_TO_HOST);
    CHECK_EQ(d.bytes, 256);
    e = sqe(NVME_ADM_SET_FEATURES, 0, 0x0d, 1, 0); /* host memory buffer */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
    e = sqe(NVME_ADM_CREATE_CQ, 0, 0x00070001, 1, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_CREATE_CQ);
    e = sqe(NVME_ADM_DELETE_SQ, 0, 1, 0, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_DELETE_SQ);
    e = sqe(NVME_ADM_AER, 0, 0, 0, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.kind, NVME_K_NODATA);
    e = sqe(NVME_ADM_DBBUF, 0, 0, 0, 0);
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    e = sqe(0x11, 0, 0x3ff, 0, 0); /* Firmware Image Download, 4 KiB */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    e = sqe(0x10, 0, 0x09, 0, 0); /* Firmware Commit */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    e = sqe(0x80, 0, 0, 0, 0); /* Format NVM */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    e = sqe(0xc0, 0, 0, 0, 0); /* vendor specific */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_OPCODE);
    e = sqe(0x82, 0, 0, 1 << 20, 0); /* Security Receive, 1 MiB */
    nvme_decode_admin(&e, XMAX, &d);
    CHECK_EQ(d.status, NVME_SC_INVALID_FIELD);
}

/* ---- PRP walk ---------------------------------------------------------------- */

static void expect_walk(u64 prp1, u64 prp2, u64 len, unsigned n, const u64 *addr,
                        const u32 *lens)
{
    struct nvme_prp_walk w;

    CHECK_EQ(nvme_prp_walk(prp1, prp2, len, XMAX, PG, &ops, &w), 0);
    CHECK_EQ(w.n, n);
    u64 total = 0;
    for (unsigned i = 0; i < w.n && i < n; i++) {
        CHECK_EQ(w.r[i].addr, addr[i]);
        CHECK_EQ(w.r[i].len, lens[i]);
        total += w.r[i].len;
    }
    CHECK_EQ(total, len);
}

static void expect_bad(u64 prp1, u64 prp2, u64 len, enum nvme_prp_error err, u64 bad)
{
    struct nvme_prp_walk w;

    CHECK_EQ(nvme_prp_walk(prp1, prp2, len, XMAX, PG, &ops, &w), -E_INVAL);
    CHECK_EQ(w.error, err);
    CHECK_EQ(w.bad, bad);
}

static void test_walk_good(void)
{
    memset(mem, 0, MEM_SIZE);
    /* one page, part of one, two pages */
    expect_walk(0x20000, 0, 4096, 1, (u64[]){ 0x20000 }, (u32[]){ 4096 });
    expect_walk(0x7c00, 0, 512, 1, (u64[]){ 0x7c00 }, (u32[]){ 512 });
    expect_walk(0x20c00, 0x30000, 4096, 2, (u64[]){ 0x20c00, 0x30000 },
                (u32[]){ 0x400, 0xc00 });
    /* a list at a page boundary */
    put64(0x40000, 0x31000);
    put64(0x40008, 0x35000);
    put64(0x40010, 0x22000);
    expect_walk(0x20000, 0x40000, 16384, 4,
                (u64[]){ 0x20000, 0x31000, 0x35000, 0x22000 },
                (u32[]){ 4096, 4096, 4096, 4096 });
    /* a list at an offset, chained through its last slot to a second list */
    put64(0x41ff0, 0x33000);
    put64(0x41ff8, 0x42000);
    put64(0x42000, 0x34000);
    put64(0x42008, 0x36000);
    expect_walk(0x20800, 0x41ff0, 0x800 + 2 * 4096 + 0x100, 4,
                (u64[]){ 0x20800, 0x33000, 0x34000, 0x36000 },
                (u32[]){ 0x800, 4096, 4096, 0x100 });
    /* exactly fitting the slots of an offset list: the last slot is data */
    expect_walk(0x20000, 0x41ff0, 3 * 4096, 3,
                (u64[]){ 0x20000, 0x33000, 0x42000 }, (u32[]){ 4096, 4096, 4096 });
}

static void test_walk_bad(void)
{
    memset(mem, 0, MEM_SIZE);
    expect_bad(0x20002, 0, 512, NVME_PRP_OFFSET, 0x20002);            /* PRP1 not dword aligned */
    expect_bad(HOLE + 0x1000, 0, 512, NVME_PRP_OUTSIDE, HOLE + 0x1000); /* VMM region */
    expect_bad(MEM_SIZE, 0, 512, NVME_PRP_OUTSIDE, MEM_SIZE);          /* past the end */
    expect_bad(0x20800, HOLE, 4096, NVME_PRP_OUTSIDE, HOLE);          /* PRP2 page in the VMM region */
    expect_bad(0x20800, 0x30004, 4096, NVME_PRP_OFFSET, 0x30004);      /* PRP2 page with an offset */
    expect_bad(0x20000, 0x40004, 16384, NVME_PRP_OFFSET, 0x40004);     /* list not qword aligned */
    expect_bad(0x20000, HOLE + 8, 16384, NVME_PRP_LIST_OUTSIDE, HOLE + 8); /* list in the VMM region */
    expect_bad(0x20000, MEM_SIZE + 8, 16384, NVME_PRP_LIST_OUTSIDE, MEM_SIZE + 8);
    /* entries: in the VMM region, with an offset */
    put64(0x40000, HOLE);
    expect_bad(0x20000, 0x40000, 16384, NVME_PRP_OUTSIDE, HOLE);
    put64(0x40000, 0x31010);
    expect_bad(0x20000, 0x40000, 16384, NVME_PRP_OFFSET, 0x31010);
    /* a list whose chain pointer comes back to its own page */
    put64(0x41ff0, 0x33000);
    put64(0x41ff8, 0x41000);
    expect_bad(0x20000, 0x41ff0, 16384, NVME_PRP_LOOP, 0x41000);
    /* a chain pointer with an offset */
    put64(0x41ff8, 0x42008);
    expect_bad(0x20000, 0x41ff0, 16384, NVME_PRP_OFFSET, 0x42008);
    struct nvme_prp_walk w;
    CHECK_EQ(nvme_prp_walk(0x20000, 0x50ff0, 0, XMAX, PG, &ops, &w), -E_INVAL);
    CHECK_EQ(w.error, NVME_PRP_TOO_LONG);
    CHECK_EQ(nvme_prp_walk(0x20000, 0, XMAX + 1, XMAX, PG, &ops, &w), -E_INVAL);
    CHECK_EQ(w.error, NVME_PRP_TOO_LONG);
    CHECK_EQ(nvme_prp_error_status(NVME_PRP_OUTSIDE), NVME_SC_DATA_XFER_ERROR);
    CHECK_EQ(nvme_prp_error_status(NVME_PRP_OFFSET), NVME_SC_PRP_OFFSET);
    CHECK_EQ(nvme_prp_error_status(NVME_PRP_LOOP), NVME_SC_INVALID_FIELD);
    CHECK_STR(nvme_prp_error_name(NVME_PRP_LOOP), "PRP list loops back to a list already walked");
}

/* A looping chain of list pages each holding one data entry per page
 * visit is still refused at its first repeat, however long the transfer. */
static void test_walk_loop_bounded(void)
{
    struct nvme_prp_walk w;

    memset(mem, 0, MEM_SIZE);
    /* list A at 0x60ff0 (2 slots) -> B at 0x61000 whose last slot -> A's page */
    put64(0x60ff0, 0x33000);
    put64(0x60ff8, 0x61000);
    for (unsigned i = 0; i < 511; i++)
        put64(0x61000 + 8 * i, 0x34000);
    put64(0x61ff8, 0x60000);
    reads = 0;
    CHECK_EQ(nvme_prp_walk(0x20000, 0x60ff0, XMAX, XMAX, PG, &ops, &w), 0);
    CHECK_EQ(w.n, 32); /* 128 KiB ends inside B: no loop reached */
    CHECK_EQ(nvme_prp_walk(0x20000, 0x60ff0, 600 * 4096ull, 600 * 4096ull, PG, &ops, &w), -E_INVAL);
    CHECK(w.error == NVME_PRP_TOO_LONG || w.error == NVME_PRP_LOOP);
}

static void test_build(void)
{
    u64 list[512], p1, p2;

    nvme_prp_build(0x100000, 0x200000, list, 512, PG, &p1, &p2);
    CHECK_EQ(p1, 0x100000);
    CHECK_EQ(p2, 0);
    nvme_prp_build(0x100000, 0x200000, list, 8192, PG, &p1, &p2);
    CHECK_EQ(p2, 0x101000);
    nvme_prp_build(0x100000, 0x200000, list, 4096 * 3 + 1, PG, &p1, &p2);
    CHECK_EQ(p2, 0x200000);
    CHECK_EQ(list[0], 0x101000);
    CHECK_EQ(list[2], 0x103000);
    /* what it builds walks back to the same buffer */
    nvme_prp_build(0x10000, 0x40000, (u64 *)(mem + 0x40000), 5 * 4096, PG, &p1, &p2);
    struct nvme_prp_walk w;
    CHECK_EQ(nvme_prp_walk(p1, p2, 5 * 4096, XMAX, PG, &ops, &w), 0);
    CHECK_EQ(w.n, 5);
    CHECK_EQ(w.r[4].addr, 0x14000);
}

/* Plain sectors: the walked guest pages handed to the controller through
 * a list of the VMM's, which walks back to the same pages. */
static void test_direct(void)
{
    struct nvme_prp_walk w, back;
    u64 p1, p2, list[512];

    memset(mem, 0, MEM_SIZE);
    /* one page from an offset, then a second page: PRP2 is that page */
    CHECK_EQ(nvme_prp_walk(0x20200, 0x35000, 4096, XMAX, PG, &ops, &w), 0);
    nvme_prp_direct(&w, list, 0x50000, &p1, &p2);
    CHECK_EQ(p1, 0x20200);
    CHECK_EQ(p2, 0x35000);
    /* one page only */
    CHECK_EQ(nvme_prp_walk(0x20000, 0, 4096, XMAX, PG, &ops, &w), 0);
    nvme_prp_direct(&w, list, 0x50000, &p1, &p2);
    CHECK_EQ(p1, 0x20000);
    CHECK_EQ(p2, 0);
    /* a guest list of scattered pages, from an offset: the VMM's list */
    put64(0x41000, 0x33000);
    put64(0x41008, 0x37000);
    put64(0x41010, 0x31000);
    CHECK_EQ(nvme_prp_walk(0x20800, 0x41000, 3 * 4096 + 2048, XMAX, PG, &ops, &w), 0);
    CHECK_EQ(w.n, 4);
    nvme_prp_direct(&w, (u64 *)(mem + 0x60000), 0x60000, &p1, &p2);
    CHECK_EQ(p1, 0x20800);
    CHECK_EQ(p2, 0x60000);
    put64(0x41008, 0x99000); /* the guest rewrites its list: no matter */
    CHECK_EQ(nvme_prp_walk(p1, p2, 3 * 4096 + 2048, XMAX, PG, &ops, &back), 0);
    CHECK_EQ(back.n, 4);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(back.r[i].addr, w.r[i].addr);
        CHECK_EQ(back.r[i].len, w.r[i].len);
    }
}

/* ---- queues, Identify ---------------------------------------------------------- */

static void test_queues(void)
{
    u16 qid;
    bool cq;

    CHECK_EQ(nvme_doorbell_decode(0x1000, 0, &qid, &cq), 0);
    CHECK_EQ(qid, 0);
    CHECK(!cq);
    CHECK_EQ(nvme_doorbell_decode(0x100c, 0, &qid, &cq), 0);
    CHECK_EQ(qid, 1);
    CHECK(cq);
    CHECK_EQ(nvme_doorbell_decode(0x1000 + 3 * 16, 2, &qid, &cq), 0); /* stride 16 */
    CHECK_EQ(qid, 1);
    CHECK(cq);
    CHECK_EQ(nvme_doorbell_decode(0x1004, 2, &qid, &cq), -E_INVAL);
    CHECK_EQ(nvme_doorbell_decode(0xffc, 0, &qid, &cq), -E_INVAL);
    CHECK_EQ(nvme_q_dist(3, 3, 8), 0);
    CHECK_EQ(nvme_q_dist(6, 2, 8), 4);
    CHECK_EQ(nvme_q_next(7, 8), 0);

    u16 st[8] = { 0 };
    u32 tail;
    bool phase;
    nvme_cq_find_tail(st, 8, &tail, &phase); /* nothing posted */
    CHECK_EQ(tail, 0);
    CHECK(phase);
    st[0] = st[1] = st[2] = 1;
    nvme_cq_find_tail(st, 8, &tail, &phase);
    CHECK_EQ(tail, 3);
    CHECK(phase);
    for (int i = 0; i < 8; i++)
        st[i] = 1;
    nvme_cq_find_tail(st, 8, &tail, &phase); /* one full pass */
    CHECK_EQ(tail, 0);
    CHECK(!phase);
    st[0] = st[1] = 0; /* second pass, two posted */
    nvme_cq_find_tail(st, 8, &tail, &phase);
    CHECK_EQ(tail, 2);
    CHECK(!phase);
}

static void test_msix_mask_bit(void)
{
    u32 e = 99;

    CHECK_EQ(nvme_msix_mask_bit(12, 4, &e), 0);              /* Vector Control */
    CHECK_EQ(e, 0);
    CHECK_EQ(nvme_msix_mask_bit(3 * 16 + 12, 4, &e), 0);
    CHECK_EQ(e, 3);
    CHECK_EQ(nvme_msix_mask_bit(5 * 16 + 8, 8, &e), 32);     /* data + control */
    CHECK_EQ(e, 5);
    CHECK_EQ(nvme_msix_mask_bit(16 + 12, 1, &e), 0);         /* its low byte */
    CHECK_EQ(e, 1);
    CHECK_EQ(nvme_msix_mask_bit(16 + 13, 1, &e), -1);        /* other bytes */
    CHECK_EQ(nvme_msix_mask_bit(16 + 14, 2, &e), -1);
    CHECK_EQ(nvme_msix_mask_bit(0, 8, &e), -1);              /* address */
    CHECK_EQ(nvme_msix_mask_bit(8, 4, &e), -1);              /* data */
    CHECK_EQ(nvme_msix_mask_bit(64 * 16 + 12, 4, &e), 0);
    CHECK_EQ(e, 64);
}

static void test_identify(void)
{
    u8 id[4096];

    memset(id, 0xff, sizeof(id));
    id[NVME_ID_CTRL_MDTS] = 7;
    nvme_identify_ctrl_filter(id, 5);
    CHECK_EQ(id[NVME_ID_CTRL_MDTS], 5);
    CHECK_EQ(id[NVME_ID_CTRL_OACS + 1] & 1, 0);     /* doorbell buffer config */
    CHECK_EQ(id[NVME_ID_CTRL_OACS] & 0x0a, 0);      /* format, ns management */
    CHECK_EQ(id[NVME_ID_CTRL_ONCS] | id[NVME_ID_CTRL_ONCS + 1] << 8, NVME_ONCS_KEEP);
    CHECK_EQ(id[NVME_ID_CTRL_SGLS] | id[NVME_ID_CTRL_SGLS + 3], 0);
    CHECK_EQ(id[NVME_ID_CTRL_HMPRE], 0);
    CHECK_EQ(id[NVME_ID_CTRL_FUSES], 0);
    CHECK_EQ(id[0], 0xff); /* the rest untouched */
    id[NVME_ID_CTRL_MDTS] = 0; /* no limit: gets ours */
    nvme_identify_ctrl_filter(id, 5);
    CHECK_EQ(id[NVME_ID_CTRL_MDTS], 5);
    id[NVME_ID_CTRL_MDTS] = 3;
    nvme_identify_ctrl_filter(id, 5);
    CHECK_EQ(id[NVME_ID_CTRL_MDTS], 3);

    struct nvme_ns_info ns;
    memset(id, 0, sizeof(id));
    id[0] = 0x20; /* NSZE 0x7620 */
    id[1] = 0x76;
    id[25] = 1;   /* two formats */
    id[26] = 1;   /* the second in use */
    id[128 + 2] = 9;   /* LBAF0: 512 */
    id[132 + 2] = 12;  /* LBAF1: 4096 */
    nvme_identify_ns_parse(id, &ns);
    CHECK_EQ(ns.sectors, 0x7620);
    CHECK_EQ(ns.sector_size, 4096);
    id[26] = 0;
    nvme_identify_ns_parse(id, &ns);
    CHECK_EQ(ns.sector_size, 512);
    id[128] = 8; /* 8 bytes of metadata */
    nvme_identify_ns_parse(id, &ns);
    CHECK_EQ(ns.sector_size, 0);
    id[128] = 0;
    id[26] = 2; /* beyond NLBAF */
    nvme_identify_ns_parse(id, &ns);
    CHECK_EQ(ns.sector_size, 0);
}

int main(void)
{
    mem = calloc(1, MEM_SIZE);
    test_decode_io();
    test_decode_admin();
    test_walk_good();
    test_walk_bad();
    test_walk_loop_bounded();
    test_build();
    test_direct();
    test_queues();
    test_msix_mask_bit();
    test_identify();
    free(mem);
    return check_done("nvme");
}
