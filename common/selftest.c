/* vmm.selftest=: deliberate failures that show the VMM's error paths work
 * on a machine (the test harness uses them; a user can too). */
#include <common/hypercall.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/init.h>
#include <platform/iommu.h>
#include <platform/mem.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/trap.h>

static int selftest;
static const char *const selftests[] = { "none", "fault", "panic", "events", "dma", NULL };
OPTION_CHOICE("vmm.selftest", selftest, selftests,
              "none, or a deliberate failure after boot: fault (a page "
              "fault in the VMM), panic; or events: the guest may ask for "
              "an interrupt injection or an NMI taken in the VMM "
              "(selftest_irq, selftest_nmi hypercalls); or dma: a canary "
              "page in the VMM region the guest may aim device DMA at "
              "(selftest_dma hypercall)");

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

/* selftest_irq (vmm.selftest=events only): RBX = vector 32-255, delivered to
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

/* selftest_nmi (vmm.selftest=events only): the VMM sends an NMI to its own
 * CPU through the local APIC, so that it arrives while the VMM runs (root
 * mode / GIF=0), and returns to the guest. The guest must see that NMI on
 * this very entry, not at some later exit (seed 004). */
static int hc_selftest_nmi(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    u64 base = rdmsr(MSR_IA32_APIC_BASE);

    if (selftest != 3)
        return -E_NOSYS;
    if (base & BIT(10)) { /* x2APIC: ICR is one MSR */
        wrmsr(0x830, ((u64)rdmsr(0x802) << 32) | 0x4400);
    } else {
        volatile u32 *apic = phys_to_virt(base & ~0xfffULL);
        u32 id = apic[0x20 / 4] & 0xff000000;
        apic[0x310 / 4] = id;
        apic[0x300 / 4] = 0x4400; /* fixed destination, NMI, assert */
    }
    log_debug("selftest", "NMI sent to this CPU from the VMM");
    return 0;
}
HYPERCALL("selftest_nmi", hc_selftest_nmi);

/* selftest_dma (vmm.selftest=dma only): a page of the VMM region filled
 * with "CANARY!!", for a guest that aims a device's DMA at it (the IOMMU
 * test). RBX = 0: returns its physical address in RBX. RBX = 1: looks at
 * the IOMMU's faults now, compares the page and logs one line; returns the
 * number of bytes changed in RBX. RBX = 2: RCX = bus << 8 | devfn moves
 * to the trusted domain, as a mediated function would (the test that it
 * reaches only the mediators' buffers, not the rest of the region). */
static u8 *dma_canary;
static const char canary_word[8] = "CANARY!!";

static int hc_selftest_dma(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    if (selftest != 4)
        return -E_NOSYS;
    if (!dma_canary) {
        if (!(dma_canary = alloc_page_virt()))
            return -E_NOMEM;
        for (int i = 0; i < 4096; i++)
            dma_canary[i] = (u8)canary_word[i % 8];
        log_info("selftest", "DMA canary page at 0x%llx",
                 (unsigned long long)virt_to_phys(dma_canary));
    }
    if (in[0] == 0) {
        out[0] = virt_to_phys(dma_canary);
        return 0;
    }
    if (in[0] == 2) {
        if (in[1] > 0xffff)
            return -E_INVAL;
        iommu_set_trusted((u8)(in[1] >> 8), (u8)in[1], true);
        log_info("selftest", "%02x:%02x.%x put in the trusted domain",
                 (unsigned)(in[1] >> 8), (unsigned)(in[1] >> 3) & 31,
                 (unsigned)in[1] & 7);
        return 0;
    }
    if (in[0] != 1)
        return -E_INVAL;
    unsigned changed = 0;
    iommu_poll_faults(true);
    for (int i = 0; i < 4096; i++)
        changed += dma_canary[i] != (u8)canary_word[i % 8];
    if (changed)
        log_warn("selftest", "DMA canary at 0x%llx: %u bytes changed",
                 (unsigned long long)virt_to_phys(dma_canary), changed);
    else
        log_info("selftest", "DMA canary at 0x%llx: intact",
                 (unsigned long long)virt_to_phys(dma_canary));
    out[0] = changed;
    return 0;
}
HYPERCALL("selftest_dma", hc_selftest_dma);
