/* What the guest sees of the CPU: CPUID, the MSRs the VMM owns, and the
 * I/O ports it owns. Each handler gets the decoded exit and either
 * completes it (registers set, instruction to be skipped) or asks for a
 * fault to be injected. */
#ifndef VENEER_COMMON_GUEST_POLICY_H
#define VENEER_COMMON_GUEST_POLICY_H

#include <common/vcpu.h>
#include <platform/cpu.h>

/* Result of an emulated instruction. */
enum emu_result { EMU_DONE, EMU_GP, EMU_UD };

/* CPUID with the VMM's policy applied. Pure apart from executing CPUID,
 * which goes through `raw` so tests can feed a recorded CPU. */
typedef void (*cpuid_fn)(u32 leaf, u32 sub, struct cpuid_regs *r);
struct cpuid_policy_in {
    u64 guest_cr4;
    bool expose_veneer_leaf;
    bool nested_svm;   /* show SVM (8000_0001 ECX[2], leaf 8000_000A) */
    bool nested_vmx;   /* show VMX (leaf 1 ECX[5]) */
};
void cpuid_policy(u32 leaf, u32 sub, const struct cpuid_policy_in *in,
                  cpuid_fn raw, struct cpuid_regs *out);
/* Whether cpuid_policy gives `leaf` exactly as the CPU answers it, for
 * every subleaf and input: the exit path then executes CPUID and nothing
 * else (issue 23). It must name every leaf cpuid_policy's switch edits
 * (tests/unit/test_cpuid_policy.c checks the two agree). */
static inline bool cpuid_leaf_is_raw(u32 leaf)
{
    switch (leaf) {
    case 1: case 7: case 0x14: case 0x80000001: case 0x8000000a:
        return false;
    default:
        return leaf < 0x40000000 || leaf > 0x4fffffff;
    }
}

enum emu_result cpuid_emulate(struct vcpu *v, const struct vcpu_exit *e);

/* The CPUID exit of a leaf cpuid_leaf_is_raw: the CPU's answer into the
 * guest's registers (the instruction is not skipped). */
static inline void cpuid_raw(struct vcpu *v, const struct vcpu_exit *e)
{
    struct cpuid_regs r;
    u64 *g = v->regs.gpr;

    cpuid_count(e->cpuid.leaf, e->cpuid.subleaf, &r);
    g[GPR_RAX] = r.eax;
    g[GPR_RBX] = r.ebx;
    g[GPR_RCX] = r.ecx;
    g[GPR_RDX] = r.edx;
}
enum emu_result msr_emulate(struct vcpu *v, const struct vcpu_exit *e);
enum emu_result xsetbv_emulate(struct vcpu *v, const struct vcpu_exit *e);

/* The CR4 bits the guest's CPU has (its CPUID through the policy). */
u64 cr4_guest_valid(void);

/* A MOV to CR0 or CR4 (or CLTS/LMSW, as the CR0 value they make) that
 * exited: checked as the CPU would (common/cr_policy.c) and written, or
 * EMU_GP. */
enum emu_result cr_write_emulate(struct vcpu *v, unsigned cr, u64 val);

/* Whether the guest is shown SVM and may use it (vmm.nested=1 on a
 * backend that emulates it for its guest, vcpu_ops->nested_svm): CPUID
 * shows SVM, EFER.SVME is writable, VM_CR reads "enabled". Everything
 * else about nesting is the backend's. */
bool nested_svm_exposed(void);
/* The same for VMX (vcpu_ops->nested_vmx): CPUID shows VMX, CR4.VMXE is
 * writable, and the IA32_VMX_* capability MSRs are the backend's answer
 * (vcpu_ops->nested_msr_read) instead of #GP. */
bool nested_vmx_exposed(void);
bool nested_opt_requested(void); /* vmm.nested=1 given */

/* Sets up the MSR bitmap for a new vcpu (what the VMM owns). */
void msr_policy_init(struct vcpu *v);

#endif
