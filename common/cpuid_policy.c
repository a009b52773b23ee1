/* CPUID policy (pure: host-tested). CPUID as the guest sees it: the real CPU, minus what the VMM owns or
 * cannot virtualize, and with no outer hypervisor showing through. */
#include <common/guest_policy.h>
#include <platform/cpu.h>
#include <string.h>

#define VENEER_SIGNATURE "VeneerVeneer"

static bool vendor_is_intel(cpuid_fn raw)
{
    struct cpuid_regs r;

    raw(0, 0, &r);
    return r.ebx == 0x756e6547 && r.edx == 0x49656e69 && r.ecx == 0x6c65746e;
}

void cpuid_policy(u32 leaf, u32 sub, const struct cpuid_policy_in *in,
                  cpuid_fn raw, struct cpuid_regs *out)
{
    struct cpuid_regs max;

    if (leaf >= 0x40000000 && leaf <= 0x4fffffff) {
        if (in->expose_veneer_leaf && leaf == 0x40000000) {
            out->eax = 0x40000000;
            memcpy(&out->ebx, VENEER_SIGNATURE, 4);
            memcpy(&out->ecx, VENEER_SIGNATURE + 4, 4);
            memcpy(&out->edx, VENEER_SIGNATURE + 8, 4);
            return;
        }
        /* Bare hardware: Intel answers an unsupported leaf with the
         * highest basic leaf; AMD with zeros (seed 004: hiding an outer
         * hypervisor's leaves keeps its paravirtual features away). */
        if (vendor_is_intel(raw)) {
            raw(0, 0, &max);
            raw(max.eax, sub, out);
        } else {
            memset(out, 0, sizeof(*out));
        }
        return;
    }
    raw(leaf, sub, out);
    switch (leaf) {
    case 1:
        out->ecx &= ~(BIT(6) | BIT(31));          /* SMX, hypervisor */
        if (!in->nested_vmx)
            out->ecx &= ~BIT(5);                  /* VMX */
        out->ecx &= ~BIT(27);
        if (in->guest_cr4 & CR4_OSXSAVE)
            out->ecx |= BIT(27);                  /* OSXSAVE is the guest's */
        break;
    case 7:
        if (sub == 0) {
            out->ebx &= ~BIT(25);                 /* Intel PT: writes host-physical */
            out->ecx &= ~BIT(4);
            if (in->guest_cr4 & CR4_PKE)
                out->ecx |= BIT(4);               /* OSPKE is the guest's */
        }
        break;
    case 0x14:                                    /* Intel PT leaf */
        memset(out, 0, sizeof(*out));
        break;
    case 0x80000001:
        if (!in->nested_svm)
            out->ecx &= ~BIT(2);                  /* SVM */
        break;
    case 0x8000000a:                              /* SVM features */
        if (!in->nested_svm) {
            memset(out, 0, sizeof(*out));
            break;
        }
        /* The revision and the ASID count as the CPU has them; of the
         * optional features (EDX) only nested paging, which the backend
         * emulates for its guest (shadowing L1's tables); no NRIPS, no
         * VMCB clean bits, no decode assists, no VGIF... */
        out->eax &= 0xff;
        out->ecx = 0;
        out->edx &= BIT(0);
        break;
    default:
        break;
    }
}

