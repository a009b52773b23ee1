/* The SVM backend's private declarations. */
#ifndef VENEER_AMD_SVM_SVM_H
#define VENEER_AMD_SVM_SVM_H

#include <amd-svm/vmcb.h>
#include <common/decode.h>
#include <common/vcpu.h>
#include <platform/types.h>

struct svm_caps {
    u32 revision;
    u32 nasid;
    bool npt, nrips, vmcb_clean, flush_by_asid, decode_assists;
    bool pause_filter, avic, vgif, gb_pages;
    bool disabled_by_firmware;
};

extern struct svm_caps svm_caps;

#define SVM_EXIT_HISTORY 16

/* Nested SVM (svm_nested.c): the guest (L1) runs its own guest (L2).
 * L1's state lives in vmcb01, L2's in vmcb02; s->vmcb points at the one
 * that runs, so common code and the event logic act on that level. */
struct svm_nested {
    bool svme;            /* L1's EFER.SVME (the real one is always set) */
    bool gif;             /* L1's global interrupt flag */
    bool in_l2;           /* vmcb02 is the running VMCB */
    struct vmcb *vmcb01, *vmcb02;
    u64 vmcb01_pa, vmcb02_pa;
    u8 *iopm02, *msrpm02; /* Veneer's bitmaps merged with L1's */
    u64 iopm02_pa, msrpm02_pa;
    struct vmcb *vmcb12;  /* L1's VMCB as read at VMRUN */
    u64 vmcb12_pa;
    u64 vmruns, reflected;
    /* L1's nested paging for L2 (NP_ENABLE in VMCB12): L2 runs on
     * NPT02, Veneer's shadow of NPT12 composed with its own map, built
     * on demand (svm_nnpt.c) and dropped as a TLB would be. */
    bool np;              /* the running L2 uses NPT02 */
    u64 nnpt_pool;        /* NNPT_PAGES pages; the first is NPT02's root */
    u32 nnpt_used;        /* pages handed out (the root included) */
    u64 nnpt_ncr3;        /* the NPT12 root and ASID NPT02 shadows */
    u32 nnpt_asid;
    u64 nnpt_gen;         /* slat_generation when NPT02 was last emptied */
    u64 nnpt_faults, nnpt_flushes;
    /* L1's V_IRQ request for L2 (VMCB12's V_IRQ with its vector,
     * priority and IGN_TPR; 0: none, or L2 took it), and whether vmcb02's
     * V_IRQ holds it now (the VMM's own window and interrupts use it too) */
    u64 l1_virq;
    bool l1_virq_loaded;
};

struct svm_exit_record {
    u32 code;
    u64 info1, info2, rip;
};

/* The intercepts Veneer always has, for L1 and merged into L2's. VMRUN
 * must be intercepted (APM 15.5.1); the other SVM instructions hide SVM
 * or are emulated (svm_nested.c). CR4 writes are checked as the CPU would
 * (common/cr.c): QEMU's SVM turns a guest CR4 with a reserved bit into
 * VMEXIT_INVALID. */
#define SVM_VENEER_INTERCEPT1                                              \
    (SVM_INTERCEPT_NMI | SVM_INTERCEPT_INIT | SVM_INTERCEPT_CPUID |         \
     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR |       \
     SVM_INTERCEPT_SHUTDOWN)
#define SVM_VENEER_INTERCEPT2                                              \
    (SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |   \
     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |       \
     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_XSETBV)
#define SVM_VENEER_CR_WRITE BIT(4)

/* Per-vcpu state of the backend (v->arch). */
struct svm_vcpu {
    struct vmcb *vmcb;
    u64 vmcb_pa;
    u8 *iopm, *msrpm;
    u64 iopm_pa, msrpm_pa;
    /* Events. */
    u64 reinject;        /* EXITINTINFO of the last exit, to deliver again */
    bool intinfo_nmi;    /* ... an NMI of the VMM's, counted again instead */
    u64 exception;       /* a queued exception (EVENTINJ format), or 0 */
    u32 pending_nmis;    /* NMIs the guest has yet to see */
    bool nmi_in_service; /* we injected an NMI; its IRET not yet seen */
    bool after_iret;     /* that IRET exited but has not run yet */
    u64 iret_rip;
    u16 iret_cs;
    bool nmi_step;       /* single-stepping that IRET (TF, #DB intercepted) */
    u64 step_rflags;     /* the guest's TF and RF before the step */
    u64 step_dr6;        /* the guest's DR6 before the step */
    int pending_irq;     /* vector to deliver through V_IRQ, or -1 */
    bool irq_window;     /* V_IRQ is in use as an exit-soon window */
    struct svm_nested nested;
    /* Diagnostics. */
    struct svm_exit_record history[SVM_EXIT_HISTORY];
    u32 history_next;
    u64 entries;
};

static inline struct svm_vcpu *svm_of(struct vcpu *v)
{
    return v->arch;
}

/* svm_npt.c */
int svm_npt_init(u64 top, u64 hide_base, u64 hide_size);
int svm_npt_protect(u64 gpa, u64 len, bool present);
extern u64 svm_npt_root;

/* svm_npt.c: whether Veneer's own map has gpa present (RAM or an
 * unhooked device window: not the VMM region, not an MMIO hook) */
bool svm_npt_present(u64 gpa);

/* svm_nnpt.c: NPT02, the shadow of L1's nested page tables for L2 */
#define NNPT_PAGES 64
int svm_nnpt_create(struct svm_nested *n);
void svm_nnpt_flush(struct svm_vcpu *s);
int svm_nnpt_map(struct svm_nested *n, u64 l2pa, u64 l1pa, bool write, bool nx);

/* svm_state.c */
void svm_state_load(struct vcpu *v, u32 mask);
void svm_state_write_back(struct vcpu *v);

/* svm_nested.c */
int svm_nested_create(struct svm_vcpu *s);
bool svm_nested_l1_insn(struct vcpu *v, u32 code);
bool svm_nested_l2_exit(struct vcpu *v, u32 code);
bool svm_nested_l2_pending(struct vcpu *v);
void svm_nested_gif_masking(struct svm_vcpu *s);
void svm_nested_keep_l1_intercepts(struct svm_vcpu *s);
bool svm_nested_host_if(const struct svm_vcpu *s);
void svm_nested_virq_entry(struct svm_vcpu *s, bool vmm_uses);
void svm_nested_virq_exit(struct svm_vcpu *s);
void svm_nested_set_tsc_offset(struct svm_vcpu *s, u64 l1_offset);
void svm_nested_reset(struct vcpu *v);
void svm_nested_slat_changed(struct svm_vcpu *s);
int svm_nested_phys(struct vcpu *v, u64 gpa, bool write, u64 *l1pa);

/* svm.c */
bool svm_msrpm_bit(u32 msr, u32 *bit);

/* svm_run.c */
int svm_insn_length(struct vcpu *v, enum insn_kind k);
void svm_run(struct vcpu *v, struct vcpu_exit *e);
void svm_skip_instruction(struct vcpu *v, const struct vcpu_exit *e);
void svm_inject_exception(struct vcpu *v, u8 vector, u32 error);
void svm_inject_nmi(struct vcpu *v);
void svm_inject_interrupt(struct vcpu *v, u8 vector);
void svm_dump(struct vcpu *v);
void svm_nmi_hook_init(void);

void svm_vmrun(u64 guest_vmcb_pa, struct guest_regs *regs, u64 host_vmcb_pa,
               u64 host_if);
/* svm_entry.S: the vcpu op idle (STGI, HLT unless *wake, CLGI). */
void svm_idle(volatile u32 *wake);
extern char svm_idle_check[], svm_idle_hlt[], svm_idle_done[];

/* Setters that keep the VMCB clean bits true. */
static inline void vmcb_dirty(struct vmcb *vmcb, u32 bits)
{
    vmcb->ctl.clean &= ~bits;
}

static inline void vmcb_set_intercept1(struct vmcb *vmcb, u32 bits, bool on)
{
    u32 old = vmcb->ctl.intercept1;

    vmcb->ctl.intercept1 = on ? old | bits : old & ~bits;
    if (vmcb->ctl.intercept1 != old)
        vmcb_dirty(vmcb, VMCB_CLEAN_I);
}

static inline void vmcb_set_intercept2(struct vmcb *vmcb, u32 bits, bool on)
{
    u32 old = vmcb->ctl.intercept2;

    vmcb->ctl.intercept2 = on ? old | bits : old & ~bits;
    if (vmcb->ctl.intercept2 != old)
        vmcb_dirty(vmcb, VMCB_CLEAN_I);
}

static inline void vmcb_set_exception_intercept(struct vmcb *vmcb, u8 vector,
                                                bool on)
{
    u32 old = vmcb->ctl.intercept_exceptions;

    vmcb->ctl.intercept_exceptions = on ? old | BIT(vector) : old & ~BIT(vector);
    if (vmcb->ctl.intercept_exceptions != old)
        vmcb_dirty(vmcb, VMCB_CLEAN_I);
}

static inline void vmcb_set_vintr(struct vmcb *vmcb, u64 value)
{
    if (vmcb->ctl.vintr != value) {
        vmcb->ctl.vintr = value;
        vmcb_dirty(vmcb, VMCB_CLEAN_TPR);
    }
}

#endif
