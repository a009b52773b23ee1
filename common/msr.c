/* MSRs: pass-through through the bitmap, except those the VMM owns. An
 * MSR the bitmap cannot cover exits and is passed through by executing
 * it here, with #GP to the guest when the CPU refuses it. */
#include <common/guest_policy.h>
#include <common/vcpu.h>
#include <common/smp.h>
#include <platform/smp.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/percpu.h>

#define VM_CR_LOCK BIT(3)
#define VM_CR_SVMDIS BIT(4)
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | BIT(13) /* LMSLE */ | \
                         BIT(14) /* FFXSR */ | BIT(15) /* TCE */)

struct owned_msr {
    u32 index, last;  /* a range [index, last] */
    bool read, write; /* which accesses the VMM takes */
    enum emu_result (*rd)(struct vcpu *v, u32 msr, u64 *val);
    enum emu_result (*wr)(struct vcpu *v, u32 msr, u64 val);
};

static u64 hsave_shadow[MAX_CPUS]; /* by vcpu index */
static bool syscfg_write_warned;

static enum emu_result efer_rd(struct vcpu *v, u32 msr, u64 *val)
{
    *val = vcpu_state_get(v, VS_EFER)->efer;
    return EMU_DONE;
}

static enum emu_result efer_wr(struct vcpu *v, u32 msr, u64 val)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_EFER);

    u64 allowed = EFER_GUEST_BITS | (nested_svm_exposed() ? EFER_SVME : 0);

    if (val & ~allowed)
        return EMU_GP; /* includes SVME when SVM is hidden */
    s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA);
    vcpu_state_set(v, VS_EFER);
    return EMU_DONE;
}

static enum emu_result vm_cr_rd(struct vcpu *v, u32 msr, u64 *val)
{
    u64 real;

    if (rdmsr_safe(msr, &real) < 0)
        return EMU_GP;
    if (nested_svm_exposed())
        *val = (real | VM_CR_LOCK) & ~VM_CR_SVMDIS;  /* enabled, locked */
    else
        *val = real | VM_CR_LOCK | VM_CR_SVMDIS; /* "disabled by firmware" */
    return EMU_DONE;
}

static enum emu_result vm_cr_wr(struct vcpu *v, u32 msr, u64 val)
{
    return EMU_GP; /* locked */
}

static enum emu_result hsave_rd(struct vcpu *v, u32 msr, u64 *val)
{
    u64 real;

    if (rdmsr_safe(msr, &real) < 0)
        return EMU_GP;
    *val = hsave_shadow[v->index % MAX_CPUS];
    return EMU_DONE;
}

static enum emu_result hsave_wr(struct vcpu *v, u32 msr, u64 val)
{
    /* APM 15.30.4: 4 KiB aligned, within the physical address width */
    if ((val & 0xfff) || (val >> cpu_phys_addr_bits()))
        return EMU_GP;
    /* Never the real one: that is the VMM's. The SVM backend keeps the
     * host state of an emulated VMRUN itself, not in this page. */
    hsave_shadow[v->index % MAX_CPUS] = val;
    return EMU_DONE;
}

static enum emu_result tsc_wr(struct vcpu *v, u32 msr, u64 val)
{
    /* Writing the TSC moves TSC_ADJUST by the same amount (SDM 17.17.3);
     * both only move the offset, never the real counter (seed 004). */
    u64 now = rdtsc() + v->tsc_offset;

    v->tsc_adjust += val - now;
    v->tsc_offset = val - rdtsc();
    vcpu_ops->set_tsc_offset(v, v->tsc_offset);
    log_debug("msr", "guest TSC write: offset now 0x%llx, TSC_ADJUST 0x%llx",
              (unsigned long long)v->tsc_offset, (unsigned long long)v->tsc_adjust);
    return EMU_DONE;
}

static enum emu_result tsc_adjust_rd(struct vcpu *v, u32 msr, u64 *val)
{
    if (!v->has_tsc_adjust)
        return EMU_GP;
    *val = v->tsc_adjust;
    return EMU_DONE;
}

static enum emu_result tsc_adjust_wr(struct vcpu *v, u32 msr, u64 val)
{
    if (!v->has_tsc_adjust)
        return EMU_GP;
    v->tsc_offset += val - v->tsc_adjust;
    v->tsc_adjust = val;
    vcpu_ops->set_tsc_offset(v, v->tsc_offset);
    log_debug("msr", "guest TSC_ADJUST write: offset now 0x%llx",
              (unsigned long long)v->tsc_offset);
    return EMU_DONE;
}

static enum emu_result syscfg_wr(struct vcpu *v, u32 msr, u64 val)
{
    /* Readable but not writable under KVM (seed 000): a refused write is
     * dropped, as the guest would not expect a #GP on real hardware. */
    if (wrmsr_safe(msr, val) < 0 && !syscfg_write_warned) {
        syscfg_write_warned = true;
        log_warn("msr", "SYSCFG is not writable on this machine (nested "
                 "under another hypervisor?); the guest's write of 0x%llx "
                 "is dropped", (unsigned long long)val);
    }
    return EMU_DONE;
}

static enum emu_result hidden_vmx_cap_rd(struct vcpu *v, u32 msr, u64 *val)
{
    if (nested_vmx_exposed())
        return vcpu_ops->nested_msr_read(v, msr, val);
    return EMU_GP; /* VMX is hidden: its capability MSRs do not exist */
}

static const struct owned_msr owned[] = {
    { MSR_EFER, MSR_EFER, true, true, efer_rd, efer_wr },
    { MSR_AMD_VM_CR, MSR_AMD_VM_CR, true, true, vm_cr_rd, vm_cr_wr },
    { MSR_AMD_VM_HSAVE_PA, MSR_AMD_VM_HSAVE_PA, true, true, hsave_rd, hsave_wr },
    { MSR_IA32_TSC, MSR_IA32_TSC, false, true, NULL, tsc_wr },
    { MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, true, true, tsc_adjust_rd, tsc_adjust_wr },
    { MSR_AMD_SYSCFG, MSR_AMD_SYSCFG, false, true, NULL, syscfg_wr },
    { 0x480, 0x491, true, false, hidden_vmx_cap_rd, NULL },
};

static const struct owned_msr *find_owned(u32 msr)
{
    for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
        if (msr >= owned[i].index && msr <= owned[i].last)
            return &owned[i];
    return NULL;
}

void msr_policy_init(struct vcpu *v)
{
    u64 adj;

    v->has_tsc_adjust = cpuid(7).ebx & BIT(1);
    if (v->has_tsc_adjust && rdmsr_safe(MSR_IA32_TSC_ADJUST, &adj) == 0)
        v->tsc_adjust = adj;
    for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
        for (u32 m = owned[i].index; m <= owned[i].last; m++)
            vcpu_ops->msr_intercept(v, m, owned[i].read, owned[i].write);
    /* Microcode updates go straight to the CPU (seed 000): the address
     * they take is the guest's, which only the CPU itself translates. */
    vcpu_ops->msr_intercept(v, MSR_IA32_BIOS_UPDT_TRIG, false, false);
    vcpu_ops->msr_intercept(v, MSR_AMD_PATCH_LOADER, false, false);
}

enum emu_result msr_emulate(struct vcpu *v, const struct vcpu_exit *e)
{
    const struct owned_msr *o = find_owned(e->msr.index);
    bool write = e->kind == EXIT_MSR_WRITE;
    u64 *g = v->regs.gpr;
    u64 val = 0;
    enum emu_result r;

    if (write && smp_vmm_sipi()) {
        if (e->msr.index == MSR_X2APIC_ICR)
            return apic_x2apic_icr_write(v, e->msr.value) < 0 ? EMU_GP : EMU_DONE;
        if (e->msr.index == MSR_IA32_APIC_BASE)
            return apic_base_write(v, e->msr.value) < 0 ? EMU_GP : EMU_DONE;
        if (apic_x2apic_is_lvt(e->msr.index))
            return apic_x2apic_lvt_write(v, e->msr.index, e->msr.value) < 0
                       ? EMU_GP : EMU_DONE;
    }
    if (write) {
        if (o && o->wr)
            return o->wr(v, e->msr.index, e->msr.value);
        return wrmsr_safe(e->msr.index, e->msr.value) < 0 ? EMU_GP : EMU_DONE;
    }
    if (o && o->rd)
        r = o->rd(v, e->msr.index, &val);
    else
        r = rdmsr_safe(e->msr.index, &val) < 0 ? EMU_GP : EMU_DONE;
    if (r == EMU_DONE) {
        g[GPR_RAX] = (u32)val;
        g[GPR_RDX] = val >> 32;
    }
    return r;
}

enum emu_result xsetbv_emulate(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CR4);
    u64 *g = v->regs.gpr;
    u64 val = ((g[GPR_RDX] & 0xffffffff) << 32) | (g[GPR_RAX] & 0xffffffff);
    struct cpuid_regs r;

    if (!(s->cr4 & CR4_OSXSAVE))
        return EMU_UD;
    cpuid_count(0xd, 0, &r);
    u64 supported = ((u64)r.edx << 32) | r.eax;
    if ((g[GPR_RCX] & 0xffffffff) != 0 || !(val & 1) || (val & ~supported) ||
        ((val & 4) && !(val & 2)) || (((val >> 5) & 7) && ((val >> 5) & 7) != 7) ||
        (((val >> 5) & 7) && !(val & 4)))
        return EMU_GP;
    xsetbv(0, val);
    v->xcr0 = val;
    return EMU_DONE;
}
