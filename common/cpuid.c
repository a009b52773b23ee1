/* CPUID exits: the policy of cpuid_policy.c applied to the real CPU. */
#include <common/cr_policy.h>
#include <common/guest_policy.h>
#include <platform/cpu.h>
#include <platform/options.h>

static bool cpuid_veneer_leaf;
OPTION_BOOL("vmm.cpuid_leaf", cpuid_veneer_leaf,
            "answer CPUID 0x40000000 with Veneer's signature (default 0: "
            "the range reads as on bare hardware)");

static bool nested_opt;
OPTION_BOOL("vmm.nested", nested_opt,
            "show SVM (SVM backend) or VMX (VMX backend) to the guest and "
            "emulate it, so the guest can run its own virtual machines "
            "(default 0: hidden, VMRUN, VMXON and the other virtualization "
            "instructions #UD)");

bool nested_opt_requested(void)
{
    return nested_opt;
}

bool nested_svm_exposed(void)
{
    return nested_opt && vcpu_ops->nested_svm;
}

bool nested_vmx_exposed(void)
{
    return nested_opt && vcpu_ops->nested_vmx;
}

static void raw_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    cpuid_count(leaf, sub, r);
}

u64 cr4_guest_valid(void)
{
    static u64 valid;

    if (!valid) { /* the same on every CPU; racing CPUs compute the same */
        struct cpuid_policy_in in = { 0, cpuid_veneer_leaf, nested_svm_exposed(),
                                       nested_vmx_exposed() };
        valid = cr4_valid_bits(raw_cpuid, &in);
    }
    return valid;
}

enum emu_result cpuid_emulate(struct vcpu *v, const struct vcpu_exit *e)
{
    u32 leaf = e->cpuid.leaf;
    u64 *g = v->regs.gpr;

    if (cpuid_leaf_is_raw(leaf)) { /* the policy changes nothing there */
        cpuid_raw(v, e);
        return EMU_DONE;
    }
    /* CR4 only for the leaves that show its bits (OSXSAVE, OSPKE): the
     * others cost no read of the guest state */
    struct cpuid_policy_in in = { leaf == 1 || leaf == 7
                                      ? vcpu_state_get(v, VS_CR4)->cr4 : 0,
                                  cpuid_veneer_leaf, nested_svm_exposed(),
                                  nested_vmx_exposed() };
    struct cpuid_regs r;

    cpuid_policy(e->cpuid.leaf, e->cpuid.subleaf, &in, raw_cpuid, &r);
    g[GPR_RAX] = r.eax;
    g[GPR_RBX] = r.ebx;
    g[GPR_RCX] = r.ecx;
    g[GPR_RDX] = r.edx;
    return EMU_DONE;
}
