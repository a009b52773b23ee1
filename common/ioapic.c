/* The IOAPICs' registers, hooked while the VMM delivers INIT and SIPI
 * (common/smp.c): a redirection entry with delivery mode INIT is written
 * masked. Such an INIT could reach an AP halted in the VMM with GIF=1
 * (SVM's idle) and reset it out of the VMM; no OS routes a pin as INIT.
 * Every other access passes through as the guest made it. The select
 * register and the window are one pair per IOAPIC: a lock keeps the
 * check and the write together, so another CPU cannot move the select
 * between them. */
#include <common/mmio.h>
#include <common/smp.h>
#include <common/acpi/probe.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/spinlock.h>

const struct acpi_platform *acpi_platform(void);

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_RTE_BASE 0x10      /* entry n: 0x10 + 2n (low), +1 (high) */
#define RTE_MODE_MASK (7u << 8)
#define RTE_MODE_INIT (5u << 8)
#define RTE_MASKED BIT(16)

struct ioapic_hook {
    struct mmio_owner owner;
    spinlock_t lock;
    u32 sel;
};

static struct ioapic_hook hooks[ACPI_MAX_IOAPICS];

static bool rte_init(const struct ioapic_hook *h, u32 val)
{
    return h->sel >= IOAPIC_RTE_BASE && !(h->sel & 1) &&
           (val & RTE_MODE_MASK) == RTE_MODE_INIT && !(val & RTE_MASKED);
}

static int ioapic_access(struct ioapic_hook *h, u64 gpa, unsigned size,
                         bool write, u64 *value)
{
    volatile u8 *regs = phys_to_virt(h->owner.base);
    u32 off = (u32)(gpa - h->owner.base);
    bool window = off < IOAPIC_WINDOW + 4 && off + size > IOAPIC_WINDOW;
    u64 f = spin_lock_irqsave(&h->lock);

    if (write && window && (off != IOAPIC_WINDOW || size != 4)) {
        /* the registers are dwords: a partial write could set the mode */
        log_warn_ratelimited("ioapic", "%u-byte write at IOAPIC offset 0x%x "
                             "dropped", size, off);
        goto out;
    }
    if (write && off == IOAPIC_REGSEL)
        h->sel = (u32)*value & 0xff;
    if (write && window && rte_init(h, (u32)*value)) {
        log_warn_ratelimited("ioapic", "IOAPIC at 0x%llx pin %u routed as INIT "
                             "(0x%x): written masked (an INIT must not reach "
                             "a CPU outside the guest)",
                             (unsigned long long)h->owner.base,
                             (h->sel - IOAPIC_RTE_BASE) / 2, (u32)*value);
        *value |= RTE_MASKED;
    }
    mmio_pass(regs + off, size, write, value);
out:
    spin_unlock_irqrestore(&h->lock, f);
    return 0;
}

#define HOOK_FN(n)                                                        \
    static int ioapic_access_##n(u64 gpa, unsigned size, bool write,      \
                                 u64 *value)                              \
    {                                                                     \
        return ioapic_access(&hooks[n], gpa, size, write, value);         \
    }
HOOK_FN(0) HOOK_FN(1) HOOK_FN(2) HOOK_FN(3) HOOK_FN(4) HOOK_FN(5) HOOK_FN(6)
HOOK_FN(7) HOOK_FN(8) HOOK_FN(9) HOOK_FN(10) HOOK_FN(11) HOOK_FN(12)
HOOK_FN(13) HOOK_FN(14) HOOK_FN(15)
static int (*const hook_fns[ACPI_MAX_IOAPICS])(u64, unsigned, bool, u64 *) = {
    ioapic_access_0, ioapic_access_1, ioapic_access_2, ioapic_access_3,
    ioapic_access_4, ioapic_access_5, ioapic_access_6, ioapic_access_7,
    ioapic_access_8, ioapic_access_9, ioapic_access_10, ioapic_access_11,
    ioapic_access_12, ioapic_access_13, ioapic_access_14, ioapic_access_15,
};

int ioapic_intercept_start(void)
{
    const struct acpi_platform *pf = acpi_platform();

    if (!pf || !pf->have_madt)
        return 0;
    for (unsigned i = 0; i < pf->madt.nioapics && i < ACPI_MAX_IOAPICS; i++) {
        struct ioapic_hook *h = &hooks[i];
        int r;
        h->lock = (spinlock_t)SPINLOCK_INIT;
        h->owner.name = "IOAPIC";
        h->owner.base = pf->madt.ioapics[i].address & ~0xfffULL;
        h->owner.len = 4096;
        h->owner.access = hook_fns[i];
        if ((r = mmio_register(&h->owner)) < 0) {
            log_err("ioapic", "cannot hook the IOAPIC at 0x%llx (error %d)",
                    (unsigned long long)h->owner.base, r);
            return r;
        }
    }
    return 0;
}
