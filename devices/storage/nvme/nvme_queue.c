/* The NVMe mediator's queues: the controller only ever sees shadow queues
 * in VMM memory. When the guest rings a submission queue's tail doorbell,
 * each new entry is copied once, decoded and checked (nvme_cmd.c), its
 * data bounced through VMM memory (a write copied in and encrypted; a read
 * decrypted and copied out when it completes), and the checked copy is
 * submitted with its data pointer replaced. The controller's completions
 * are found in the shadow completion queues by polls (nvme_poll) and
 * posted into the guest's completion queue, with the guest's command ID,
 * queue head and phase, only once finished (a read decrypted): the guest
 * learns of completions by reading its queue memory, so that memory must
 * hold only finished, decrypted work; the guest's interrupt is sent by the
 * VMM after posting (nvme_irq.c). An I/O queue whose completions the VMM
 * signals returns from its doorbell at once, its commands in flight; the
 * polls come at every NVMe register or doorbell access, at every exit of
 * any CPU, and at the guest's HLT, which exits while such commands are at
 * the controller (common/exit.h). Other queues (the admin queue, a guest
 * without MSI-X, SeaBIOS's polled queues) wait (bounded) at the doorbell
 * for their completions before the guest resumes. docs/storage-nvme.md. */
#include <common/exit.h>
#include <common/guest_mem.h>
#include <devices/storage/nvme/nvme.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/percpu.h>
#include <platform/mem.h>
#include <platform/time.h>
#include <string.h>

/* How long the VMM waits for the controller on an exit path: 3 s of real
 * time (the TSC rate measured at boot, platform/time.c). */
#define WAIT_CYCLES us_to_tsc(3000000)

static int mem_read(void *ctx, u64 gpa, void *buf, size_t len)
{
    (void)ctx;
    return guest_phys_read(gpa, buf, len);
}

static bool mem_ok(void *ctx, u64 gpa, u64 len)
{
    (void)ctx;
    return nvme_ram_ok(gpa, len);
}

static const struct nvme_mem_ops guest_mem = { mem_read, mem_ok, NULL };

/* Commands of queues without a doorbell wait, at every controller (the
 * exit poller looks only while there are any); while a CPU has submitted
 * some, its HLT exits (and polls). */
static u32 async_total;

static void async_add(struct nvme_ctrl *c, struct nvme_slot *s, bool on)
{
    if (on) {
        s->cpu = (u8)this_cpu()->index;
        c->async_busy++;
        __atomic_add_fetch(&async_total, 1, __ATOMIC_ACQ_REL);
    } else {
        c->async_busy--;
        __atomic_sub_fetch(&async_total, 1, __ATOMIC_ACQ_REL);
    }
    s->async = on;
    exit_idle_want(s->cpu, on);
}

bool nvme_async_any(void)
{
    return __atomic_load_n(&async_total, __ATOMIC_ACQUIRE) != 0;
}

static u32 db_off(struct nvme_ctrl *c, u16 qid, bool cq)
{
    return NVME_REG_DOORBELL + (2u * qid + (cq ? 1 : 0)) * (4u << c->dstrd);
}

/* ---- queue memory ---------------------------------------------------------- */

/* A bounce buffer's memory (256 KiB and a PRP list page); false if the
 * VMM has none left, and then never asked again for this one. */
static bool bounce_fill(struct nvme_ctrl *c, unsigned i)
{
    struct nvme_bounce *b = &c->bounce[i];

    if (b->buf)
        return true;
    if (b->failed)
        return false;
    b->buf = storage_bounce_alloc(NVME_BOUNCE_MAX, &b->phys);
    b->list = storage_bounce_alloc(NVME_PAGE, &b->list_phys);
    if (!b->buf || !b->list) {
        storage_bounce_free(b->buf, NVME_BOUNCE_MAX);
        storage_bounce_free(b->list, NVME_PAGE);
        b->buf = NULL;
        b->list = NULL;
        b->failed = true;
        log_warn("nvme", "%s: bounce buffer %u not allocated: fewer commands "
                 "at the controller at once", c->name, i);
        return false;
    }
    return true;
}

/* At attach only the first NVME_BOUNCES_ATTACH (so that every controller
 * can always move data); the rest when commands need them: eight idle
 * controllers holding 4 MiB each would leave the VMM no memory for the
 * other devices' shadows (crypt-keys-qemu's ninth controller). */
void nvme_bounces_alloc(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i < NVME_BOUNCES_ATTACH; i++)
        bounce_fill(c, i);
}

static struct nvme_bounce *bounce_get(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i < NVME_BOUNCES; i++)
        if (!c->bounce[i].used && c->bounce[i].buf) {
            c->bounce[i].used = true;
            return &c->bounce[i];
        }
    return NULL;
}

/* A bounce buffer is free (allocating one more if none is). */
static bool bounce_free_any(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i < NVME_BOUNCES; i++)
        if (!c->bounce[i].used && c->bounce[i].buf)
            return true;
    for (unsigned i = 0; i < NVME_BOUNCES; i++)
        if (!c->bounce[i].used && bounce_fill(c, i))
            return true;
    return false;
}

static void slot_release(struct nvme_slot *s)
{
    s->async = false;
    s->direct = false;
    if (s->b)
        s->b->used = false;
    s->b = NULL;
    if (s->qmem)
        storage_bounce_free(s->qmem, s->qbytes);
    s->qmem = NULL;
}

static void sq_free(struct nvme_ctrl *c, struct nvme_sq *q)
{
    if (!q->live)
        return;
    c->sq_gen[q->qid]++; /* a CPU waiting on it lets go of it */
    for (u32 i = 0; i < q->size; i++) {
        if (q->slots[i].async && q->slots[i].state == SLOT_BUSY)
            async_add(c, &q->slots[i], false);
        slot_release(&q->slots[i]);
    }
    storage_bounce_free(q->sh, (size_t)q->size * sizeof(struct nvme_sqe));
    storage_bounce_free(q->slots, (size_t)q->slots_pages * NVME_PAGE);
    memset(q, 0, sizeof(*q));
}

static void cq_free(struct nvme_cq *q)
{
    if (!q->live)
        return;
    storage_bounce_free(q->sh, (size_t)q->size * sizeof(struct nvme_cqe));
    memset(q, 0, sizeof(*q));
}

void nvme_queues_drop(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i <= NVME_MAX_QID; i++) {
        sq_free(c, &c->sq[i]);
        cq_free(&c->cq[i]);
    }
    for (unsigned i = 0; i < NVME_BOUNCES; i++)
        if (c->bounce[i].buf && c->bounce[i].list)
            c->bounce[i].used = false;
    c->aer_busy = 0;
}

static int sq_init(struct nvme_sq *q, u16 qid, u32 size, u64 gbase, u16 cqid,
                   void *mem, u64 phys)
{
    u32 pages = (u32)(ALIGN_UP((u64)size * sizeof(struct nvme_slot), NVME_PAGE) / NVME_PAGE);
    u64 sp;

    q->slots = storage_bounce_alloc((size_t)pages * NVME_PAGE, &sp);
    if (!q->slots)
        return -E_NOMEM;
    q->slots_pages = pages;
    q->live = true;
    q->qid = qid;
    q->cqid = cqid;
    q->size = size;
    q->gbase = gbase;
    q->head = q->tail = 0;
    q->sh = mem;
    q->sh_phys = phys;
    q->sh_tail = 0;
    q->busy = q->done = q->next_slot = 0;
    return 0;
}

static void cq_init(struct nvme_cq *q, u16 qid, u32 size, u64 gbase, u32 flags,
                    void *mem, u64 phys)
{
    q->live = true;
    q->qid = qid;
    q->size = size;
    q->flags = flags;
    q->gbase = gbase;
    q->head = q->tail = 0;
    q->phase = true;
    q->sh = mem;
    q->sh_phys = phys;
    q->sh_head = 0;
    q->sh_phase = true;
}

static int admin_check(struct nvme_ctrl *c, u32 aqa, u64 asq, u64 acq)
{
    u32 sqs = NVME_AQA_ASQS(aqa) + 1, cqs = NVME_AQA_ACQS(aqa) + 1;

    if (sqs < 2 || cqs < 2) {
        nvme_refuse(c, "admin queue sizes %u/%u in AQA 0x%x: fewer than 2 "
                    "entries", sqs, cqs, aqa);
        return -E_INVAL;
    }
    if ((asq | acq) & (NVME_PAGE - 1)) {
        nvme_refuse(c, "admin queue base ASQ 0x%llx / ACQ 0x%llx not 4 KiB aligned",
                    (unsigned long long)asq, (unsigned long long)acq);
        return -E_INVAL;
    }
    if (!nvme_ram_ok(asq, (u64)sqs * 64) || !nvme_ram_ok(acq, (u64)cqs * 16)) {
        nvme_refuse(c, "admin queue base ASQ 0x%llx / ACQ 0x%llx in the VMM "
                    "region or outside RAM", (unsigned long long)asq,
                    (unsigned long long)acq);
        return -E_INVAL;
    }
    return 0;
}

int nvme_admin_start(struct nvme_ctrl *c, u32 aqa, u64 asq, u64 acq, bool check)
{
    u32 sqs = NVME_AQA_ASQS(aqa) + 1, cqs = NVME_AQA_ACQS(aqa) + 1;
    u64 sp, cp;

    if (check && admin_check(c, aqa, asq, acq) < 0)
        return -E_INVAL;
    void *sm = storage_bounce_alloc((size_t)sqs * 64, &sp);
    void *cm = storage_bounce_alloc((size_t)cqs * 16, &cp);
    if (!sm || !cm || sq_init(&c->sq[0], 0, sqs, asq, 0, sm, sp) < 0) {
        storage_bounce_free(sm, (size_t)sqs * 64);
        storage_bounce_free(cm, (size_t)cqs * 16);
        nvme_refuse(c, "no VMM memory for the shadow admin queues");
        return -E_NOMEM;
    }
    cq_init(&c->cq[0], 0, cqs, acq, 0, cm, cp);
    nvme_wr32(c, NVME_REG_AQA, aqa);
    nvme_wr32(c, NVME_REG_ASQ, (u32)sp);
    nvme_wr32(c, NVME_REG_ASQ + 4, (u32)(sp >> 32));
    nvme_wr32(c, NVME_REG_ACQ, (u32)cp);
    nvme_wr32(c, NVME_REG_ACQ + 4, (u32)(cp >> 32));
    return 0;
}

/* ---- completions ---------------------------------------------------------- */

/* Into the guest's completion queue, if it has room: the first three
 * dwords, then the one with the phase bit. */
static bool post(struct nvme_ctrl *c, struct nvme_cq *q, struct nvme_cqe *e)
{
    (void)c;
    if (!q->live || nvme_q_next(q->tail, q->size) == q->head)
        return false;
    u64 at = q->gbase + (u64)q->tail * sizeof(*e);
    if (!guest_phys_ok(at, sizeof(*e)))
        return false;
    e->status = (u16)((e->status & ~NVME_CQE_PHASE) | (q->phase ? 1 : 0));
    memcpy(phys_to_virt(at), e, 12);
    barrier();
    *(volatile u32 *)phys_to_virt(at + 12) = (u32)e->cid | (u32)e->status << 16;
    q->tail = nvme_q_next(q->tail, q->size);
    if (!q->tail)
        q->phase = !q->phase;
    q->posted = true;
    return true;
}

static void flush_done(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i <= NVME_MAX_QID; i++) {
        struct nvme_sq *q = &c->sq[i];
        for (u32 k = 0; q->live && q->done && k < q->size; k++) {
            struct nvme_slot *s = &q->slots[k];
            if (s->state != SLOT_DONE || s->internal)
                continue;
            if (!post(c, &c->cq[q->cqid], &s->cqe))
                break;
            s->state = SLOT_FREE;
            q->done--;
        }
    }
}

static void finish(struct nvme_ctrl *c, struct nvme_sq *q, struct nvme_slot *s,
                   u16 status, u32 dw0, u32 dw1)
{
    s->cqe = (struct nvme_cqe){ .dw0 = dw0, .dw1 = dw1, .sqhd = (u16)q->head,
                                .sqid = q->qid, .cid = NVME_SQE_CID(&s->g),
                                .status = status };
    s->state = SLOT_DONE;
    q->done++;
    if (post(c, &c->cq[q->cqid], &s->cqe)) {
        s->state = SLOT_FREE;
        q->done--;
    }
}

static void fail(struct nvme_ctrl *c, struct nvme_sq *q, struct nvme_slot *s,
                 u16 status, const char *why)
{
    nvme_refuse(c, "queue %u %s (opcode 0x%02x, CID %u, NSID %u) refused: %s; "
                "status %u/0x%02x to the guest", q->qid, s->d.name,
                NVME_SQE_OPC(&s->g), NVME_SQE_CID(&s->g), s->g.nsid, why,
                NVME_STATUS_SCT(status), NVME_STATUS_SC(status));
    slot_release(s);
    finish(c, q, s, status, 0, 0);
}

static int bounce_copy(struct nvme_bounce *b, u64 bytes, bool to_guest)
{
    u64 off = 0;

    for (unsigned i = 0; i < b->walk.n && off < bytes; i++) {
        u32 n = (u32)MIN((u64)b->walk.r[i].len, bytes - off);
        int r = to_guest ? guest_phys_write(b->walk.r[i].addr, b->buf + off, n)
                         : guest_phys_read(b->walk.r[i].addr, b->buf + off, n);
        if (r < 0)
            return r;
        off += n;
    }
    return 0;
}

static struct nvme_ns *ns_of(struct nvme_ctrl *c, u32 nsid)
{
    if (nsid == 0 || nsid > NVME_MAX_NS || !c->ns[nsid].registered)
        return NULL;
    return &c->ns[nsid];
}

/* A read's data reaches the guest only decrypted. */
static u16 finish_to_host(struct nvme_ctrl *c, struct nvme_sq *q, struct nvme_slot *s)
{
    struct nvme_bounce *b = s->b;

    if (s->direct) {
        /* plain sectors, DMAed to the guest's checked pages */
        if (c->os_generation)
            c->sectors_os += s->d.nlb;
        else
            c->sectors_fw += s->d.nlb;
        return NVME_SC_OK;
    }
    if (s->d.media) {
        struct nvme_ns *ns = ns_of(c, s->g.nsid);
        if (!ns || storage_crypt(&ns->sd, s->d.lba, s->d.nlb, b->buf, false) < 0) {
            memset(b->buf, 0, s->d.bytes);
            nvme_refuse(c, "queue %u Read of LBA %llu (%u blocks): cannot be "
                        "decrypted; not delivered", q->qid,
                        (unsigned long long)s->d.lba, s->d.nlb);
            return NVME_SC_INTERNAL;
        }
        if (c->os_generation)
            c->sectors_os += s->d.nlb;
        else
            c->sectors_fw += s->d.nlb;
    }
    if (q->qid == 0 && NVME_SQE_OPC(&s->g) == NVME_ADM_IDENTIFY &&
        (s->g.cdw10 & 0xff) == 1)
        nvme_identify_ctrl_filter(b->buf, NVME_MDTS);
    if (bounce_copy(b, s->d.bytes, true) < 0)
        return NVME_SC_DATA_XFER_ERROR;
    return NVME_SC_OK;
}

static void activate(struct nvme_ctrl *c, struct nvme_slot *s)
{
    u16 qid = (u16)s->g.cdw10;
    u32 size = (s->g.cdw10 >> 16) + 1;

    if (s->d.kind == NVME_K_CREATE_CQ) {
        cq_init(&c->cq[qid], qid, size, s->g.prp1, s->g.cdw11, s->qmem, s->qphys);
        s->qmem = NULL;
    } else if (sq_init(&c->sq[qid], qid, size, s->g.prp1, (u16)(s->g.cdw11 >> 16),
                       s->qmem, s->qphys) == 0) {
        s->qmem = NULL;
    } else {
        log_err("nvme", "%s: no VMM memory for I/O SQ %u's commands: the queue "
                "is not mediated (its doorbell is refused)", c->name, qid);
    }
}

static void complete(struct nvme_ctrl *c, struct nvme_sq *q, struct nvme_slot *s,
                     const struct nvme_cqe *hw)
{
    u16 st = hw->status & ~NVME_CQE_PHASE;
    u32 dw0 = hw->dw0;

    q->busy--;
    if (s->async)
        async_add(c, s, false);
    if (q->qid == 0 && NVME_SQE_OPC(&s->g) == NVME_ADM_AER && c->aer_busy)
        c->aer_busy--;
    if (s->internal) {
        s->cqe = *hw;
        s->cqe.status = st;
        s->state = SLOT_DONE;
        return;
    }
    bool ok = NVME_STATUS_OK(st);
    switch (s->d.kind) {
    case NVME_K_TO_HOST:
        if (ok)
            st = finish_to_host(c, q, s);
        break;
    case NVME_K_TO_DEV:
        if (ok && s->d.media) {
            if (c->os_generation)
                c->sectors_os += s->d.nlb;
            else
                c->sectors_fw += s->d.nlb;
        }
        break;
    case NVME_K_CREATE_CQ:
    case NVME_K_CREATE_SQ:
        if (ok)
            activate(c, s);
        break;
    case NVME_K_DELETE_SQ:
        if (ok)
            sq_free(c, &c->sq[(u16)s->g.cdw10]);
        break;
    case NVME_K_DELETE_CQ:
        if (ok)
            cq_free(&c->cq[(u16)s->g.cdw10]);
        break;
    default:
        /* Number of Queues: no more I/O queues than the mediator shadows */
        if (ok && q->qid == 0 && (u8)s->g.cdw10 == NVME_FEAT_NUM_QUEUES &&
            (NVME_SQE_OPC(&s->g) == NVME_ADM_SET_FEATURES ||
             NVME_SQE_OPC(&s->g) == NVME_ADM_GET_FEATURES)) {
            u32 nsq = MIN(dw0 & 0xffff, NVME_MAX_QID - 1u);
            u32 ncq = MIN(dw0 >> 16, NVME_MAX_QID - 1u);
            dw0 = ncq << 16 | nsq;
        }
        break;
    }
    slot_release(s);
    finish(c, q, s, st, dw0, hw->dw1);
}

static bool poll_cq(struct nvme_ctrl *c, struct nvme_cq *q)
{
    bool any = false;

    for (;;) {
        volatile struct nvme_cqe *v = &q->sh[q->sh_head];
        if ((bool)(v->status & NVME_CQE_PHASE) != q->sh_phase)
            break;
        barrier();
        struct nvme_cqe hw = { v->dw0, v->dw1, v->sqhd, v->sqid, v->cid, v->status };
        q->sh_head = nvme_q_next(q->sh_head, q->size);
        if (!q->sh_head)
            q->sh_phase = !q->sh_phase;
        any = true;
        struct nvme_sq *sq = hw.sqid <= NVME_MAX_QID ? &c->sq[hw.sqid] : NULL;
        if (!sq || !sq->live || hw.cid >= sq->size || sq->slots[hw.cid].state != SLOT_BUSY) {
            log_warn("nvme", "%s: completion for queue %u command %u the mediator "
                     "did not submit: dropped", c->name, hw.sqid, hw.cid);
            continue;
        }
        complete(c, sq, &sq->slots[hw.cid], &hw);
    }
    if (any)
        nvme_wr32(c, db_off(c, q->qid, true), q->sh_head);
    return any;
}

void nvme_poll(struct nvme_ctrl *c)
{
    /* I/O queues first: their aborted commands complete before the admin
     * command that deletes their queue. */
    for (unsigned i = 1; i <= NVME_MAX_QID; i++)
        if (c->cq[i].live)
            poll_cq(c, &c->cq[i]);
    if (c->cq[0].live)
        poll_cq(c, &c->cq[0]);
    flush_done(c);
    /* the guest told of what was posted, after posting */
    for (unsigned i = 0; i <= NVME_MAX_QID; i++)
        if (c->cq[i].live && c->cq[i].posted) {
            c->cq[i].posted = false;
            nvme_irq_signal(c, (u16)i);
        }
    nvme_irq_flush(c);
}

/* Commands of `q` still at the controller (an Asynchronous Event Request
 * waits there by design and is not counted). */
static u32 outstanding(struct nvme_ctrl *c, struct nvme_sq *q)
{
    return q->busy - (q->qid == 0 ? MIN(q->busy, c->aer_busy) : 0);
}

/* Waits, bounded, until every command of `q` is complete and posted, or
 * (`room`) until `q` can take one more command (a slot and a bounce
 * buffer, which other queues' commands may hold). The lock is dropped
 * between polls so that other CPUs use the controller meanwhile (and may
 * post this queue's completions themselves); the condition holds when it
 * returns true, under the lock. Returns false when the queue was freed
 * meanwhile (a controller reset or Delete SQ on another CPU): the caller
 * must not touch it again. */
static bool wait_queue(struct nvme_ctrl *c, struct nvme_sq *q, bool room)
{
    u16 qid = (u16)(q - c->sq);
    u32 gen = c->sq_gen[qid];
    u64 t0 = rdtsc();

    for (;;) {
        nvme_poll(c);
        if (c->sq_gen[qid] != gen)
            return false;
        bool done = room ? q->busy + 1 < q->size && bounce_free_any(c)
                         : !outstanding(c, q);
        if (done || rdtsc() - t0 > WAIT_CYCLES)
            return true;
        spin_unlock(&c->lock);
        for (unsigned i = 0; i < 64; i++)
            cpu_relax();
        spin_lock(&c->lock);
    }
}

/* ---- submission ------------------------------------------------------------- */

static struct nvme_slot *slot_get(struct nvme_sq *q, u16 *cid)
{
    for (u32 k = 0; k < q->size; k++) {
        u32 i = (q->next_slot + k) % q->size;
        if (q->slots[i].state == SLOT_FREE) {
            q->next_slot = nvme_q_next(i, q->size);
            *cid = (u16)i;
            return &q->slots[i];
        }
    }
    return NULL;
}

static u16 create_check(struct nvme_ctrl *c, const struct nvme_sqe *g, bool sq,
                        const char **why)
{
    u16 qid = (u16)g->cdw10;
    u32 size = (g->cdw10 >> 16) + 1;

    if (qid == 0 || qid > NVME_MAX_QID) {
        *why = "queue ID 0 or beyond the 16 the mediator shadows";
        return NVME_SC_INVALID_QID;
    }
    if (sq ? c->sq[qid].live : c->cq[qid].live) {
        *why = "the queue exists";
        return NVME_SC_INVALID_QID;
    }
    if (size < 2 || size > c->mqes + 1) {
        *why = "queue size beyond CAP.MQES (or below 2)";
        return NVME_SC_INVALID_QSIZE;
    }
    if (!(g->cdw11 & 1)) {
        *why = "queue not physically contiguous (the controller requires it)";
        return NVME_SC_INVALID_FIELD;
    }
    if (g->prp1 & (NVME_PAGE - 1)) {
        *why = "queue base not page aligned";
        return NVME_SC_PRP_OFFSET;
    }
    if (!nvme_ram_ok(g->prp1, (u64)size * (sq ? 64 : 16))) {
        *why = "queue base in the VMM region or outside RAM";
        return NVME_SC_INVALID_FIELD;
    }
    if (sq) {
        u16 cqid = (u16)(g->cdw11 >> 16);
        if (cqid == 0 || cqid > NVME_MAX_QID || !c->cq[cqid].live) {
            *why = "its completion queue does not exist";
            return NVME_SC_CQ_INVALID;
        }
    }
    return 0;
}

/* Data commands: the guest's PRPs walked and checked, the data bounced
 * (or, plain sectors, the checked pages given to the controller). */
static bool prepare_data(struct nvme_ctrl *c, struct nvme_sq *q, struct nvme_slot *s,
                         struct nvme_sqe *e)
{
    struct nvme_bounce *b = s->b;
    char why[160];

    if (nvme_prp_walk(s->g.prp1, s->g.prp2, s->d.bytes, NVME_BOUNCE_MAX, NVME_PAGE,
                      &guest_mem, &b->walk) < 0) {
        ksnprintf(why, sizeof(why), "data pointer PRP1 0x%llx PRP2 0x%llx, %llu "
                  "bytes: entry 0x%llx: %s", (unsigned long long)s->g.prp1,
                  (unsigned long long)s->g.prp2, (unsigned long long)s->d.bytes,
                  (unsigned long long)b->walk.bad, nvme_prp_error_name(b->walk.error));
        fail(c, q, s, nvme_prp_error_status(b->walk.error), why);
        return false;
    }
    struct nvme_ns *dns = s->d.media ? ns_of(c, s->g.nsid) : NULL;
    if (dns && storage_range_plain(&dns->sd, s->d.lba, s->d.nlb)) {
        /* No cipher on these sectors: the controller moves the guest's
         * pages, the ones walked and checked now, through a PRP list in
         * VMM memory (the guest's own list may change from here on). */
        u64 p1, p2;
        s->direct = true;
        nvme_prp_direct(&b->walk, b->list, b->list_phys, &p1, &p2);
        e->prp1 = p1;
        e->prp2 = p2;
        return true;
    }
    if (s->d.kind == NVME_K_TO_HOST && !s->d.media)
        memset(b->buf, 0, s->d.bytes); /* a short transfer shows no stale data */
    if (s->d.kind == NVME_K_TO_DEV) {
        struct nvme_ns *ns = s->d.media ? ns_of(c, s->g.nsid) : NULL;
        if (bounce_copy(b, s->d.bytes, false) < 0 ||
            (s->d.media && (!ns || storage_crypt(&ns->sd, s->d.lba, s->d.nlb,
                                                 b->buf, true) < 0))) {
            memset(b->buf, 0, s->d.bytes);
            fail(c, q, s, NVME_SC_INTERNAL, "the data cannot be encrypted: not written");
            return false;
        }
    }
    u64 prp1, prp2;
    nvme_prp_build(b->phys, b->list_phys, b->list, s->d.bytes, NVME_PAGE, &prp1, &prp2);
    e->prp1 = prp1;
    e->prp2 = prp2;
    return true;
}

static bool prepare_queue_cmd(struct nvme_ctrl *c, struct nvme_sq *q,
                              struct nvme_slot *s, struct nvme_sqe *e)
{
    const char *why = NULL;
    u16 qid = (u16)s->g.cdw10;
    u16 st;

    switch (s->d.kind) {
    case NVME_K_CREATE_CQ:
    case NVME_K_CREATE_SQ: {
        bool sq = s->d.kind == NVME_K_CREATE_SQ;
        st = create_check(c, &s->g, sq, &why);
        if (st) {
            fail(c, q, s, st, why);
            return false;
        }
        s->qbytes = ((s->g.cdw10 >> 16) + 1) * (sq ? 64u : 16u);
        s->qmem = storage_bounce_alloc(s->qbytes, &s->qphys);
        if (!s->qmem) {
            fail(c, q, s, NVME_SC_INTERNAL, "no VMM memory for the shadow queue");
            return false;
        }
        e->prp1 = s->qphys;
        e->prp2 = 0;
        return true;
    }
    default: /* delete */
        if (qid == 0 || qid > NVME_MAX_QID ||
            !(s->d.kind == NVME_K_DELETE_SQ ? c->sq[qid].live : c->cq[qid].live)) {
            fail(c, q, s, NVME_SC_INVALID_QID, "no such queue");
            return false;
        }
        e->prp1 = c->scratch_phys;
        e->prp2 = 0;
        return true;
    }
}

/* Takes one guest entry: false when the mediator lacks a slot or bounce
 * buffer for it now (the caller waits for completions and retries). */
static bool submit(struct nvme_ctrl *c, struct nvme_sq *q, const struct nvme_sqe *g,
                   bool async)
{
    struct nvme_decoded d;
    struct nvme_slot *s;
    u16 cid;

    if (q->qid == 0) {
        nvme_decode_admin(g, NVME_BOUNCE_MAX, &d);
    } else {
        struct nvme_ns *ns = ns_of(c, g->nsid);
        nvme_decode_io(g, ns ? &ns->info : NULL, NVME_BOUNCE_MAX, &d);
    }
    bool data = d.kind == NVME_K_TO_HOST || d.kind == NVME_K_TO_DEV;
    if (q->busy + 1 >= q->size || (data && !bounce_free_any(c)) ||
        !(s = slot_get(q, &cid)))
        return false;
    s->g = *g;
    s->d = d;
    s->internal = false;
    s->b = data ? bounce_get(c) : NULL;
    s->qmem = NULL;

    struct nvme_sqe e = *g;
    e.cdw0 = (g->cdw0 & 0xffff) | (u32)cid << 16;
    e.mptr = 0;
    switch (d.kind) {
    case NVME_K_REFUSE:
        fail(c, q, s, d.status, d.why);
        return true;
    case NVME_K_NODATA:
        e.prp1 = c->scratch_phys;
        e.prp2 = 0;
        break;
    case NVME_K_TO_HOST:
    case NVME_K_TO_DEV:
        if (!prepare_data(c, q, s, &e))
            return true;
        break;
    default:
        if (!prepare_queue_cmd(c, q, s, &e))
            return true;
        break;
    }
    if (q->qid == 0 && NVME_SQE_OPC(g) == NVME_ADM_AER)
        c->aer_busy++;
    q->sh[q->sh_tail] = e;
    q->sh_tail = nvme_q_next(q->sh_tail, q->size);
    s->state = SLOT_BUSY;
    q->busy++;
    if (async)
        async_add(c, s, true);
    return true;
}

static void ring(struct nvme_ctrl *c, struct nvme_sq *q)
{
    barrier();
    nvme_wr32(c, db_off(c, q->qid, false), q->sh_tail);
}

/* The most commands at the controller as the guest resumes, and on how
 * many queues (the summary: several in flight at once). */
static void note_inflight(struct nvme_ctrl *c)
{
    u32 queues = 0;

    for (unsigned i = 1; i <= NVME_MAX_QID; i++)
        if (c->sq[i].live && c->sq[i].busy)
            queues++;
    if (c->async_busy > c->max_inflight)
        c->max_inflight = c->async_busy;
    if (queues > c->max_queues)
        c->max_queues = queues;
}

/* Takes the guest's new entries up to `tail` and rings the shadow
 * doorbell. An I/O queue whose completions the VMM signals (nvme_irq.c)
 * returns at once: its commands complete at later polls. Any other waits
 * for their completions before the guest resumes. A doorbell whose entries
 * outnumber the free slots or bounce buffers waits for completions before
 * taking the rest. Another CPU may write this doorbell while the lock is
 * dropped for a wait (a guest driver holds its queue's lock over the
 * write, so only a broken or hostile one does): its entries are taken by
 * the CPU already here. */
void nvme_sq_doorbell(struct nvme_ctrl *c, struct nvme_sq *q, u32 tail)
{
    q->tail = tail;
    if (q->in_doorbell)
        return;
    q->in_doorbell = true;
    bool async = q->qid != 0 && nvme_irq_vmm_signals(c, q->cqid);
    do {
        while (q->head != q->tail) {
            struct nvme_sqe g;
            u32 at = q->head;
            if (guest_phys_read(q->gbase + (u64)at * sizeof(g), &g, sizeof(g)) < 0) {
                nvme_refuse(c, "queue %u: entry %u cannot be read", q->qid, at);
                q->tail = at;
                break;
            }
            q->head = nvme_q_next(at, q->size);
            if (submit(c, q, &g, async))
                continue;
            ring(c, q);
            if (c->room_waits++ == 0)
                log_info("nvme", "%s: queue %u: a doorbell gave more commands than "
                         "slots or bounce buffers are free: the rest wait for "
                         "completions (counted in the summary)", c->name, q->qid);
            if (!wait_queue(c, q, true))
                return;
            if (!submit(c, q, &g, async)) {
                q->head = at; /* taken again at the next doorbell */
                q->tail = at;
                nvme_refuse(c, "queue %u: no slot or bounce buffer free for entry %u "
                            "(commands the controller does not complete): left "
                            "pending", q->qid, at);
                break;
            }
        }
        ring(c, q);
        if (async)
            break;
        if (!wait_queue(c, q, false))
            return;
    } while (q->head != q->tail);
    q->in_doorbell = false;
    if (async)
        note_inflight(c);
}

void nvme_cq_doorbell(struct nvme_ctrl *c, struct nvme_cq *q, u32 head)
{
    if (nvme_q_dist(q->head, head, q->size) > nvme_q_dist(q->head, q->tail, q->size)) {
        nvme_refuse(c, "CQ %u head doorbell %u passes the entries posted "
                    "(head %u, tail %u): ignored", q->qid, head, q->head, q->tail);
        return;
    }
    q->head = head;
    nvme_poll(c);
}

/* ---- the VMM's own admin commands --------------------------------------- */

/* Submits `e` (its data pointer set by the caller) on the shadow admin
 * queue and waits for it. Returns 0, -E_IO (failed: *out says how),
 * -E_BUSY (no room) or -E_TIMEOUT (still at the controller: its memory
 * must stay allocated). */
static int run_internal(struct nvme_ctrl *c, struct nvme_sqe *e, struct nvme_cqe *out)
{
    struct nvme_sq *q = &c->sq[0];
    struct nvme_slot *s;
    u16 cid;

    if (!q->live || q->busy + 1 >= q->size || !(s = slot_get(q, &cid)))
        return -E_BUSY;
    memset(s, 0, sizeof(*s));
    s->internal = true;
    s->g = *e;
    e->cdw0 = (e->cdw0 & 0xffff) | (u32)cid << 16;
    e->mptr = 0;
    q->sh[q->sh_tail] = *e;
    q->sh_tail = nvme_q_next(q->sh_tail, q->size);
    s->state = SLOT_BUSY;
    q->busy++;
    ring(c, q);
    u64 t0 = rdtsc();
    while (s->state == SLOT_BUSY && rdtsc() - t0 < WAIT_CYCLES) {
        nvme_poll(c);
        cpu_relax();
    }
    if (s->state != SLOT_DONE)
        return -E_TIMEOUT; /* the slot stays busy: never reused */
    *out = s->cqe;
    s->state = SLOT_FREE;
    return NVME_STATUS_OK(out->status) ? 0 : -E_IO;
}

int nvme_internal(struct nvme_ctrl *c, struct nvme_sqe *e, void *buf4k,
                  struct nvme_cqe *out)
{
    e->prp1 = buf4k ? virt_to_phys(buf4k) : c->scratch_phys;
    e->prp2 = 0;
    return run_internal(c, e, out);
}

/* Creates a queue of `size` entries of `esize` bytes in VMM memory on the
 * controller (Create I/O CQ/SQ `opcode`, CDW11 `cdw11`); *mem and *phys
 * hold it. A timed-out command may still land: its memory is kept. */
static int create_shadow_queue(struct nvme_ctrl *c, u32 opcode, u16 qid,
                               u32 size, size_t esize, u32 cdw11, void **mem,
                               u64 *phys)
{
    struct nvme_cqe r;

    *mem = storage_bounce_alloc((size_t)size * esize, phys);
    if (!*mem)
        return -E_NOMEM;
    struct nvme_sqe e = { .cdw0 = opcode, .cdw10 = (size - 1) << 16 | qid,
                          .cdw11 = cdw11, .prp1 = *phys };
    int rc = run_internal(c, &e, &r);
    if (rc < 0 && rc != -E_TIMEOUT)
        storage_bounce_free(*mem, (size_t)size * esize);
    return rc;
}

int nvme_shadow_cq(struct nvme_ctrl *c, u16 qid, u32 size, u64 gbase, u32 flags)
{
    void *mem;
    u64 phys;
    int rc = create_shadow_queue(c, NVME_ADM_CREATE_CQ, qid, size, 16,
                                 flags | 1, &mem, &phys);

    if (rc < 0)
        return rc;
    cq_init(&c->cq[qid], qid, size, gbase, flags, mem, phys);
    return 0;
}

int nvme_shadow_sq(struct nvme_ctrl *c, u16 qid, u32 size, u64 gbase, u16 cqid)
{
    void *mem;
    u64 phys;
    int rc = create_shadow_queue(c, NVME_ADM_CREATE_SQ, qid, size, 64,
                                 (u32)cqid << 16 | 1, &mem, &phys);

    if (rc < 0)
        return rc;
    return sq_init(&c->sq[qid], qid, size, gbase, cqid, mem, phys);
}
