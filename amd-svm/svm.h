/* The SVM backend's private declarations. */
#ifndef VENEER_AMD_SVM_SVM_H
#define VENEER_AMD_SVM_SVM_H

#include <amd-svm/vmcb.h>
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

struct svm_exit_record {
    u32 code;
    u64 info1, info2, rip;
};

/* Per-vcpu state of the backend (v->arch). */
struct svm_vcpu {
    struct vmcb *vmcb;
    u64 vmcb_pa;
    u8 *iopm, *msrpm;
    u64 iopm_pa, msrpm_pa;
    /* Events. */
    u64 reinject;        /* EXITINTINFO of the last exit, to deliver again */
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

/* svm_state.c */
void svm_state_load(struct vcpu *v, u32 mask);
void svm_state_write_back(struct vcpu *v);

/* svm_run.c */
void svm_run(struct vcpu *v, struct vcpu_exit *e);
void svm_skip_instruction(struct vcpu *v, const struct vcpu_exit *e);
void svm_inject_exception(struct vcpu *v, u8 vector, u32 error);
void svm_inject_nmi(struct vcpu *v);
void svm_inject_interrupt(struct vcpu *v, u8 vector);
void svm_dump(struct vcpu *v);
void svm_nmi_hook_init(void);

void svm_vmrun(u64 guest_vmcb_pa, struct guest_regs *regs, u64 host_vmcb_pa);
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
