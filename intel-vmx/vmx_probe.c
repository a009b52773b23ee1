/* What the VMX backend needs from the CPU (SDM vol. 3, appendix A).
 * Required: VMX enabled by firmware (or left unlocked), secondary
 * controls with EPT (4-level, write-back, INVEPT) and unrestricted guest,
 * NMI exiting with virtual NMIs. Used when present: VPID, 1 GiB EPT pages,
 * VMCS shadowing, the preemption timer. */
#include <common/backend.h>
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <string.h>

struct vmx_caps vmx_caps;
extern const struct vcpu_ops vmx_ops;

#define FC_LOCK BIT(0)
#define FC_VMXON_OUTSIDE_SMX BIT(2)

static bool vmx_cpu_has(void)
{
    return cpuid(1).ecx & BIT(5);
}

static void add(char *buf, size_t n, const char *what)
{
    size_t l = strlen(buf);

    ksnprintf(buf + l, n - l, "%s%s", l ? ", " : "", what);
}

static bool allowed1(u64 ctl, unsigned bit)
{
    return (ctl >> 32) & BIT(bit);
}

static int read_ctls(struct vmx_caps *c)
{
    if (rdmsr_safe(MSR_IA32_VMX_BASIC, &c->basic) < 0)
        return -E_NOTSUP;
    c->revision = c->basic & 0x7fffffff;
    c->true_ctls = c->basic & BIT(55);
    if (rdmsr_safe(c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
                                : MSR_IA32_VMX_PINBASED_CTLS, &c->pin) < 0 ||
        rdmsr_safe(c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
                                : MSR_IA32_VMX_PROCBASED_CTLS, &c->proc) < 0 ||
        rdmsr_safe(c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
                                : MSR_IA32_VMX_EXIT_CTLS, &c->exit) < 0 ||
        rdmsr_safe(c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
                                : MSR_IA32_VMX_ENTRY_CTLS, &c->entry) < 0)
        return -E_NOTSUP;
    if (allowed1(c->proc, 31) &&
        rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &c->proc2) < 0)
        return -E_NOTSUP;
    if (allowed1(c->proc2, 1) || allowed1(c->proc2, 5))
        rdmsr_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid);
    return 0;
}

static void decode(struct vmx_caps *c)
{
    c->virtual_nmis = allowed1(c->pin, 3) && allowed1(c->pin, 5);
    c->preemption_timer = allowed1(c->pin, 6);
    c->ept = allowed1(c->proc2, 1);
    c->rdtscp = allowed1(c->proc2, 3);
    c->vpid = allowed1(c->proc2, 5);
    c->unrestricted = allowed1(c->proc2, 7);
    c->invpcid = allowed1(c->proc2, 12);
    c->vmcs_shadowing = allowed1(c->proc2, 14);
    c->xsaves = allowed1(c->proc2, 20);
    c->ept_4level = c->ept_vpid & BIT(6);
    c->ept_wb = c->ept_vpid & BIT(14);
    c->ept_2m = c->ept_vpid & BIT(16);
    c->ept_1g = c->ept_vpid & BIT(17);
    c->invept = c->ept_vpid & BIT(20);
    c->ept_ad = c->ept_vpid & BIT(21);
    c->invvpid = c->ept_vpid & BIT(32);
}

static int vmx_probe(char *caps, size_t caps_size, char *missing,
                     size_t missing_size)
{
    struct vmx_caps *c = &vmx_caps;
    const char *y = "yes", *n = "no";

    if (rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &c->feature_control) == 0 &&
        (c->feature_control & FC_LOCK) &&
        !(c->feature_control & FC_VMXON_OUTSIDE_SMX))
        add(missing, missing_size,
            "VMX enabled by firmware (IA32_FEATURE_CONTROL locked with "
            "VMXON disabled)");
    if (read_ctls(c) < 0) {
        add(missing, missing_size, "readable VMX capability MSRs");
        ksnprintf(caps, caps_size, "vmx: capability MSRs unreadable");
        return -E_NOTSUP;
    }
    decode(c);
    ksnprintf(caps, caps_size,
              "vmx rev 0x%x: ept=%s unrestricted-guest=%s vpid=%s "
              "vmcs-shadowing=%s virtual-nmis=%s ept-2m=%s ept-1g=%s "
              "ept-ad=%s invept=%s invvpid=%s preemption-timer=%s "
              "true-controls=%s",
              c->revision, c->ept ? y : n, c->unrestricted ? y : n,
              c->vpid ? y : n, c->vmcs_shadowing ? y : n,
              c->virtual_nmis ? y : n, c->ept_2m ? y : n, c->ept_1g ? y : n,
              c->ept_ad ? y : n, c->invept ? y : n, c->invvpid ? y : n,
              c->preemption_timer ? y : n, c->true_ctls ? y : n);
    if (!allowed1(c->proc, 31))
        add(missing, missing_size, "secondary processor-based controls");
    if (!c->ept)
        add(missing, missing_size, "EPT");
    if (c->ept && !(c->ept_4level && c->ept_wb && c->invept))
        add(missing, missing_size, "EPT with 4-level walks, write-back and INVEPT");
    if (!c->unrestricted)
        add(missing, missing_size, "unrestricted guest");
    if (!c->virtual_nmis)
        add(missing, missing_size, "NMI exiting with virtual NMIs");
    return missing[0] ? -E_NOTSUP : 0;
}

const struct backend vmx_backend = {
    .name = "vmx",
    .cpu_has = vmx_cpu_has,
    .probe = vmx_probe,
    .ops = &vmx_ops,
};
REGISTER_BACKEND(vmx_backend);
