/* Exceptions in the VMM: fix-ups for probing instructions, NMIs to the
 * backend, everything else is a VMM bug and panics with a full report. */
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/percpu.h>
#include <platform/trap.h>
#include <platform/smp.h>
#include <stdarg.h>

void (*nmi_hook)(struct trap_frame *f);
bool (*nmi_device_claim)(void);
void (*panic_report_hook)(void);

extern const struct extable_entry __extable_start[], __extable_end[];

static bool panic_reboot;
OPTION_BOOL("vmm.panic_reboot", panic_reboot,
            "after a VMM panic, reset the machine instead of halting");

static const char *const names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization exception",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24",
    "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security exception", "reserved 31",
};

const char *exception_name(u64 vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}

int rdmsr_safe(u32 msr, u64 *val)
{
    u32 lo = 0, hi = 0;
    int err = 0;

    __asm__ volatile("1: rdmsr\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3f\n"
                     ".popsection\n"
                     ".pushsection .text.fixup, \"ax\"\n"
                     "3: mov %[ef], %[err]\n"
                     "jmp 2b\n"
                     ".popsection\n"
                     : "+a"(lo), "+d"(hi), [err] "+r"(err)
                     : "c"(msr), [ef] "i"(-E_FAULT));
    *val = err ? 0 : ((u64)hi << 32) | lo;
    return err;
}

int wrmsr_safe(u32 msr, u64 val)
{
    int err = 0;

    __asm__ volatile("1: wrmsr\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3f\n"
                     ".popsection\n"
                     ".pushsection .text.fixup, \"ax\"\n"
                     "3: mov %[ef], %[err]\n"
                     "jmp 2b\n"
                     ".popsection\n"
                     : [err] "+r"(err)
                     : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)),
                       [ef] "i"(-E_FAULT)
                     : "memory");
    return err;
}

static bool try_fixup(struct trap_frame *f)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == f->rip) {
            f->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static bool on_stack(u64 a, u64 lo, u64 hi)
{
    return lo && a >= lo && a + 16 <= hi;
}

/* The frame-pointer chain may only be followed while it stays on one of
 * this CPU's stacks: a corrupt RBP must not fault the panic path. */
static bool rbp_plausible(u64 rbp)
{
    struct pcpu *c = this_cpu();

    if (!c || (rbp & 7))
        return false;
    if (on_stack(rbp, c->stack_bottom, c->stack_top))
        return true;
    for (int i = 0; i < 3; i++)
        if (on_stack(rbp, c->ist_bottom[i], c->ist_top[i]))
            return true;
    return false;
}

void print_backtrace(u64 rip, u64 rbp)
{
    console_printf("backtrace: #0 0x%016llx\n", (unsigned long long)rip);
    for (int depth = 1; depth < 24 && rbp_plausible(rbp); depth++) {
        u64 next = ((u64 *)rbp)[0];
        u64 ret = ((u64 *)rbp)[1];
        if (!ret)
            break;
        console_printf("backtrace: #%d 0x%016llx\n", depth,
                       (unsigned long long)ret);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

static __noreturn void panic_finish(void)
{
    if (panic_report_hook)
        panic_report_hook();
    console_printf("PANIC: end of report; %s\n",
                   panic_reboot ? "resetting the machine" : "CPU halted");
    if (panic_reboot)
        machine_reset();
    cpu_halt_forever();
}

volatile u32 vmm_stopping;

/* The other CPUs stop too: an NMI to each (they halt in the NMI handler,
 * or at their next look at vmm_stopping, see trap.h). */
static void stop_other_cpus(void)
{
    if (__atomic_exchange_n(&vmm_stopping, 1, __ATOMIC_ACQ_REL) || pcpu_count < 2)
        return;
    lapic_send_ipi(0, (ICR_MODE_NMI << 8) | ICR_ASSERT | (ICR_SH_OTHERS << 18));
}

static void panic_enter(void)
{
    struct pcpu *c = this_cpu();

    irq_disable();
    stop_other_cpus();
    console_force_unlock();
    if (c) {
        if (c->in_panic) { /* a fault inside the panic path: stop here */
            console_printf("PANIC: recursive fault during panic\n");
            cpu_halt_forever();
        }
        c->in_panic = true;
    }
}

static void dump_frame(const struct trap_frame *f)
{
    console_printf("PANIC: CPU %u: unexpected %s (vector %llu) in the VMM\n",
                   this_cpu() ? this_cpu()->index : 0,
                   exception_name(f->vector), (unsigned long long)f->vector);
    console_printf("  error code 0x%llx  CR2 0x%016llx\n",
                   (unsigned long long)f->error,
                   (unsigned long long)read_cr2());
    console_printf("  RIP %04llx:%016llx  RFLAGS %016llx  RSP %04llx:%016llx\n",
                   (unsigned long long)f->cs, (unsigned long long)f->rip,
                   (unsigned long long)f->rflags, (unsigned long long)f->ss,
                   (unsigned long long)f->rsp);
    console_printf("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
                   (unsigned long long)f->rax, (unsigned long long)f->rbx,
                   (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    console_printf("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
                   (unsigned long long)f->rsi, (unsigned long long)f->rdi,
                   (unsigned long long)f->rbp, (unsigned long long)f->r8);
    console_printf("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
                   (unsigned long long)f->r9, (unsigned long long)f->r10,
                   (unsigned long long)f->r11, (unsigned long long)f->r12);
    console_printf("  R13 %016llx R14 %016llx R15 %016llx\n",
                   (unsigned long long)f->r13, (unsigned long long)f->r14,
                   (unsigned long long)f->r15);
    console_printf("  CR0 %016llx CR3 %016llx CR4 %016llx\n",
                   (unsigned long long)read_cr0(),
                   (unsigned long long)read_cr3(),
                   (unsigned long long)read_cr4());
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector == 2) {
        struct pcpu *c = this_cpu();
        if (vmm_stopping && c && !c->in_panic)
            cpu_halt_forever(); /* another CPU panicked */
        if (c)
            c->nmi_count++;
        if (nmi_hook)
            nmi_hook(f);
        return;
    }
    if ((f->vector == 13 || f->vector == 6) && try_fixup(f))
        return;
    if (f->vector >= 32) {
        /* Nothing in the VMM enables interrupts yet: a stray vector is
         * logged and dismissed (no EOI: no LAPIC source is ours). */
        log_warn("trap", "unexpected interrupt vector %llu in the VMM",
                 (unsigned long long)f->vector);
        return;
    }
    panic_enter();
    dump_frame(f);
    print_backtrace(f->rip, f->rbp);
    panic_finish();
}

void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    u64 rbp;

    panic_enter();
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    console_printf("PANIC: CPU %u: %s\n", this_cpu() ? this_cpu()->index : 0,
                   msg);
    __asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
    print_backtrace((u64)__builtin_return_address(0), ((u64 *)rbp)[0]);
    panic_finish();
}

__noreturn void machine_reset(void)
{
    struct { u16 limit; u64 base; } __packed null_idt = { 0, 0 };

    log_info("reset", "resetting the machine");
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        cpu_relax();
    outb(0x64, 0xfe);            /* keyboard controller pulse */
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);           /* PCI reset control: hard reset */
    __asm__ volatile("lidt %0; int3" ::"m"(null_idt)); /* triple fault */
    cpu_halt_forever();
}
