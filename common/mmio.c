/* MMIO hooks (see mmio.h). */
#include <common/e820.h>
#include <common/guest_mem.h>
#include <common/mmio.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/log.h>
#include <platform/spinlock.h>

#define MAX_MMIO_OWNERS 64

static struct mmio_owner *owners[MAX_MMIO_OWNERS];
static unsigned nowners;
static spinlock_t owners_lock = SPINLOCK_INIT;

int mmio_register(struct mmio_owner *o)
{
    spin_lock(&owners_lock);
    if (nowners == MAX_MMIO_OWNERS) {
        spin_unlock(&owners_lock);
        return -E_NOMEM;
    }
    int r = vcpu_ops->memory_protect(o->base, o->len, false);
    if (r < 0) {
        spin_unlock(&owners_lock);
        return r;
    }
    owners[nowners] = o;
    __atomic_store_n(&nowners, nowners + 1, __ATOMIC_RELEASE);
    spin_unlock(&owners_lock);
    slat_changed(); /* the other CPUs drop what they cached of the page */
    log_info("mmio", "%s: 0x%llx-0x%llx hooked", o->name,
             (unsigned long long)o->base,
             (unsigned long long)(o->base + o->len - 1));
    return 0;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
    return a < b + blen && b < a + alen;
}

/* Another owner's hook over [base, base+len), under owners_lock. */
static const struct mmio_owner *other_owner(const struct mmio_owner *self,
                                            u64 base, u64 len)
{
    for (unsigned i = 0; i < nowners; i++)
        if (owners[i] != self && overlaps(base, len, owners[i]->base, owners[i]->len))
            return owners[i];
    return NULL;
}

static const char *place_refusal(const struct mmio_owner *self, u64 base, u64 len)
{
    const struct mmio_owner *o;

    if (!len || !IS_ALIGNED(base, PAGE_SIZE) || base + len < base ||
        base + len > direct_map_top)
        return "not page aligned or beyond the VMM's direct map";
    if (guest_mem_hidden_overlaps(base, len))
        return "over the VMM region";
    if (e820_overlaps(boot_info.mmap, boot_info.mmap_count, base, len,
                      BIT(MEM_USABLE) | BIT(MEM_ACPI_RECLAIM) | BIT(MEM_ACPI_NVS)))
        return "over RAM";
    if ((o = other_owner(self, base, len)) != NULL)
        return o->name;
    return NULL;
}

const char *mmio_place_refusal(const struct mmio_owner *self, u64 base, u64 len)
{
    spin_lock(&owners_lock);
    const char *why = place_refusal(self, base, len);
    spin_unlock(&owners_lock);
    return why;
}

/* Gives back the pages of [base, base+len) that no other hook holds and
 * that are not the VMM's (a hook is a counted claim on its pages). */
static void give_back(const struct mmio_owner *self, u64 base, u64 len)
{
    for (u64 p = base; p < base + len; p += PAGE_SIZE)
        if (!other_owner(self, p, PAGE_SIZE) && !guest_mem_hidden_overlaps(p, PAGE_SIZE))
            vcpu_ops->memory_protect(p, PAGE_SIZE, true);
}

int mmio_move(struct mmio_owner *o, u64 base)
{
    spin_lock(&owners_lock);
    const char *why = place_refusal(o, base, o->len);
    int r = why ? -E_BUSY : vcpu_ops->memory_protect(base, o->len, false);

    if (r < 0) {
        spin_unlock(&owners_lock);
        log_warn("mmio", "%s: move to 0x%llx refused (%s)", o->name,
                 (unsigned long long)base, why ? why : "cannot unmap");
        return r;
    }
    u64 old = o->base;
    __atomic_store_n(&o->base, base, __ATOMIC_RELEASE);
    give_back(o, old, o->len);
    spin_unlock(&owners_lock);
    log_info("mmio", "%s: moved from 0x%llx to 0x%llx", o->name,
             (unsigned long long)old, (unsigned long long)base);
    slat_changed(); /* the other CPUs drop what they cached of both */
    return 0;
}

static struct mmio_owner *owner_of(u64 gpa)
{
    unsigned n = __atomic_load_n(&nowners, __ATOMIC_ACQUIRE);

    for (unsigned i = 0; i < n; i++)
        if (gpa >= owners[i]->base && gpa - owners[i]->base < owners[i]->len)
            return owners[i];
    return NULL;
}

static int code_mode(struct vcpu_state *s)
{
    if ((s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13)))
        return 8;
    if (!(s->cr0 & CR0_PE))
        return 2;
    return (s->seg[SEG_CS].attr & BIT(14)) ? 4 : 2;
}

bool mmio_dispatch(struct vcpu *v, const struct vcpu_exit *e)
{
    struct mmio_owner *o = owner_of(e->npf.gpa);
    struct vcpu_state *s;
    struct mmio_insn in;
    u8 bytes[15];
    size_t n = sizeof(bytes);
    u64 value;

    if (!o)
        return false;
    s = vcpu_state_get(v, VS_RIP | VS_CS | VS_CR0 | VS_EFER | VS_INTR_STATE);
    u64 at = s->seg[SEG_CS].base + s->rip;
    int mode = code_mode(s);
    if (mode != 8)
        at &= 0xffffffff;
    if (guest_linear_read(v, at, bytes, n) < 0) {
        n = 4096 - (at & 4095);
        if (n > sizeof(bytes) || guest_linear_read(v, at, bytes, n) < 0)
            n = 0;
    }
    if (!n || mmio_decode(bytes, n, mode, &in) < 0) {
        log_warn("mmio", "%s: access at 0x%llx by an instruction Veneer cannot "
                 "decode (%02x %02x %02x %02x at rip 0x%llx); #GP to the guest",
                 o->name, (unsigned long long)e->npf.gpa, bytes[0], bytes[1],
                 bytes[2], bytes[3], (unsigned long long)s->rip);
        vcpu_ops->inject_exception(v, 13, 0);
        return true;
    }
    bool write = in.kind == MMIO_STORE_REG || in.kind == MMIO_STORE_IMM;
    bool test = in.kind == MMIO_TEST_REG || in.kind == MMIO_TEST_IMM;
    u64 operand = in.kind == MMIO_TEST_IMM || in.kind == MMIO_STORE_IMM
                      ? in.imm : mmio_reg_read(v->regs.gpr, &in);
    value = write ? operand : 0;
    if (o->access(e->npf.gpa, in.size, write, &value) < 0) {
        vcpu_ops->inject_exception(v, 13, 0);
        return true;
    }
    __atomic_fetch_add(&o->count, 1, __ATOMIC_RELAXED);
    if (!write)
        __atomic_fetch_add(&o->reads, 1, __ATOMIC_RELAXED);
    if (test) {
        struct vcpu_state *f = vcpu_state_get(v, VS_RFLAGS);
        f->rflags = mmio_test_flags(f->rflags, &in, value, operand);
        vcpu_state_set(v, VS_RFLAGS);
    } else if (!write) {
        mmio_reg_write(v->regs.gpr, &in, value);
    }
    s->rip += in.len;
    if (mode != 8)
        s->rip &= 0xffffffff;
    vcpu_state_set(v, VS_RIP);
    if (s->intr_state & INTR_SHADOW) { /* written back only when it changes */
        s->intr_state &= ~INTR_SHADOW;
        vcpu_state_set(v, VS_INTR_STATE);
    }
    return true;
}

/* At the guest's power-off: the accesses each hook served (each one an
 * exit: what a slow boot under Veneer spends its NPT/EPT faults on). */
static int mmio_summary(void)
{
    for (unsigned i = 0; i < nowners; i++)
        if (owners[i]->count)
            log_info("mmio", "%s (0x%llx-0x%llx): %llu accesses, %llu of them "
                     "reads", owners[i]->name,
                     (unsigned long long)owners[i]->base,
                     (unsigned long long)(owners[i]->base + owners[i]->len - 1),
                     (unsigned long long)owners[i]->count,
                     (unsigned long long)owners[i]->reads);
    return 0;
}
INIT_FUNC(poweroff, 46, mmio_summary);
