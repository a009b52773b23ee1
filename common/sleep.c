/* S3 (suspend to RAM) under the VMM (docs/sleep.md).
 *
 * The guest's OS asks for S3 by writing SLP_TYP=S3 with SLP_EN to PM1a
 * control (common/acpi_vmm.c owns those ports). Every CPU then loses its
 * state, virtualization included, and the firmware's resume path jumps to
 * the FACS's waking vector in real mode. That vector must lead back into
 * the VMM first, so for the sleep the VMM puts its own start-up code in a
 * page below 1 MiB and points the FACS at it; the guest's own vectors are
 * kept and written back before the guest runs again, so that it reads
 * back what it wrote. After the wake the VMM re-enters long mode,
 * re-enables virtualization, starts the APs into the VMM again and
 * resumes the guest at the guest's own waking vector (real mode, 32-bit
 * protected mode or 64-bit mode, as its FACS asks), as the firmware would
 * have on bare metal. Device mediators drop what the sleep
 * took from their controllers ("resume" stage). The keys never leave VMM
 * memory, which S3 keeps powered. */
#include <common/acpi/probe.h>
#include <common/exit.h>
#include <common/sleep.h>
#include <common/sleep_entry.h>
#include <common/smp.h>
#include <common/vcpu.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/percpu.h>
#include <platform/smp.h>
#include <platform/trap.h>
#include <string.h>

/* What the sleep keeps for the wake (in VMM memory, which S3 preserves). */
static struct {
    u64 facs_pa;
    u32 guest_vector;   /* FACS.Firmware_Waking_Vector as the guest set it */
    u64 guest_x_vector; /* FACS.X_Firmware_Waking_Vector (version >= 1) */
    bool has_x;
    u64 wake_page;      /* the VMM's start-up page: its waking vector */
    struct s3_entry entry; /* where and how the guest resumes */
    u32 count;          /* completed S3 cycles */
} s3;

/* Guest pages for the 64-bit wake's page tables (S3_WAKE_PT_PAGES),
 * reserved in the guest's memory map by its boot path; 0: none. */
static u64 wake_pt_base;

void sleep_set_wake_tables(u64 pa)
{
    wake_pt_base = pa;
}

static struct s3_wake_limits wake_limits(void)
{
    return (struct s3_wake_limits){ wake_pt_base, vmm_region_base,
                                    vmm_region_size, guest_space_top() };
}

/* The FACS, if it lies in RAM the VMM maps and outside its own region. */
static struct acpi_facs *facs_map(u64 pa)
{
    if (!pa || pa + sizeof(struct acpi_facs) < pa ||
        pa + sizeof(struct acpi_facs) > direct_map_top)
        return NULL;
    if (pa < vmm_region_base + vmm_region_size &&
        pa + sizeof(struct acpi_facs) > vmm_region_base)
        return NULL;
    struct acpi_facs *f = phys_to_virt(pa);
    if (f->signature[0] != 'F' || f->signature[1] != 'A' ||
        f->signature[2] != 'C' || f->signature[3] != 'S' ||
        f->length < sizeof(struct acpi_facs))
        return NULL;
    return f;
}

/* A request the VMM cannot carry out: dropped as before S3 support (the
 * guest's write is skipped; its OS sees the sleep fail or waits). */
static int refuse(struct vcpu *v, const struct vcpu_exit *e, const char *why)
{
    log_warn("sleep", "the guest requests S3 (suspend to RAM): %s; the request "
             "is dropped", why);
    vcpu_ops->skip_instruction(v, e);
    return -E_NOTSUP;
}

static __noreturn void s3_wake(void);

/* The 64-bit wake's identity page tables, written into the guest pages
 * reserved for them (s3_wake_tables) just before the guest runs: the
 * firmware's resume path may have used that memory, and the guest may
 * have written it since the last wake (it only harms itself: the pages
 * are its own, translated by the second-level map like all its memory).
 * Returns the CR3 for them. */
static u64 wake_tables_write(u64 vector)
{
    struct s3_wake_limits lim = wake_limits();
    const char *why = s3_wake_tables(phys_to_virt(lim.pt_base), &lim, vector);

    if (why) /* built at the sleep from the same inputs: cannot happen */
        panic("sleep: the 64-bit wake's page tables at 0x%llx: %s",
              (unsigned long long)lim.pt_base, why);
    return lim.pt_base;
}

/* The guest's CPU as the firmware hands it over at the waking vector
 * (s3_entry_plan): from the state after INIT, real mode at CS:IP; 32-bit
 * protected mode, paging off, flat 4 GiB segments (the selectors mean
 * nothing: the OS loads its own GDT); or 64-bit mode on identity page
 * tables, a 64-bit code segment and flat data segments (edk2's
 * S3ResumeBootOs jumps there on its own long-mode tables); interrupts
 * off in each. */
static void s3_guest_entry(struct vcpu *v, const struct s3_entry *to)
{
    struct vcpu_state *s = &v->state;

    vcpu_set_init_state(v, false);
    if (to->mode == S3_ENTRY_PM32 || to->mode == S3_ENTRY_LM64) {
        const struct segment data = { 0x10, 0xc093, 0xffffffff, 0 };
        s->cr0 = CR0_PE | CR0_ET;
        s->seg[SEG_CS] = (struct segment){ 0x08, 0xc09b, 0xffffffff, 0 };
        s->seg[SEG_DS] = s->seg[SEG_ES] = s->seg[SEG_FS] = s->seg[SEG_GS] =
            s->seg[SEG_SS] = data;
    }
    if (to->mode == S3_ENTRY_LM64) {
        s->cr3 = wake_tables_write(to->rip);
        s->cr4 = CR4_PAE;
        s->efer = EFER_LME | EFER_LMA;
        s->cr0 |= CR0_PG;
        s->seg[SEG_CS] = (struct segment){ 0x08, 0xa09b, 0xffffffff, 0 }; /* L */
    } else if (to->mode == S3_ENTRY_REAL) {
        s->seg[SEG_CS] = (struct segment){ to->cs, 0x9b, 0xffff, (u64)to->cs << 4 };
    }
    s->rip = to->rip;
    vcpu_state_set(v, VS_ALL);
}

/* The sleeping CPU's vcpu control block written back to memory
 * (vcpu_ops->s3_suspend; from here no op may touch it until s3_resume).
 * If the backend cannot, the sleep is given up: the control block current
 * again, the other CPUs back to their guests, the start-up page restored. */
static int s3_suspend_self(struct vcpu *v)
{
    int r = vcpu_ops->s3_suspend(v);

    if (r == 0)
        return 0;
    if (vcpu_ops->s3_resume(v) < 0)
        panic("sleep: CPU %u's virtualization could be neither left nor "
              "entered again for S3", v->index);
    smp_boot_done();
    smp_unpark_others();
    return r;
}

/* The S3 request in v's PM1 control write `e`. Returns only when it is
 * refused (logged, the write skipped); otherwise the machine sleeps and
 * the VMM continues in s3_wake. */
int sleep_s3(struct vcpu *v, const struct vcpu_exit *e,
             const struct acpi_platform *pf, bool pm1b)
{
    struct acpi_facs *f;

    if (pm1b || pf->fadt.pm1b_cnt.address)
        return refuse(v, e, "the FADT has a PM1b control block (two writes "
                      "make the request): not handled yet");
    if (!pf->have_facs || !(f = facs_map(pf->fadt.facs)))
        return refuse(v, e, "no usable FACS (its waking vector is how the "
                      "VMM gets the CPU back)");
    /* one read of the table the guest's other CPUs may still write */
    struct acpi_facs snap;
    memcpy(&snap, f, sizeof(snap));
    __asm__ volatile("" ::: "memory");
    u32 vector = snap.firmware_waking_vector;
    bool has_x = snap.version >= 1;
    u64 xvector = has_x ? snap.x_firmware_waking_vector : 0;
    struct s3_entry entry;
    struct s3_wake_limits lim = wake_limits();
    const char *bad = s3_entry_plan(&snap, &lim, &entry);
    /* the tables built once now (the guest's pages; built again at the
     * wake): whatever they could refuse is refused here, not at the wake */
    if (!bad && entry.mode == S3_ENTRY_LM64)
        bad = s3_wake_tables(phys_to_virt(lim.pt_base), &lim, entry.rip);
    if (bad)
        return refuse(v, e, bad);
    if (smp_park_others() < 0)
        return refuse(v, e, "not every other CPU stopped in the VMM");
    u64 page = smp_wake_prepare(s3_wake);
    if (!page) {
        smp_unpark_others();
        return refuse(v, e, "no page below 1 MiB for the VMM's wake code");
    }
    run_init_stage("suspend");
    if (s3_suspend_self(v) < 0)
        return refuse(v, e, "this CPU's virtualization state could not be "
                      "written back for the sleep");
    s3.facs_pa = pf->fadt.facs;
    s3.guest_vector = vector;
    s3.guest_x_vector = xvector;
    s3.has_x = has_x;
    s3.wake_page = page;
    s3.entry = entry;
    f->firmware_waking_vector = (u32)page;
    if (has_x)
        f->x_firmware_waking_vector = 0;
    log_info("sleep", "S3: the guest's waking vector 0x%x kept; the firmware "
             "will wake the VMM at 0x%llx; CPU %u enters S3 (PM1a 0x%x <- 0x%x); "
             "the guest's 64-bit vector 0x%llx", vector,
             (unsigned long long)page, v->index, e->io.port,
             (unsigned)(u16)v->regs.gpr[GPR_RAX], (unsigned long long)xvector);
    __asm__ volatile("wbinvd" ::: "memory"); /* ACPI 6.5 7.4.2: caches flushed */
    /* The guest's write itself (an OUT's AL, AX or EAX), not through
     * io_passthrough: its instruction skip would need the control block. */
    io_port_write(e->io.port, e->io.size, (u32)v->regs.gpr[GPR_RAX]);
    /* The write puts the machine to sleep; on an emulator the CPU may run
     * on for a moment. */
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* The BSP after the wake, in the VMM's long mode on its own tables
 * (platform/smp.c bsp_wake64): virtualization, the firmware's table as the
 * guest left it, the devices, the APs, then the guest at its own vector. */
static __noreturn void s3_wake(void)
{
    struct vcpu *v = vcpus[0];
    struct acpi_facs *f = facs_map(s3.facs_pa);
    int r;

    log_info("sleep", "S3 wake: the BSP is back in the VMM (through 0x%llx)",
             (unsigned long long)s3.wake_page);
    if ((r = vcpu_ops->s3_resume(v)) < 0)
        panic("sleep: virtualization could not be enabled again after the "
              "S3 wake (error %d): the guest cannot resume under the VMM", r);
    if (f) {
        f->firmware_waking_vector = s3.guest_vector;
        if (s3.has_x)
            f->x_firmware_waking_vector = s3.guest_x_vector;
        log_info("sleep", "S3 wake: FACS waking vector 0x%x again (the "
                 "guest's), 64-bit 0x%llx",
                 *(volatile u32 *)&f->firmware_waking_vector,
                 (unsigned long long)(s3.has_x ? f->x_firmware_waking_vector : 0));
    } else {
        log_err("sleep", "S3 wake: the FACS at 0x%llx is no longer valid; the "
                "guest's waking vector is not written back",
                (unsigned long long)s3.facs_pa);
    }
    run_init_stage("resume");
    smp_wake_aps();

    this_cpu()->vcpu = v;
    vcpu_ops->wait_for_sipi(v); /* drops pending events, flushes the TLB */
    s3_guest_entry(v, &s3.entry);
    __atomic_store_n(&v->pending_init, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->pending_sipi, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->wait_for_sipi, false, __ATOMIC_RELEASE);
    v->slat_gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
    s3.count++;
    if (s3.entry.mode == S3_ENTRY_PM32)
        log_info("sleep", "S3 resume %u: the guest resumes at its waking vector "
                 "0x%llx (X_Firmware_Waking_Vector, 32-bit protected mode)",
                 s3.count, (unsigned long long)s3.entry.rip);
    else if (s3.entry.mode == S3_ENTRY_LM64)
        log_info("sleep", "S3 resume %u: the guest resumes at its waking vector "
                 "0x%llx (X_Firmware_Waking_Vector, 64-bit mode, identity page "
                 "tables at 0x%llx)", s3.count, (unsigned long long)s3.entry.rip,
                 (unsigned long long)v->state.cr3);
    else
        log_info("sleep", "S3 resume %u: the guest resumes at its waking vector "
                 "%04x:%04llx", s3.count, s3.entry.cs,
                 (unsigned long long)s3.entry.rip);
    vcpu_loop(v);
}
