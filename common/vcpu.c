/* Turning the running machine into the guest: enable the backend, build
 * the second-level map, create the BSP's vcpu, prepare the BIOS boot and
 * run the exit loop. The last init stage; it does not return. */
#include <common/backend.h>
#include <common/bios_boot.h>
#include <common/exit.h>
#include <common/guest_mem.h>
#include <common/guest_policy.h>
#include <common/smp.h>
#include <common/uefi_boot.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/percpu.h>
#include <platform/trap.h>

const struct vcpu_ops *vcpu_ops;
static struct vcpu bsp_vcpu;
struct vcpu *vcpus[MAX_CPUS];
u32 vcpu_count;
u64 slat_generation;

void vcpu_register(struct vcpu *v)
{
    vcpus[v->index] = v;
    if (v->index + 1 > __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE))
        __atomic_store_n(&vcpu_count, v->index + 1, __ATOMIC_RELEASE);
}

void vcpu_set_init_state(struct vcpu *v, bool wait_sipi)
{
    struct vcpu_state *s = &v->state;
    const struct segment data = { 0, 0x93, 0xffff, 0 };

    for (int r = 0; r < GPR_COUNT; r++)
        v->regs.gpr[r] = 0;
    v->regs.gpr[GPR_RDX] = cpuid(1).eax;   /* the CPU signature */
    s->rip = 0xfff0;
    s->rflags = 2;
    s->cr0 = CR0_ET | CR0_CD | CR0_NW;
    s->cr2 = s->cr3 = s->cr4 = 0;
    s->efer = 0;
    s->pat = 0x0007040600070406ULL;
    s->dr7 = 0x400;
    s->seg[SEG_CS] = (struct segment){ 0xf000, 0x9b, 0xffff, 0xffff0000 };
    s->seg[SEG_DS] = s->seg[SEG_ES] = s->seg[SEG_FS] = s->seg[SEG_GS] =
        s->seg[SEG_SS] = data;
    s->seg[SEG_LDTR] = (struct segment){ 0, 0x82, 0xffff, 0 };
    s->seg[SEG_TR] = (struct segment){ 0, 0x8b, 0xffff, 0 };
    s->gdtr = (struct dtable){ 0, 0xffff };
    s->idtr = (struct dtable){ 0, 0xffff };
    s->sysenter_cs = s->sysenter_esp = s->sysenter_eip = 0;
    s->kernel_gs_base = 0;
    s->intr_state = 0;
    s->activity = wait_sipi ? ACT_WAIT_SIPI : ACT_ACTIVE;
    s->valid = VS_ALL;
    s->dirty = VS_ALL;
    v->xcr0 = 1;
}

struct vcpu *current_vcpu(void)
{
    return this_cpu()->vcpu;
}

static void vmm_panic_report(void)
{
    struct vcpu *v = this_cpu() ? this_cpu()->vcpu : NULL;

    if (v && vcpu_ops)
        vcpu_ops->dump(v);
}

/* Physical address space the second-level map covers: everything the CPU
 * can address (MMIO windows above RAM included), capped where 2 MiB pages
 * would cost too much. */
u64 guest_space_top(void)
{
    u32 bits = cpu_phys_addr_bits();

    if (bits > 46)
        bits = 46;
    u64 top = 1ULL << bits;
    return top;
}

/* The backend stage: virtualization on and the second-level map built, so
 * that later stages (devices) can hook MMIO ranges. */
static int backend_start(void)
{
    int r;

    if (!active_backend->ops)
        refuse_to_start("the %s backend cannot run a guest in this version "
                        "(its guest operations are not built yet)",
                        active_backend->name);
    vcpu_ops = active_backend->ops;
    if (nested_opt_requested() && !vcpu_ops->nested_svm && !vcpu_ops->nested_vmx)
        log_warn("guest", "vmm.nested=1: the %s backend has no nested "
                 "virtualization yet; virtualization stays hidden",
                 active_backend->name);
    else if (nested_svm_exposed())
        log_info("guest", "vmm.nested=1: SVM shown to the guest (VMRUN "
                 "emulated, no nested paging)");
    else if (nested_vmx_exposed())
        log_info("guest", "vmm.nested=1: VMX shown to the guest (VMX "
                 "instructions emulated, EPT for L1)");
    panic_report_hook = vmm_panic_report;
    guest_mem_init(direct_map_top, vmm_region_base, vmm_region_size);
    if ((r = vcpu_ops->cpu_enable()) < 0)
        refuse_to_start("the %s backend could not enable virtualization on "
                        "this CPU (error %d)", active_backend->name, r);
    if ((r = vcpu_ops->memory_init(guest_space_top(), vmm_region_base,
                                   vmm_region_size)) < 0)
        panic("guest: second-level address translation failed (error %d)", r);
    return 0;
}
INIT_FUNC(backend, 50, backend_start);

static int guest_launch(void)
{
    struct vcpu *v = &bsp_vcpu;
    int r;

    v->index = 0;
    v->apic_id = this_cpu()->apic_id;
    this_cpu()->vcpu = v;
    if ((r = vcpu_ops->vcpu_create(v)) < 0)
        panic("guest: cannot create the boot CPU's vcpu (error %d)", r);
    msr_policy_init(v);
    io_policy_init(v);
    vcpu_register(v);
    smp_vcpu_policy(v);
    if (boot_info.uefi_entry)
        r = uefi_boot_prepare(v);
    else
        r = bios_boot_prepare(v);
    if (r < 0)
        panic("guest: cannot prepare the guest start (error %d)", r);
    log_info("veneer", "running the guest (backend %s, %u CPU%s)",
             active_backend->name, vcpu_count, vcpu_count == 1 ? "" : "s");
    vcpu_loop(v);
}

INIT_FUNC(late, 99, guest_launch);
