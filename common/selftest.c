/* vmm.selftest=: deliberate failures that show the VMM's error paths work
 * on a machine (the test harness uses them; a user can too). */
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/trap.h>

static int selftest;
static const char *const selftests[] = { "none", "fault", "panic", NULL };
OPTION_CHOICE("vmm.selftest", selftest, selftests,
              "none, or a deliberate failure after boot: fault (a page "
              "fault in the VMM), panic");

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
