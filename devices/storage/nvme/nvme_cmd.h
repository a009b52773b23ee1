/* The pure parts of the NVMe mediator (devices/storage/nvme/nvme.c, nvme_queue.c),
 * host-tested by tests/unit/test_nvme.c: the controller's register and
 * queue-entry layouts, the decode of admin and NVM commands, the walk of a
 * command's PRP entries and lists, queue index arithmetic, the Identify
 * data the mediator reads or filters, and the hand-over of queues a
 * firmware set up before the VMM started. No MMIO and no memory access
 * here: guest memory is read through a callback. NVM Express Base
 * Specification 1.4 (sections cited as "NVMe 1.4 x.y").
 * docs/storage-nvme.md. */
#ifndef VENEER_DEVICES_NVME_CMD_H
#define VENEER_DEVICES_NVME_CMD_H

#include <platform/types.h>

/* ---- controller registers (NVMe 1.4 3.1) ------------------------------- */

enum nvme_reg {
    NVME_REG_CAP = 0x00,   /* 8 bytes */
    NVME_REG_VS = 0x08,
    NVME_REG_INTMS = 0x0c,
    NVME_REG_INTMC = 0x10,
    NVME_REG_CC = 0x14,
    NVME_REG_CSTS = 0x1c,
    NVME_REG_NSSR = 0x20,
    NVME_REG_AQA = 0x24,
    NVME_REG_ASQ = 0x28,   /* 8 bytes */
    NVME_REG_ACQ = 0x30,   /* 8 bytes */
    NVME_REG_CMBLOC = 0x38,  /* controller memory buffer location */
    NVME_REG_CMBSZ = 0x3c,
    NVME_REG_BPINFO = 0x40,  /* boot partitions */
    NVME_REG_BPRSEL = 0x44,  /* boot partition read select: starts a read */
    NVME_REG_BPMBL = 0x48,   /* 8 bytes: where that read's DMA goes */
    NVME_REG_CMBMSC = 0x50,  /* 8 bytes: CMB enable and address */
    NVME_REG_CMBSTS = 0x58,
    NVME_REG_PMRCAP = 0xe00, /* persistent memory region */
    NVME_REG_PMRCTL = 0xe04,
    NVME_REG_PMRMSCL = 0xe14,
    NVME_REG_PMRMSCU = 0xe18,
    NVME_REG_DOORBELL = 0x1000,
};

/* CAP bits the guest is not shown: boot partitions (45), persistent
 * memory region (56), controller memory buffer (57). */
#define NVME_CAP_HIDDEN (1ull << 45 | 1ull << 56 | 1ull << 57)
#define NVME_CAP_MQES(cap) ((u32)((cap) & 0xffff))         /* 0's based */
#define NVME_CAP_TO(cap) ((u32)(((cap) >> 24) & 0xff))     /* 500 ms units */
#define NVME_CAP_DSTRD(cap) ((u32)(((cap) >> 32) & 0xf))
#define NVME_CAP_MPSMIN(cap) ((u32)(((cap) >> 48) & 0xf))
#define NVME_CC_EN 0x1u
#define NVME_CC_MPS(cc) (((cc) >> 7) & 0xf)                 /* 4 KiB << MPS */
#define NVME_CSTS_RDY 0x1u
#define NVME_CSTS_CFS 0x2u
#define NVME_AQA_ASQS(aqa) ((aqa) & 0xfff)                  /* 0's based */
#define NVME_AQA_ACQS(aqa) (((aqa) >> 16) & 0xfff)

/* ---- queue entries (NVMe 1.4 4.2, 4.6) --------------------------------- */

struct nvme_sqe {
    u32 cdw0;      /* opcode 7:0, fused 9:8, PSDT 15:14, command ID 31:16 */
    u32 nsid;
    u32 cdw2, cdw3;
    u64 mptr;
    u64 prp1, prp2;
    u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} __packed;
CHECK_SIZE(struct nvme_sqe, 64);
CHECK_OFFSET(struct nvme_sqe, mptr, 16);
CHECK_OFFSET(struct nvme_sqe, prp1, 24);
CHECK_OFFSET(struct nvme_sqe, cdw10, 40);

#define NVME_SQE_OPC(c) ((u8)((c)->cdw0 & 0xff))
#define NVME_SQE_FUSE(c) (((c)->cdw0 >> 8) & 3)
#define NVME_SQE_PSDT(c) (((c)->cdw0 >> 14) & 3)
#define NVME_SQE_CID(c) ((u16)((c)->cdw0 >> 16))

struct nvme_cqe {
    u32 dw0;       /* command specific */
    u32 dw1;
    u16 sqhd;      /* submission queue head */
    u16 sqid;
    u16 cid;
    u16 status;    /* bit 0 phase, 8:1 SC, 11:9 SCT, 14 M, 15 DNR */
} __packed;
CHECK_SIZE(struct nvme_cqe, 16);
CHECK_OFFSET(struct nvme_cqe, sqhd, 8);
CHECK_OFFSET(struct nvme_cqe, status, 14);

#define NVME_CQE_PHASE 0x1u
#define NVME_STATUS(sct, sc) ((u16)(0x8000u | (sct) << 9 | (sc) << 1)) /* DNR */
#define NVME_STATUS_SCT(st) (((st) >> 9) & 7)
#define NVME_STATUS_SC(st) (((st) >> 1) & 0xff)
#define NVME_STATUS_OK(st) (((st) & 0x0ffe) == 0)

/* Status codes the mediator returns (NVMe 1.4 4.6.1.2). */
enum nvme_status_code {
    NVME_SC_OK = 0,
    /* generic (SCT 0) */
    NVME_SC_INVALID_OPCODE = NVME_STATUS(0, 0x01),
    NVME_SC_INVALID_FIELD = NVME_STATUS(0, 0x02),
    NVME_SC_DATA_XFER_ERROR = NVME_STATUS(0, 0x04),
    NVME_SC_INTERNAL = NVME_STATUS(0, 0x06),
    NVME_SC_INVALID_NS = NVME_STATUS(0, 0x0b),
    NVME_SC_PRP_OFFSET = NVME_STATUS(0, 0x13),
    NVME_SC_LBA_RANGE = NVME_STATUS(0, 0x80),
    /* command specific (SCT 1) */
    NVME_SC_CQ_INVALID = NVME_STATUS(1, 0x00),
    NVME_SC_INVALID_QID = NVME_STATUS(1, 0x01),
    NVME_SC_INVALID_QSIZE = NVME_STATUS(1, 0x02),
    NVME_SC_INVALID_QDELETE = NVME_STATUS(1, 0x0c),
};

/* Opcodes (NVMe 1.4 5, 6). */
enum nvme_admin_opc {
    NVME_ADM_DELETE_SQ = 0x00,
    NVME_ADM_CREATE_SQ = 0x01,
    NVME_ADM_GET_LOG = 0x02,
    NVME_ADM_DELETE_CQ = 0x04,
    NVME_ADM_CREATE_CQ = 0x05,
    NVME_ADM_IDENTIFY = 0x06,
    NVME_ADM_ABORT = 0x08,
    NVME_ADM_SET_FEATURES = 0x09,
    NVME_ADM_GET_FEATURES = 0x0a,
    NVME_ADM_AER = 0x0c,
    NVME_ADM_KEEP_ALIVE = 0x18,
    NVME_ADM_DBBUF = 0x7c,
};
enum nvme_io_opc {
    NVME_IO_FLUSH = 0x00,
    NVME_IO_WRITE = 0x01,
    NVME_IO_READ = 0x02,
};
#define NVME_FEAT_NUM_QUEUES 0x07

/* ---- what a command is, to the mediator -------------------------------- */

enum nvme_kind {
    NVME_K_NODATA,     /* no data: passed on, its data pointers zeroed */
    NVME_K_TO_HOST,    /* data from the controller: bounced, copied back */
    NVME_K_TO_DEV,     /* data to the controller: copied into a bounce */
    NVME_K_CREATE_CQ,  /* admin: shadowed queue creation/deletion */
    NVME_K_CREATE_SQ,
    NVME_K_DELETE_CQ,
    NVME_K_DELETE_SQ,
    NVME_K_REFUSE,     /* refused: `status` and `why` */
};

struct nvme_decoded {
    enum nvme_kind kind;
    u16 status;        /* for NVME_K_REFUSE */
    const char *why;   /* for NVME_K_REFUSE */
    const char *name;  /* "Read", "Identify", ... */
    u64 bytes;         /* data length (TO_HOST / TO_DEV) */
    /* NVM Read/Write */
    bool media;        /* moves media data: the cipher applies */
    u64 lba;
    u32 nlb;           /* blocks (1-65536) */
};

/* An admin command, as the mediator handles it: which opcodes it knows,
 * each one's data direction and exact length (a length it cannot know
 * would let the controller take PRP2 for a list the guest controls). */
void nvme_decode_admin(const struct nvme_sqe *c, u64 max_bytes,
                       struct nvme_decoded *out);

/* A namespace as the mediator knows it. */
struct nvme_ns_info {
    u32 sector_size;   /* 512 or 4096; 0: not mediated (I/O refused) */
    u64 sectors;       /* NSZE */
    bool crypt;        /* some sector is under a vmm.crypt= rule */
};

/* An NVM command to namespace `ns` (NULL: no such namespace). Read and
 * Write are bounced; Flush passes; any other opcode is refused on an
 * encrypted namespace (Write Zeroes, Dataset Management, Compare, ... would
 * store or compare data the cipher never saw) and passes without data on a
 * plain one if it moves none. */
void nvme_decode_io(const struct nvme_sqe *c, const struct nvme_ns_info *ns,
                    u64 max_bytes, struct nvme_decoded *out);

/* ---- PRP entries and lists (NVMe 1.4 4.3) ------------------------------ */

enum nvme_prp_error {
    NVME_PRP_OK,
    NVME_PRP_OFFSET,        /* PRP1 not dword aligned, a later entry not
                             * page aligned, a list not qword aligned, a
                             * chained list pointer not page aligned */
    NVME_PRP_OUTSIDE,       /* a data page outside guest RAM or in the VMM's */
    NVME_PRP_LIST_OUTSIDE,  /* a list page outside guest RAM or in the VMM's */
    NVME_PRP_LOOP,          /* a list pointer back to a list already walked */
    NVME_PRP_TOO_LONG,      /* more bytes than the mediator bounces */
    NVME_PRP_TOO_MANY_LISTS,
    NVME_PRP_ERROR_COUNT
};

#define NVME_PRP_MAX_SEGS 65   /* data pages of one command (256 KiB from
                                * an offset in its first page) */
#define NVME_PRP_MAX_LISTS 4   /* list pages of one command */

struct nvme_region {
    u64 addr;
    u32 len;
};

struct nvme_prp_walk {
    unsigned n;                  /* regions, in transfer order */
    enum nvme_prp_error error;
    u64 bad;                     /* the entry (address) refused */
    struct nvme_region r[NVME_PRP_MAX_SEGS];
};

/* Guest memory for the walk: read `len` bytes at `gpa`, and whether
 * [gpa, gpa+len) is memory the device may touch. */
struct nvme_mem_ops {
    int (*read)(void *ctx, u64 gpa, void *buf, size_t len);
    bool (*ok)(void *ctx, u64 gpa, u64 len);
    void *ctx;
};

/* Walks the data pointer of a command moving `len` bytes (1..max_bytes)
 * with memory page size `page` (4 KiB << CC.MPS): PRP1, then PRP2 as a
 * page or as a list pointer, lists chained through their last entry.
 * Every page is checked with mem->ok, every list page read once (the copy
 * is what counts). Returns 0 with out->r filled, or -E_INVAL with
 * out->error and out->bad. Pure. */
int nvme_prp_walk(u64 prp1, u64 prp2, u64 len, u64 max_bytes, u32 page,
                  const struct nvme_mem_ops *mem, struct nvme_prp_walk *out);

const char *nvme_prp_error_name(enum nvme_prp_error e);
/* The completion status for a refused walk. */
u16 nvme_prp_error_status(enum nvme_prp_error e);

/* Fills `list` (one page, `page` bytes), PRP1 and PRP2 to describe a
 * physically contiguous buffer `phys` of `len` bytes (len <= page *
 * (page / 8)). Pure. */
void nvme_prp_build(u64 phys, u64 list_phys, u64 *list, u64 len, u32 page,
                    u64 *prp1, u64 *prp2);

/* PRP1/PRP2 over the checked regions of a walk (`w`: the first may start
 * inside its page, the others are whole pages): PRP2 the second page, or
 * `list` (one page at `list_phys`, VMM memory) from the second page on.
 * So the controller moves the pages the walk checked, whatever the
 * guest's own list says later. Pure. */
void nvme_prp_direct(const struct nvme_prp_walk *w, u64 *list, u64 list_phys,
                     u64 *prp1, u64 *prp2);

/* ---- queues ------------------------------------------------------------- */

/* The doorbell at byte `off` from the register base (>= 0x1000) with
 * stride 4 << dstrd: returns the queue ID and whether it is a completion
 * queue's head doorbell, or -E_INVAL for an offset not on a doorbell. */
int nvme_doorbell_decode(u32 off, u32 dstrd, u16 *qid, bool *cq);

/* An aligned access of `size` bytes at byte `rel` of an MSI-X table: if it
 * covers an entry's mask bit (bit 0 of the Vector Control dword, byte 12
 * of each 16-byte entry), returns that bit's position in the accessed
 * value and sets *entry; otherwise -1. */
int nvme_msix_mask_bit(u32 rel, unsigned size, u32 *entry);

/* Entries from `from` up to (not including) `to` in a ring of `size`. */
static inline u32 nvme_q_dist(u32 from, u32 to, u32 size)
{
    return to >= from ? to - from : size - from + to;
}
static inline u32 nvme_q_next(u32 i, u32 size)
{
    return i + 1 == size ? 0 : i + 1;
}

/* A completion queue found in memory (the firmware's, at hand-over): the
 * next slot the controller would post to and the phase it would post
 * with, from the phase bits of the `size` entries (status words given):
 * the first entry whose phase differs from entry 0's ends the run just
 * posted. Pure. */
void nvme_cq_find_tail(const u16 *status, u32 size, u32 *tail, bool *phase);

/* ---- Identify data (NVMe 1.4 5.15) ------------------------------------- */

#define NVME_ID_CTRL_MDTS 77
#define NVME_ID_CTRL_OACS 256
#define NVME_ID_CTRL_HMPRE 272
#define NVME_ID_CTRL_HMMIN 276
#define NVME_ID_CTRL_NN 516
#define NVME_ID_CTRL_ONCS 520
#define NVME_ID_CTRL_FUSES 522
#define NVME_ID_CTRL_SGLS 536
#define NVME_OACS_DBBUF BIT(8)
#define NVME_ONCS_KEEP (BIT(4) | BIT(6)) /* save/select, timestamp */

/* Rewrites Identify Controller data (4096 bytes) to what the mediator
 * supports: MDTS at most `mdts` (pages as 2^n of the minimum page), no
 * SGLs, no doorbell buffer, no host memory buffer, no fused commands, of
 * the optional NVM commands only the ones that move no data. Pure. */
void nvme_identify_ctrl_filter(u8 *id, u8 mdts);

/* Identify Namespace data: the current LBA format's sector size (0 if its
 * data size is not 512 or 4096, or it carries metadata) and NSZE. */
void nvme_identify_ns_parse(const u8 *id, struct nvme_ns_info *out);

#endif
