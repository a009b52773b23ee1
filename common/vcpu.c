/* Turning the running machine into the guest: enable the backend, build
 * the second-level map, create the BSP's vcpu, prepare the BIOS boot and
 * run the exit loop. The last init stage; it does not return. */
#include <common/backend.h>
#include <common/bios_boot.h>
#include <common/exit.h>
#include <common/guest_mem.h>
#include <common/guest_policy.h>
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
static u64 guest_space_top(void)
{
    u32 bits = 36;

    if (cpuid(0x80000000).eax >= 0x80000008)
        bits = cpuid(0x80000008).eax & 0xff;
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
    struct vcpu_exit e;
    int r;

    v->index = 0;
    this_cpu()->vcpu = v;
    if ((r = vcpu_ops->vcpu_create(v)) < 0)
        panic("guest: cannot create the boot CPU's vcpu (error %d)", r);
    msr_policy_init(v);
    io_policy_init(v);
    if ((r = bios_boot_prepare(v)) < 0)
        panic("guest: cannot prepare the BIOS boot (error %d)", r);
    log_info("veneer", "running the guest (backend %s)", active_backend->name);
    for (;;) {
        vcpu_ops->run(v, &e);
        exit_dispatch(v, &e);
    }
}
INIT_FUNC(late, 99, guest_launch);
