/* Nested SVM: the guest (L1) runs its own virtual machines (L2) with the
 * SVM instructions, which Veneer emulates (AMD APM vol. 2, 15.5-15.6,
 * 15.17). Only with vmm.nested=1: common code decides (CPUID and the
 * EFER.SVME write, common/cpuid_policy.c and common/msr.c); everything
 * here runs only once L1 has set EFER.SVME.
 *
 * - VMRUN: VMCB12 is read from L1's memory (4 KiB aligned, guest memory
 *   only, else #GP), checked as the CPU checks it (an inconsistent one is
 *   a #VMEXIT with VMEXIT_INVALID for L1, never a VMM fault), and turned
 *   into vmcb02: L2's state from VMCB12, Veneer's fixed intercepts added
 *   to L1's, Veneer's I/O and MSR bitmaps merged with L1's.
 * - No nested paging for L1 (8000_000A EDX shows none): L2 runs on
 *   Veneer's own NPT with L1's paging, L2-physical == L1-physical, so the
 *   VMM region is as absent for L2 as for L1 and an MMIO hook sees the
 *   same addresses from either level.
 * - An L2 exit goes to L1 (#VMEXIT: VMCB12's state and exit fields
 *   written back, L1 resumed after its VMRUN with GIF=0) when L1
 *   intercepts it; otherwise Veneer handles it on L2's state as it would
 *   for L1 (its own ports, MSRs, MMIO hooks, CPUID policy). An exception
 *   Veneer raises in L2 (an access to the VMM region) goes to L1 when L1
 *   intercepts that vector, as the CPU's own would.
 * - STGI/CLGI set L1's GIF: while it is 0 Veneer delivers no NMI or
 *   interrupt to L1, and physical interrupts are held (V_INTR_MASKING
 *   with the host's IF=0). VMLOAD/VMSAVE move the state VMRUN leaves
 *   alone (FS, GS, TR, LDTR, KernelGsBase, the syscall and sysenter
 *   MSRs) between L1's memory and vmcb01. INVLPGA needs nothing: L2's
 *   translations are flushed at every level switch.
 * L1 and L2 share the vcpu's ASID, flushed at every switch. */
#include <amd-svm/svm.h>
#include <common/guest_mem.h>
#include <common/guest_policy.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <string.h>

#define IOPM_SIZE  (3 * 4096)  /* APM 15.10.1 */
#define MSRPM_SIZE (2 * 4096)  /* APM 15.11 */
#define SVM_EXIT_CODE_INVALID (~0ULL)
/* The part of a VMCB the CPU defines (control area and state save area
 * up to the LBR fields): all that VMRUN reads and #VMEXIT writes. */
#define VMCB_USED (0x400 + offsetof(struct vmcb_save, reserved6))
/* A V_IRQ request: the bit, its vector, priority and IGN_TPR. */
#define VIRQ_BITS (SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR |                    \
                   (0xfULL << SVM_VINTR_PRIO_SHIFT) |                      \
                   (0xffULL << SVM_VINTR_VECTOR_SHIFT))

/* The exit fields of a VMCB, as one write to L1's copy. */
struct vmcb_exit_fields {
    u64 exitcode, exitinfo1, exitinfo2, exitintinfo;
} __packed;
_Static_assert(offsetof(struct vmcb_control, exitintinfo) ==
               offsetof(struct vmcb_control, exitcode) + 24, "exit fields");

int svm_nested_create(struct svm_vcpu *s)
{
    struct svm_nested *n = &s->nested;
    u64 v02, v12, io, msr;

    n->gif = true;
    n->vmcb01 = s->vmcb;
    n->vmcb01_pa = s->vmcb_pa;
    if (!nested_svm_exposed())
        return 0; /* EFER.SVME stays refused: nothing here ever runs */
    v02 = alloc_pages(1);
    v12 = alloc_pages(1);
    io = alloc_pages(3);
    msr = alloc_pages(2);
    if (!v02 || !v12 || !io || !msr)
        return -E_NOMEM;
    n->vmcb02 = phys_to_virt(v02);
    n->vmcb02_pa = v02;
    n->vmcb12 = phys_to_virt(v12);
    n->iopm02 = phys_to_virt(io);
    n->iopm02_pa = io;
    n->msrpm02 = phys_to_virt(msr);
    n->msrpm02_pa = msr;
    return svm_nnpt_create(n);
}

/* ---- switching levels --------------------------------------------------- */

/* Makes vmcb02 (l2) or vmcb01 the running VMCB. The caller has written
 * the state back; RAX and RSP, which travel in the VMCB, follow. */
static void switch_level(struct vcpu *v, bool l2)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    struct vmcb *to = l2 ? n->vmcb02 : n->vmcb01;

    s->vmcb->save.rax = v->regs.gpr[GPR_RAX];
    s->vmcb->save.rsp = v->regs.gpr[GPR_RSP];
    s->vmcb = to;
    s->vmcb_pa = l2 ? n->vmcb02_pa : n->vmcb01_pa;
    v->regs.gpr[GPR_RAX] = to->save.rax;
    v->regs.gpr[GPR_RSP] = to->save.rsp;
    n->in_l2 = l2;
    v->state.valid = 0;
    v->state.dirty = 0;
    /* The NMI mask is the CPU's, not a level's (the VMCB has no field for
     * it; QEMU's and Bochs' SVM keep one flag): an NMI the VMM injected
     * at either level is in service until the next IRET at either level,
     * so the IRET intercept that ends it goes with the level switch
     * (vmcb02 is rebuilt at every VMRUN; L2's handler may exit to L1
     * before its IRET). L1's own IRET intercept is put back in vmcb02
     * before the entry (svm_nested_keep_l1_intercepts). */
    vmcb_set_intercept1(to, SVM_INTERCEPT_IRET, s->nmi_in_service);
    /* the interrupt window was set up in the other VMCB */
    s->irq_window = false;
    to->ctl.tlb_control = svm_caps.flush_by_asid ? SVM_TLB_FLUSH_GUEST
                                                 : SVM_TLB_FLUSH_ALL;
}

/* FS, GS, TR, LDTR, KernelGsBase and the syscall/sysenter MSRs: neither
 * VMRUN nor #VMEXIT switches them (APM 15.5.1, 15.6); they stay what the
 * running code last had. */
static void copy_vmload_state(struct vmcb_save *to, const struct vmcb_save *from)
{
    to->fs = from->fs;
    to->gs = from->gs;
    to->tr = from->tr;
    to->ldtr = from->ldtr;
    to->kernel_gs_base = from->kernel_gs_base;
    to->star = from->star;
    to->lstar = from->lstar;
    to->cstar = from->cstar;
    to->sfmask = from->sfmask;
    to->sysenter_cs = from->sysenter_cs;
    to->sysenter_esp = from->sysenter_esp;
    to->sysenter_eip = from->sysenter_eip;
}

/* What VMRUN loads from the VMCB and #VMEXIT saves to it (APM 15.5.1). */
static void copy_vmrun_state(struct vmcb_save *to, const struct vmcb_save *from)
{
    to->es = from->es;
    to->cs = from->cs;
    to->ss = from->ss;
    to->ds = from->ds;
    to->gdtr = from->gdtr;
    to->idtr = from->idtr;
    to->cpl = from->cpl;
    to->efer = from->efer;
    to->cr0 = from->cr0;
    to->cr2 = from->cr2;
    to->cr3 = from->cr3;
    to->cr4 = from->cr4;
    to->dr6 = from->dr6;
    to->dr7 = from->dr7;
    to->rflags = from->rflags;
    to->rip = from->rip;
    to->rsp = from->rsp;
    to->rax = from->rax;
}

/* Writes the exit fields into L1's VMCB12. */
static void write_exit_fields(struct svm_nested *n, u64 code, u64 info1,
                              u64 info2, u64 intinfo)
{
    struct vmcb_exit_fields f = { code, info1, info2, intinfo };

    if (guest_phys_write(n->vmcb12_pa + offsetof(struct vmcb_control, exitcode),
                         &f, sizeof(f)) < 0)
        log_warn_ratelimited("svm", "L1's VMCB at 0x%llx is no longer "
                             "guest memory; #VMEXIT fields not written",
                             (unsigned long long)n->vmcb12_pa);
}

/* #VMEXIT from L2 to L1 (APM 15.6): L2's state and the exit into VMCB12,
 * L1 back where its VMRUN left it (after the instruction), GIF=0. */
static void vmexit(struct vcpu *v, u64 code, u64 info1, u64 info2, u64 intinfo)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    struct vmcb *b02 = n->vmcb02, *b01 = n->vmcb01, *b12 = n->vmcb12;
    const u64 vtpr_virq = SVM_VINTR_TPR_MASK | SVM_VINTR_V_IRQ;

    svm_state_write_back(v);
    b02->save.rax = v->regs.gpr[GPR_RAX];
    b02->save.rsp = v->regs.gpr[GPR_RSP];
    if (s->nmi_step) {
        /* the step over L2's IRET (svm_run.c) is the VMM's: L1 gets L2's
         * own TF, RF and DR6; a waiting NMI goes in at L1's next window */
        b02->save.rflags = (b02->save.rflags & ~(RFLAGS_TF | RFLAGS_RF)) |
                           s->step_rflags;
        b02->save.dr6 = s->step_dr6;
        s->nmi_step = false;
    }
    s->after_iret = false;
    copy_vmrun_state(&b12->save, &b02->save);
    /* V_TPR as L2 left it; V_IRQ set while L1's request is not taken
     * (vmcb02's bit may be the VMM's window) */
    b12->ctl.vintr = (b12->ctl.vintr & ~vtpr_virq) |
                     (b02->ctl.vintr & SVM_VINTR_TPR_MASK) |
                     (n->l1_virq ? SVM_VINTR_V_IRQ : 0);
    b12->ctl.interrupt_shadow = b02->ctl.interrupt_shadow & SVM_INTERRUPT_SHADOW;
    b12->ctl.exitcode = code;
    b12->ctl.exitinfo1 = info1;
    b12->ctl.exitinfo2 = info2;
    b12->ctl.exitintinfo = intinfo;
    b12->ctl.next_rip = 0;    /* NRIPS is not shown to L1 */
    b12->ctl.eventinj = 0;    /* taken, or back in EXITINTINFO */
    if (guest_phys_write(n->vmcb12_pa, b12, VMCB_USED) < 0)
        log_warn_ratelimited("svm", "L1's VMCB at 0x%llx is no longer "
                             "guest memory; #VMEXIT not written",
                             (unsigned long long)n->vmcb12_pa);
    copy_vmload_state(&b01->save, &b02->save);
    b01->save.dr7 = 0x400;    /* APM 15.6: host breakpoints disabled */
    vmcb_dirty(b01, VMCB_CLEAN_DRX | VMCB_CLEAN_SEG);
    n->gif = false;
    n->reflected++;
    switch_level(v, false);
    log_debug("svm", "L2 #VMEXIT 0x%llx (info1 0x%llx info2 0x%llx) to L1",
              (unsigned long long)code, (unsigned long long)info1,
              (unsigned long long)info2);
}

/* VMEXIT_INVALID for a vmcb02 the CPU refused: L2 never ran, so L1 gets
 * the exit fields only, as from the checks at VMRUN. vmcb02's state area
 * is not L2's: a CPU may have stored its own state there at the failed
 * entry (QEMU stores the host's: Veneer's RIP, RSP, CR3, GDT and IDT),
 * and none of it may reach L1's VMCB or vmcb01. */
static void vmexit_invalid(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;

    s->reinject = 0;
    s->after_iret = false;
    s->nmi_step = false;        /* the #DB intercept went with vmcb02 */
    write_exit_fields(n, SVM_EXIT_CODE_INVALID, 0, 0, 0);
    n->gif = false;
    switch_level(v, false);     /* L1's RAX and RSP from vmcb01 */
}

/* ---- which L2 exits L1 asked for ---------------------------------------- */

/* L1's I/O bitmap: an access of `size` bytes at `port` exits if any of
 * its bits is set (APM 15.10.1). Unreadable: as if set. */
static bool l1_iopm_hit(struct svm_nested *n, u64 info1)
{
    u32 port = (u32)(info1 >> 16) & 0xffff;
    u32 size = (info1 >> SVM_IOIO_SIZE_SHIFT) & 1 ? 1
             : (info1 >> SVM_IOIO_SIZE_SHIFT) & 2 ? 2 : 4;
    u64 base = n->vmcb12->ctl.iopm_base_pa & ~0xfffULL;
    u16 bits;

    if (guest_phys_read(base + port / 8, &bits, 2) < 0)
        return true;
    return (bits >> (port % 8)) & ((1u << size) - 1);
}

/* L1's MSR bitmap: an MSR outside its three ranges always exits. */
static bool l1_msrpm_hit(struct vcpu *v, struct svm_nested *n)
{
    u32 msr = (u32)v->regs.gpr[GPR_RCX], bit;
    bool write = n->vmcb02->ctl.exitinfo1 & 1;
    u64 base = n->vmcb12->ctl.msrpm_base_pa & ~0xfffULL;
    u8 byte;

    if (!svm_msrpm_bit(msr, &bit))
        return true;
    bit += write;
    if (guest_phys_read(base + bit / 8, &byte, 1) < 0)
        return true;
    return (byte >> (bit % 8)) & 1;
}

static bool l1_intercepts(struct vcpu *v, u32 code)
{
    struct svm_nested *n = &svm_of(v)->nested;
    const struct vmcb_control *c = &n->vmcb12->ctl;

    if (code < 0x10)
        return c->intercept_cr_read & BIT(code);
    if (code < 0x20)
        return c->intercept_cr_write & BIT(code - 0x10);
    if (code < 0x30)
        return c->intercept_dr_read & BIT(code - 0x20);
    if (code < 0x40)
        return c->intercept_dr_write & BIT(code - 0x30);
    if (code < 0x60)
        return c->intercept_exceptions & BIT(code - 0x40);
    if (code == SVM_EXIT_IOIO)
        return (c->intercept1 & SVM_INTERCEPT_IOIO) &&
               l1_iopm_hit(n, n->vmcb02->ctl.exitinfo1);
    if (code == SVM_EXIT_MSR)
        return (c->intercept1 & SVM_INTERCEPT_MSR) && l1_msrpm_hit(v, n);
    if (code < 0x80)
        return c->intercept1 & BIT(code - 0x60);
    if (code < 0xa0)
        return c->intercept2 & BIT(code - 0x80);
    if (code < 0xc0)
        return c->intercept3 & BIT(code - 0xa0);
    return false; /* nested-page faults and the rest are Veneer's */
}

/* An event interrupted mid-delivery by an exit reflected to L1 is L1's to
 * deliver again (it is in EXITINTINFO), an NMI of the VMM's too: not
 * counted twice. */
static void intinfo_to_l1(struct svm_vcpu *s, u64 intinfo)
{
    if (intinfo & SVM_EVT_VALID) {
        s->reinject = 0;
        if (s->intinfo_nmi && s->pending_nmis)
            s->pending_nmis--;
        s->intinfo_nmi = false;
    }
}

/* ---- L1's nested paging (NPT12) ----------------------------------------- */

static int read_npt12(void *ctx, u64 gpa, u64 *pte, unsigned size)
{
    (void)ctx;
    *pte = 0;
    return guest_phys_read(gpa, pte, size);
}

/* Walks NPT12 for l2pa as the CPU's nested walk does (APM 15.25.5: in
 * L1's paging mode at VMRUN, every access a user access). Returns 0 with
 * *w set, or the #NPF error code bits for L1 (P, RSV) with bit 31 set. */
static u64 walk_npt12(struct vcpu *v, u64 l2pa, bool write, bool exec,
                      struct walk_result *w)
{
    struct svm_nested *n = &svm_of(v)->nested;
    const struct vmcb_save *l1 = &n->vmcb01->save;
    struct paging_ctx pc = {
        .cr0 = l1->cr0 | CR0_PG | CR0_PE,
        .cr3 = n->vmcb12->ctl.n_cr3,
        .cr4 = l1->cr4,
        .efer = l1->efer,
    };
    int r;

    if (l2pa >> 48) /* beyond a 4-level NPT: nothing NPT02 could map */
        return BIT(31);
    r = guest_walk(&pc, l2pa, write, read_npt12, NULL, w);
    if (r == -E_INVAL) {
        log_warn_ratelimited("svm", "L1's nested page tables (nCR3 0x%llx) "
                             "for 0x%llx lead outside its memory: #NPF to L1",
                             (unsigned long long)pc.cr3,
                             (unsigned long long)l2pa);
        return BIT(31);
    }
    if (r < 0)
        return BIT(31) | (w->fault_error & (BIT(0) | BIT(3)));
    if (!w->user || (write && !w->writable) || (exec && w->nx))
        return BIT(31) | BIT(0);
    return 0;
}

/* L2-physical to L1-physical through NPT12 (the VMM's accesses for L2:
 * instruction bytes, page walks, string I/O). -E_FAULT if NPT12 has no
 * such translation. */
int svm_nested_phys(struct vcpu *v, u64 gpa, bool write, u64 *l1pa)
{
    struct svm_nested *n = &svm_of(v)->nested;
    struct walk_result w;

    if (!n->in_l2 || !n->np) {
        *l1pa = gpa;
        return 0;
    }
    if (walk_npt12(v, gpa, write, false, &w))
        return -E_FAULT;
    *l1pa = (w.gpa & ~0xfffULL) | (gpa & 0xfff);
    return 0;
}

/* A nested-page fault of L2 running on NPT02. Returns true when it is
 * done with: NPT02 got the page, or the fault is L1's (NPT12 has no such
 * translation: #NPF to L1, as the CPU would exit). Returns false when
 * Veneer's map is what stops it (the VMM region, an MMIO hook): the exit
 * goes on as Veneer's own #NPF at the L1-physical address. */
static bool l2_npf(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    struct vmcb_control *c = &n->vmcb02->ctl;
    u64 l2pa = c->exitinfo2, hw = c->exitinfo1, err, l1pa;
    bool write = hw & BIT(1), exec = hw & BIT(4);
    struct walk_result w;

    n->nnpt_faults++;
    if ((err = walk_npt12(v, l2pa, write, exec, &w))) {
        /* the CPU's error code: P, RSV from the walk, always U, the
         * access (W, ID) and where (final or table, bits 32-33) */
        err = (err & (BIT(0) | BIT(3))) | BIT(2) |
              (hw & (BIT(1) | BIT(4) | BIT(32) | BIT(33)));
        intinfo_to_l1(s, c->exitintinfo);
        log_debug("svm", "L2 #NPF at 0x%llx is L1's (NPT12): error 0x%llx",
                  (unsigned long long)l2pa, (unsigned long long)err);
        vmexit(v, SVM_EXIT_NPF, err, l2pa, c->exitintinfo);
        return true;
    }
    l1pa = w.gpa & ~0xfffULL;
    if (!svm_npt_present(l1pa)) {
        c->exitinfo2 = l1pa | (l2pa & 0xfff);
        log_debug("svm", "L2 #NPF at 0x%llx: L1-physical 0x%llx is the "
                  "VMM's to handle", (unsigned long long)l2pa,
                  (unsigned long long)c->exitinfo2);
        return false;
    }
    if (__atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE) != n->nnpt_gen)
        svm_nnpt_flush(s);
    bool nx = w.nx && (rdmsr(MSR_EFER) & EFER_NXE);
    if (svm_nnpt_map(n, l2pa, l1pa, w.writable, nx) < 0) {
        svm_nnpt_flush(s);  /* pool used up: start again */
        svm_nnpt_map(n, l2pa, l1pa, w.writable, nx);
    }
    return true;
}

/* Veneer's map changed: NPT02 may hold a page it no longer has. */
void svm_nested_slat_changed(struct svm_vcpu *s)
{
    if (s->nested.np)
        svm_nnpt_flush(s);
}

bool svm_nested_l2_exit(struct vcpu *v, u32 code)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *b = s->nested.vmcb02;
    u64 intinfo = b->ctl.exitintinfo;

    if (code == SVM_EXIT_INVALID) {
        /* vmcb02 was refused by the CPU for something the checks at
         * VMRUN did not catch: L1's VMCB was invalid after all. */
        log_ratelimited(LOG_INFO, "svm", "the CPU refused L2's state from "
                        "L1's VMCB at 0x%llx; VMEXIT_INVALID to L1",
                        (unsigned long long)s->nested.vmcb12_pa);
        vmexit_invalid(v);
        return true;
    }
    if (code == SVM_EXIT_EXCP_BASE + 1 && s->nmi_step)
        return false; /* the VMM's own single step */
    if (code == SVM_EXIT_NPF && s->nested.np)
        return l2_npf(v);
    if (!l1_intercepts(v, code)) {
        if (code != SVM_EXIT_VMMCALL)
            return false;
        /* Veneer's hypercalls are L1's: L2's VMMCALL that L1 lets through
         * is a #UD in L2, as on the CPU */
        svm_inject_exception(v, 6, 0);
        return true;
    }
    intinfo_to_l1(s, intinfo);
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
        vcpu_count_exit(v, EXIT_EXCEPTION);
    vmexit(v, code, b->ctl.exitinfo1, b->ctl.exitinfo2, intinfo);
    return true;
}

/* An NMI or interrupt the VMM holds for the guest while L2 runs is L1's
 * (the machine's): an exit to L1 when L1 intercepts it (delivered once
 * L1 sets GIF again), else it goes to L2, as on the CPU. */
static bool l2_pending_event(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    const struct vmcb_control *c12 = &s->nested.vmcb12->ctl;

    if (s->reinject || s->exception)
        return false; /* that delivery first */
    if (s->pending_nmis && !s->nmi_in_service && (c12->intercept1 & SVM_INTERCEPT_NMI)) {
        vmexit(v, SVM_EXIT_NMI, 0, 0, 0);
        return true;
    }
    if (s->pending_irq >= 0 && (c12->intercept1 & SVM_INTERCEPT_INTR)) {
        vmcb_set_vintr(s->vmcb, s->vmcb->ctl.vintr & ~SVM_VINTR_V_IRQ);
        vmexit(v, SVM_EXIT_INTR, 0, 0, 0);
        return true;
    }
    return false;
}

bool svm_nested_l2_pending(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    u64 evt = s->exception;
    u8 vector = (u8)evt;
    u64 info1, info2, intinfo;

    if (!(evt & SVM_EVT_VALID))
        return l2_pending_event(v);
    if (vector > 31 || !(n->vmcb12->ctl.intercept_exceptions & BIT(vector)))
        return false;
    info1 = (evt & SVM_EVT_ERR_VALID) ? evt >> 32 : 0;
    info2 = vector == 14 ? n->vmcb02->save.cr2 : 0;
    s->exception = 0;
    /* the fault's RF went into the image it would have pushed */
    n->vmcb02->save.rflags &= ~RFLAGS_RF;
    /* An event whose delivery the fault interrupted (L2's stack in the
     * VMM region, say) is L1's, in EXITINTINFO, as the CPU reports an
     * exception intercepted during delivery; never delivered to L1. */
    intinfo = s->reinject ? s->reinject
            : s->intinfo_nmi ? 2 | SVM_EVT_TYPE_NMI | SVM_EVT_VALID : 0;
    intinfo_to_l1(s, intinfo);
    log_debug("svm", "exception %u raised in L2 by the VMM goes to L1 "
              "(EXITINTINFO 0x%llx)", vector, (unsigned long long)intinfo);
    vmexit(v, SVM_EXIT_EXCP_BASE + vector, info1, info2, intinfo);
    return true;
}

/* ---- L1's SVM instructions ---------------------------------------------- */

/* The checks every SVM instruction makes (APM vol. 3: VMRUN, VMLOAD,
 * VMSAVE, STGI, CLGI, INVLPGA): #UD without EFER.SVME or outside
 * protected mode, #GP above CPL 0; for the ones taking a VMCB address in
 * rAX, #GP unless it is 4 KiB aligned guest memory. Sets *len and *pa. */
static bool l1_insn_ok(struct vcpu *v, enum insn_kind k, bool takes_vmcb,
                       int *len, u64 *pa)
{
    struct svm_vcpu *s = svm_of(v);
    struct vcpu_state *st = vcpu_state_get(v, VS_CR0 | VS_RFLAGS | VS_EFER |
                                           VS_CS | VS_SS | VS_RIP);
    u64 a = v->regs.gpr[GPR_RAX];

    if (!s->nested.svme || !(st->cr0 & CR0_PE) || (st->rflags & RFLAGS_VM)) {
        svm_inject_exception(v, 6, 0);
        return false;
    }
    if (s->vmcb->save.cpl) {
        svm_inject_exception(v, 13, 0);
        return false;
    }
    if ((*len = svm_insn_length(v, k)) < 0) {
        log_warn_ratelimited("svm", "the SVM instruction at rip 0x%llx "
                             "changed under its exit; #UD to the guest",
                             (unsigned long long)st->rip);
        svm_inject_exception(v, 6, 0);
        return false;
    }
    if (!takes_vmcb)
        return true;
    if (!((st->efer & EFER_LMA) && (st->seg[SEG_CS].attr & BIT(13))))
        a &= 0xffffffff;
    if ((a & 0xfff) || !guest_mem_ok(a, 4096)) {
        log_debug("svm", "L1's VMCB address 0x%llx is not aligned guest "
                  "memory: #GP", (unsigned long long)a);
        svm_inject_exception(v, 13, 0);
        return false;
    }
    *pa = a;
    return true;
}

static void advance(struct vcpu *v, int len)
{
    struct vcpu_state *st = vcpu_state_get(v, VS_RIP | VS_EFER);

    st->rip += (u64)len;
    if (!(st->efer & EFER_LMA))
        st->rip &= 0xffffffff;
    vcpu_state_set(v, VS_RIP);
    svm_of(v)->vmcb->ctl.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
}

/* The consistency checks of VMRUN (APM 15.5.1); the reason, or NULL. */
static const char *vmcb12_invalid(const struct vmcb *b)
{
    const struct vmcb_save *g = &b->save;
    const struct vmcb_control *c = &b->ctl;
    const u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME |
                        BIT(13) | BIT(14) | BIT(15);
    bool long_pg = (g->efer & EFER_LME) && (g->cr0 & CR0_PG);
    u64 ev = c->eventinj, type = ev & SVM_EVT_TYPE_MASK;
    u8 vec = (u8)ev;

    if (!(g->efer & EFER_SVME))
        return "EFER.SVME is 0";
    if (g->efer & ~efer_ok)
        return "reserved EFER bits set";
    if (!(g->cr0 & CR0_CD) && (g->cr0 & CR0_NW))
        return "CR0.NW=1 with CR0.CD=0";
    if (g->cr0 >> 32)
        return "CR0 bits 63:32 set";
    if (long_pg && (g->cr3 >> cpu_phys_addr_bits()))
        return "CR3 bits above the physical-address width set";
    if (g->cr4 & ~cr4_guest_valid())
        return "reserved CR4 bits set";
    if ((g->dr6 >> 32) || (g->dr7 >> 32))
        return "DR6 or DR7 bits 63:32 set";
    if (long_pg && !(g->cr4 & CR4_PAE))
        return "EFER.LME and CR0.PG without CR4.PAE";
    if (long_pg && !(g->cr0 & CR0_PE))
        return "EFER.LME and CR0.PG without CR0.PE";
    if (long_pg && (g->cs.attr & BIT(9)) && (g->cs.attr & BIT(10)))
        return "CS.L and CS.D both set";
    if (!(c->intercept2 & SVM_INTERCEPT_VMRUN))
        return "the VMRUN intercept is clear";
    if (!c->guest_asid)
        return "ASID 0";
    if ((ev & SVM_EVT_VALID) &&
        (type == (1ULL << 8) || type > SVM_EVT_TYPE_SOFT_INT ||
         (type == SVM_EVT_TYPE_EXCEPTION && (vec > 31 || vec == 2))))
        return "EVENTINJ of a reserved type or vector";
    return NULL;
}

/* Veneer's bitmap with L1's OR'ed in (when L1 uses it): a port or MSR
 * exits if either wants it; l2_exit sorts out whose it is. */
static u64 merge_bitmap(u8 *dst, u64 dst_pa, const u8 *veneer, u64 veneer_pa,
                        u64 l1_pa, size_t size, bool l1_on)
{
    u64 *d = (u64 *)dst;
    const u64 *m = (const u64 *)veneer;

    if (!l1_on)
        return veneer_pa;  /* Veneer's own bitmap as it is */
    /* L1's bitmap outside guest memory: every bit set (intercept all) */
    if (guest_phys_read(l1_pa & ~0xfffULL, dst, size) < 0)
        memset(dst, 0xff, size);
    for (size_t i = 0; i < size / sizeof(u64); i++)
        d[i] |= m[i];
    return dst_pa;
}

static void build_vmcb02(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    struct vmcb *b02 = n->vmcb02, *b01 = n->vmcb01;
    const struct vmcb *b12 = n->vmcb12;
    const struct vmcb_control *c12 = &b12->ctl;
    struct vmcb_control *c = &b02->ctl;
    const u64 vintr_l1 = SVM_VINTR_TPR_MASK | SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR |
                         (0xfULL << SVM_VINTR_PRIO_SHIFT) |
                         (0xffULL << SVM_VINTR_VECTOR_SHIFT);

    memset(b02, 0, VMCB_USED);
    c->intercept_cr_read = c12->intercept_cr_read;
    c->intercept_cr_write = c12->intercept_cr_write | SVM_VENEER_CR_WRITE;
    c->intercept_dr_read = c12->intercept_dr_read;
    c->intercept_dr_write = c12->intercept_dr_write;
    c->intercept_exceptions = c12->intercept_exceptions;
    c->intercept1 = c12->intercept1 | SVM_VENEER_INTERCEPT1;
    c->intercept2 = c12->intercept2 | SVM_VENEER_INTERCEPT2;
    c->intercept3 = c12->intercept3;
    c->iopm_base_pa = merge_bitmap(n->iopm02, n->iopm02_pa, s->iopm, s->iopm_pa,
                                   c12->iopm_base_pa, IOPM_SIZE,
                                   c12->intercept1 & SVM_INTERCEPT_IOIO);
    c->msrpm_base_pa = merge_bitmap(n->msrpm02, n->msrpm02_pa, s->msrpm,
                                    s->msrpm_pa, c12->msrpm_base_pa, MSRPM_SIZE,
                                    c12->intercept1 & SVM_INTERCEPT_MSR);
    c->tsc_offset = b01->ctl.tsc_offset + c12->tsc_offset;
    c->guest_asid = b01->ctl.guest_asid;
    /* V_INTR_MASKING (APM 15.21.1): physical interrupts follow the host's
     * IF, L1's at its VMRUN; Veneer runs vmcb02 with its own IF set to
     * that (svm_nested_host_if), so an interrupt exits to L1 whatever
     * L2's IF, or waits while L1 had IF=0. Only with L1's INTR intercept:
     * else one would reach Veneer itself; then, as before, they follow
     * L2's IF (docs/backends.md). */
    c->vintr = c12->vintr & vintr_l1;
    if ((c12->vintr & SVM_VINTR_MASKING) && (c12->intercept1 & SVM_INTERCEPT_INTR))
        c->vintr |= SVM_VINTR_MASKING;
    c->interrupt_shadow = c12->interrupt_shadow & SVM_INTERRUPT_SHADOW;
    n->l1_virq = (c12->vintr & SVM_VINTR_V_IRQ) ? c12->vintr & VIRQ_BITS : 0;
    n->l1_virq_loaded = n->l1_virq != 0;
    c->np_control = SVM_NP_ENABLE;  /* the VMM region absent, either way */
    c->clean = 0;
    copy_vmrun_state(&b02->save, &b12->save);
    copy_vmload_state(&b02->save, &b01->save);
    n->np = c12->np_control & SVM_NP_ENABLE;
    if (n->np) {
        /* L2 on NPT02 (NPT12 composed with Veneer's map), emptied as
         * the CPU's TLB would be (svm_nnpt.c) */
        if (c12->tlb_control || c12->n_cr3 != n->nnpt_ncr3 ||
            c12->guest_asid != n->nnpt_asid ||
            __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE) != n->nnpt_gen)
            svm_nnpt_flush(s);
        n->nnpt_ncr3 = c12->n_cr3;
        n->nnpt_asid = c12->guest_asid;
        c->n_cr3 = n->nnpt_pool;
        b02->save.g_pat = b12->save.g_pat; /* L2's PAT, from L1 */
    } else {
        /* L2-physical == L1-physical: Veneer's own map */
        c->n_cr3 = svm_npt_root;
        b02->save.g_pat = b01->save.g_pat; /* L1's PAT */
    }
    s->reinject = (c12->eventinj & SVM_EVT_VALID) ? c12->eventinj : 0;
}

static void emulate_vmrun(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    const char *why;
    int len;
    u64 pa;

    if (!l1_insn_ok(v, INSN_VMRUN, true, &len, &pa))
        return;
    if (guest_phys_read(pa, n->vmcb12, VMCB_USED) < 0) {
        svm_inject_exception(v, 13, 0);
        return;
    }
    /* L1 resumes after its VMRUN at the #VMEXIT (APM 15.5: nRIP saved). */
    advance(v, len);
    svm_state_write_back(v);
    n->vmcb12_pa = pa;
    n->vmruns++;
    if ((why = vmcb12_invalid(n->vmcb12))) {
        log_ratelimited(LOG_INFO, "svm", "L1's VMRUN of the VMCB at 0x%llx: "
                        "%s; VMEXIT_INVALID", (unsigned long long)pa, why);
        write_exit_fields(n, SVM_EXIT_CODE_INVALID, 0, 0, 0);
        n->gif = false;
        return;
    }
    build_vmcb02(v);
    n->gif = true;
    switch_level(v, true);
    log_debug("svm", "L1 VMRUN of the VMCB at 0x%llx: L2 at %04x:%llx",
              (unsigned long long)pa, n->vmcb02->save.cs.sel,
              (unsigned long long)n->vmcb02->save.rip);
}

/* VMLOAD / VMSAVE (APM 15.5.2): the state VMRUN leaves alone, between
 * the VMCB at rAX and L1's registers (in vmcb01, which svm_vmrun loads
 * before entry and saves after exit). */
static void emulate_vmload(struct vcpu *v, bool load)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;
    struct vmcb_save *g = &n->vmcb01->save;
    int len;
    u64 pa;

    if (!l1_insn_ok(v, load ? INSN_VMLOAD : INSN_VMSAVE, true, &len, &pa))
        return;
    advance(v, len);
    svm_state_write_back(v);
    if (load) {
        /* vmcb12 is free while L1 runs: a scratch copy of the page */
        if (guest_phys_read(pa, n->vmcb12, VMCB_USED) < 0)
            return; /* checked above; the memory map does not change */
        copy_vmload_state(g, &n->vmcb12->save);
        vmcb_dirty(n->vmcb01, VMCB_CLEAN_SEG);
    } else {
        guest_phys_write(pa + VMCB_SAVE_OFFSET(fs), &g->fs, 2 * sizeof(g->fs));
        guest_phys_write(pa + VMCB_SAVE_OFFSET(ldtr), &g->ldtr, sizeof(g->ldtr));
        guest_phys_write(pa + VMCB_SAVE_OFFSET(tr), &g->tr, sizeof(g->tr));
        guest_phys_write(pa + VMCB_SAVE_OFFSET(star), &g->star,
                         VMCB_SAVE_OFFSET(cr2) - VMCB_SAVE_OFFSET(star));
    }
    v->state.valid = 0;
}

static void emulate_simple(struct vcpu *v, enum insn_kind k)
{
    struct svm_nested *n = &svm_of(v)->nested;
    int len;

    if (!l1_insn_ok(v, k, false, &len, NULL))
        return;
    advance(v, len);
    if (k == INSN_STGI || k == INSN_CLGI) {
        n->gif = k == INSN_STGI;
        log_debug("svm", "L1 %s", n->gif ? "STGI" : "CLGI");
    }
    /* INVLPGA: L2's translations are flushed at every VMRUN already;
     * NPT02's, which last across VMRUNs, go too */
    if (k == INSN_INVLPGA && n->nnpt_used > 1)
        svm_nnpt_flush(svm_of(v));
}

bool svm_nested_l1_insn(struct vcpu *v, u32 code)
{
    if (!svm_of(v)->nested.svme)
        return false; /* common code: #UD, SVM is not on */
    switch (code) {
    case SVM_EXIT_VMRUN: emulate_vmrun(v); break;
    case SVM_EXIT_VMLOAD: emulate_vmload(v, true); break;
    case SVM_EXIT_VMSAVE: emulate_vmload(v, false); break;
    case SVM_EXIT_STGI: emulate_simple(v, INSN_STGI); break;
    case SVM_EXIT_CLGI: emulate_simple(v, INSN_CLGI); break;
    case SVM_EXIT_INVLPGA: emulate_simple(v, INSN_INVLPGA); break;
    default: return false;
    }
    vcpu_count_exit(v, EXIT_VIRT_INSN);
    return true;
}

/* The VMM turns HLT, PAUSE, VINTR, IRET and #DB intercepts on and off
 * for its own windows (svm_run.c); in vmcb02 the ones L1 asked for stay
 * on whatever the windows do. */
void svm_nested_keep_l1_intercepts(struct svm_vcpu *s)
{
    const struct vmcb_control *c12 = &s->nested.vmcb12->ctl;
    struct vmcb *b = s->nested.vmcb02;

    if ((b->ctl.intercept1 & c12->intercept1) != c12->intercept1 ||
        (b->ctl.intercept_exceptions & c12->intercept_exceptions) !=
            c12->intercept_exceptions) {
        b->ctl.intercept1 |= c12->intercept1;
        b->ctl.intercept_exceptions |= c12->intercept_exceptions;
        vmcb_dirty(b, VMCB_CLEAN_I);
    }
}

/* Before an entry into L2: vmcb02's V_IRQ is L1's request (until L2
 * takes it) unless the VMM's own window or interrupt uses it this time
 * (svm_run.c), which would otherwise overwrite or clear L1's. */
void svm_nested_virq_entry(struct svm_vcpu *s, bool vmm_uses)
{
    struct svm_nested *n = &s->nested;
    struct vmcb *b = n->vmcb02;

    n->l1_virq_loaded = !vmm_uses && n->l1_virq;
    if (n->l1_virq_loaded)
        vmcb_set_vintr(b, (b->ctl.vintr & ~VIRQ_BITS) | n->l1_virq);
}

/* After an exit from L2: the CPU clears V_IRQ when L2 takes the virtual
 * interrupt (APM 15.21.4). */
void svm_nested_virq_exit(struct svm_vcpu *s)
{
    struct svm_nested *n = &s->nested;

    if (n->l1_virq_loaded && !(n->vmcb02->ctl.vintr & SVM_VINTR_V_IRQ))
        n->l1_virq = 0;
}

/* The host IF for a VMRUN of vmcb02: L1's IF when L2 runs with
 * V_INTR_MASKING (build_vmcb02 sets it only with L1's INTR intercept, so
 * a physical interrupt is an exit, never taken by Veneer). */
bool svm_nested_host_if(const struct svm_vcpu *s)
{
    const struct svm_nested *n = &s->nested;

    return (n->vmcb02->ctl.vintr & SVM_VINTR_MASKING) &&
           (n->vmcb02->ctl.intercept1 & SVM_INTERCEPT_INTR) &&
           (n->vmcb01->save.rflags & RFLAGS_IF);
}

/* While L1's GIF is 0, physical interrupts wait: V_INTR_MASKING makes
 * them follow the host's IF, which is 0 (APM 15.21.1). */
void svm_nested_gif_masking(struct svm_vcpu *s)
{
    u64 vintr = s->vmcb->ctl.vintr;

    vmcb_set_vintr(s->vmcb, s->nested.gif ? vintr & ~SVM_VINTR_MASKING
                                          : vintr | SVM_VINTR_MASKING);
}

void svm_nested_set_tsc_offset(struct svm_vcpu *s, u64 l1_offset)
{
    struct svm_nested *n = &s->nested;

    n->vmcb01->ctl.tsc_offset = l1_offset;
    vmcb_dirty(n->vmcb01, VMCB_CLEAN_I);
    if (n->in_l2) {
        n->vmcb02->ctl.tsc_offset = l1_offset + n->vmcb12->ctl.tsc_offset;
        vmcb_dirty(n->vmcb02, VMCB_CLEAN_I);
    }
}

/* INIT: back to L1 without an exit, SVM off (EFER is cleared). */
void svm_nested_reset(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct svm_nested *n = &s->nested;

    if (n->in_l2) {
        s->vmcb = n->vmcb01;
        s->vmcb_pa = n->vmcb01_pa;
        n->in_l2 = false;
        v->state.valid = 0;
    }
    n->svme = false;
    n->gif = true;
}
