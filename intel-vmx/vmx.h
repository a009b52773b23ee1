/* The VMX backend's private declarations. */
#ifndef VENEER_INTEL_VMX_VMX_H
#define VENEER_INTEL_VMX_VMX_H

#include <platform/types.h>

#define MSR_IA32_VMX_PINBASED_CTLS      0x481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482
#define MSR_IA32_VMX_EXIT_CTLS          0x483
#define MSR_IA32_VMX_ENTRY_CTLS         0x484
#define MSR_IA32_VMX_MISC               0x485
#define MSR_IA32_VMX_CR0_FIXED0         0x486
#define MSR_IA32_VMX_CR0_FIXED1         0x487
#define MSR_IA32_VMX_CR4_FIXED0         0x488
#define MSR_IA32_VMX_CR4_FIXED1         0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490

struct vmx_caps {
    u64 basic;
    u32 revision;
    bool true_ctls;
    u64 pin, proc, proc2, exit, entry; /* allowed-0 low, allowed-1 high */
    u64 ept_vpid;
    u64 feature_control;
    bool ept, unrestricted, vpid, vmcs_shadowing, virtual_nmis;
    bool ept_2m, ept_1g, ept_wb, ept_4level, invept, invvpid, ept_ad;
    bool preemption_timer, xsaves, invpcid, rdtscp;
};

extern struct vmx_caps vmx_caps;

#endif
