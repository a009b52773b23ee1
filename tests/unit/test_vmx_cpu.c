/* VMX operation on one CPU around an S3 sleep (intel-vmx/vmx_cpu.c), run
 * against a model of the CPU: VMXON's conditions (CR4.VMXE, the locked
 * IA32_FEATURE_CONTROL with VMXON allowed, the revision, not already in
 * VMX operation), a VMCS whose data lives in the CPU's cache while it is
 * current and reaches memory only at VMCLEAR, and a sleep that loses that
 * cache, VMX operation, CR4 and the MSR. The Bochs 2.7 BIOS's resume
 * path locks the MSR (VMX allowed) on every CPU; another firmware may leave
 * it open, or lock it with VMX off. */
#include "check.h"
#include <intel-vmx/vmx_cpu.h>
#include <platform/log.h>
#include <stdarg.h>

#define REV 0x12345u
#define FIXED0_CR0 0x80000021ull /* PG PE NE, as a CPU without unrestricted */
#define FIXED0_CR4 VMX_CR4_VMXE

enum launch { CLEAR, LAUNCHED };

struct vmcs_model {
    u64 pa;
    u32 mem_data;          /* what the VMCS region in memory holds */
    enum launch mem_launch;
    bool cached;           /* the CPU holds its data (current, or was) */
    u32 cache_data;
    enum launch cache_launch;
};

static struct {
    u64 fc, cr0, cr4;
    bool in_vmx, msr_gp;
    u64 vmxon_region, current;
    u32 revision_at[8];    /* the first dword of pages 1..7 (pa 0x1000*i) */
    struct vmcs_model vmcs[2];
    int vmxons, vmclears, vmptrlds, vmxoffs;
} cpu;

static char last_log[256];

void log_write(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
    va_list ap;

    (void)lvl;
    (void)subsys;
    va_start(ap, fmt);
    vsnprintf(last_log, sizeof(last_log), fmt, ap);
    va_end(ap);
}

static struct vmcs_model *vmcs_at(u64 pa)
{
    for (int i = 0; i < 2; i++)
        if (cpu.vmcs[i].pa == pa)
            return &cpu.vmcs[i];
    return NULL;
}

static int m_rdmsr(u32 msr, u64 *v)
{
    switch (msr) {
    case VMX_MSR_FEATURE_CONTROL: *v = cpu.fc; return 0;
    case VMX_MSR_CR0_FIXED0: *v = FIXED0_CR0; return 0;
    case VMX_MSR_CR0_FIXED1: *v = 0xffffffffull; return 0;
    case VMX_MSR_CR4_FIXED0: *v = FIXED0_CR4; return 0;
    case VMX_MSR_CR4_FIXED1: *v = 0x3767ffull; return 0;
    }
    return -1;
}

static int m_wrmsr(u32 msr, u64 v)
{
    /* a locked IA32_FEATURE_CONTROL takes no write until the next reset */
    if (msr != VMX_MSR_FEATURE_CONTROL || (cpu.fc & VMX_FC_LOCK) || cpu.msr_gp)
        return -1;
    cpu.fc = v;
    return 0;
}

static u64 m_read_cr0(void) { return cpu.cr0; }
static void m_write_cr0(u64 v) { cpu.cr0 = v; }
static u64 m_read_cr4(void) { return cpu.cr4; }
static void m_write_cr4(u64 v) { cpu.cr4 = v; }

static bool m_vmxon(u64 pa)
{
    cpu.vmxons++;
    if (!(cpu.cr4 & VMX_CR4_VMXE) || !(cpu.fc & VMX_FC_LOCK) ||
        !(cpu.fc & VMX_FC_VMXON_OUTSIDE_SMX) || !(cpu.cr0 & 0x20))
        return false; /* #GP */
    if (cpu.in_vmx || cpu.revision_at[pa >> 12] != REV)
        return false; /* VMfail */
    cpu.in_vmx = true;
    cpu.vmxon_region = pa;
    return true;
}

static bool m_vmclear(u64 pa)
{
    struct vmcs_model *m = vmcs_at(pa);

    cpu.vmclears++;
    if (!cpu.in_vmx || !m || pa == cpu.vmxon_region)
        return false;
    if (m->cached) {
        m->mem_data = m->cache_data;
        m->cached = false;
    }
    m->mem_launch = CLEAR;
    if (cpu.current == pa)
        cpu.current = 0;
    return true;
}

static bool m_vmptrld(u64 pa)
{
    struct vmcs_model *m = vmcs_at(pa);

    cpu.vmptrlds++;
    if (!cpu.in_vmx || !m || cpu.revision_at[pa >> 12] != REV)
        return false;
    if (!m->cached) {
        m->cache_data = m->mem_data;
        m->cache_launch = m->mem_launch;
        m->cached = true;
    }
    cpu.current = pa;
    return true;
}

static bool m_vmxoff(void)
{
    cpu.vmxoffs++;
    if (!cpu.in_vmx)
        return false;
    cpu.in_vmx = false; /* a cached VMCS stays cached: VMCLEAR flushes it */
    cpu.current = 0;
    return true;
}

static void m_set_revision(u64 pa, u32 rev)
{
    cpu.revision_at[pa >> 12] = rev;
}

static const struct vmx_cpu_hw hw = {
    .rdmsr = m_rdmsr, .wrmsr = m_wrmsr,
    .read_cr0 = m_read_cr0, .write_cr0 = m_write_cr0,
    .read_cr4 = m_read_cr4, .write_cr4 = m_write_cr4,
    .vmxon = m_vmxon, .vmclear = m_vmclear, .vmptrld = m_vmptrld,
    .vmxoff = m_vmxoff, .set_revision = m_set_revision,
};

/* The guest runs: VMWRITEs and exits change the VMCS in the CPU only. */
static void run_guest(u32 data)
{
    struct vmcs_model *m = vmcs_at(cpu.current);

    if (m) {
        m->cache_data = data;
        m->cache_launch = LAUNCHED;
    }
}

/* S3 or any reset: the CPU loses its VMX state and caches; RAM stays.
 * `fw_fc` is what the firmware's resume path leaves in the MSR. */
static void power_cycle(u64 fw_fc)
{
    cpu.in_vmx = false;
    cpu.current = 0;
    cpu.vmxon_region = 0;
    cpu.cr4 = 0;
    cpu.cr0 = 0x60000010; /* CD NW ET */
    for (int i = 0; i < 2; i++)
        cpu.vmcs[i].cached = false;
    cpu.fc = fw_fc;
}

static void boot(u64 fc)
{
    memset(&cpu, 0, sizeof(cpu));
    cpu.vmcs[0].pa = 0x2000;
    cpu.vmcs[1].pa = 0x3000;
    cpu.revision_at[2] = cpu.revision_at[3] = REV;
    cpu.fc = fc;
    cpu.cr0 = 0x80000011; /* the VMM's PG PE ET */
    cpu.cr4 = 0x20;       /* PAE */
}

static void test_plan(void)
{
    u64 w;

    CHECK_EQ(vmx_feature_control_plan(0, &w), 1);
    CHECK_EQ(w, VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX);
    CHECK_EQ(vmx_feature_control_plan(BIT(20), &w), 1); /* other bits kept */
    CHECK_EQ(w, BIT(20) | VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX);
    CHECK_EQ(vmx_feature_control_plan(VMX_FC_VMXON_OUTSIDE_SMX, &w), 1);
    CHECK_EQ(vmx_feature_control_plan(VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX, &w), 0);
    CHECK_EQ(w, 0);
    CHECK_EQ(vmx_feature_control_plan(VMX_FC_LOCK, &w), -E_NOTSUP);
    CHECK_EQ(vmx_feature_control_plan(VMX_FC_LOCK | BIT(1), &w), -E_NOTSUP);
}

/* Boot, the guest runs, S3, the firmware locks the MSR with VMX on (the
 * Bochs BIOS) or leaves it open: the same VMXON
 * region, the VMCS's data as the guest left it, the next entry a launch. */
static void test_sleep_wake(u64 fw_fc)
{
    boot(0);
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK_EQ(cpu.fc, VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX);
    CHECK(cpu.cr4 & VMX_CR4_VMXE);
    CHECK(cpu.cr0 & 0x20);
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x2000), 0);
    CHECK_EQ(cpu.current, 0x2000);
    run_guest(42);

    CHECK_EQ(vmx_cpu_off(&hw, 0, 0x2000), 0);
    CHECK(!cpu.in_vmx);
    CHECK_EQ(cpu.vmcs[0].mem_data, 42);
    power_cycle(fw_fc);

    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK(cpu.in_vmx);
    CHECK_EQ(cpu.vmxon_region, 0x1000);
    CHECK(cpu.fc & VMX_FC_LOCK);
    CHECK(cpu.fc & VMX_FC_VMXON_OUTSIDE_SMX);
    CHECK(cpu.cr4 & VMX_CR4_VMXE);
    CHECK(cpu.cr0 & 0x20); /* NE from the fixed-0 bits, after the reset's CR0 */
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x2000), 0);
    CHECK_EQ(cpu.current, 0x2000);
    CHECK_EQ(cpu.vmcs[0].cache_data, 42);
    CHECK_EQ(cpu.vmcs[0].cache_launch, CLEAR);
}

/* The model catches a missing VMCLEAR: without vmx_cpu_off before the
 * sleep the guest's last VMCS data never reaches memory. */
static void test_model_loses_uncleared(void)
{
    boot(0);
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x2000), 0);
    run_guest(42);
    power_cycle(0);
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x2000), 0);
    CHECK(cpu.vmcs[0].cache_data != 42);
}

/* The sleep given up after the parked CPU left VMX operation: VMXON again
 * without a reset, the VMCS current again with what it held. */
static void test_given_up(void)
{
    boot(VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX);
    CHECK_EQ(vmx_cpu_on(&hw, 1, 0x1000, REV), 0);
    CHECK_EQ(cpu.fc, VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX); /* not written */
    CHECK_EQ(vmx_vmcs_load(&hw, 1, 0x3000), 0);
    run_guest(7);
    CHECK_EQ(vmx_cpu_off(&hw, 1, 0x3000), 0);
    CHECK_EQ(vmx_cpu_on(&hw, 1, 0x1000, REV), 0);
    CHECK_EQ(vmx_vmcs_load(&hw, 1, 0x3000), 0);
    CHECK_EQ(cpu.vmcs[1].cache_data, 7);
    CHECK_EQ(cpu.vmcs[1].cache_launch, CLEAR);
    /* a second VMXON without VMXOFF is refused, and said so */
    CHECK_EQ(vmx_cpu_on(&hw, 1, 0x1000, REV), -E_NOTSUP);
    CHECK(strstr(last_log, "VMXON failed") != NULL);
}

/* The firmware's resume path locked the MSR with VMX off: refused with
 * one line naming it, and VMXON never tried. */
static void test_locked_off(void)
{
    boot(0);
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x2000), 0);
    CHECK_EQ(vmx_cpu_off(&hw, 0, 0x2000), 0);
    power_cycle(VMX_FC_LOCK);
    int before = cpu.vmxons;
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), -E_NOTSUP);
    CHECK_EQ(cpu.vmxons, before);
    CHECK(strstr(last_log, "locked by firmware") != NULL);
    CHECK(!cpu.in_vmx);
    /* the MSR unreadable is taken as open; a refused write is reported */
    boot(0);
    cpu.msr_gp = true;
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), -E_NOTSUP);
    CHECK(strstr(last_log, "IA32_FEATURE_CONTROL refused") != NULL);
}

/* VMCLEAR or VMXOFF failing (a VMCS pointer that is the VMXON region, or
 * no VMX operation): an error, never silence. */
static void test_failures(void)
{
    boot(0);
    CHECK_EQ(vmx_cpu_off(&hw, 0, 0x2000), -E_IO); /* not in VMX operation */
    CHECK_EQ(vmx_cpu_on(&hw, 0, 0x1000, REV), 0);
    CHECK_EQ(vmx_vmcs_load(&hw, 0, 0x1000), -E_IO);
    CHECK(strstr(last_log, "cannot be made current") != NULL);
    CHECK_EQ(vmx_cpu_off(&hw, 0, 0x1000), -E_IO);
    CHECK(strstr(last_log, "VMCLEAR") != NULL);
    CHECK(cpu.in_vmx); /* VMXOFF not tried after the failed VMCLEAR */
}

int main(void)
{
    test_plan();
    test_sleep_wake(VMX_FC_LOCK | VMX_FC_VMXON_OUTSIDE_SMX);
    test_sleep_wake(0);
    test_model_loses_uncleared();
    test_given_up();
    test_locked_off();
    test_failures();
    return check_done("vmx_cpu");
}
