/* Common exit handling: one small handler per decoded exit kind, and the
 * loop that runs a vcpu and hands each exit to them (vcpu_loop). */
#include <common/bios_boot.h>
#include <common/exit.h>
#include <common/guest_policy.h>
#include <common/hypercall.h>
#include <common/mmio.h>
#include <common/smp.h>
#include <common/task_switch.h>
#include <platform/iommu.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/percpu.h>
#include <platform/smp.h>
#include <platform/time.h>
#include <platform/trap.h>

static const char *const kind_names[EXIT_KIND_COUNT] = {
#define X(k, s) [EXIT_##k] = s,
    VCPU_EXIT_KINDS(X)
#undef X
};

const char *vcpu_exit_kind_name(enum vcpu_exit_kind kind)
{
    return kind < EXIT_KIND_COUNT ? kind_names[kind] : "?";
}

static void complete(struct vcpu *v, const struct vcpu_exit *e, enum emu_result r)
{
    switch (r) {
    case EMU_DONE:
        vcpu_ops->skip_instruction(v, e);
        break;
    case EMU_GP:
        vcpu_ops->inject_exception(v, 13, 0);
        break;
    case EMU_UD:
        vcpu_ops->inject_exception(v, 6, 0);
        break;
    }
}

static void on_vmm_bug(struct vcpu *v, const struct vcpu_exit *e);

static __attribute__((noinline)) void on_cpuid_policy(struct vcpu *v,
                                                      const struct vcpu_exit *e)
{
    complete(v, e, cpuid_emulate(v, e));
}

static void on_cpuid(struct vcpu *v, const struct vcpu_exit *e)
{
    if (!cpuid_leaf_is_raw(e->cpuid.leaf)) {
        on_cpuid_policy(v, e);
        return;
    }
    cpuid_raw(v, e); /* the policy leaves it as the CPU has it */
    vcpu_ops->skip_instruction(v, e);
}

static void on_msr(struct vcpu *v, const struct vcpu_exit *e)
{
    enum emu_result r = msr_emulate(v, e);

    if (r != EMU_DONE)
        log_debug("msr", "%s of MSR 0x%x: #GP to the guest",
                  e->kind == EXIT_MSR_WRITE ? "write" : "read", e->msr.index);
    complete(v, e, r);
}

static void on_xsetbv(struct vcpu *v, const struct vcpu_exit *e)
{
    complete(v, e, xsetbv_emulate(v, e));
}

static void on_hypercall(struct vcpu *v, const struct vcpu_exit *e)
{
    if (bios_boot_hypercall(v, e))
        return;
    if (!hypercall_handle(v)) {
        /* no magic: as on a CPU without a hypervisor */
        log_debug("guest", "VMCALL/VMMCALL without Veneer's magic "
                  "(RAX %llx): #UD", (unsigned long long)v->regs.gpr[GPR_RAX]);
        vcpu_ops->inject_exception(v, 6, 0);
        return;
    }
    vcpu_ops->skip_instruction(v, e);
}

static void on_io(struct vcpu *v, const struct vcpu_exit *e)
{
    if (io_dispatch(v, e))
        return;
    /* A port the VMM stopped owning: do the access for the guest. */
    if (e->io.string) {
        log_warn("io", "string I/O to port 0x%x with no owner; #UD to the guest",
                 e->io.port);
        vcpu_ops->inject_exception(v, 6, 0);
        return;
    }
    io_passthrough(v, e);
}

/* A CR0/CR4 write the backend intercepts (common/cr.c checks it). */
static void on_cr_access(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CR0 | VS_EFER | VS_CS);
    bool wide = (s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13));
    u64 val;

    switch (e->cr.op) {
    case CR_MOV_TO:
        val = v->regs.gpr[e->cr.gpr & 15];
        if (!wide)
            val &= 0xffffffff; /* a 32-bit operand outside 64-bit mode */
        break;
    case CR_CLTS:
        val = s->cr0 & ~CR0_TS;
        break;
    case CR_LMSW: /* PE can be set, not cleared */
        val = (s->cr0 & ~0xeULL) | (e->cr.lmsw & 0xf) | (s->cr0 & CR0_PE);
        break;
    default:
        on_vmm_bug(v, e);
        return;
    }
    complete(v, e, cr_write_emulate(v, e->cr.cr, val));
}

static void on_virt_insn(struct vcpu *v, const struct vcpu_exit *e)
{
    /* Virtualization is hidden: these fault as on a CPU without it. */
    log_debug("guest", "guest executed %s: #UD", e->virt_insn.name);
    vcpu_ops->inject_exception(v, 6, 0);
}

static void on_npf(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s;

    if (mmio_dispatch(v, e))
        return;
    s = vcpu_state_get(v, VS_RIP | VS_CS);

    log_warn_ratelimited("guest", "access to guest-physical 0x%llx (%s) at "
             "%04x:%llx is outside guest memory (the VMM region) and no MMIO "
             "hook; #GP to the guest",
             (unsigned long long)e->npf.gpa, e->npf.write ? "write" : "read",
             s->seg[SEG_CS].sel, (unsigned long long)s->rip);
    vcpu_ops->inject_exception(v, 13, 0);
}

static void on_exception(struct vcpu *v, const struct vcpu_exit *e)
{
    /* Nothing intercepts exceptions yet: give it back to the guest. */
    vcpu_ops->inject_exception(v, e->exception.vector, e->exception.error);
}

/* An interrupt waits in this CPU's local APIC (IRR, vectors 16-255). */
static bool lapic_irr_any(void)
{
    for (u32 i = 0; i < 8; i++)
        if (lapic_read(LAPIC_IRR + 0x10 * i) & (i ? ~0u : 0xffff0000u))
            return true;
    return false;
}

/* How long an idle exit waits in the VMM at most: the VMM's kicks (NMIs,
 * held meanwhile) and, for MWAIT, a wake by a write to the monitored line
 * wait no longer than this. */
#define EXIT_IDLE_US 500

/* The local APIC is read every EXIT_IDLE_IRR_US only (an emulator's
 * APIC is costly to read), the mediators polled in between. */
#define EXIT_IDLE_IRR_US 20

bool exit_idle_wait(void)
{
    u64 now = rdtsc(), end = now + us_to_tsc(EXIT_IDLE_US), irr_at = now;

    for (;;) {
        exit_idle_poll();
        now = rdtsc();
        if (now >= irr_at) {
            if (lapic_irr_any())
                return true;
            irr_at = now + us_to_tsc(EXIT_IDLE_IRR_US);
        }
        if (!exit_idle_wanted())
            return lapic_irr_any();
        if (now > end)
            return false;
        /* PAUSE, not MWAITX's timed wait: docs/network.md */
        for (unsigned i = 0; i < 64; i++)
            cpu_relax();
    }
}

/* A HLT that exits because a device mediator wants idle polls: it ends
 * when an interrupt waits and the guest can take it, as on hardware;
 * otherwise the guest runs it again (and exits again while the mediator
 * still wants it). */
static void on_hlt(struct vcpu *v, const struct vcpu_exit *e)
{
    bool irq = exit_idle_wait();

    if (irq && (vcpu_state_get(v, VS_RFLAGS)->rflags & RFLAGS_IF))
        vcpu_ops->skip_instruction(v, e);
}

static void guest_dead(struct vcpu *v, const char *what)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_RIP | VS_CS | VS_CR0);

    log_err("guest", "%s at %04x:%016llx (CR0 %llx); resetting the machine",
            what, s->seg[SEG_CS].sel, (unsigned long long)s->rip,
            (unsigned long long)s->cr0);
    vcpu_ops->dump(v);
    machine_reset();
}

static void on_triple_fault(struct vcpu *v, const struct vcpu_exit *e)
{
    guest_dead(v, "the guest triple-faulted (shutdown)");
}

static void on_init(struct vcpu *v, const struct vcpu_exit *e)
{
    /* An INIT to the BSP is a reset request; an AP waits for a SIPI. */
    if (v->index == 0)
        guest_dead(v, "INIT signal to the boot CPU");
    smp_on_init(v);
}

static int task_mem(void *ctx, u64 gla, void *buf, size_t len, bool write,
                    struct guest_fault *f)
{
    return guest_linear_access(ctx, gla, buf, len, write, f);
}

static const char *const task_source_names[] = {
    [TASK_CALL] = "CALL", [TASK_IRET] = "IRET", [TASK_JMP] = "JMP",
    [TASK_GATE] = "task gate",
};

/* A hardware task switch (32-bit OSes, task gates for #DF/NMI): emulated
 * in common/task_switch.c; a fault it finds goes to the guest, a switch it
 * cannot do (16-bit TSS) stops the guest, saying why. */
static void on_task_switch(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s = vcpu_state_get(v, TASK_SWITCH_STATE);
    const struct ts_mem mem = { task_mem, v };
    const char *src = task_source_names[e->task.source & 3];
    u16 old_tr = s->seg[SEG_TR].sel;
    struct ts_outcome o;

    task_switch_emulate(s, v->regs.gpr, &mem, e, &o);
    vcpu_state_set(v, o.dirty);
    switch (o.result) {
    case TS_DONE:
        log_debug("guest", "task switch (%s) from TSS 0x%x to 0x%x, saved EIP "
                  "0x%llx, new EIP 0x%llx", src, old_tr, e->task.tss_sel,
                  (unsigned long long)o.saved_eip, (unsigned long long)s->rip);
        break;
    case TS_FAULT:
        log_info("guest", "task switch (%s) to TSS 0x%x: %s; exception %u "
                 "(error 0x%x) %s", src, e->task.tss_sel, o.why, o.vector,
                 o.error, o.switched ? "in the new task" : "before the switch");
        if (o.vector == 14) {
            s->cr2 = o.cr2;
            vcpu_state_set(v, VS_CR2);
        }
        vcpu_ops->inject_exception(v, o.vector, o.error);
        break;
    case TS_REFUSED:
        log_err("guest", "the guest made a hardware task switch (%s) to TSS "
                "selector 0x%x that Veneer does not emulate: %s", src,
                e->task.tss_sel, o.why);
        guest_dead(v, "unsupported task switch");
        break;
    }
}

static void on_sipi(struct vcpu *v, const struct vcpu_exit *e)
{
    smp_on_sipi(v, e->sipi.vector);
}

/* The backend returned for a kick (common/smp.c): the loop takes the
 * signals and the backend flushes what changed before the next entry. */
static void on_none(struct vcpu *v, const struct vcpu_exit *e)
{
}

static void on_vmm_bug(struct vcpu *v, const struct vcpu_exit *e)
{
    vcpu_ops->dump(v);
    panic("exit: %s exit (backend code 0x%llx) the VMM cannot handle",
          vcpu_exit_kind_name(e->kind), (unsigned long long)e->raw_code);
}

static void (*const handlers[EXIT_KIND_COUNT])(struct vcpu *,
                                               const struct vcpu_exit *) = {
    [EXIT_NONE] = on_none,
    [EXIT_CPUID] = on_cpuid,
    [EXIT_MSR_READ] = on_msr,
    [EXIT_MSR_WRITE] = on_msr,
    [EXIT_IO] = on_io,
    [EXIT_HYPERCALL] = on_hypercall,
    [EXIT_HLT] = on_hlt,
    [EXIT_XSETBV] = on_xsetbv,
    [EXIT_NPF] = on_npf,
    [EXIT_EXCEPTION] = on_exception,
    [EXIT_VIRT_INSN] = on_virt_insn,
    [EXIT_TRIPLE_FAULT] = on_triple_fault,
    [EXIT_INIT] = on_init,
    [EXIT_SIPI] = on_sipi,
    [EXIT_CR_ACCESS] = on_cr_access,
    [EXIT_TASK_SWITCH] = on_task_switch,
    [EXIT_ENTRY_FAILED] = on_vmm_bug,
    [EXIT_UNKNOWN] = on_vmm_bug,
};

#define EXIT_POLLERS 4
/* [0]: exit_set_poller's; the rest exit_add_poller's */
static void (*exit_pollers[EXIT_POLLERS])(void);
static unsigned pollers_end; /* past the last slot ever filled: the loop's end */
static u32 idle_wanted[MAX_CPUS];
u32 exit_idle_total;         /* idle_wanted summed: 0 is the usual case */

static void pollers_end_at_least(unsigned n)
{
    unsigned cur = __atomic_load_n(&pollers_end, __ATOMIC_ACQUIRE);

    while (cur < n && !__atomic_compare_exchange_n(&pollers_end, &cur, n, false,
                                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
}

void exit_set_poller(void (*fn)(void))
{
    __atomic_store_n(&exit_pollers[0], fn, __ATOMIC_RELEASE);
    pollers_end_at_least(1);
}

int exit_add_poller(void (*fn)(void))
{
    for (unsigned i = 1; i < EXIT_POLLERS; i++) {
        void (*none)(void) = NULL;
        if (__atomic_compare_exchange_n(&exit_pollers[i], &none, fn, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            pollers_end_at_least(i + 1);
            return 0;
        }
    }
    log_err("exit", "no room for another exit poller");
    return -E_BUSY;
}

void exit_idle_want(u32 cpu, bool on)
{
    if (cpu >= MAX_CPUS)
        return;
    if (on) {
        __atomic_add_fetch(&idle_wanted[cpu], 1, __ATOMIC_ACQ_REL);
        __atomic_add_fetch(&exit_idle_total, 1, __ATOMIC_ACQ_REL);
    } else {
        __atomic_sub_fetch(&idle_wanted[cpu], 1, __ATOMIC_ACQ_REL);
        __atomic_sub_fetch(&exit_idle_total, 1, __ATOMIC_ACQ_REL);
    }
}

bool exit_idle_wanted_here(void)
{
    return __atomic_load_n(&idle_wanted[this_cpu()->index], __ATOMIC_ACQUIRE) != 0;
}

void exit_idle_poll(void)
{
    unsigned end = __atomic_load_n(&pollers_end, __ATOMIC_ACQUIRE);

    for (unsigned i = 0; i < end; i++) {
        void (*poller)(void) = __atomic_load_n(&exit_pollers[i], __ATOMIC_ACQUIRE);
        if (poller)
            poller();
    }
}

/* Static, with its one caller below: inlined into the exit loop. */
static void exit_dispatch(struct vcpu *v, const struct vcpu_exit *e)
{
    vcpu_count_exit(v, e->kind);
    iommu_poll_faults(false);
    if (__atomic_load_n(&pollers_end, __ATOMIC_RELAXED))
        exit_idle_poll();
    if (e->kind < EXIT_KIND_COUNT && handlers[e->kind])
        handlers[e->kind](v, e);
    else
        on_vmm_bug(v, e);
}

/* One vcpu's life: signals other CPUs posted for it (INIT, SIPI), then
 * the guest until an exit for common code. A vcpu waiting for a SIPI the
 * VMM delivers itself waits here, outside the guest. */
__noreturn void vcpu_loop(struct vcpu *v)
{
    struct vcpu_exit e;

    for (;;) {
        if (smp_parking())
            smp_park(v);
        if (smp_signals_pending(v))
            smp_take_signals(v);
        if (v->wait_for_sipi && smp_vmm_sipi()) {
            if (vmm_stopping)
                cpu_halt_forever();
            smp_idle(v);
            continue;
        }
        vcpu_ops->run(v, &e);
        exit_dispatch(v, &e);
    }
}
