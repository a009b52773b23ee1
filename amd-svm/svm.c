/* The SVM backend's operations (common/vcpu.h). */
#include <amd-svm/svm.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/percpu.h>
#include <string.h>

u64 svm_host_vmcb_pa[MAX_CPUS];
static u64 hsave_pa[MAX_CPUS];

/* Also after an S3 wake (common/sleep.c), which cleared EFER.SVME and
 * VM_HSAVE_PA: the same two pages again. */
static int svm_cpu_enable(void)
{
    u32 me = this_cpu()->index;
    u64 hsave = hsave_pa[me], host = svm_host_vmcb_pa[me];

    if (wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME) < 0) {
        log_err("svm", "CPU %u refused EFER.SVME", me);
        return -E_NOTSUP;
    }
    if (!hsave)
        hsave = alloc_pages(1);
    if (!host)
        host = alloc_pages(1);
    if (!hsave || !host)
        return -E_NOMEM;
    hsave_pa[me] = hsave;
    wrmsr(MSR_AMD_VM_HSAVE_PA, hsave);
    /* GIF stays clear in the host from here on (see svm_run.c). */
    __asm__ volatile("clgi" ::: "memory");
    /* The host's FS/GS/TR/LDTR and syscall MSRs, reloaded after each exit. */
    __asm__ volatile("vmsave %0" ::"a"(host) : "memory");
    svm_host_vmcb_pa[me] = host;
    svm_nmi_hook_init();
    log_info("svm", "CPU %u: SVM enabled (host save area %llx)", me,
             (unsigned long long)hsave);
    return 0;
}

static int svm_memory_init(u64 top, u64 hide_base, u64 hide_size)
{
    return svm_npt_init(top, hide_base, hide_size);
}

static void init_control(struct vcpu *v, struct svm_vcpu *s)
{
    struct vmcb *b = s->vmcb;

    b->ctl.intercept1 = SVM_VENEER_INTERCEPT1;
    b->ctl.intercept2 = SVM_VENEER_INTERCEPT2;
    b->ctl.intercept_cr_write = SVM_VENEER_CR_WRITE;
    b->ctl.iopm_base_pa = s->iopm_pa;
    b->ctl.msrpm_base_pa = s->msrpm_pa;
    b->ctl.guest_asid = v->index + 1;
    b->ctl.tlb_control = SVM_TLB_FLUSH_ALL;
    /* V_INTR_MASKING off: physical interrupts go straight to the guest
     * through its IDT, under its own RFLAGS.IF (para-passthrough). */
    b->ctl.vintr = 0;
    b->ctl.np_control = SVM_NP_ENABLE;
    b->ctl.n_cr3 = svm_npt_root;
    b->ctl.clean = 0;
}

static void init_save(struct vmcb *b)
{
    /* As after INIT (APM 14.1.3), until common code sets the real state. */
    b->save.cs = (struct vmcb_seg){ 0xf000, 0x9b, 0xffff, 0xffff0000 };
    b->save.ds = b->save.es = b->save.fs = b->save.gs = b->save.ss =
        (struct vmcb_seg){ 0, 0x93, 0xffff, 0 };
    b->save.gdtr = (struct vmcb_seg){ 0, 0, 0xffff, 0 };
    b->save.idtr = (struct vmcb_seg){ 0, 0, 0xffff, 0 };
    b->save.ldtr = (struct vmcb_seg){ 0, 0x82, 0xffff, 0 };
    b->save.tr = (struct vmcb_seg){ 0, 0x8b, 0xffff, 0 };
    b->save.rip = 0xfff0;
    b->save.rflags = RFLAGS_FIXED;
    b->save.cr0 = CR0_ET | CR0_CD | CR0_NW;
    b->save.efer = EFER_SVME;
    b->save.dr6 = 0xffff0ff0;
    b->save.dr7 = 0x400;
    b->save.g_pat = 0x0007040600070406ULL;
}

static int svm_vcpu_create(struct vcpu *v)
{
    struct svm_vcpu *s = kzalloc(sizeof(*s));
    u64 vmcb, iopm, msrpm;

    if (!s)
        return -E_NOMEM;
    vmcb = alloc_pages(1);
    iopm = alloc_pages(3);   /* 12 KiB: one bit per port (APM 15.10.1) */
    msrpm = alloc_pages(2);  /* 8 KiB: two bits per MSR (APM 15.11) */
    if (!vmcb || !iopm || !msrpm)
        return -E_NOMEM;
    s->vmcb = phys_to_virt(vmcb);
    s->vmcb_pa = vmcb;
    s->iopm = phys_to_virt(iopm);
    s->iopm_pa = iopm;
    s->msrpm = phys_to_virt(msrpm);
    s->msrpm_pa = msrpm;
    s->pending_irq = -1;
    v->arch = s;
    init_control(v, s);
    init_save(s->vmcb);
    if (svm_nested_create(s) < 0)
        return -E_NOMEM;
    v->state.valid = 0;
    v->state.dirty = 0;
    return 0;
}

/* MSRPM layout (APM 15.11): three 2 KiB blocks for MSRs 0-1fff,
 * c0000000-c0001fff and c0010000-c0011fff; read bit, then write bit.
 * Other MSRs always exit. */
bool svm_msrpm_bit(u32 msr, u32 *bit)
{
    if (msr <= 0x1fff)
        *bit = msr * 2;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
        *bit = 0x800 * 8 + (msr - 0xc0000000) * 2;
    else if (msr >= 0xc0010000 && msr <= 0xc0011fff)
        *bit = 0x1000 * 8 + (msr - 0xc0010000) * 2;
    else
        return false;
    return true;
}

static void set_bit_to(u8 *map, u32 bit, bool on)
{
    if (on)
        map[bit / 8] |= (u8)(1u << (bit % 8));
    else
        map[bit / 8] &= (u8)~(1u << (bit % 8));
}

static void svm_msr_intercept(struct vcpu *v, u32 msr, bool read, bool write)
{
    u32 bit;

    if (!svm_msrpm_bit(msr, &bit))
        return;
    set_bit_to(svm_of(v)->msrpm, bit, read);
    set_bit_to(svm_of(v)->msrpm, bit + 1, write);
}

static void svm_io_intercept(struct vcpu *v, u16 port, u16 count, bool on)
{
    struct svm_vcpu *s = svm_of(v);

    /* L2's merged copy (if in use) takes a new intercept now; one dropped
     * stays there until the next VMRUN merges again (the exit, not L1's,
     * is handled by the VMM as before) */
    for (u32 p = port; p < (u32)port + count && p <= 0xffff; p++) {
        set_bit_to(s->iopm, p, on);
        if (on && s->nested.in_l2 && s->nested.iopm02)
            set_bit_to(s->nested.iopm02, p, true);
    }
}

static void svm_set_tsc_offset(struct vcpu *v, u64 offset)
{
    /* L1's offset; L2's adds L1's own TSC offset for it */
    svm_nested_set_tsc_offset(svm_of(v), offset);
}

/* SVM has no timer of its own (no preemption timer; the local APIC timer,
 * HPET, PIT and RTC are the guest's): the VMM gets control back only
 * through exits the guest causes or NMIs (docs/network.md). */
static int svm_periodic_exit(u32 us)
{
    return -E_NOTSUP;
}

static void svm_flush_guest_tlb(struct vcpu *v)
{
    svm_of(v)->vmcb->ctl.tlb_control =
        svm_caps.flush_by_asid ? SVM_TLB_FLUSH_GUEST : SVM_TLB_FLUSH_ALL;
}

static int svm_memory_protect(u64 gpa, u64 len, bool present)
{
    /* One vcpu per CPU shares the table; each flushes at its next entry
     * (SMP shootdown is the SMP issue's). */
    int r = svm_npt_protect(gpa, len, present);
    struct vcpu *v = this_cpu()->vcpu;

    if (r == 0 && v)
        svm_flush_guest_tlb(v);
    return r;
}

static void svm_wait_for_sipi(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);

    /* SVM has no wait-for-SIPI state: the vcpu is simply not entered
     * until start_at_sipi (common/vcpu.c's loop waits). INIT drops
     * whatever was waiting for delivery, and L2 with it. */
    svm_nested_reset(v);
    s->exception = 0;
    s->reinject = 0;
    s->pending_nmis = 0;
    s->nmi_in_service = false;
    s->after_iret = false;
    s->pending_irq = -1;
    s->vmcb->ctl.eventinj = 0;
    s->vmcb->ctl.tlb_control = SVM_TLB_FLUSH_ALL;
    vmcb_set_intercept1(s->vmcb, SVM_INTERCEPT_IRET, false);
    __atomic_store_n(&v->wait_for_sipi, true, __ATOMIC_RELEASE);
}

static void svm_start_at_sipi(struct vcpu *v, u8 vector)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_ALL);

    s->seg[SEG_CS] = (struct segment){ (u16)(vector << 8), 0x9b, 0xffff,
                                       (u64)vector << 12 };
    s->rip = 0;
    vcpu_state_set(v, VS_CS | VS_RIP);
    __atomic_store_n(&v->wait_for_sipi, false, __ATOMIC_RELEASE);
}

/* S3: the VMCB is memory the CPU reads at each VMRUN; the host save area
 * and the host VMCB are set again at the resume. Nothing to write back. */
static int svm_s3_suspend(struct vcpu *v)
{
    (void)v;
    return 0;
}

/* After the wake: EFER.SVME, VM_HSAVE_PA and the host VMCB as at boot (the
 * same pages), and no VMCB state taken as cached by the CPU. */
static int svm_s3_resume(struct vcpu *v)
{
    int r = svm_cpu_enable();

    if (r == 0)
        svm_of(v)->vmcb->ctl.clean = 0;
    return r;
}

const struct vcpu_ops svm_ops = {
    .cpu_enable = svm_cpu_enable,
    .memory_init = svm_memory_init,
    .vcpu_create = svm_vcpu_create,
    .run = svm_run,
    .state_load = svm_state_load,
    .skip_instruction = svm_skip_instruction,
    .inject_exception = svm_inject_exception,
    .inject_nmi = svm_inject_nmi,
    .inject_interrupt = svm_inject_interrupt,
    .msr_intercept = svm_msr_intercept,
    .io_intercept = svm_io_intercept,
    .set_tsc_offset = svm_set_tsc_offset,
    .memory_protect = svm_memory_protect,
    .flush_guest_tlb = svm_flush_guest_tlb,
    .wait_for_sipi = svm_wait_for_sipi,
    .start_at_sipi = svm_start_at_sipi,
    .idle = svm_idle,
    .periodic_exit = svm_periodic_exit,
    .dump = svm_dump,
    .s3_suspend = svm_s3_suspend,
    .s3_resume = svm_s3_resume,
    .hypercall_insn = { 0x0f, 0x01, 0xd9 }, /* VMMCALL */
    .sipi_exits = false,
    .nested_svm = true,
    .nested_phys = svm_nested_phys,
};
