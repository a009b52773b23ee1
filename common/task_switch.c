/* Hardware task switch emulation (see task_switch.h), after SDM vol. 3
 * 7.3 "Task Switching" and table 7-1; the checks and faults of the CALL,
 * JMP, INT n and IRET pseudo-code in vol. 2.
 *
 * Order: everything that can refuse the switch is checked and every read
 * is done before the first write, so a fault found there leaves the old
 * task as it was. Then the old task is saved and the new one loaded; a
 * fault from here on (LDT, segment descriptors, the error-code push, EIP
 * past the CS limit) is delivered in the new task, as the CPU does. Unlike
 * the CPU, segment registers are loaded only after all six descriptors
 * passed their checks, so a failing one leaves the old task's CS/SS pair
 * in place (consistent, which VM entry requires), not half of each. */
#include <common/task_switch.h>
#include <platform/cpu.h>
#include <string.h>

#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

#define DESC_P 0x80
#define DESC_S 0x10
#define TYPE_CODE 0x8
#define TYPE_CONFORMING 0x4 /* code; expand-down for data */
#define TYPE_RW 0x2         /* readable code, writable data */
#define TYPE_ACCESSED 0x1
#define ATTR_DB BIT(14)
#define TSS32_MIN_LIMIT 0x67
#define DR7_LOCAL_ENABLES 0x55 /* L0-L3: cleared by a task switch (SDM 18.2.4) */

struct ts_ctx {
    struct vcpu_state *s;
    u64 *gpr;
    const struct ts_mem *m;
    const struct vcpu_exit *e;
    struct ts_outcome *out;
    u16 ext; /* EXT bit of error codes: the switch delivers an external event */
};

static int fault(struct ts_ctx *c, u8 vector, u32 error, const char *why)
{
    c->out->result = TS_FAULT;
    c->out->vector = vector;
    c->out->error = error;
    c->out->why = why;
    return -E_FAULT;
}

static int sel_fault(struct ts_ctx *c, u8 vector, u16 sel, const char *why)
{
    return fault(c, vector, (sel & 0xfffc) | c->ext, why);
}

static int refuse(struct ts_ctx *c, const char *why)
{
    c->out->result = TS_REFUSED;
    c->out->why = why;
    return -E_NOTSUP;
}

/* Linear addresses outside IA-32e mode are 32 bits wide. */
static int mem(struct ts_ctx *c, u64 gla, void *buf, size_t len, bool write,
               const char *what)
{
    struct guest_fault f;
    int r = c->m->access(c->m->ctx, gla & 0xffffffff, buf, len, write, &f);

    if (r == 0)
        return 0;
    if (r == -E_FAULT) {
        c->out->cr2 = f.addr;
        return fault(c, VEC_PF, f.error, what);
    }
    return fault(c, VEC_GP, 0, what); /* outside guest memory */
}

static struct segment desc_to_seg(u16 sel, const struct seg_desc *d)
{
    u32 limit = d->limit_lo | (u32)(d->limit_flags & 0xf) << 16;

    if (d->limit_flags & 0x80) /* G: 4 KiB units */
        limit = (limit << 12) | 0xfff;
    return (struct segment){
        .sel = sel,
        .attr = d->access | (u32)(d->limit_flags & 0xf0) << 8,
        .limit = limit,
        .base = d->base_lo | (u32)d->base_mid << 16 | (u32)d->base_hi << 24,
    };
}

/* Reads the descriptor `sel` names (GDT or LDT). -E_RANGE: outside the
 * table (the caller picks the fault); -E_FAULT: memory fault recorded. */
static int read_desc(struct ts_ctx *c, u16 sel, struct seg_desc *d, u64 *gla)
{
    u64 base = c->s->gdtr.base;
    u32 limit = c->s->gdtr.limit;

    if (sel & 4) {
        const struct segment *ldt = &c->s->seg[SEG_LDTR];
        if (ldt->attr & SEG_ATTR_UNUSABLE)
            return -E_RANGE;
        base = ldt->base;
        limit = ldt->limit;
    }
    if ((u32)(sel | 7) > limit)
        return -E_RANGE;
    *gla = base + (sel & ~7u);
    return mem(c, *gla, d, sizeof(*d), false, "a descriptor is not readable");
}

static int write_access_byte(struct ts_ctx *c, u64 desc_gla, u8 access)
{
    return mem(c, desc_gla + offsetof(struct seg_desc, access), &access, 1, true,
               "a descriptor is not writable");
}

/* The new TSS descriptor, checked as the instruction or event would. */
static int check_new_tss(struct ts_ctx *c, u16 sel, struct seg_desc *d,
                         u64 *gla)
{
    bool iret = c->e->task.source == TASK_IRET;
    u8 bad = iret ? VEC_TS : VEC_GP;
    int r;

    if (sel & 4)
        return sel_fault(c, bad, sel, "the TSS selector points into the LDT");
    r = read_desc(c, sel, d, gla);
    if (r == -E_RANGE)
        return sel_fault(c, bad, sel, "the TSS selector is past the GDT limit");
    if (r < 0)
        return r;
    u8 type = d->access & (DESC_S | 0xf);
    if (type == DESC_TSS16_AVAIL || type == DESC_TSS16_BUSY)
        return refuse(c, "the new TSS is a 16-bit TSS");
    if (type != (iret ? DESC_TSS32_BUSY : DESC_TSS32_AVAIL))
        return sel_fault(c, bad, sel, iret ? "IRET to a TSS that is not busy"
                                           : "the target is busy or not a TSS");
    if (!(d->access & DESC_P))
        return sel_fault(c, VEC_NP, sel, "the new TSS is not present");
    if (desc_to_seg(sel, d).limit < TSS32_MIN_LIMIT)
        return sel_fault(c, VEC_TS, sel, "the new TSS limit is below 0x67");
    return 0;
}

/* ---- the new task's segments ----------------------------------------- */

static struct segment unusable(u16 sel)
{
    return (struct segment){ .sel = sel, .attr = SEG_ATTR_UNUSABLE };
}

static int load_ldtr(struct ts_ctx *c, u16 sel)
{
    struct seg_desc d;
    u64 gla;
    int r;

    c->out->dirty |= VS_LDTR;
    if (!(sel & ~3u)) {
        c->s->seg[SEG_LDTR] = unusable(sel);
        return 0;
    }
    if (sel & 4)
        return sel_fault(c, VEC_TS, sel, "the new LDT selector points into an LDT");
    r = read_desc(c, sel, &d, &gla);
    if (r == -E_RANGE)
        return sel_fault(c, VEC_TS, sel, "the new LDT selector is past the GDT limit");
    if (r < 0)
        return r;
    if ((d.access & (DESC_S | 0xf)) != DESC_LDT)
        return sel_fault(c, VEC_TS, sel, "the new LDT selector is not an LDT");
    if (!(d.access & DESC_P))
        return sel_fault(c, VEC_TS, sel, "the new LDT is not present");
    c->s->seg[SEG_LDTR] = desc_to_seg(sel, &d);
    return 0;
}

/* Checks the type and privilege of segment `idx`'s descriptor (SDM table
 * 7-1); returns the fault vector, or 0 if it may be loaded. */
static u8 seg_check(int idx, u16 sel, const struct seg_desc *d, u8 cpl,
                    const char **why)
{
    u8 type = d->access & 0xf, dpl = (d->access >> 5) & 3, rpl = sel & 3;
    bool code = type & TYPE_CODE;

    *why = "a segment descriptor is not a code or data segment";
    if (!(d->access & DESC_S))
        return VEC_TS;
    if (idx == SEG_CS) {
        *why = "the new CS is not a code segment of the new CPL";
        if (!code || ((type & TYPE_CONFORMING) ? dpl > cpl : dpl != cpl))
            return VEC_TS;
        *why = "the new CS is not present";
        return (d->access & DESC_P) ? 0 : VEC_NP;
    }
    if (idx == SEG_SS) {
        *why = "the new SS is not a writable data segment of the new CPL";
        if (code || !(type & TYPE_RW) || rpl != cpl || dpl != cpl)
            return VEC_TS;
        *why = "the new SS is not present";
        return (d->access & DESC_P) ? 0 : VEC_SS;
    }
    *why = "a new data segment is not readable or not accessible at the new CPL";
    if (code && !(type & TYPE_RW))
        return VEC_TS;
    if ((!code || !(type & TYPE_CONFORMING)) && (dpl < cpl || dpl < rpl))
        return VEC_TS;
    *why = "a new data segment is not present";
    return (d->access & DESC_P) ? 0 : VEC_NP;
}

/* Reads and checks the descriptor for segment `idx`, into *seg (and the
 * descriptor's address, 0 for a null selector). */
static int seg_prepare(struct ts_ctx *c, int idx, u16 sel, u8 cpl,
                       struct segment *seg, struct seg_desc *d, u64 *gla)
{
    const char *why;
    int r;

    *gla = 0;
    if (!(sel & ~3u)) {
        if (idx == SEG_CS || idx == SEG_SS)
            return sel_fault(c, VEC_TS, sel, "the new CS or SS is a null selector");
        *seg = unusable(sel);
        return 0;
    }
    r = read_desc(c, sel, d, gla);
    if (r == -E_RANGE)
        return sel_fault(c, VEC_TS, sel, "a new segment selector is past its table's limit");
    if (r < 0)
        return r;
    u8 vector = seg_check(idx, sel, d, cpl, &why);
    if (vector)
        return sel_fault(c, vector, sel, why);
    d->access |= TYPE_ACCESSED;
    *seg = desc_to_seg(sel, d);
    return 0;
}

static const u8 seg_order[6] = { SEG_CS, SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS };

static int load_segments(struct ts_ctx *c, const struct tss32 *t)
{
    struct segment seg[6];
    struct seg_desc d[6];
    u64 gla[6];
    u8 cpl = t->seg[SEG_CS] & 3;

    if (t->eflags & RFLAGS_VM) {
        /* Virtual-8086 task: real-mode style segments at CPL 3. */
        for (int i = 0; i < 6; i++) {
            u16 sel = (u16)t->seg[i];
            c->s->seg[i] = (struct segment){ sel, 0xf3, 0xffff, (u64)sel << 4 };
        }
        c->out->dirty |= VS_ES | VS_CS | VS_SS | VS_DS | VS_FS | VS_GS;
        return 0;
    }
    for (int k = 0; k < 6; k++) {
        int i = seg_order[k];
        if (seg_prepare(c, i, (u16)t->seg[i], cpl, &seg[i], &d[i], &gla[i]) < 0)
            return -E_FAULT;
    }
    for (int i = 0; i < 6; i++) {
        if (gla[i] && write_access_byte(c, gla[i], d[i].access) < 0)
            return -E_FAULT;
    }
    for (int i = 0; i < 6; i++)
        c->s->seg[i] = seg[i];
    c->out->dirty |= VS_ES | VS_CS | VS_SS | VS_DS | VS_FS | VS_GS;
    return 0;
}

/* ---- the switch --------------------------------------------------------- */

bool task_switch_saves_next_eip(const struct vcpu_exit *e)
{
    return e->task.source != TASK_GATE || e->task.event == TASK_EV_SOFTWARE;
}

/* The old task's EIP through GS, written over the old TSS's copy so its
 * reserved halves stay as they were. */
static int save_old_task(struct ts_ctx *c, u64 old_base, struct tss32 *old,
                         u32 eip, u32 eflags)
{
    old->eip = eip;
    old->eflags = eflags;
    for (int i = 0; i < 8; i++)
        old->gpr[i] = (u32)c->gpr[i];
    for (int i = 0; i < 6; i++)
        old->seg[i] = (old->seg[i] & 0xffff0000) | c->s->seg[i].sel;
    return mem(c, old_base + TSS32_DYN_START, (u8 *)old + TSS32_DYN_START,
               TSS32_DYN_END - TSS32_DYN_START, true, "the old TSS is not writable");
}

/* Control state of the new task: TR, CR3, EFLAGS, EIP, GPRs, CR0.TS, DR7,
 * interruptibility. */
static void load_task_state(struct ts_ctx *c, const struct tss32 *t,
                            struct segment tr)
{
    struct vcpu_state *s = c->s;
    u8 src = c->e->task.source;

    tr.attr |= DESC_TSS_BUSY_BIT;
    s->seg[SEG_TR] = tr;
    if (s->cr0 & CR0_PG) /* without paging the CPU reads CR3 but keeps it */
        s->cr3 = t->cr3;
    s->rip = t->eip;
    s->rflags = t->eflags | RFLAGS_FIXED;
    if (src == TASK_CALL || src == TASK_GATE)
        s->rflags |= RFLAGS_NT;
    for (int i = 0; i < 8; i++)
        c->gpr[i] = t->gpr[i];
    s->cr0 |= CR0_TS;
    s->dr7 &= ~(u64)DR7_LOCAL_ENABLES;
    s->intr_state &= ~INTR_SHADOW;
    if (src == TASK_IRET)
        s->intr_state &= ~INTR_NMI_BLOCKED; /* IRET ends NMI blocking */
    if (src == TASK_GATE && c->e->task.event == TASK_EV_NMI)
        s->intr_state |= INTR_NMI_BLOCKED;  /* the NMI was delivered */
    c->out->dirty |= VS_TR | VS_CR3 | VS_RIP | VS_RFLAGS | VS_CR0 | VS_DR7 |
                     VS_INTR_STATE;
}

/* An exception's error code goes on the new task's stack (32-bit push). */
static int push_error_code(struct ts_ctx *c)
{
    const struct segment *ss = &c->s->seg[SEG_SS];
    u32 esp = (u32)c->gpr[GPR_RSP], error = c->e->task.error;

    if (ss->attr & ATTR_DB)
        esp -= 4;
    else
        esp = (esp & 0xffff0000) | ((esp - 4) & 0xffff);
    u32 off = (ss->attr & ATTR_DB) ? esp : (esp & 0xffff);
    if (mem(c, ss->base + off, &error, 4, true, "the new stack is not writable") < 0)
        return -E_FAULT;
    c->gpr[GPR_RSP] = esp;
    return 0;
}

/* Steps 5-12 of SDM 7.3, once nothing can refuse the switch any more. */
static void switch_tasks(struct ts_ctx *c, struct tss32 *nt, struct segment ntr,
                         u64 ntr_desc, u8 ntr_access, struct tss32 *old)
{
    struct vcpu_state *s = c->s;
    u8 src = c->e->task.source;
    u16 old_sel = s->seg[SEG_TR].sel;
    u64 old_desc = s->gdtr.base + (old_sel & ~7u);
    u8 old_access;
    u32 eip = (u32)(s->rip + (task_switch_saves_next_eip(c->e) ? c->e->insn_len : 0));
    u32 eflags = (u32)s->rflags;

    c->out->saved_eip = eip;
    if (src == TASK_JMP || src == TASK_IRET) {
        if (mem(c, old_desc + offsetof(struct seg_desc, access), &old_access, 1,
                false, "the old TSS descriptor is not readable") < 0 ||
            write_access_byte(c, old_desc, old_access & ~DESC_TSS_BUSY_BIT) < 0)
            return;
    }
    if (src == TASK_IRET)
        eflags &= ~(u32)RFLAGS_NT;
    if (save_old_task(c, s->seg[SEG_TR].base, old, eip, eflags) < 0)
        return;
    if (src == TASK_CALL || src == TASK_GATE) {
        nt->link = old_sel;
        if (mem(c, ntr.base + offsetof(struct tss32, link), &old_sel, 2, true,
                "the new TSS is not writable") < 0)
            return;
    }
    if (src != TASK_IRET &&
        write_access_byte(c, ntr_desc, ntr_access | DESC_TSS_BUSY_BIT) < 0)
        return;
    c->out->switched = true;
    load_task_state(c, nt, ntr);
    if (load_ldtr(c, nt->ldt) < 0 || load_segments(c, nt) < 0)
        return;
    if (src == TASK_GATE && c->e->task.has_error && push_error_code(c) < 0)
        return;
    if ((u32)s->rip > s->seg[SEG_CS].limit) {
        fault(c, VEC_GP, c->ext, "the new EIP is past the CS limit");
        return;
    }
    c->out->result = TS_DONE;
}

void task_switch_emulate(struct vcpu_state *s, u64 *gpr, const struct ts_mem *m,
                         const struct vcpu_exit *e, struct ts_outcome *out)
{
    struct ts_ctx c = { s, gpr, m, e, out, 0 };
    u16 sel = e->task.tss_sel;
    struct seg_desc nd;
    struct tss32 nt, old;
    u64 nd_gla;

    memset(out, 0, sizeof(*out));
    if (e->task.source == TASK_GATE && e->task.event != TASK_EV_SOFTWARE)
        c.ext = 1;
    if (s->efer & EFER_LMA) {
        refuse(&c, "a task switch in IA-32e mode (the CPU faults first)");
        return;
    }
    if (!(s->cr0 & CR0_PE)) {
        refuse(&c, "a task switch in real mode");
        return;
    }
    if ((s->seg[SEG_TR].attr & 0xf) == DESC_TSS16_BUSY) {
        refuse(&c, "the current TSS is a 16-bit TSS");
        return;
    }
    if (check_new_tss(&c, sel, &nd, &nd_gla) < 0)
        return;
    struct segment ntr = desc_to_seg(sel, &nd);
    memset(&old, 0, sizeof(old));
    if (mem(&c, ntr.base, &nt, sizeof(nt), false, "the new TSS is not readable") < 0 ||
        mem(&c, s->seg[SEG_TR].base + TSS32_DYN_START, (u8 *)&old + TSS32_DYN_START,
            TSS32_DYN_END - TSS32_DYN_START, false, "the old TSS is not readable") < 0)
        return;
    switch_tasks(&c, &nt, ntr, nd_gla, nd.access, &old);
}
