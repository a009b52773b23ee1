/* The VMX run loop: event delivery before entry, exit decoding after.
 *
 * NMIs (seed 004): NMI exiting with virtual NMIs. An NMI that exits is
 * counted for the guest; the CPU keeps NMIs blocked after such an exit
 * until an IRET, so the loop executes one to itself. A counted NMI is
 * injected when the guest is not blocking NMIs (or blocking by STI/MOV SS,
 * which some CPUs refuse at entry); otherwise NMI-window exiting brings
 * the exit that lets it in — right after the guest's IRET, so an NMI that
 * arrives during the guest's NMI handler is delivered, not lost. An NMI
 * taken by the VMM itself is counted by the handler below; if it lands in
 * the entry path's critical range the entry is abandoned and retried
 * (vmx_entry.S).
 *
 * Interrupts: external interrupts reach the guest without exits. An
 * interrupt the VMM injects goes in when RFLAGS.IF=1 and neither STI nor
 * MOV SS blocking is set; otherwise interrupt-window exiting waits. */
#include <common/exit.h>
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/percpu.h>
#include <platform/smp.h>
#include <platform/time.h>
#include <platform/trap.h>
#include <string.h>

extern char vmx_critical_start[], vmx_critical_end[], vmx_nmi_abort[];
/* Per CPU: NMIs taken in root mode for the guest, and kicks from other
 * CPUs (common/smp.c) taken in root mode. The entry path checks both
 * words at once (vmx_entry.S). */
static struct { volatile u32 nmis, kick; } __aligned(8) host_nmis[MAX_CPUS];

static void vmx_nmi_hook(struct trap_frame *f)
{
    u32 me = this_cpu()->index;

    if (nmi_take_kick())
        host_nmis[me].kick = 1;
    else
        host_nmis[me].nmis++;
    if (f->rip >= (u64)vmx_critical_start && f->rip < (u64)vmx_critical_end)
        f->rip = (u64)vmx_nmi_abort;
    /* in vmx_idle, before its HLT ran: do not halt (this was the wake-up) */
    if (f->rip >= (u64)vmx_idle && f->rip <= (u64)vmx_idle_hlt)
        f->rip = (u64)vmx_idle_done;
}

void vmx_nmi_hook_init(void)
{
    nmi_hook = vmx_nmi_hook;
}

/* After an NMI VM exit the CPU blocks NMIs until an IRET (SDM 27.2.3? /
 * 31.7.1.2): end that with an IRET to the next instruction. */
static void unblock_nmis(void)
{
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "pushq $0x10\n\t"
                     "pushq %%rax\n\t"
                     "pushfq\n\t"
                     "pushq $0x08\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "iretq\n"
                     "1:" ::: "rax", "memory", "cc");
}

void vmx_set_proc(struct vmx_vcpu *x, u32 bits, bool on)
{
    /* L2's exiting controls L1 asked for stay whatever the windows do */
    u32 proc = on ? x->proc | bits : (x->proc & ~bits) | (bits & x->nested.keep_proc);

    if (proc != x->proc) {
        x->proc = proc;
        vmcs_write32(PROC_BASED_CONTROLS, proc);
    }
}

/* ---- events ------------------------------------------------------------ */

void vmx_inject_exception(struct vcpu *v, u8 vector, u32 error)
{
    struct vmx_vcpu *x = vmx_of(v);
    u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

    if (exception_is_fault(vector)) {
        /* pushed with RF=1, as the CPU pushes a fault's RFLAGS (the entry
         * pushes the guest-state RFLAGS as it is, SDM 27.6.1.1) */
        vcpu_state_get(v, VS_RFLAGS)->rflags |= RFLAGS_RF;
        vcpu_state_set(v, VS_RFLAGS);
    }

    /* (VM entry refuses an error code in real mode, SDM 26.2.1.3) */
    if (exception_pushes_error(vector, vcpu_state_get(v, VS_CR0)->cr0))
        info |= INTR_INFO_ERR_VALID;
    if (x->exception_info) {
        info = 8 | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID | INTR_INFO_ERR_VALID;
        error = 0;
    }
    x->exception_info = info;
    x->exception_err = error;
}

void vmx_inject_nmi(struct vcpu *v)
{
    vmx_of(v)->pending_nmis++;
}

void vmx_inject_interrupt(struct vcpu *v, u8 vector)
{
    vmx_of(v)->pending_irq = vector;
}

static void prepare_events(struct vcpu *v, u32 me)
{
    struct vmx_vcpu *x = vmx_of(v);
    u32 n = __atomic_load_n(&host_nmis[me].nmis, __ATOMIC_ACQUIRE);
    u32 info = 0, err = 0, len = 0;

    if (n)
        x->pending_nmis += __atomic_exchange_n(&host_nmis[me].nmis, 0, __ATOMIC_ACQ_REL);
    if (!(x->pending_nmis | x->reinject_info | x->exception_info) &&
        x->pending_irq < 0 && !v->wait_for_sipi && !exit_idle_wanted()) {
        /* Nothing to deliver and no mediator polling at idle (the usual
         * exit): no window is needed, HLT and MWAIT go to the guest (in
         * L2 MWAIT exiting is L1's, vmx_nested.c). */
        const u32 w = PROC_NMI_WINDOW | PROC_INTR_WINDOW | PROC_HLT_EXITING |
                      PROC_MWAIT_EXITING; /* in L2, keep_proc keeps L1's */
        if ((x->proc & w) != (w & x->nested.keep_proc))
            vmx_set_proc(x, w, false);
        return;
    }
    if (v->wait_for_sipi) {
        /* Nothing is delivered in wait-for-SIPI (and an entry with an
         * event in that state fails). */
        x->pending_nmis = 0;
        x->pending_irq = -1;
        x->exception_info = x->reinject_info = 0;
        vmx_set_proc(x, PROC_NMI_WINDOW | PROC_INTR_WINDOW | PROC_HLT_EXITING, false);
        return;
    }
    if (x->reinject_info) {
        info = x->reinject_info;
        err = x->reinject_err;
        len = x->reinject_len;
        x->reinject_info = 0;
    } else if (x->exception_info) {
        info = x->exception_info;
        err = x->exception_err;
        x->exception_info = 0;
    }
    u32 gi = vmcs_read32(GUEST_INTERRUPTIBILITY);
    bool nmi_ok = !(gi & (GI_NMI | GI_STI | GI_MOV_SS));
    if (!info && x->pending_nmis && nmi_ok) {
        info = 2 | INTR_TYPE_NMI | INTR_INFO_VALID;
        x->pending_nmis--;
        nmi_ok = false;
    }
    if (!info && x->pending_irq >= 0 &&
        (vcpu_state_get(v, VS_RFLAGS)->rflags & RFLAGS_IF) &&
        !(gi & (GI_STI | GI_MOV_SS))) {
        info = (u32)x->pending_irq | INTR_TYPE_EXT_INT | INTR_INFO_VALID;
        x->pending_irq = -1;
    }
    if (info) {
        vmcs_write32(VM_ENTRY_INTR_INFO, info);
        if (info & INTR_INFO_ERR_VALID)
            vmcs_write32(VM_ENTRY_EXCEPTION_ERROR, err);
        if (len)
            vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, len);
        if (vmcs_read32(GUEST_ACTIVITY_STATE) == ACTIVITY_HLT)
            vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    }
    /* Ask for the exits that let the rest in; a HLT with an interrupt
     * waiting exits too (an interrupt window does not end a HLT on every
     * CPU: Bochs keeps halting). */
    vmx_set_proc(x, PROC_NMI_WINDOW, x->pending_nmis != 0);
    vmx_set_proc(x, PROC_INTR_WINDOW, x->pending_irq >= 0);
    /* a device mediator with work in flight polls at HLT (common/exit.h) */
    vmx_set_proc(x, PROC_HLT_EXITING, x->pending_irq >= 0 || exit_idle_wanted());
    if (!x->nested.in_l2) /* L2's MWAIT exiting is L1's (vmx_nested.c) */
        vmx_set_proc(x, PROC_MWAIT_EXITING, exit_idle_wanted());
}

/* After an exit: an event whose delivery the exit interrupted goes again. */
static void collect_events(struct vmx_vcpu *x)
{
    u32 idt = vmcs_read32(IDT_VECTORING_INFO);

    if (!(idt & INTR_INFO_VALID))
        return;
    x->reinject_info = idt & ~INTR_INFO_NMI_UNBLOCK;
    if (idt & INTR_INFO_ERR_VALID)
        x->reinject_err = vmcs_read32(IDT_VECTORING_ERROR);
    u32 type = idt & INTR_TYPE_MASK;
    x->reinject_len = (type == INTR_TYPE_SW_INT || type == INTR_TYPE_SW_EXCEPTION ||
                       type == INTR_TYPE_PRIV_SW_EXC)
                          ? vmcs_read32(VM_EXIT_INSTRUCTION_LEN) : 0;
}

/* ---- CR0/CR4 writes that touch bits the VMM owns ----------------------- */

/* A CR-access exit (SDM table 28-3): only writes of masked bits exit;
 * common code checks and emulates them (common/cr.c). */
static void decode_cr_access(struct vcpu_exit *e, u64 qual)
{
    unsigned type = (qual >> 4) & 3;

    e->kind = EXIT_CR_ACCESS;
    e->cr.cr = qual & 15;
    e->cr.gpr = (qual >> 8) & 15;
    e->cr.lmsw = (u16)(qual >> 16);
    e->cr.op = type == 2 ? CR_CLTS : type == 3 ? CR_LMSW : CR_MOV_TO;
    if (type == 1) /* MOV from CR: never intercepted (no CR3/CR8 exiting) */
        e->kind = EXIT_UNKNOWN;
}

/* ---- decoding ---------------------------------------------------------- */

static const char *virt_insn_name(u32 reason)
{
    switch (reason) {
    case VMX_EXIT_VMCLEAR: return "VMCLEAR";
    case VMX_EXIT_VMLAUNCH: return "VMLAUNCH";
    case VMX_EXIT_VMPTRLD: return "VMPTRLD";
    case VMX_EXIT_VMPTRST: return "VMPTRST";
    case VMX_EXIT_VMREAD: return "VMREAD";
    case VMX_EXIT_VMRESUME: return "VMRESUME";
    case VMX_EXIT_VMWRITE: return "VMWRITE";
    case VMX_EXIT_VMXOFF: return "VMXOFF";
    case VMX_EXIT_VMXON: return "VMXON";
    case VMX_EXIT_INVEPT: return "INVEPT";
    case VMX_EXIT_INVVPID: return "INVVPID";
    case VMX_EXIT_VMFUNC: return "VMFUNC";
    case VMX_EXIT_GETSEC: return "GETSEC";
    default: return NULL;
    }
}

static void decode_io(struct vcpu *v, struct vcpu_exit *e, u64 q)
{
    e->kind = EXIT_IO;
    e->io.size = (u8)((q & 7) + 1);
    e->io.in = q & BIT(3);
    e->io.string = q & BIT(4);
    e->io.rep = q & BIT(5);
    e->io.port = (u16)(q >> 16);
    if (e->io.string) {
        u32 info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
        e->io.addr_size = (u8)(2 << ((info >> 7) & 7));
        e->io.seg = e->io.in ? SEG_ES : (u8)((info >> 15) & 7);
    }
    e->io.next_rip = vcpu_state_get(v, VS_RIP)->rip + e->insn_len;
}

static enum task_event task_event_of(u32 idt)
{
    switch (idt & INTR_TYPE_MASK) {
    case INTR_TYPE_EXT_INT: return TASK_EV_EXTINT;
    case INTR_TYPE_NMI: return TASK_EV_NMI;
    case INTR_TYPE_HW_EXCEPTION: return TASK_EV_EXCEPTION;
    default: return TASK_EV_SOFTWARE; /* INT n, INT3, INTO, INT1 */
    }
}

/* A task switch (exit qualification, SDM table 28-2: TSS selector in 15:0,
 * source in 31:30). Through a task gate in the IDT, the IDT-vectoring
 * information names the event; the switch delivers it, so it is not
 * re-injected. The instruction length (CALL, JMP, IRET, a software
 * interrupt) is in VM_EXIT_INSTRUCTION_LEN. */
static void decode_task_switch(struct vcpu *v, struct vcpu_exit *e, u64 qual)
{
    struct vmx_vcpu *x = vmx_of(v);
    u32 idt = vmcs_read32(IDT_VECTORING_INFO);

    e->kind = EXIT_TASK_SWITCH;
    e->task.tss_sel = (u16)qual;
    e->task.source = (u8)((qual >> 30) & 3);
    if (e->task.source != TASK_GATE || !(idt & INTR_INFO_VALID))
        return;
    x->reinject_info = 0;
    e->task.event = (u8)task_event_of(idt);
    e->task.vector = (u8)idt;
    e->task.has_error = idt & INTR_INFO_ERR_VALID;
    if (e->task.has_error)
        e->task.error = vmcs_read32(IDT_VECTORING_ERROR);
}

static void decode(struct vcpu *v, struct vcpu_exit *e, u32 reason, u64 qual)
{
    u64 *g = v->regs.gpr;
    const char *vi;

    if (reason == VMX_EXIT_CPUID) { /* the hot one: its payload, no zeroing */
        e->kind = EXIT_CPUID;
        e->raw_code = reason;
        e->insn_len = (u8)vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
        e->cpuid.leaf = (u32)g[GPR_RAX];
        e->cpuid.subleaf = (u32)g[GPR_RCX];
        return;
    }
    *e = (struct vcpu_exit){ .raw_code = reason,
                             .insn_len = (u8)vmcs_read32(VM_EXIT_INSTRUCTION_LEN) };
    if ((vi = virt_insn_name(reason))) {
        e->kind = EXIT_VIRT_INSN;
        e->virt_insn.name = vi;
        return;
    }
    switch (reason) {
    case VMX_EXIT_EXCEPTION_NMI: {
        u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
        e->kind = EXIT_EXCEPTION;
        e->exception.vector = (u8)info;
        e->exception.has_error = info & INTR_INFO_ERR_VALID;
        e->exception.error = e->exception.has_error ? vmcs_read32(VM_EXIT_INTR_ERROR) : 0;
        e->exception.cr2 = qual;
        break;
    }
    case VMX_EXIT_CPUID:
        e->kind = EXIT_CPUID;
        e->cpuid.leaf = (u32)g[GPR_RAX];
        e->cpuid.subleaf = (u32)g[GPR_RCX];
        break;
    case VMX_EXIT_RDMSR:
    case VMX_EXIT_WRMSR:
        e->kind = reason == VMX_EXIT_WRMSR ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        e->msr.index = (u32)g[GPR_RCX];
        e->msr.value = (g[GPR_RDX] << 32) | (u32)g[GPR_RAX];
        break;
    case VMX_EXIT_IO:
        decode_io(v, e, qual);
        break;
    case VMX_EXIT_VMCALL:
        e->kind = EXIT_HYPERCALL;
        break;
    case VMX_EXIT_XSETBV:
        e->kind = EXIT_XSETBV;
        break;
    case VMX_EXIT_HLT:
        e->kind = EXIT_HLT;
        break;
    case VMX_EXIT_TRIPLE_FAULT:
        e->kind = EXIT_TRIPLE_FAULT;
        break;
    case VMX_EXIT_INIT:
        e->kind = EXIT_INIT;
        /* Bochs saves "blocking by SMI" with an INIT exit; an entry
         * outside SMM with it set fails (SDM 26.3.1.5). */
        vmcs_write32(GUEST_INTERRUPTIBILITY,
                     vmcs_read32(GUEST_INTERRUPTIBILITY) & ~GI_SMI);
        break;
    case VMX_EXIT_SIPI:
        e->kind = EXIT_SIPI;
        e->sipi.vector = (u8)qual;
        break;
    case VMX_EXIT_EPT_VIOLATION:
        e->kind = EXIT_NPF;
        vmx_ept_nmi_unblock(qual);
        if (vmx_of(v)->nested.npf_l1) { /* L2's, through L1's EPT (vmx_nested.c) */
            e->npf.gpa = vmx_of(v)->nested.npf_l1pa;
            vmx_of(v)->nested.npf_l1 = false;
        } else {
            e->npf.gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
        }
        e->npf.read = qual & 1;
        e->npf.write = qual & 2;
        e->npf.exec = qual & 4;
        e->npf.present = qual & (7 << 3);
        e->npf.gva_valid = qual & BIT(7);
        if (e->npf.gva_valid)
            e->npf.gva = vmcs_readn(GUEST_LINEAR_ADDRESS);
        break;
    case VMX_EXIT_TASK_SWITCH:
        decode_task_switch(v, e, qual);
        break;
    case VMX_EXIT_CR_ACCESS:
        decode_cr_access(e, qual);
        break;
    default:
        e->kind = (reason & BIT(31)) || reason == VMX_EXIT_BAD_GUEST ||
                          reason == VMX_EXIT_BAD_MSR_LOAD || reason == VMX_EXIT_MCE_ENTRY
                      ? EXIT_ENTRY_FAILED : EXIT_UNKNOWN;
        e->failed.reason = reason;
        e->failed.qualification = qual;
        break;
    }
}

/* The exits of L1's VMX instructions vmx_nested_l1_insn may emulate
 * (the others it refuses: a call saved on every other exit). */
static bool vmx_insn_exit(u32 reason)
{
    return (reason >= VMX_EXIT_VMCLEAR && reason <= VMX_EXIT_VMXON) ||
           reason == VMX_EXIT_INVEPT || reason == VMX_EXIT_INVVPID;
}

/* Exit reasons (< 64, no flag bits) that only common code handles: none
 * of the loop's checks (handle_internal, the preemption timer, L1's VMX
 * instructions) ever keeps them, so outside L2 they are decoded at once.
 * An allow-list, not the loop's own list: an exit the loop learns to
 * take later stays on the slow path until it is known not to be one. */
#define VMX_COMMON_EXITS                                                   \
    (BIT(VMX_EXIT_CPUID) | BIT(VMX_EXIT_RDMSR) | BIT(VMX_EXIT_WRMSR) |    \
     BIT(VMX_EXIT_IO) | BIT(VMX_EXIT_EPT_VIOLATION) | BIT(VMX_EXIT_VMCALL) | \
     BIT(VMX_EXIT_XSETBV) | BIT(VMX_EXIT_CR_ACCESS) |                     \
     BIT(VMX_EXIT_TASK_SWITCH) | BIT(VMX_EXIT_TRIPLE_FAULT) |             \
     BIT(VMX_EXIT_INIT) | BIT(VMX_EXIT_SIPI))

/* Exits that only serve a mechanism; true if handled here. */
static bool handle_internal(struct vcpu *v, u32 reason, u64 qual)
{
    struct vmx_vcpu *x = vmx_of(v);

    switch (reason) {
    case VMX_EXIT_EXCEPTION_NMI: {
        u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
        if ((info & INTR_TYPE_MASK) != INTR_TYPE_NMI)
            return false;
        vcpu_count_exit(v, EXIT_NMI);
        if (nmi_take_kick())
            host_nmis[this_cpu()->index].kick = 1; /* vmx_run returns */
        else
            x->pending_nmis++;
        unblock_nmis();
        log_debug("vmx", "NMI exit %llu; %u for the guest",
                  (unsigned long long)v->exit_counts[EXIT_NMI], x->pending_nmis);
        return true;
    }
    case VMX_EXIT_EXTINT:
        vcpu_count_exit(v, EXIT_INTR);
        return true;
    case VMX_EXIT_NMI_WINDOW:
    case VMX_EXIT_INTR_WINDOW:
        vcpu_count_exit(v, EXIT_WINDOW);
        if (reason == VMX_EXIT_NMI_WINDOW)
            log_debug("vmx", "NMI window open; %u NMI%s waiting", x->pending_nmis,
                      x->pending_nmis == 1 ? "" : "s");
        else
            log_debug("vmx", "interrupt window open; injecting vector 0x%x",
                      x->pending_irq);
        return true; /* prepare_events injects now */
    case VMX_EXIT_MWAIT:
        /* Intercepted only while a device mediator polls at idle
         * (common/exit.h): the poll, then the MWAIT ends at once, as it
         * may on hardware. */
        vcpu_count_exit(v, EXIT_HLT);
        exit_idle_wait();
        vmx_skip_instruction(v, NULL);
        return true;
    case VMX_EXIT_HLT:
        if (x->pending_irq < 0)
            return false;
        vcpu_count_exit(v, EXIT_HLT);
        /* The interrupt waiting for delivery ends the HLT, as it would on
         * hardware: step over it; prepare_events injects when IF allows. */
        if (vcpu_state_get(v, VS_RFLAGS)->rflags & RFLAGS_IF)
            vmx_skip_instruction(v, NULL);
        return true;
    default:
        return false;
    }
}

/* The VMX-preemption timer (SDM 25.5): counts down at the TSC's rate
 * divided by 2^IA32_VMX_MISC[4:0], in the HLT activity state too, and
 * exits when it reaches 0. Loaded before every entry, so it bounds each
 * stay in the guest; the exit goes to common code as EXIT_NONE, whose
 * exit path polls (devices/net). 0: off. */
static u32 preempt_ticks;

int vmx_periodic_exit(u32 us)
{
    if (!vmx_caps.preemption_timer)
        return -E_NOTSUP;
    u64 t = us ? us_to_tsc(us) >> (rdmsr(MSR_IA32_VMX_MISC) & 0x1f) : 0;
    __atomic_store_n(&preempt_ticks, (u32)MIN(MAX(t, us ? 1 : 0), 0xffffffffULL),
                     __ATOMIC_RELEASE);
    return 0;
}

static inline __attribute__((always_inline)) void preempt_arm(struct vmx_vcpu *x)
{
    u32 ticks = __atomic_load_n(&preempt_ticks, __ATOMIC_ACQUIRE);

    if (!!ticks != x->preempt_on) {
        u32 pin = vmcs_read32(PIN_BASED_CONTROLS);
        vmcs_write32(PIN_BASED_CONTROLS, ticks ? pin | PIN_PREEMPTION_TIMER
                                               : pin & ~PIN_PREEMPTION_TIMER);
        x->preempt_on = ticks;
    }
    if (ticks)
        vmcs_write32(GUEST_PREEMPTION_TIMER, ticks);
}

static void record_exit(struct vmx_vcpu *x, u32 reason, u64 qual, u64 rip)
{
    struct vmx_exit_record *r = &x->history[x->history_next++ % VMX_EXIT_HISTORY];

    r->reason = reason;
    r->qual = qual;
    r->rip = rip;
}

void vmx_run(struct vcpu *v, struct vcpu_exit *e)
{
    struct vmx_vcpu *x = vmx_of(v);
    u32 me = this_cpu()->index;
    volatile u32 *nmis = &host_nmis[me].nmis;

    for (;;) {
        if (vmm_stopping)
            cpu_halt_forever(); /* another CPU panicked */
        if (__atomic_load_n(&host_nmis[me].kick, __ATOMIC_ACQUIRE) &&
            __atomic_exchange_n(&host_nmis[me].kick, 0, __ATOMIC_ACQ_REL)) {
            /* another CPU wants this one back in common code */
            *e = (struct vcpu_exit){ .kind = EXIT_NONE };
            return;
        }
        u64 gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
        if (v->slat_gen != gen) {
            /* the shared EPT changed (common/smp.c: slat_changed) */
            v->slat_gen = gen;
            vmx_ept_flush();
            vmx_nested_slat_changed(v); /* EPT02 is built on it */
        }
        if (x->nested.in_l2) {
            /* NMIs taken in root mode count before L1 decides on them */
            x->pending_nmis += __atomic_exchange_n(&host_nmis[me].nmis, 0,
                                                   __ATOMIC_ACQ_REL);
            vmx_nested_l2_pending(v); /* events that exit to L1 */
        }
        if (v->state.dirty == VS_RIP) {  /* an instruction skipped */
            vmcs_writen(GUEST_RIP, v->state.rip);
            v->state.dirty = 0;
        } else if (v->state.dirty) {
            vmx_state_write_back(v);
        }
        prepare_events(v, me);
        preempt_arm(x);
        /* RSP only when it changed since the exit (in this VMCS: nested
         * VMX switches them, with L2's RSP from L1's vmcs12) */
        if (v->regs.gpr[GPR_RSP] != x->exit_rsp || x->nested.in_l2 != x->exit_in_l2)
            vmcs_writen(GUEST_RSP, v->regs.gpr[GPR_RSP]);
        int r = vmx_enter(&v->regs, x->launched, nmis);
        if (r == 1)
            continue; /* an NMI arrived on the way in: inject it first */
        if (r == 2 && x->nested.in_l2) {
            vmx_nested_entry_failed(v); /* L1's VMLAUNCH/VMRESUME fails */
            continue;
        }
        if (r == 2) {
            vmx_dump(v);
            panic("vmx: VM%s failed with VM-instruction error %u",
                  x->launched ? "RESUME" : "LAUNCH",
                  vmcs_read32(VM_INSTRUCTION_ERROR));
        }
        x->launched = true;
        x->entries++;
        v->regs.gpr[GPR_RSP] = x->exit_rsp = vmcs_readn(GUEST_RSP);
        x->exit_in_l2 = x->nested.in_l2;
        x->exit_reason = vmcs_read32(VM_EXIT_REASON);
        x->exit_qual = vmcs_readn(EXIT_QUALIFICATION);
        /* RIP is read for the history, RFLAGS for the usual skip of the
         * exiting instruction (TF): both valid for common code */
        v->state.rip = vmcs_readn(GUEST_RIP);
        v->state.rflags = vmcs_readn(GUEST_RFLAGS);
        v->state.valid = VS_RIP | VS_RFLAGS;
        record_exit(x, x->exit_reason, x->exit_qual, v->state.rip);
        collect_events(x);
        u32 basic = x->exit_reason & 0xffff;
        /* Outside L2, an exit only common code takes (most of them) goes
         * there at once. */
        if (x->exit_reason >= 64 || !(VMX_COMMON_EXITS & BIT(x->exit_reason)) ||
            x->nested.in_l2) {
            if (basic == VMX_EXIT_PREEMPTION_TIMER && !(x->exit_reason & BIT(31))) {
                *e = (struct vcpu_exit){ .kind = EXIT_NONE }; /* for the poller */
                return;
            }
            if (x->nested.in_l2 && vmx_nested_l2_exit(v, x->exit_reason, x->exit_qual))
                continue; /* reflected to L1 */
            if (!(x->exit_reason & BIT(31)) && handle_internal(v, basic, x->exit_qual))
                continue;
            if (!x->nested.in_l2 && !(x->exit_reason & BIT(31)) &&
                vmx_insn_exit(basic) && vmx_nested_l1_insn(v, basic))
                continue; /* L1's VMX instruction, emulated */
        }
        decode(v, e, (x->exit_reason & BIT(31)) ? x->exit_reason : basic, x->exit_qual);
        return;
    }
}

void vmx_skip_instruction(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_RIP | VS_RFLAGS);
    u64 len = e && e->insn_len ? e->insn_len : vmcs_read32(VM_EXIT_INSTRUCTION_LEN);

    s->rip += len;
    /* Outside 64-bit code RIP wraps at 4 GiB: only a RIP past it needs
     * the mode (EFER, CS), which the usual exit does not read. */
    if (s->rip > 0xffffffffULL) {
        vcpu_state_get(v, VS_EFER | VS_CS);
        if (!((s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13))))
            s->rip &= 0xffffffff;
    }
    vcpu_state_set(v, VS_RIP);
    u32 gi = vmcs_read32(GUEST_INTERRUPTIBILITY);
    if (gi & (GI_STI | GI_MOV_SS))
        vmcs_write32(GUEST_INTERRUPTIBILITY, gi & ~(GI_STI | GI_MOV_SS));
    if (s->rflags & RFLAGS_TF)
        vmx_inject_exception(v, 1, 0);
}

void vmx_dump(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);

    console_printf("vmx: vcpu %u after %llu entries: exit reason 0x%x qual 0x%llx "
                   "insn error %u\n", v->index, (unsigned long long)x->entries,
                   x->exit_reason, (unsigned long long)x->exit_qual,
                   vmcs_read32(VM_INSTRUCTION_ERROR));
    console_printf("vmx: guest cs %04x:%016llx rsp %016llx rflags %llx cr0 %llx "
                   "cr3 %llx cr4 %llx efer %llx activity %u intr %x\n",
                   vmcs_read16(GUEST_CS_SEL), (unsigned long long)vmcs_readn(GUEST_RIP),
                   (unsigned long long)vmcs_readn(GUEST_RSP),
                   (unsigned long long)vmcs_readn(GUEST_RFLAGS),
                   (unsigned long long)vmcs_readn(GUEST_CR0),
                   (unsigned long long)vmcs_readn(GUEST_CR3),
                   (unsigned long long)vmcs_readn(GUEST_CR4),
                   (unsigned long long)vmcs_read64(GUEST_IA32_EFER),
                   vmcs_read32(GUEST_ACTIVITY_STATE),
                   vmcs_read32(GUEST_INTERRUPTIBILITY));
    console_printf("vmx: controls pin %x proc %x proc2 %x entry %x; events: "
                   "reinject %x exception %x nmis %u irq %d\n",
                   vmcs_read32(PIN_BASED_CONTROLS), x->proc, x->proc2, x->entry,
                   x->reinject_info, x->exception_info, x->pending_nmis,
                   x->pending_irq);
    if (x->nested.vmxon)
        console_printf("vmx: nested: %s, L1's current VMCS %llx, %llu entries into "
                       "L2, %llu exits reflected, VMCS shadowing %s\n",
                       x->nested.in_l2 ? "in L2" : "in L1",
                       (unsigned long long)x->nested.current,
                       (unsigned long long)x->nested.entries,
                       (unsigned long long)x->nested.reflected,
                       x->nested.shadow_on ? "on" : "off");
    console_printf("vmx: last exits (oldest first):\n");
    for (u32 i = 0; i < VMX_EXIT_HISTORY; i++) {
        struct vmx_exit_record *r = &x->history[(x->history_next + i) % VMX_EXIT_HISTORY];
        if (!r->reason && !r->rip)
            continue;
        console_printf("vmx:   reason %u rip %016llx qual %llx\n", r->reason,
                       (unsigned long long)r->rip, (unsigned long long)r->qual);
    }
}
