/* The guest's local APIC, intercepted (common/smp.c says when).
 *
 * The xAPIC page is an MMIO hook; the x2APIC ICR (MSR 0x830) and
 * IA32_APIC_BASE writes exit. Every register access is done on the CPU's
 * own APIC as the guest asked, except:
 * - ICR high: kept per vcpu and written to the APIC only together with
 *   the ICR low write that sends (the VMM's own IPIs use the ICR too);
 * - an INIT or SIPI: never sent; the VMM posts it to the target vcpus
 *   (smp_post_init/sipi), so that no CPU can be reset out of the VMM;
 *   an INIT to the BSP resets the machine;
 * - moving the APIC page (IA32_APIC_BASE): refused with #GP (the hook
 *   would no longer cover it);
 * - the APIC ID (xAPIC; read-only in x2APIC mode): a write is dropped,
 *   since the VMM routes INIT, SIPI and its kicks by that ID;
 * - an LVT entry (LINT0/1, thermal, performance, CMCI, error; xAPIC page
 *   or x2APIC MSRs) with delivery mode INIT: written masked. Such an INIT
 *   could reach an AP while it halts in the VMM with GIF=1 (SVM), where it
 *   would reset the CPU out of the VMM. */
#include <common/exit.h>
#include <common/guest_policy.h>
#include <common/mmio.h>
#include <common/smp.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/smp.h>

static u64 hooked_base; /* the APIC page; it cannot move (apic_base_write) */
static u32 refused_logged;

static bool logical_match(const struct vcpu *t, u32 dest, bool x2)
{
    if (x2) {
        u32 cluster = t->apic_id >> 4, bit = 1u << (t->apic_id & 15);
        return dest == 0xffffffff ||
               ((dest >> 16) == cluster && (dest & bit));
    }
    u8 d = (u8)dest, ldr = (u8)(t->apic_ldr >> 24);
    if (d == 0xff)
        return true;
    if (((t->apic_dfr >> 28) & 0xf) == 0xf)         /* flat model */
        return ldr & d;
    return (ldr >> 4) == (d >> 4) && (ldr & d & 0xf); /* cluster model */
}

static bool targets(const struct vcpu *v, const struct vcpu *t, u32 dest,
                    u32 lo, bool x2)
{
    switch (ICR_SHORTHAND(lo)) {
    case ICR_SH_SELF: return t == v;
    case ICR_SH_ALL: return true;
    case ICR_SH_OTHERS: return t != v;
    }
    if (lo & ICR_LOGICAL)
        return logical_match(t, dest, x2);
    return dest == (x2 ? 0xffffffffu : 0xffu) || t->apic_id == dest;
}

static void send_hw(u32 dest, u32 lo, bool x2)
{
    if (x2) {
        wrmsr(MSR_X2APIC_ICR, ((u64)dest << 32) | lo);
        return;
    }
    volatile u32 *apic = phys_to_virt(hooked_base);
    apic[LAPIC_ICR_HI / 4] = dest << 24;
    apic[LAPIC_ICR_LO / 4] = lo;
}

/* The guest writes ICR low (xAPIC) or the ICR MSR (x2APIC). */
static void icr_write(struct vcpu *v, u32 dest, u32 lo, bool x2)
{
    u32 mode = ICR_MODE(lo), n, hit = 0;

    if (mode != ICR_MODE_INIT && mode != ICR_MODE_SIPI) {
        send_hw(dest, lo, x2);
        return;
    }
    if (mode == ICR_MODE_INIT && !(lo & ICR_ASSERT) && (lo & ICR_LEVEL))
        return; /* INIT level de-assert: nothing on today's CPUs */
    if (mode == ICR_MODE_INIT)
        smp_uefi_first_init();
    n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);
    for (u32 i = 0; i < n; i++) {
        struct vcpu *t = vcpus[i];
        if (!t || !targets(v, t, dest, lo, x2))
            continue;
        hit++;
        if (mode == ICR_MODE_INIT && t->index == 0) {
            log_err("smp", "the guest sent INIT to the boot CPU (from CPU %u); "
                    "resetting the machine", v->index);
            machine_reset();
        }
        if (mode == ICR_MODE_INIT)
            smp_post_init(t);
        else
            smp_post_sipi(t, (u8)ICR_VECTOR(lo));
    }
    if (!hit && ICR_SHORTHAND(lo) == ICR_SH_NONE && refused_logged++ < 8)
        log_warn("smp", "CPU %u sent %s to %s APIC ID 0x%x, which no CPU under "
                 "the VMM has: dropped", v->index,
                 mode == ICR_MODE_INIT ? "INIT" : "SIPI",
                 (lo & ICR_LOGICAL) ? "logical" : "physical", dest);
}

#define LVT_MODE_INIT (5u << 8)
#define LVT_MODE_MASK (7u << 8)
#define LVT_MASKED    BIT(16)

static bool is_lvt(u32 off)
{
    return off == 0x2f0 || (off >= 0x320 && off <= 0x370);
}

/* An LVT write with delivery mode INIT is written masked (see the top). */
static u32 lvt_filter(struct vcpu *v, u32 off, u32 val)
{
    if (!is_lvt(off) || (val & LVT_MODE_MASK) != LVT_MODE_INIT ||
        (val & LVT_MASKED))
        return val;
    log_warn_ratelimited("apic", "CPU %u: LVT 0x%x with delivery mode INIT "
                         "(0x%x): written masked (an INIT must not reach a "
                         "CPU outside the guest)", v->index, off, val);
    return val | LVT_MASKED;
}

int apic_x2apic_lvt_write(struct vcpu *v, u32 msr, u64 value)
{
    u32 off = (msr - MSR_X2APIC_BASE) << 4;

    return wrmsr_safe(msr, (value & ~0xffffffffULL) |
                           lvt_filter(v, off, (u32)value));
}

static int apic_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    struct vcpu *v = current_vcpu();
    u32 off = (u32)(gpa & 0xfff);
    volatile u32 *apic = phys_to_virt(hooked_base);

    if (size != 4 || (off & 0xf)) {
        /* Not an architectural access (SDM 10.4.1): reads see the
         * register's bytes, writes are dropped. */
        if (write) {
            log_debug("apic", "CPU %u: %u-byte write at APIC offset 0x%x "
                      "dropped", v->index, size, off);
            return 0;
        }
        u32 word = apic[(off & ~3u) / 4];
        *value = (word >> ((off & 3) * 8)) & (size >= 4 ? 0xffffffffu
                                                        : (1u << (size * 8)) - 1);
        return 0;
    }
    if (!write) {
        *value = off == LAPIC_ICR_HI ? v->apic_icr_hi : apic[off / 4];
        return 0;
    }
    u32 val = (u32)*value;
    switch (off) {
    case LAPIC_ICR_HI:
        v->apic_icr_hi = val;
        return 0;
    case LAPIC_ICR_LO:
        icr_write(v, v->apic_icr_hi >> 24, val, false);
        return 0;
    case LAPIC_LDR:
        v->apic_ldr = val;
        break;
    case LAPIC_DFR:
        v->apic_dfr = val;
        break;
    case LAPIC_ID:
        log_warn_ratelimited("apic", "CPU %u: write of 0x%x to its APIC ID "
                             "dropped (the VMM routes INIT, SIPI and its own "
                             "NMIs by the ID)", v->index, val);
        return 0;
    default:
        val = lvt_filter(v, off, val);
        break;
    }
    apic[off / 4] = val;
    return 0;
}

static struct mmio_owner apic_owner = {
    .name = "local APIC",
    .access = apic_access,
};

int apic_x2apic_icr_write(struct vcpu *v, u64 value)
{
    icr_write(v, (u32)(value >> 32), (u32)value, true);
    return 0;
}

/* IA32_APIC_BASE: the page stays where the hook is. */
int apic_base_write(struct vcpu *v, u64 value)
{
    if ((value & 0xffffff000ULL) != hooked_base) {
        log_warn("apic", "CPU %u: moving the local APIC to 0x%llx refused "
                 "(#GP): the VMM intercepts it at 0x%llx", v->index,
                 (unsigned long long)(value & 0xffffff000ULL),
                 (unsigned long long)hooked_base);
        return -E_INVAL;
    }
    return wrmsr_safe(MSR_IA32_APIC_BASE, value);
}

int apic_intercept_start(void)
{
    int r;

    hooked_base = lapic_phys_base();
    apic_owner.base = hooked_base;
    apic_owner.len = 4096;
    if ((r = mmio_register(&apic_owner)) < 0) {
        log_err("apic", "cannot hook the local APIC page at 0x%llx (error %d)",
                (unsigned long long)hooked_base, r);
        return r;
    }
    return ioapic_intercept_start();
}
