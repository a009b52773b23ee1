/* Entering and leaving VMX operation on one CPU (intel-vmx/vmx_cpu.c):
 * at boot, around an S3 sleep, and the vcpu's VMCS made current again
 * after it. The instructions and registers go through `struct
 * vmx_cpu_hw`, so that tests/unit/test_vmx_cpu.c can run the same
 * sequences against a model of a CPU that loses its VMX state in a sleep.
 * Stands alone (no VMM headers beyond types and logging). */
#ifndef VENEER_INTEL_VMX_VMX_CPU_H
#define VENEER_INTEL_VMX_VMX_CPU_H

#include <platform/types.h>

#define VMX_MSR_FEATURE_CONTROL 0x3a
#define VMX_MSR_CR0_FIXED0 0x486
#define VMX_MSR_CR0_FIXED1 0x487
#define VMX_MSR_CR4_FIXED0 0x488
#define VMX_MSR_CR4_FIXED1 0x489
/* IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7 "Enabling and entering VMX
 * operation"): bit 0 locks the MSR until the next reset, bit 2 allows
 * VMXON outside SMX. */
#define VMX_FC_LOCK BIT(0)
#define VMX_FC_VMXON_OUTSIDE_SMX BIT(2)
#define VMX_CR4_VMXE BIT(13)

struct vmx_cpu_hw {
    int (*rdmsr)(u32 msr, u64 *value);  /* < 0: #GP */
    int (*wrmsr)(u32 msr, u64 value);   /* < 0: #GP */
    u64 (*read_cr0)(void);
    void (*write_cr0)(u64 v);
    u64 (*read_cr4)(void);
    void (*write_cr4)(u64 v);
    /* The VMX instructions on a physical address; false: VMfail or #UD. */
    bool (*vmxon)(u64 pa);
    bool (*vmclear)(u64 pa);
    bool (*vmptrld)(u64 pa);
    bool (*vmxoff)(void);
    /* Writes the VMCS revision identifier into the first dword at pa. */
    void (*set_revision)(u64 pa, u32 revision);
};

/* Fixed bits of CR0/CR4 in VMX operation (SDM Vol. 3C A.7, A.8), read by
 * vmx_cpu_on (with unrestricted guest, CR0.PE and CR0.PG are free). */
extern u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;

/* What IA32_FEATURE_CONTROL value `fc` asks of the VMM: 0 with *write = 0
 * if VMXON is allowed as it is; 1 with *write = the value to write (the
 * MSR is unlocked: firmware left it open, or a reset after S3 cleared
 * it); -E_NOTSUP if it is locked with VMXON outside SMX disabled. */
int vmx_feature_control_plan(u64 fc, u64 *write);

/* Enters VMX operation on the calling CPU with the VMXON region at
 * `region` (revision written into it): IA32_FEATURE_CONTROL locked with
 * VMXON allowed if it is still open, CR0/CR4 set to the fixed bits
 * (CR4.VMXE), VMXON. The same region again after an S3 wake. `cpu` names
 * the CPU in the log lines. Returns < 0 with one logged line on refusal. */
int vmx_cpu_on(const struct vmx_cpu_hw *hw, u32 cpu, u64 region, u32 revision);

/* Before an S3 sleep (or any power state that loses the CPU's VMCS
 * cache): the VMCS at `vmcs` written back to memory and made not current
 * (VMCLEAR; its launch state becomes "clear"), then VMXOFF. */
int vmx_cpu_off(const struct vmx_cpu_hw *hw, u32 cpu, u64 vmcs);

/* The VMCS at `vmcs` made current on this CPU with a clear launch state
 * (VMCLEAR then VMPTRLD): the next entry must be VMLAUNCH. */
int vmx_vmcs_load(const struct vmx_cpu_hw *hw, u32 cpu, u64 vmcs);

#endif
