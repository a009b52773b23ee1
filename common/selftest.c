/* vmm.selftest=: deliberate failures that show the VMM's error paths work
 * on a machine (the test harness uses them; a user can too). */
#include <common/hypercall.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/trap.h>

static int selftest;
static const char *const selftests[] = { "none", "fault", "panic", "irq", NULL };
OPTION_CHOICE("vmm.selftest", selftest, selftests,
              "none, or a deliberate failure after boot: fault (a page "
              "fault in the VMM), panic; or irq: the guest may ask for an "
              "interrupt injection (selftest_irq hypercall)");

/* An address nothing maps: the VMM's tables have no low identity map. */
static volatile u64 selftest_fault_address = 0xdead000;

__attribute__((noinline)) static u64 selftest_fault(void)
{
    volatile u64 *p = (volatile u64 *)(uintptr_t)selftest_fault_address;

    log_info("selftest", "reading unmapped address 0x%llx: expect a page "
             "fault panic", (unsigned long long)selftest_fault_address);
    return *p;
}

static int selftest_run(void)
{
    switch (selftest) {
    case 1:
        selftest_fault();
        break;
    case 2:
        panic("selftest: vmm.selftest=panic");
    default:
        break;
    }
    return 0;
}
INIT_FUNC(late, 10, selftest_run);

/* selftest_irq (vmm.selftest=irq only): RBX = vector 32-255, delivered to
 * the calling vcpu as an external interrupt as soon as it can take one:
 * the test of the interrupt-window mechanisms (V_IRQ, interrupt-window
 * exiting). Off by default: a guest's user space must not inject
 * interrupts into its kernel. */
static int hc_selftest_irq(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    if (selftest != 3)
        return -E_NOSYS;
    if (in[0] < 32 || in[0] > 255)
        return -E_INVAL;
    log_debug("selftest", "injecting vector 0x%llx when the guest can take it",
              (unsigned long long)in[0]);
    vcpu_ops->inject_interrupt(v, (u8)in[0]);
    return 0;
}
HYPERCALL("selftest_irq", hc_selftest_irq);
