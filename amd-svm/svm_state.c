/* Moving guest state between struct vcpu_state and the VMCB: loaded
 * lazily, written back only when dirty, with the clean bits kept true. */
#include <amd-svm/svm.h>
#include <platform/cpu.h>
#include <string.h>

/* VMX access-rights layout <-> SVM's packed attribute (APM 15.5.1). */
static u32 attr_from_svm(u16 a, bool present_sel)
{
    u32 ar = (a & 0xff) | ((u32)(a & 0xf00) << 4);

    if (!(a & 0x80) && !present_sel)
        ar |= SEG_ATTR_UNUSABLE;
    return ar;
}

static u16 attr_to_svm(u32 ar)
{
    if (ar & SEG_ATTR_UNUSABLE)
        return 0;
    return (u16)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

static struct vmcb_seg *seg_of(struct vmcb *vmcb, enum seg_index i)
{
    switch (i) {
    case SEG_ES: return &vmcb->save.es;
    case SEG_CS: return &vmcb->save.cs;
    case SEG_SS: return &vmcb->save.ss;
    case SEG_DS: return &vmcb->save.ds;
    case SEG_FS: return &vmcb->save.fs;
    case SEG_GS: return &vmcb->save.gs;
    case SEG_LDTR: return &vmcb->save.ldtr;
    default: return &vmcb->save.tr;
    }
}


void svm_state_load(struct vcpu *v, u32 mask)
{
    struct vmcb *b = svm_of(v)->vmcb;
    struct vcpu_state *s = &v->state;

    mask &= ~s->dirty; /* never overwrite what common code changed */
    /* one step per field asked for (not a test of every field) */
    for (u32 m = mask; m; m &= m - 1) {
        switch (__builtin_ctz(m)) {
        case VS_BIT_RIP: s->rip = b->save.rip; break;
        case VS_BIT_RFLAGS: s->rflags = b->save.rflags; break;
        case VS_BIT_CR0: s->cr0 = b->save.cr0; break;
        case VS_BIT_CR2: s->cr2 = b->save.cr2; break;
        case VS_BIT_CR3: s->cr3 = b->save.cr3; break;
        case VS_BIT_CR4: s->cr4 = b->save.cr4; break;
        case VS_BIT_EFER: {
            /* The real SVME is always 1; L1 sees its own, L2 what L1 gave */
            struct svm_nested *n = &svm_of(v)->nested;
            s->efer = n->in_l2 ? b->save.efer
                    : (b->save.efer & ~EFER_SVME) | (n->svme ? EFER_SVME : 0);
            break;
        }
        case VS_BIT_PAT: s->pat = b->save.g_pat; break;
        case VS_BIT_DR7: s->dr7 = b->save.dr7; break;
        case VS_BIT_CS: case VS_BIT_DS: case VS_BIT_ES: case VS_BIT_FS:
        case VS_BIT_GS: case VS_BIT_SS: case VS_BIT_TR: case VS_BIT_LDTR: {
            int i = seg_of_bit(m);
            struct vmcb_seg *g = seg_of(b, (enum seg_index)i);
            s->seg[i] = (struct segment){ g->sel, attr_from_svm(g->attr, i == SEG_CS),
                                          g->limit, g->base };
            break;
        }
        case VS_BIT_GDTR:
            s->gdtr = (struct dtable){ b->save.gdtr.base, b->save.gdtr.limit };
            break;
        case VS_BIT_IDTR:
            s->idtr = (struct dtable){ b->save.idtr.base, b->save.idtr.limit };
            break;
        case VS_BIT_SYSENTER:
            s->sysenter_cs = b->save.sysenter_cs;
            s->sysenter_esp = b->save.sysenter_esp;
            s->sysenter_eip = b->save.sysenter_eip;
            break;
        case VS_BIT_KERNEL_GS: s->kernel_gs_base = b->save.kernel_gs_base; break;
        case VS_BIT_INTR_STATE:
            s->intr_state = (b->ctl.interrupt_shadow & SVM_INTERRUPT_SHADOW)
                                ? INTR_SHADOW : 0;
            break;
        case VS_BIT_ACTIVITY:
            s->activity = v->wait_for_sipi ? ACT_WAIT_SIPI : ACT_ACTIVE;
            break;
        default:
            break;
        }
    }
    s->valid |= mask;
}

void svm_state_write_back(struct vcpu *v)
{
    struct vmcb *b = svm_of(v)->vmcb;
    struct vcpu_state *s = &v->state;
    u32 d = s->dirty;

    if (!d)
        return;
    if (d == VS_RIP) { /* an instruction skipped: the usual exit */
        b->save.rip = s->rip;
        s->dirty = 0;
        return;
    }
    if (d & VS_RIP) b->save.rip = s->rip;
    if (d & VS_RFLAGS) b->save.rflags = s->rflags | RFLAGS_FIXED;
    if (d & (VS_CR0 | VS_CR3 | VS_CR4 | VS_EFER)) {
        if (d & VS_CR0) b->save.cr0 = s->cr0;
        if (d & VS_CR3) b->save.cr3 = s->cr3;
        if (d & VS_CR4) b->save.cr4 = s->cr4;
        /* The guest VMCB's EFER.SVME must be 1 (APM 15.5.1); L1 sees
         * the SVME it set itself (svm_state_load), which decides whether
         * its SVM instructions are emulated (svm_nested.c). */
        if (d & VS_EFER) {
            struct svm_nested *n = &svm_of(v)->nested;
            if (!n->in_l2) {
                n->svme = s->efer & EFER_SVME;
                if (!n->svme)
                    n->gif = true; /* SVM off: nothing left to hold events */
            }
            b->save.efer = s->efer | EFER_SVME;
        }
        vmcb_dirty(b, VMCB_CLEAN_CRX);
    }
    if (d & VS_CR2) {
        b->save.cr2 = s->cr2;
        vmcb_dirty(b, VMCB_CLEAN_CR2);
    }
    if (d & VS_PAT) {
        b->save.g_pat = s->pat;
        vmcb_dirty(b, VMCB_CLEAN_NP);
    }
    if (d & VS_DR7) {
        b->save.dr7 = s->dr7;
        vmcb_dirty(b, VMCB_CLEAN_DRX);
    }
    for (u32 m = d & VS_SEGMENTS; m; m &= m - 1) {
        int i = seg_of_bit(m);
        struct vmcb_seg *g = seg_of(b, (enum seg_index)i);
        *g = (struct vmcb_seg){ s->seg[i].sel, attr_to_svm(s->seg[i].attr),
                                s->seg[i].limit, s->seg[i].base };
        vmcb_dirty(b, VMCB_CLEAN_SEG);
    }
    if (d & VS_SS) /* CPL is SS.DPL (APM 15.5.1) */
        b->save.cpl = (u8)((s->seg[SEG_SS].attr >> 5) & 3);
    if (d & VS_GDTR) {
        b->save.gdtr.base = s->gdtr.base;
        b->save.gdtr.limit = s->gdtr.limit;
        vmcb_dirty(b, VMCB_CLEAN_DT);
    }
    if (d & VS_IDTR) {
        b->save.idtr.base = s->idtr.base;
        b->save.idtr.limit = s->idtr.limit;
        vmcb_dirty(b, VMCB_CLEAN_DT);
    }
    if (d & VS_SYSENTER) {
        b->save.sysenter_cs = s->sysenter_cs;
        b->save.sysenter_esp = s->sysenter_esp;
        b->save.sysenter_eip = s->sysenter_eip;
    }
    if (d & VS_KERNEL_GS) b->save.kernel_gs_base = s->kernel_gs_base;
    if (d & VS_INTR_STATE) {
        b->ctl.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
        if (s->intr_state & INTR_SHADOW)
            b->ctl.interrupt_shadow |= SVM_INTERRUPT_SHADOW;
    }
    s->dirty = 0;
}
