/* The SVM run loop: event delivery before VMRUN, exit decoding after.
 *
 * GIF discipline (seed 004): the host runs with GIF=0 from the first
 * CLGI on, so no interrupt or NMI is taken between the pending-event check
 * and VMRUN; an NMI that arrives meanwhile is held and VMRUN's GIF=1 makes
 * it exit at once. An intercepted NMI stays pending in the CPU, so after an
 * NMI exit the host opens GIF for one instruction (STGI; CLGI), its NMI
 * handler counts the NMI, and the count becomes guest NMIs.
 *
 * NMI delivery: an injected NMI blocks further NMIs until the guest's
 * IRET; IRET is intercepted while one is in service. The IRET exit comes
 * before the IRET executes, so an NMI that waits is delivered right after
 * it, as on bare hardware, by single-stepping the IRET: RFLAGS.TF set and
 * #DB intercepted; the step's #DB trap exits at the IRET's boundary and
 * the NMI goes in with that entry (with IF=0 no interrupt window would
 * ever open there). Other waits for an NMI use the interrupt window
 * (V_IRQ + VINTR intercept) and HLT/PAUSE intercepts (a guest that waits
 * with interrupts off, seed 004's Windows hang). */
#include <amd-svm/svm.h>
#include <common/decode.h>
#include <common/exit.h>
#include <common/guest_mem.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/percpu.h>
#include <platform/smp.h>
#include <platform/trap.h>
#include <string.h>

extern u64 svm_host_vmcb_pa[MAX_CPUS];
static volatile u32 host_nmis[MAX_CPUS];
static volatile u32 kicked[MAX_CPUS];

/* GIF is 0 in the host except for one instruction after an NMI exit, so
 * every NMI is taken there, guest NMIs and other CPUs' kicks alike. */
static void svm_nmi_hook(struct trap_frame *f)
{
    struct pcpu *c = this_cpu();

    if (nmi_take_kick())
        kicked[c->index] = 1;
    else
        host_nmis[c->index]++;
    /* in svm_idle, before its HLT ran: do not halt (this was the wake-up) */
    if (f->rip >= (u64)svm_idle_check && f->rip <= (u64)svm_idle_hlt)
        f->rip = (u64)svm_idle_done;
}

void svm_nmi_hook_init(void)
{
    nmi_hook = svm_nmi_hook;
}

static void record_exit(struct svm_vcpu *s)
{
    struct vmcb *b = s->vmcb;
    struct svm_exit_record *r = &s->history[s->history_next++ % SVM_EXIT_HISTORY];

    r->code = (u32)b->ctl.exitcode;
    r->info1 = b->ctl.exitinfo1;
    r->info2 = b->ctl.exitinfo2;
    r->rip = b->save.rip;
}

/* ---- events ------------------------------------------------------------ */

void svm_inject_exception(struct vcpu *v, u8 vector, u32 error)
{
    struct svm_vcpu *s = svm_of(v);
    u64 evt = vector | SVM_EVT_TYPE_EXCEPTION | SVM_EVT_VALID;

    if (exception_is_fault(vector)) {
        /* pushed with RF=1, as the CPU pushes a fault's RFLAGS */
        vcpu_state_get(v, VS_RFLAGS)->rflags |= RFLAGS_RF;
        vcpu_state_set(v, VS_RFLAGS);
    }

    if (exception_pushes_error(vector, vcpu_state_get(v, VS_CR0)->cr0))
        evt |= SVM_EVT_ERR_VALID | ((u64)error << 32);
    if (s->exception) {
        /* A second exception before delivery: a contributory pair is a #DF
         * (SDM table 6-5, simplified to "any two faults"); a fault on a #DF
         * is a shutdown, left to the CPU by injecting the #DF again. */
        evt = 8 | SVM_EVT_TYPE_EXCEPTION | SVM_EVT_VALID | SVM_EVT_ERR_VALID;
    }
    s->exception = evt;
}

void svm_inject_nmi(struct vcpu *v)
{
    svm_of(v)->pending_nmis++;
}

void svm_inject_interrupt(struct vcpu *v, u8 vector)
{
    svm_of(v)->pending_irq = vector;
}

/* Asks for an exit as soon as the guest can take an interrupt (and at a
 * HLT or PAUSE), without delivering anything. */
static void request_window(struct svm_vcpu *s, bool on)
{
    struct vmcb *b = s->vmcb;
    u64 vintr = b->ctl.vintr & ~(SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR |
                                 (0xfULL << SVM_VINTR_PRIO_SHIFT) |
                                 (0xffULL << SVM_VINTR_VECTOR_SHIFT));

    if (on)
        vintr |= SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR | (0xfULL << SVM_VINTR_PRIO_SHIFT);
    vmcb_set_vintr(b, vintr);
    vmcb_set_intercept1(b, SVM_INTERCEPT_VINTR | SVM_INTERCEPT_HLT |
                        SVM_INTERCEPT_PAUSE, on);
    s->irq_window = on;
}

/* Single-steps the IRET that ends the guest's NMI handler, so that the
 * next NMI goes in at its boundary (the #DB exit, nmi_step_end). TF at
 * the start of an IRET makes a single-step trap after it whatever flags
 * the IRET loads (SDM 17.3.1.4); RF keeps an instruction breakpoint on the
 * IRET from firing again. Runs after the state write-back, so it edits the
 * VMCB directly, at every entry until the step ends. */
static void nmi_step_arm(struct svm_vcpu *s)
{
    struct vmcb *b = s->vmcb;

    if (!s->nmi_step) {
        s->nmi_step = true;
        s->step_rflags = b->save.rflags & (RFLAGS_TF | RFLAGS_RF);
        s->step_dr6 = b->save.dr6;
        vmcb_set_exception_intercept(b, 1, true);
    }
    b->save.rflags |= RFLAGS_TF | RFLAGS_RF;
}

/* The step's #DB: the IRET has run (RFLAGS are now the ones it loaded,
 * the guest's own). DR6 is put back as the guest had it, unless the guest
 * single-stepped too, in which case it gets its #DB. */
static void nmi_step_end(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;

    s->nmi_step = false;
    s->after_iret = false;
    vmcb_set_exception_intercept(b, 1, false);
    b->save.dr6 = s->step_dr6;
    vmcb_dirty(b, VMCB_CLEAN_DRX);
    if (s->step_rflags & RFLAGS_TF) {
        b->save.dr6 |= BIT(14); /* BS */
        svm_inject_exception(v, 1, 0);
    }
    log_debug("svm", "the IRET of the guest's NMI handler has run; %u NMI%s "
              "waiting", s->pending_nmis, s->pending_nmis == 1 ? "" : "s");
}

/* Chooses what to deliver at this entry: an interrupted delivery first,
 * then a queued exception, then an NMI. A pending interrupt goes through
 * V_IRQ, which the CPU delivers when the guest allows it; when an NMI
 * has to wait, V_IRQ serves as the exit-soon window instead. */
static inline __attribute__((always_inline)) void choose_events(struct vcpu *v, u32 me)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;
    u32 n = host_nmis[me];

    if (n) {
        host_nmis[me] = 0;
        s->pending_nmis += n;
    }
    b->ctl.eventinj = 0;
    if (!(s->reinject | s->exception | s->pending_nmis | s->irq_window) &&
        s->nested.gif && s->pending_irq < 0 && !exit_idle_wanted()) {
        /* Nothing to deliver and no mediator polling at idle (the usual
         * exit): no window is needed, HLT and MWAIT go to the guest. One
         * test for both intercepts (intercept2 follows intercept1). */
        u64 both;
        __builtin_memcpy(&both, &b->ctl.intercept1, sizeof(both));
        if (both & (SVM_INTERCEPT_HLT | (u64)SVM_INTERCEPT_MWAIT << 32)) {
            if (b->ctl.intercept1 & SVM_INTERCEPT_HLT)
                vmcb_set_intercept1(b, SVM_INTERCEPT_HLT, false);
            if (!s->nested.in_l2 && (b->ctl.intercept2 & SVM_INTERCEPT_MWAIT))
                vmcb_set_intercept2(b, SVM_INTERCEPT_MWAIT, false);
        }
        return;
    }
    if (s->reinject) {
        b->ctl.eventinj = s->reinject;
        s->reinject = 0;
    } else if (s->exception) {
        b->ctl.eventinj = s->exception;
        s->exception = 0;
    } else if (s->pending_nmis && !s->nmi_in_service && !s->after_iret &&
               s->nested.gif) {
        b->ctl.eventinj = 2 | SVM_EVT_TYPE_NMI | SVM_EVT_VALID;
        s->pending_nmis--;
        s->nmi_in_service = true;
        vmcb_set_intercept1(b, SVM_INTERCEPT_IRET, true);
    }
    if (!s->nested.gif) {
        /* L1 cleared GIF: NMIs and interrupts wait for its STGI (which
         * exits); physical interrupts are held by V_INTR_MASKING with the
         * host's IF=0 (svm_nested_gif_masking). */
        if (s->irq_window)
            request_window(s, false);
        vmcb_set_vintr(b, b->ctl.vintr & ~SVM_VINTR_V_IRQ);
        vmcb_set_intercept1(b, SVM_INTERCEPT_HLT, false);
        return;
    }
    if (s->pending_nmis && !s->nmi_in_service) {
        if (s->after_iret)
            nmi_step_arm(s);          /* in right after the IRET */
        else if (!s->irq_window)
            request_window(s, true);  /* after an event delivered now */
        return;
    }
    if (s->irq_window)
        request_window(s, false);
    if (s->pending_irq >= 0) {
        u64 vintr = b->ctl.vintr & ~((0xffULL << SVM_VINTR_VECTOR_SHIFT) |
                                     (0xfULL << SVM_VINTR_PRIO_SHIFT));
        vintr |= SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR |
                 (0xfULL << SVM_VINTR_PRIO_SHIFT) |
                 ((u64)s->pending_irq << SVM_VINTR_VECTOR_SHIFT);
        vmcb_set_vintr(b, vintr);
    }
    /* A HLT with an interrupt waiting ends at once (see handle_internal):
     * not every CPU wakes from HLT for V_IRQ (Bochs does not). A device
     * mediator with work in flight polls at HLT (common/exit.h). */
    vmcb_set_intercept1(b, SVM_INTERCEPT_HLT, s->pending_irq >= 0 || exit_idle_wanted());
    if (!s->nested.in_l2)
        vmcb_set_intercept2(b, SVM_INTERCEPT_MWAIT, exit_idle_wanted());
}

/* The events of this entry; in L2, L1's own V_IRQ request goes back into
 * vmcb02 whenever the VMM's window and interrupt leave V_IRQ free. */
static void prepare_events(struct vcpu *v, u32 me)
{
    struct svm_vcpu *s = svm_of(v);

    choose_events(v, me);
    if (s->nested.in_l2 && s->nested.l1_virq)
        svm_nested_virq_entry(s, s->irq_window || s->pending_irq >= 0);
}

/* After an exit: what was being delivered, whether V_IRQ was taken, and
 * whether the IRET that ended an NMI handler has run. */
static void collect_events(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;
    u64 info = b->ctl.exitintinfo;

    s->intinfo_nmi = false;
    if (s->nested.in_l2 && s->nested.l1_virq)
        svm_nested_virq_exit(s);
    if (info & SVM_EVT_VALID) {
        /* Interrupted mid-delivery: deliver it again (APM 15.7.2). An
         * NMI the VMM injected is counted again; one L1 injected into L2
         * (EVENTINJ, not in service for the VMM) is an event like any. */
        if ((info & SVM_EVT_TYPE_MASK) == SVM_EVT_TYPE_NMI &&
            (!s->nested.in_l2 || s->nmi_in_service)) {
            s->nmi_in_service = false; /* not delivered after all */
            s->pending_nmis++;
            s->intinfo_nmi = true;
        } else {
            s->reinject = info;
        }
    }
    if (s->after_iret && (b->save.rip != s->iret_rip ||
                          b->save.cs.sel != s->iret_cs))
        s->after_iret = false;
    if (s->pending_irq >= 0 && !s->irq_window && s->nested.gif &&
        !(b->ctl.vintr & SVM_VINTR_V_IRQ)) {
        log_debug("svm", "V_IRQ vector 0x%x taken by the guest", s->pending_irq);
        s->pending_irq = -1; /* the CPU delivered it */
    }
}

/* ---- exits the backend handles itself ---------------------------------- */

/* Whether `code` is an exit only common code handles (never one of
 * handle_internal's or an SVM instruction nested SVM emulates): decoded at
 * once outside L2. An allow-list, not handle_internal's own list: an exit
 * the loop learns to take later stays on the slow path until it is known
 * not to be one. */
static inline bool svm_common_code(u32 code)
{
    const u64 low = BIT(SVM_EXIT_INIT - 0x40) | BIT(SVM_EXIT_CPUID - 0x40) |
                    BIT(SVM_EXIT_IOIO - 0x40) | BIT(SVM_EXIT_MSR - 0x40) |
                    BIT(SVM_EXIT_TASK_SWITCH - 0x40) | BIT(SVM_EXIT_SHUTDOWN - 0x40);

    if (code - 0x40 < 64)
        return low & BIT(code - 0x40);
    return code == SVM_EXIT_NPF || code == SVM_EXIT_VMMCALL ||
           code == SVM_EXIT_XSETBV || code == SVM_EXIT_CR4_WRITE;
}

/* Whether handle_internal may take `code` (a call saved on the others). */
static inline bool svm_internal_code(u32 code)
{
    const u64 mine = BIT(SVM_EXIT_EXCP_BASE + 1 - 0x40) | BIT(SVM_EXIT_INTR - 0x40) |
                     BIT(SVM_EXIT_NMI - 0x40) | BIT(SVM_EXIT_VINTR - 0x40) |
                     BIT(SVM_EXIT_IRET - 0x40) | BIT(SVM_EXIT_PAUSE - 0x40) |
                     BIT(SVM_EXIT_HLT - 0x40);

    return (code >= 0x40 && code < 0x80 && (mine & BIT(code - 0x40))) ||
           code == SVM_EXIT_MWAIT;
}

static bool handle_internal(struct vcpu *v, u32 code)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;

    switch (code) {
    case SVM_EXIT_NMI:
        vcpu_count_exit(v, EXIT_NMI);
        /* The NMI is still pending in the CPU: let the host take it. */
        __asm__ volatile("stgi; nop; clgi" ::: "memory");
        log_debug("svm", "NMI exit %llu; %u for the guest, %s",
                  (unsigned long long)v->exit_counts[EXIT_NMI],
                  s->pending_nmis + host_nmis[this_cpu()->index],
                  s->nmi_in_service ? "one in service" : "none in service");
        return true;
    case SVM_EXIT_INTR:
        vcpu_count_exit(v, EXIT_INTR);
        return true;
    case SVM_EXIT_IRET:
        vcpu_count_exit(v, EXIT_IRET);
        log_debug("svm", "IRET of the guest's NMI handler; %u NMI%s waiting",
                  s->pending_nmis, s->pending_nmis == 1 ? "" : "s");
        /* The guest's NMI handler is returning; the IRET has not run yet.
         * Keep interrupts from slipping in at it, and if more NMIs wait,
         * ask for the next possible exit after it. */
        vmcb_set_intercept1(b, SVM_INTERCEPT_IRET, false);
        s->nmi_in_service = false;
        s->after_iret = true;
        s->iret_rip = b->save.rip;
        s->iret_cs = b->save.cs.sel;
        b->ctl.interrupt_shadow |= SVM_INTERRUPT_SHADOW;
        return true;
    case SVM_EXIT_HLT:
        if (s->pending_irq < 0 && exit_idle_wanted())
            return false; /* common code's: the device polls (on_hlt) */
        vcpu_count_exit(v, EXIT_HLT);
        if (s->pending_irq >= 0 && (b->save.rflags & RFLAGS_IF) && !s->reinject) {
            /* The interrupt waiting for delivery ends the HLT, as it
             * would on hardware: step over it and deliver it with the
             * entry itself (V_IRQ may be taken an instruction late, after
             * a CLI: Bochs). */
            struct vcpu_exit hlt = { .kind = EXIT_HLT };
            svm_skip_instruction(v, &hlt);
            s->reinject = (u32)s->pending_irq | SVM_EVT_TYPE_INTR | SVM_EVT_VALID;
            log_debug("svm", "vector 0x%x ends a HLT", s->pending_irq);
            s->pending_irq = -1;
            vmcb_set_vintr(b, b->ctl.vintr & ~SVM_VINTR_V_IRQ);
        }
        if (s->irq_window)
            request_window(s, false);
        return true;
    case SVM_EXIT_MWAIT: {
        /* Intercepted only while a device mediator polls at idle
         * (common/exit.h): the poll, then the MWAIT ends at once, as it
         * may on hardware (a guest's idle loop checks and waits again). */
        vcpu_count_exit(v, EXIT_HLT);
        exit_idle_wait();
        struct vcpu_state *st = vcpu_state_get(v, VS_RIP);
        /* MWAIT is 0f 01 c9 */
        st->rip = svm_caps.nrips && b->ctl.next_rip ? b->ctl.next_rip : st->rip + 3;
        vcpu_state_set(v, VS_RIP);
        b->ctl.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW; /* an STI's ends */
        return true;
    }
    case SVM_EXIT_EXCP_BASE + 1:
        if (!s->nmi_step)
            return false; /* not ours: common code gives it back */
        vcpu_count_exit(v, EXIT_IRET);
        nmi_step_end(v);
        return true;
    case SVM_EXIT_VINTR:
    case SVM_EXIT_PAUSE:
        /* Only intercepted as windows: nothing to skip; PAUSE runs again
         * after whatever is delivered now. */
        vcpu_count_exit(v, code == SVM_EXIT_VINTR ? EXIT_WINDOW : EXIT_PAUSE);
        request_window(s, false);
        return true;
    default:
        return false;
    }
}

/* ---- decoding ---------------------------------------------------------- */

static const char *virt_insn_name(u32 code)
{
    switch (code) {
    case SVM_EXIT_VMRUN: return "VMRUN";
    case SVM_EXIT_VMLOAD: return "VMLOAD";
    case SVM_EXIT_VMSAVE: return "VMSAVE";
    case SVM_EXIT_STGI: return "STGI";
    case SVM_EXIT_CLGI: return "CLGI";
    case SVM_EXIT_SKINIT: return "SKINIT";
    case SVM_EXIT_INVLPGA: return "INVLPGA";
    default: return NULL;
    }
}

static void decode_io(struct vcpu_exit *e, u64 info1, u64 info2)
{
    e->kind = EXIT_IO;
    e->io.port = (u16)(info1 >> 16);
    e->io.in = info1 & SVM_IOIO_IN;
    e->io.string = info1 & SVM_IOIO_STR;
    e->io.rep = info1 & SVM_IOIO_REP;
    e->io.size = (info1 >> SVM_IOIO_SIZE_SHIFT) & 1 ? 1
               : (info1 >> SVM_IOIO_SIZE_SHIFT) & 2 ? 2 : 4;
    e->io.addr_size = (info1 >> SVM_IOIO_ASIZE_SHIFT) & 1 ? 2
                    : (info1 >> SVM_IOIO_ASIZE_SHIFT) & 2 ? 4 : 8;
    e->io.seg = (info1 >> SVM_IOIO_SEG_SHIFT) & 7;
    e->io.next_rip = info2;
}

/* A task switch (APM 15.14.1: EXITINFO1 the TSS selector; EXITINFO2 bit 36
 * IRET, 38 JMP, 44 error code valid, 31:0 the error code; a gate's event
 * in EXITINTINFO, consumed by the switch). Not intercepted today (the CPU
 * switches tasks itself), but decoded for common/task_switch.c. INT3 and
 * INTO are exceptions here: told apart by vector (seed 004). */
static void decode_task_switch(struct vcpu *v, struct vcpu_exit *e)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;
    u64 info2 = b->ctl.exitinfo2, evt = b->ctl.exitintinfo;
    u64 type = evt & SVM_EVT_TYPE_MASK;
    u8 vector = (u8)evt;

    e->kind = EXIT_TASK_SWITCH;
    e->task.tss_sel = (u16)b->ctl.exitinfo1;
    if (svm_caps.nrips && b->ctl.next_rip > b->save.rip)
        e->insn_len = (u8)(b->ctl.next_rip - b->save.rip);
    e->task.source = (info2 & BIT(36)) ? TASK_IRET : (info2 & BIT(38)) ? TASK_JMP
                   : (evt & SVM_EVT_VALID) ? TASK_GATE : TASK_CALL;
    if (e->task.source != TASK_GATE)
        return;
    e->task.vector = vector;
    e->task.has_error = info2 & BIT(44);
    e->task.error = (u32)info2;
    if (type == SVM_EVT_TYPE_NMI) {
        e->task.event = TASK_EV_NMI;
        s->pending_nmis--;          /* collect_events counted it again */
        s->nmi_in_service = true;
    } else {
        e->task.event = type == SVM_EVT_TYPE_INTR ? TASK_EV_EXTINT
                      : type == SVM_EVT_TYPE_SOFT_INT ||
                        (type == SVM_EVT_TYPE_EXCEPTION && (vector == 3 || vector == 4))
                          ? TASK_EV_SOFTWARE : TASK_EV_EXCEPTION;
        s->reinject = 0;
    }
}

/* Reads the instruction at CS:RIP (up to 15 bytes, fewer at the end of a
 * readable page); *lm: 64-bit code. Returns the byte count or < 0. */
static int fetch_insn(struct vcpu *v, u8 bytes[15], bool *lm)
{
    struct vcpu_state *st = vcpu_state_get(v, VS_RIP | VS_CS | VS_EFER);
    u64 at = st->seg[SEG_CS].base + st->rip;
    size_t n = 15;

    *lm = (st->efer & EFER_LMA) && (st->seg[SEG_CS].attr & BIT(13));
    if (!*lm)
        at &= 0xffffffff;
    if (guest_linear_read(v, at, bytes, n) < 0) {
        n = 4096 - (at & 4095); /* the rest of the page, then */
        if (n > 15 || guest_linear_read(v, at, bytes, n) < 0)
            return -E_FAULT;
    }
    return (int)n;
}

/* A MOV to CR4 (the only CR write intercepted): the GPR from the decode
 * assists, else from the instruction bytes. Bytes that are no longer a
 * MOV to CR (another CPU rewrote them) make no exit for common code: the
 * guest runs the instruction again, whatever it now is. */
static void decode_cr_write(struct vcpu *v, struct vcpu_exit *e, u8 cr)
{
    struct vmcb *b = svm_of(v)->vmcb;
    u8 bytes[15], dcr, gpr;
    bool lm;
    int n, len;

    e->kind = EXIT_CR_ACCESS;
    e->cr.cr = cr;
    e->cr.op = CR_MOV_TO;
    if (svm_caps.decode_assists && (b->ctl.exitinfo1 & SVM_CR_INFO_MOV)) {
        e->cr.gpr = b->ctl.exitinfo1 & 15;
        return;
    }
    if ((n = fetch_insn(v, bytes, &lm)) < 0 ||
        (len = insn_decode_mov_to_cr(bytes, (size_t)n, lm, &dcr, &gpr)) < 0 ||
        dcr != cr) {
        log_debug("svm", "CR%u write exit at rip %llx: not a MOV to CR%u now; "
                  "the guest runs it again", cr,
                  (unsigned long long)b->save.rip, cr);
        e->kind = EXIT_NONE;
        return;
    }
    e->cr.gpr = gpr;
    e->insn_len = (u8)len;
}

/* code: the exit code (QEMU: VMEXIT_INVALID as 0xffffffff). */
static void decode(struct vcpu *v, struct vcpu_exit *e, u32 code)
{
    struct vmcb *b = svm_of(v)->vmcb;
    u64 *g = v->regs.gpr;
    const char *vi;

    if (code == SVM_EXIT_CPUID) { /* the hot one: its payload, no zeroing */
        e->kind = EXIT_CPUID;
        e->raw_code = code;
        e->insn_len = 0;
        e->cpuid.leaf = (u32)g[GPR_RAX];
        e->cpuid.subleaf = (u32)g[GPR_RCX];
        return;
    }
    *e = (struct vcpu_exit){ .raw_code = code };
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
        e->kind = EXIT_EXCEPTION;
        e->exception.vector = (u8)(code - SVM_EXIT_EXCP_BASE);
        e->exception.error = (u32)b->ctl.exitinfo1;
        e->exception.has_error = exception_pushes_error(e->exception.vector, b->save.cr0);
        e->exception.cr2 = b->ctl.exitinfo2;
        return;
    }
    if ((vi = virt_insn_name(code))) {
        e->kind = EXIT_VIRT_INSN;
        e->virt_insn.name = vi;
        return;
    }
    switch (code) {
    case SVM_EXIT_CPUID:
        e->kind = EXIT_CPUID;
        e->cpuid.leaf = (u32)g[GPR_RAX];
        e->cpuid.subleaf = (u32)g[GPR_RCX];
        break;
    case SVM_EXIT_MSR:
        e->kind = b->ctl.exitinfo1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        e->msr.index = (u32)g[GPR_RCX];
        e->msr.value = (g[GPR_RDX] << 32) | (u32)g[GPR_RAX];
        break;
    case SVM_EXIT_IOIO:
        decode_io(e, b->ctl.exitinfo1, b->ctl.exitinfo2);
        break;
    case SVM_EXIT_VMMCALL:
        e->kind = EXIT_HYPERCALL;
        break;
    case SVM_EXIT_XSETBV:
        e->kind = EXIT_XSETBV;
        break;
    case SVM_EXIT_HLT:
        e->kind = EXIT_HLT;
        break;
    case SVM_EXIT_SHUTDOWN:
        e->kind = EXIT_TRIPLE_FAULT;
        break;
    case SVM_EXIT_INIT:
        e->kind = EXIT_INIT;
        break;
    case SVM_EXIT_NPF:
        e->kind = EXIT_NPF;
        e->npf.gpa = b->ctl.exitinfo2;
        e->npf.present = b->ctl.exitinfo1 & 1;
        e->npf.write = b->ctl.exitinfo1 & 2;
        e->npf.exec = b->ctl.exitinfo1 & BIT(4);
        e->npf.read = !e->npf.write && !e->npf.exec;
        break;
    case SVM_EXIT_INVALID:
        e->kind = EXIT_ENTRY_FAILED;
        break;
    case SVM_EXIT_TASK_SWITCH:
        decode_task_switch(v, e);
        break;
    case SVM_EXIT_CR4_WRITE:
        decode_cr_write(v, e, 4);
        break;
    default:
        e->kind = EXIT_UNKNOWN;
        break;
    }
}

/* ---- the loop ---------------------------------------------------------- */

void svm_run(struct vcpu *v, struct vcpu_exit *e)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b;
    u32 me = this_cpu()->index;
    u64 host_pa = svm_host_vmcb_pa[me];

    for (;;) {
        b = s->vmcb; /* vmcb01 or vmcb02: nested SVM switches them */
        if (vmm_stopping)
            cpu_halt_forever(); /* another CPU panicked */
        u64 gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
        if (v->slat_gen != gen) {
            /* the shared nested map changed (common/smp.c: slat_changed) */
            v->slat_gen = gen;
            b->ctl.tlb_control = svm_caps.flush_by_asid ? SVM_TLB_FLUSH_GUEST
                                                        : SVM_TLB_FLUSH_ALL;
            svm_nested_slat_changed(s);
        }
        if (v->state.dirty == VS_RIP) {  /* an instruction skipped */
            b->save.rip = v->state.rip;
            v->state.dirty = 0;
        } else if (v->state.dirty) {
            svm_state_write_back(v);
        }
        /* An exception the VMM raised in L2 that L1 intercepts is a
         * #VMEXIT to L1 instead (an L2 access to the VMM region, say); so
         * is an NMI or interrupt for the guest when L1 intercepts those. */
        if (s->nested.in_l2 && svm_nested_l2_pending(v))
            b = s->vmcb;
        /* (V_INTR_MASKING follows L1's GIF: only a change calls; the
         * usual GIF set and masking clear costs two tests) */
        if ((!s->nested.gif || (b->ctl.vintr & SVM_VINTR_MASKING)) &&
            !s->nested.in_l2 &&
            !s->nested.gif != !!(b->ctl.vintr & SVM_VINTR_MASKING))
            svm_nested_gif_masking(s);
        /* APM 15.5.1: VMRUN fails unless the guest EFER.SVME is 1. An
         * SMI taken inside the guest and its RSM reload EFER from the SMM
         * save area and can leave SVME clear: seen with SeaBIOS, whose
         * AHCI code switches modes through SMM, under QEMU, which stored
         * EFER 0 into the VMCB at the next #VMEXIT (VMEXIT_INVALID on the
         * VMRUN after the first MMIO hook fault). */
        if (!(b->save.efer & EFER_SVME)) {
            b->save.efer |= EFER_SVME;
            vmcb_dirty(b, VMCB_CLEAN_CRX);
        }
        prepare_events(v, me);
        if (s->nested.in_l2)
            svm_nested_keep_l1_intercepts(s);
        b->save.rax = v->regs.gpr[GPR_RAX];
        b->save.rsp = v->regs.gpr[GPR_RSP];
        svm_vmrun(s->vmcb_pa, &v->regs, host_pa,
                  s->nested.in_l2 && svm_nested_host_if(s));
        s->entries++;
        v->regs.gpr[GPR_RAX] = b->save.rax;
        v->regs.gpr[GPR_RSP] = b->save.rsp;
        /* RIP and RFLAGS: for the usual skip of the exiting instruction */
        v->state.rip = b->save.rip;
        v->state.rflags = b->save.rflags;
        v->state.valid = VS_RIP | VS_RFLAGS;
        b->ctl.tlb_control = SVM_TLB_FLUSH_NOTHING;
        if (svm_caps.vmcb_clean)
            b->ctl.clean = VMCB_CLEAN_ALL;
        record_exit(s);
        collect_events(v);
        u32 code = (u32)b->ctl.exitcode;
        /* Outside L2 and with L1's SVM off, an exit only common code
         * takes (most of them) goes there at once. */
        if (s->nested.in_l2 || s->nested.svme || !svm_common_code(code)) {
            bool done = false;
            /* A physical NMI or interrupt, or the IRET that ends an NMI
             * the VMM injected: the VMM's part first (the NMI is counted
             * for the guest, the NMI mask dropped), then L2's exit may go
             * to L1 too. */
            if (code == SVM_EXIT_NMI || code == SVM_EXIT_INTR ||
                (code == SVM_EXIT_IRET && s->nmi_in_service))
                done = handle_internal(v, code);
            /* Nested SVM: an L2 exit L1 intercepts is reflected to it; an
             * SVM instruction of L1 is emulated. Both continue in L1. */
            if (s->nested.in_l2) {
                if (!(code == SVM_EXIT_NMI && kicked[me]))
                    done = svm_nested_l2_exit(v, code) || done; /* not a kick */
            } else if (!done && s->nested.svme) {
                done = svm_nested_l1_insn(v, code); /* L1 has SVM on */
            }
            if (done || (svm_internal_code(code) && handle_internal(v, code))) {
                if (!kicked[me])
                    continue;
                /* another CPU wants this one out of the guest */
                kicked[me] = 0;
                *e = (struct vcpu_exit){ .kind = EXIT_NONE };
                return;
            }
        }
        decode(v, e, code);
        return;
    }
}

/* ---- stepping over an instruction -------------------------------------- */

static int kind_insn(const struct vcpu_exit *e, enum insn_kind *k)
{
    switch (e->kind) {
    case EXIT_CPUID: *k = INSN_CPUID; return 0;
    case EXIT_MSR_READ: *k = INSN_RDMSR; return 0;
    case EXIT_MSR_WRITE: *k = INSN_WRMSR; return 0;
    case EXIT_HYPERCALL: *k = INSN_VMMCALL; return 0;
    case EXIT_XSETBV: *k = INSN_XSETBV; return 0;
    case EXIT_HLT: *k = INSN_HLT; return 0;
    default: return -E_INVAL;
    }
}

/* Without NRIPS: decode the instruction at CS:RIP. */
static int decoded_length(struct vcpu *v, const struct vcpu_exit *e)
{
    enum insn_kind k;
    u8 bytes[15];
    bool lm;
    int n;

    if (e->insn_len)
        return e->insn_len; /* decoded with the exit */
    if (kind_insn(e, &k) < 0)
        return -E_INVAL;
    if ((n = fetch_insn(v, bytes, &lm)) < 0)
        return n;
    return insn_length(k, bytes, (size_t)n, lm);
}

int svm_insn_length(struct vcpu *v, enum insn_kind k)
{
    struct vmcb *b = svm_of(v)->vmcb;
    u8 bytes[15];
    bool lm;
    int n;

    if (svm_caps.nrips && b->ctl.next_rip > b->save.rip &&
        b->ctl.next_rip - b->save.rip <= 15)
        return (int)(b->ctl.next_rip - b->save.rip);
    if ((n = fetch_insn(v, bytes, &lm)) < 0)
        return n;
    return insn_length(k, bytes, (size_t)n, lm);
}

/* The next RIP without NRIPS: decoded (false: the guest gets a #UD). */
static __attribute__((noinline)) bool decoded_next_rip(struct vcpu *v,
                                                       const struct vcpu_exit *e,
                                                       u64 *next)
{
    struct vcpu_state *st = &v->state;
    int len = decoded_length(v, e);

    if (len < 0) {
        /* The bytes changed under the exit (another CPU rewrote them, or
         * unmapped the page): the guest's doing, not the VMM's. The guest
         * gets a #UD at the instruction. */
        log_warn_ratelimited("svm", "cannot find the length of the %s "
                             "instruction at rip 0x%llx (error %d): the "
                             "guest changed it; #UD to the guest",
                             vcpu_exit_kind_name(e->kind),
                             (unsigned long long)st->rip, len);
        svm_inject_exception(v, 6, 0);
        return false;
    }
    *next = st->rip + (u64)len;
    if (!(vcpu_state_get(v, VS_EFER)->efer & EFER_LMA))
        *next &= 0xffffffff;
    return true;
}

/* Every case but the usual one: IOIO's next RIP, no NRIPS, RIP or
 * RFLAGS not loaded (an exit that did not come from svm_run's). */
static __attribute__((noinline)) void skip_slow(struct vcpu *v,
                                                const struct vcpu_exit *e)
{
    struct svm_vcpu *s = svm_of(v);
    struct vcpu_state *st = vcpu_state_get(v, VS_RIP | VS_RFLAGS);
    u64 next;

    if (e->kind == EXIT_IO && e->io.next_rip)
        next = e->io.next_rip;   /* IOIO always gives it (EXITINFO2) */
    else if (svm_caps.nrips && s->vmcb->ctl.next_rip)
        next = s->vmcb->ctl.next_rip;
    else if (!decoded_next_rip(v, e, &next))
        return;
    st->rip = next;
    vcpu_state_set(v, VS_RIP);
    s->vmcb->ctl.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
    if (st->rflags & RFLAGS_TF)
        svm_inject_exception(v, 1, 0); /* the single step the CPU would take */
}

/* The usual case (NRIPS, RIP and RFLAGS valid since the exit, not IOIO)
 * without a stack frame; the rest in skip_slow. */
void svm_skip_instruction(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vmcb *b = svm_of(v)->vmcb;
    u64 next = b->ctl.next_rip;

    if (!svm_caps.nrips || !next || e->kind == EXIT_IO ||
        (v->state.valid & (VS_RIP | VS_RFLAGS)) != (VS_RIP | VS_RFLAGS)) {
        skip_slow(v, e);
        return;
    }
    v->state.rip = next;
    vcpu_state_set(v, VS_RIP);
    b->ctl.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
    if (v->state.rflags & RFLAGS_TF)
        svm_inject_exception(v, 1, 0); /* the single step the CPU would take */
}

void svm_dump(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->vmcb;

    console_printf("svm: vcpu %u after %llu entries: exitcode 0x%llx info1 0x%llx "
                   "info2 0x%llx intinfo 0x%llx\n", v->index,
                   (unsigned long long)s->entries,
                   (unsigned long long)b->ctl.exitcode,
                   (unsigned long long)b->ctl.exitinfo1,
                   (unsigned long long)b->ctl.exitinfo2,
                   (unsigned long long)b->ctl.exitintinfo);
    console_printf("svm: guest cs %04x:%016llx rsp %016llx rflags %llx cr0 %llx "
                   "cr3 %llx cr4 %llx efer %llx\n", b->save.cs.sel,
                   (unsigned long long)b->save.rip, (unsigned long long)b->save.rsp,
                   (unsigned long long)b->save.rflags, (unsigned long long)b->save.cr0,
                   (unsigned long long)b->save.cr3, (unsigned long long)b->save.cr4,
                   (unsigned long long)b->save.efer);
    console_printf("svm: events: eventinj %llx reinject %llx exception %llx "
                   "nmis pending %u in-service %d step %d irq %d window %d "
                   "vintr %llx\n",
                   (unsigned long long)b->ctl.eventinj,
                   (unsigned long long)s->reinject,
                   (unsigned long long)s->exception, s->pending_nmis,
                   s->nmi_in_service, s->nmi_step, s->pending_irq, s->irq_window,
                   (unsigned long long)b->ctl.vintr);
    if (s->nested.svme)
        console_printf("svm: nested: %s, L1 GIF %d, VMCB12 %llx, %llu VMRUNs, "
                       "%llu exits reflected\n", s->nested.in_l2 ? "in L2" : "in L1",
                       s->nested.gif, (unsigned long long)s->nested.vmcb12_pa,
                       (unsigned long long)s->nested.vmruns,
                       (unsigned long long)s->nested.reflected);
    console_printf("svm: last exits (oldest first):\n");
    for (u32 i = 0; i < SVM_EXIT_HISTORY; i++) {
        struct svm_exit_record *r =
            &s->history[(s->history_next + i) % SVM_EXIT_HISTORY];
        if (!r->code && !r->rip)
            continue;
        console_printf("svm:   code 0x%03x rip %016llx info1 %llx info2 %llx\n",
                       r->code, (unsigned long long)r->rip,
                       (unsigned long long)r->info1, (unsigned long long)r->info2);
    }
}
