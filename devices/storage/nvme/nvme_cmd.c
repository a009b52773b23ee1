/* Command decode, PRP walk, queue arithmetic, Identify data (nvme_cmd.h).
 * Pure. */
#include <devices/storage/nvme/nvme_cmd.h>
#include <string.h>

static void refuse(struct nvme_decoded *out, u16 status, const char *why)
{
    out->kind = NVME_K_REFUSE;
    out->status = status;
    out->why = why;
}

static void data(struct nvme_decoded *out, enum nvme_kind k, u64 bytes)
{
    out->kind = bytes ? k : NVME_K_NODATA;
    out->bytes = bytes;
}

/* Checks every command shares: no fused pair, PRPs not SGLs (the
 * mediator clears SGLS and FUSES in Identify Controller). */
static bool common_ok(const struct nvme_sqe *c, struct nvme_decoded *out)
{
    if (NVME_SQE_FUSE(c)) {
        refuse(out, NVME_SC_INVALID_FIELD, "a fused command (not supported)");
        return false;
    }
    if (NVME_SQE_PSDT(c)) {
        refuse(out, NVME_SC_INVALID_FIELD, "an SGL data pointer (PRPs only)");
        return false;
    }
    return true;
}

/* Data length of Get/Set Features by feature ID (NVMe 1.4 5.21.1). */
static u64 feature_bytes(const struct nvme_sqe *c, bool get, bool *refused)
{
    u8 fid = (u8)c->cdw10;

    *refused = false;
    switch (fid) {
    case 0x0c: return 256;                        /* APST */
    case 0x0e: return 8;                          /* timestamp */
    case 0x0d:                                    /* host memory buffer */
        *refused = !get;
        return get ? 4096 : 0;
    case 0x81: return (c->cdw11 & 1) ? 16 : 8;    /* host identifier */
    default: return 0;
    }
}

void nvme_decode_admin(const struct nvme_sqe *c, u64 max_bytes,
                       struct nvme_decoded *out)
{
    u8 opc = NVME_SQE_OPC(c);
    bool refused;
    u64 n;

    memset(out, 0, sizeof(*out));
    out->name = "admin command";
    if (!common_ok(c, out))
        return;
    switch (opc) {
    case NVME_ADM_DELETE_SQ: out->name = "Delete I/O SQ"; out->kind = NVME_K_DELETE_SQ; return;
    case NVME_ADM_CREATE_SQ: out->name = "Create I/O SQ"; out->kind = NVME_K_CREATE_SQ; return;
    case NVME_ADM_DELETE_CQ: out->name = "Delete I/O CQ"; out->kind = NVME_K_DELETE_CQ; return;
    case NVME_ADM_CREATE_CQ: out->name = "Create I/O CQ"; out->kind = NVME_K_CREATE_CQ; return;
    case NVME_ADM_GET_LOG:
        out->name = "Get Log Page";
        n = (((u64)(c->cdw11 & 0xffff) << 16 | c->cdw10 >> 16) + 1) * 4;
        if (n > max_bytes) {
            refuse(out, NVME_SC_INVALID_FIELD, "longer than the mediator bounces");
            return;
        }
        data(out, NVME_K_TO_HOST, n);
        return;
    case NVME_ADM_IDENTIFY:
        out->name = "Identify";
        data(out, NVME_K_TO_HOST, 4096);
        return;
    case NVME_ADM_SET_FEATURES:
    case NVME_ADM_GET_FEATURES: {
        bool get = opc == NVME_ADM_GET_FEATURES;
        out->name = get ? "Get Features" : "Set Features";
        n = feature_bytes(c, get, &refused);
        if (refused) {
            refuse(out, NVME_SC_INVALID_FIELD,
                   "a host memory buffer (device access to guest memory "
                   "the mediator cannot check)");
            return;
        }
        data(out, get ? NVME_K_TO_HOST : NVME_K_TO_DEV, n);
        return;
    }
    case 0x10: case 0x11: /* Firmware Commit, Firmware Image Download */
        out->name = opc == 0x10 ? "Firmware Commit" : "Firmware Image Download";
        refuse(out, NVME_SC_INVALID_OPCODE,
               "new firmware: a reflashed controller is an arbitrary DMA master");
        return;
    case 0x81: case 0x82: /* Security Send / Receive: AL in cdw11 */
        out->name = opc == 0x81 ? "Security Send" : "Security Receive";
        if (c->cdw11 > max_bytes) {
            refuse(out, NVME_SC_INVALID_FIELD, "longer than the mediator bounces");
            return;
        }
        data(out, opc == 0x81 ? NVME_K_TO_DEV : NVME_K_TO_HOST, c->cdw11);
        return;
    case NVME_ADM_ABORT: out->name = "Abort"; out->kind = NVME_K_NODATA; return;
    case NVME_ADM_AER: out->name = "Asynchronous Event Request"; out->kind = NVME_K_NODATA; return;
    case NVME_ADM_KEEP_ALIVE: out->name = "Keep Alive"; out->kind = NVME_K_NODATA; return;
    case 0x14: out->name = "Device Self-test"; out->kind = NVME_K_NODATA; return;
    case NVME_ADM_DBBUF:
        out->name = "Doorbell Buffer Config";
        refuse(out, NVME_SC_INVALID_OPCODE, "shadow doorbells would bypass the mediator");
        return;
    case 0x0d: case 0x15: case 0x80: case 0x84:
        out->name = opc == 0x80 ? "Format NVM" : opc == 0x84 ? "Sanitize"
                  : opc == 0x0d ? "Namespace Management" : "Namespace Attachment";
        refuse(out, NVME_SC_INVALID_OPCODE,
               "it changes namespaces under the cipher (not supported)");
        return;
    default:
        refuse(out, NVME_SC_INVALID_OPCODE, "an admin opcode the mediator does not know");
        return;
    }
}

void nvme_decode_io(const struct nvme_sqe *c, const struct nvme_ns_info *ns,
                    u64 max_bytes, struct nvme_decoded *out)
{
    u8 opc = NVME_SQE_OPC(c);

    memset(out, 0, sizeof(*out));
    out->name = opc == NVME_IO_READ ? "Read" : opc == NVME_IO_WRITE ? "Write"
              : opc == NVME_IO_FLUSH ? "Flush" : "NVM command";
    if (!common_ok(c, out))
        return;
    if (opc == NVME_IO_FLUSH && (ns || c->nsid == 0xffffffffu)) {
        out->kind = NVME_K_NODATA;
        return;
    }
    if (!ns) {
        refuse(out, NVME_SC_INVALID_NS, "no such namespace");
        return;
    }
    if (opc == NVME_IO_READ || opc == NVME_IO_WRITE) {
        if (!ns->sector_size) {
            refuse(out, NVME_SC_INVALID_NS,
                   "a namespace format the mediator does not handle");
            return;
        }
        out->lba = (u64)c->cdw11 << 32 | c->cdw10;
        out->nlb = (c->cdw12 & 0xffff) + 1;
        out->media = true;
        u64 bytes = (u64)out->nlb * ns->sector_size;
        if (bytes > max_bytes) {
            refuse(out, NVME_SC_INVALID_FIELD, "longer than the mediator bounces");
            return;
        }
        if (out->lba + out->nlb < out->lba) {
            refuse(out, NVME_SC_LBA_RANGE, "LBA range wraps past 2^64");
            return;
        }
        if (out->lba + out->nlb > ns->sectors) {
            refuse(out, NVME_SC_LBA_RANGE, "LBA range beyond the namespace");
            return;
        }
        data(out, opc == NVME_IO_READ ? NVME_K_TO_HOST : NVME_K_TO_DEV, bytes);
        return;
    }
    if (ns->crypt) {
        refuse(out, NVME_SC_INVALID_OPCODE,
               "an NVM command the mediator does not shadow on an encrypted namespace");
        return;
    }
    if (opc & 3) {
        refuse(out, NVME_SC_INVALID_OPCODE,
               "an NVM command moving data the mediator does not shadow");
        return;
    }
    out->kind = NVME_K_NODATA;
}

/* ---- PRP walk ------------------------------------------------------------- */

static const char *const prp_error_names[NVME_PRP_ERROR_COUNT] = {
    [NVME_PRP_OK] = "ok",
    [NVME_PRP_OFFSET] = "misaligned PRP entry or list pointer",
    [NVME_PRP_OUTSIDE] = "data page outside guest RAM (or in the VMM region)",
    [NVME_PRP_LIST_OUTSIDE] = "PRP list outside guest RAM (or in the VMM region)",
    [NVME_PRP_LOOP] = "PRP list loops back to a list already walked",
    [NVME_PRP_TOO_LONG] = "longer than the mediator bounces",
    [NVME_PRP_TOO_MANY_LISTS] = "too many chained PRP lists",
};

const char *nvme_prp_error_name(enum nvme_prp_error e)
{
    return e < NVME_PRP_ERROR_COUNT ? prp_error_names[e] : "?";
}

u16 nvme_prp_error_status(enum nvme_prp_error e)
{
    switch (e) {
    case NVME_PRP_OK: return NVME_SC_OK;
    case NVME_PRP_OFFSET: return NVME_SC_PRP_OFFSET;
    case NVME_PRP_OUTSIDE: case NVME_PRP_LIST_OUTSIDE: return NVME_SC_DATA_XFER_ERROR;
    default: return NVME_SC_INVALID_FIELD;
    }
}

static int prp_fail(struct nvme_prp_walk *w, enum nvme_prp_error e, u64 bad)
{
    w->error = e;
    w->bad = bad;
    return -E_INVAL;
}

static int prp_add(struct nvme_prp_walk *w, const struct nvme_mem_ops *mem,
                   u64 addr, u64 len)
{
    if (w->n == NVME_PRP_MAX_SEGS)
        return prp_fail(w, NVME_PRP_TOO_LONG, addr);
    if (!mem->ok(mem->ctx, addr, len))
        return prp_fail(w, NVME_PRP_OUTSIDE, addr);
    w->r[w->n++] = (struct nvme_region){ addr, (u32)len };
    return 0;
}

/* PRP2 as a list pointer: entries to the end of its page, the last one a
 * pointer to the next list while more than one page remains. */
static int prp_walk_lists(u64 list, u64 rem, u32 page, const struct nvme_mem_ops *mem,
                          struct nvme_prp_walk *w)
{
    u64 seen[NVME_PRP_MAX_LISTS];
    unsigned nlists = 0;

    if (list & 7)
        return prp_fail(w, NVME_PRP_OFFSET, list);
    for (;;) {
        u64 pg = ALIGN_DOWN(list, page);
        for (unsigned i = 0; i < nlists; i++)
            if (seen[i] == pg)
                return prp_fail(w, NVME_PRP_LOOP, list);
        if (nlists == NVME_PRP_MAX_LISTS)
            return prp_fail(w, NVME_PRP_TOO_MANY_LISTS, list);
        seen[nlists++] = pg;
        u64 slots = (pg + page - list) / 8;
        if (!mem->ok(mem->ctx, list, slots * 8))
            return prp_fail(w, NVME_PRP_LIST_OUTSIDE, list);
        for (u64 i = 0; i < slots; i++) {
            u64 e;
            if (mem->read(mem->ctx, list + 8 * i, &e, 8) < 0)
                return prp_fail(w, NVME_PRP_LIST_OUTSIDE, list);
            if (e & (page - 1))
                return prp_fail(w, NVME_PRP_OFFSET, e);
            if (i + 1 == slots && rem > page) {
                list = e; /* the next list */
                break;
            }
            u64 n = MIN(rem, page);
            if (prp_add(w, mem, e, n) < 0)
                return -E_INVAL;
            rem -= n;
            if (!rem)
                return 0;
        }
    }
}

int nvme_prp_walk(u64 prp1, u64 prp2, u64 len, u64 max_bytes, u32 page,
                  const struct nvme_mem_ops *mem, struct nvme_prp_walk *out)
{
    out->n = 0;
    out->error = NVME_PRP_OK;
    out->bad = 0;
    if (!len || len > max_bytes)
        return prp_fail(out, NVME_PRP_TOO_LONG, prp1);
    if (prp1 & 3)
        return prp_fail(out, NVME_PRP_OFFSET, prp1);
    u64 first = MIN(len, page - (prp1 & (page - 1)));
    if (prp_add(out, mem, prp1, first) < 0)
        return -E_INVAL;
    u64 rem = len - first;
    if (!rem)
        return 0;
    if (rem <= page) {
        if (prp2 & (page - 1))
            return prp_fail(out, NVME_PRP_OFFSET, prp2);
        return prp_add(out, mem, prp2, rem);
    }
    return prp_walk_lists(prp2, rem, page, mem, out);
}

void nvme_prp_build(u64 phys, u64 list_phys, u64 *list, u64 len, u32 page,
                    u64 *prp1, u64 *prp2)
{
    u64 pages = (len + page - 1) / page;

    *prp1 = phys;
    *prp2 = 0;
    if (pages == 2)
        *prp2 = phys + page;
    if (pages <= 2)
        return;
    for (u64 i = 1; i < pages; i++)
        list[i - 1] = phys + i * page;
    *prp2 = list_phys;
}

void nvme_prp_direct(const struct nvme_prp_walk *w, u64 *list, u64 list_phys,
                     u64 *prp1, u64 *prp2)
{
    *prp1 = w->r[0].addr;
    *prp2 = 0;
    if (w->n == 2)
        *prp2 = w->r[1].addr;
    if (w->n <= 2)
        return;
    for (unsigned i = 1; i < w->n; i++)
        list[i - 1] = w->r[i].addr;
    *prp2 = list_phys;
}

/* ---- queues ------------------------------------------------------------------ */

int nvme_doorbell_decode(u32 off, u32 dstrd, u16 *qid, bool *cq)
{
    u32 stride = 4u << dstrd;

    if (off < NVME_REG_DOORBELL || (off - NVME_REG_DOORBELL) % stride)
        return -E_INVAL;
    u32 idx = (off - NVME_REG_DOORBELL) / stride;
    if (idx / 2 > 0xffff)
        return -E_INVAL;
    *qid = (u16)(idx / 2);
    *cq = idx & 1;
    return 0;
}

int nvme_msix_mask_bit(u32 rel, unsigned size, u32 *entry)
{
    u32 in = rel % 16;

    if (in > 12 || in + size <= 12)
        return -1;
    *entry = rel / 16;
    return (int)(12 - in) * 8;
}

void nvme_cq_find_tail(const u16 *status, u32 size, u32 *tail, bool *phase)
{
    bool p0 = status[0] & NVME_CQE_PHASE;

    for (u32 i = 1; i < size; i++)
        if ((bool)(status[i] & NVME_CQE_PHASE) != p0) {
            *tail = i;
            *phase = p0;
            return;
        }
    /* all alike: none posted yet (zeroed memory), or exactly one pass */
    *tail = 0;
    *phase = !p0;
}

/* ---- Identify ------------------------------------------------------------------ */

static u32 le32(const u8 *p)
{
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void put_le16(u8 *p, u16 v)
{
    p[0] = (u8)v;
    p[1] = (u8)(v >> 8);
}

void nvme_identify_ctrl_filter(u8 *id, u8 mdts)
{
    if (id[NVME_ID_CTRL_MDTS] == 0 || id[NVME_ID_CTRL_MDTS] > mdts)
        id[NVME_ID_CTRL_MDTS] = mdts;
    u16 oacs = (u16)(id[NVME_ID_CTRL_OACS] | id[NVME_ID_CTRL_OACS + 1] << 8);
    /* Format NVM, Namespace Management, Doorbell Buffer Config */
    oacs &= (u16)~(BIT(1) | BIT(3) | NVME_OACS_DBBUF);
    put_le16(id + NVME_ID_CTRL_OACS, oacs);
    memset(id + NVME_ID_CTRL_HMPRE, 0, 8);
    u16 oncs = (u16)(id[NVME_ID_CTRL_ONCS] | id[NVME_ID_CTRL_ONCS + 1] << 8);
    put_le16(id + NVME_ID_CTRL_ONCS, oncs & NVME_ONCS_KEEP);
    put_le16(id + NVME_ID_CTRL_FUSES, 0);
    memset(id + NVME_ID_CTRL_SGLS, 0, 4);
}

void nvme_identify_ns_parse(const u8 *id, struct nvme_ns_info *out)
{
    u64 nsze = (u64)le32(id) | (u64)le32(id + 4) << 32;
    u8 flbas = id[26] & 0xf, nlbaf = id[25];
    u32 lbaf = le32(id + 128 + 4 * flbas);
    u32 lbads = (lbaf >> 16) & 0xff;

    out->sectors = nsze;
    out->sector_size = 0;
    if (flbas > nlbaf || (lbaf & 0xffff))
        return;
    if (lbads == 9 || lbads == 12)
        out->sector_size = 1u << lbads;
}
