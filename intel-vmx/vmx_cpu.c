/* Entering and leaving VMX operation on one CPU (intel-vmx/vmx_cpu.h).
 *
 * An S3 sleep takes the CPU out of VMX operation and resets
 * IA32_FEATURE_CONTROL; the firmware's resume path may lock it again (with
 * or without VMXON allowed) or leave it open. The VMCS data a CPU caches
 * is lost with its power: the SDM (Vol. 3C, "Software use of virtual-machine
 * control structures") asks for VMCLEAR before such a power state, so that the VMCS region in memory holds the
 * whole VMCS; after the wake VMPTRLD makes it current again with the launch
 * state VMCLEAR left ("clear": the next entry is VMLAUNCH). */
#include <intel-vmx/vmx_cpu.h>
#include <platform/log.h>

u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;

int vmx_feature_control_plan(u64 fc, u64 *write)
{
    *write = 0;
    if (!(fc & VMX_FC_LOCK)) {
        *write = fc | VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX;
        return 1;
    }
    return (fc & VMX_FC_VMXON_OUTSIDE_SMX) ? 0 : -E_NOTSUP;
}

static int read_fixed(const struct vmx_cpu_hw *hw)
{
    if (hw->rdmsr(VMX_MSR_CR0_FIXED0, &vmx_cr0_fixed0) < 0 ||
        hw->rdmsr(VMX_MSR_CR0_FIXED1, &vmx_cr0_fixed1) < 0 ||
        hw->rdmsr(VMX_MSR_CR4_FIXED0, &vmx_cr4_fixed0) < 0 ||
        hw->rdmsr(VMX_MSR_CR4_FIXED1, &vmx_cr4_fixed1) < 0)
        return -E_NOTSUP;
    return 0;
}

int vmx_cpu_on(const struct vmx_cpu_hw *hw, u32 cpu, u64 region, u32 revision)
{
    u64 fc = 0, write;
    int plan;

    if (hw->rdmsr(VMX_MSR_FEATURE_CONTROL, &fc) < 0)
        fc = 0;
    plan = vmx_feature_control_plan(fc, &write);
    if (plan < 0) {
        log_err("vmx", "CPU %u: VMX disabled and locked by firmware "
                "(IA32_FEATURE_CONTROL 0x%llx)", cpu, (unsigned long long)fc);
        return plan;
    }
    if (plan > 0) {
        if (hw->wrmsr(VMX_MSR_FEATURE_CONTROL, write) < 0) {
            log_err("vmx", "CPU %u: IA32_FEATURE_CONTROL refused 0x%llx", cpu,
                    (unsigned long long)write);
            return -E_NOTSUP;
        }
        log_info("vmx", "CPU %u: IA32_FEATURE_CONTROL was open (0x%llx): "
                 "locked with VMXON allowed", cpu, (unsigned long long)fc);
    }
    if (read_fixed(hw) < 0) {
        log_err("vmx", "CPU %u: the VMX fixed-bit MSRs cannot be read", cpu);
        return -E_NOTSUP;
    }
    hw->write_cr0((hw->read_cr0() | vmx_cr0_fixed0) & vmx_cr0_fixed1);
    hw->write_cr4((hw->read_cr4() | vmx_cr4_fixed0 | VMX_CR4_VMXE) &
                  vmx_cr4_fixed1);
    hw->set_revision(region, revision);
    if (!hw->vmxon(region)) {
        log_err("vmx", "CPU %u: VMXON failed (region %llx)", cpu,
                (unsigned long long)region);
        return -E_NOTSUP;
    }
    return 0;
}

int vmx_cpu_off(const struct vmx_cpu_hw *hw, u32 cpu, u64 vmcs)
{
    if (vmcs && !hw->vmclear(vmcs)) {
        log_err("vmx", "CPU %u: VMCLEAR of the VMCS at %llx failed", cpu,
                (unsigned long long)vmcs);
        return -E_IO;
    }
    if (!hw->vmxoff()) {
        log_err("vmx", "CPU %u: VMXOFF failed", cpu);
        return -E_IO;
    }
    return 0;
}

int vmx_vmcs_load(const struct vmx_cpu_hw *hw, u32 cpu, u64 vmcs)
{
    if (!hw->vmclear(vmcs) || !hw->vmptrld(vmcs)) {
        log_err("vmx", "CPU %u: the VMCS at %llx cannot be made current", cpu,
                (unsigned long long)vmcs);
        return -E_IO;
    }
    return 0;
}
