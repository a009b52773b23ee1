/* All CPUs under the VMM (see smp.h and docs/smp.md).
 *
 * At the end of boot (after the devices, before the guest) the BSP starts
 * every enabled CPU of the MADT into the VMM (platform/smp.c). Each AP
 * enables virtualization, creates its vcpu in the state after INIT and
 * waits for the guest's SIPI:
 * - by default (vmm.apic_intercept=1; the only way on SVM) in the VMM
 *   (vcpu_loop): the guest's INIT and SIPI never reach the CPUs: the VMM
 *   intercepts the local APIC's ICR (common/apic.c) and posts them here,
 *   and the target CPU applies them itself (smp_take_signals). A CPU in
 *   the guest is kicked out of it with an NMI it recognizes (smp_kick).
 * - VMX with vmm.apic_intercept=0: in the guest, in the wait-for-SIPI
 *   activity state; the guest's INIT and SIPI are VM exits (smp_on_init,
 *   smp_on_sipi). Bochs 2.7 never clears an INIT that caused a VM exit
 *   (the CPU exits for it again at every entry), so this path cannot run
 *   a guest's CPU start there; docs/smp.md.
 * An INIT the guest sends to the BSP resets the machine. */
#include <common/backend.h>
#include <common/exit.h>
#include <common/guest_policy.h>
#include <common/smp.h>
#include <common/acpi/probe.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/percpu.h>
#include <platform/simd.h>
#include <platform/smp.h>
#include <platform/trap.h>

const struct acpi_platform *acpi_platform(void);

static bool apic_intercept_opt = true;
OPTION_BOOL("vmm.apic_intercept", apic_intercept_opt,
            "intercept the guest's local APIC ICR and deliver INIT/SIPI in "
            "the VMM (default 1; 0: VMX's own INIT/SIPI exits, not on SVM)");

static bool vmm_sipi;      /* the VMM delivers INIT/SIPI (ICR intercepted) */
static volatile u32 ap_ready; /* index of the AP that finished its set-up */
static volatile int ap_error;

bool smp_vmm_sipi(void)
{
    return vmm_sipi;
}

struct vcpu *smp_vcpu_by_apic_id(u32 id)
{
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);

    for (u32 i = 0; i < n; i++)
        if (vcpus[i] && vcpus[i]->apic_id == id)
            return vcpus[i];
    return NULL;
}

void smp_vcpu_policy(struct vcpu *v)
{
    v->apic_dfr = 0xffffffff; /* flat model, as after reset */
    if (vmm_sipi) {
        vcpu_ops->msr_intercept(v, MSR_X2APIC_ICR, false, true);
        vcpu_ops->msr_intercept(v, MSR_IA32_APIC_BASE, false, true);
        for (u32 m = 0x82f; m <= 0x837; m++)
            if (apic_x2apic_is_lvt(m))
                vcpu_ops->msr_intercept(v, m, false, true);
    }
}

/* ---- start-up signals -------------------------------------------------- */

static void do_init(struct vcpu *v)
{
    vcpu_set_init_state(v, true);
    vcpu_ops->wait_for_sipi(v);
    log_debug("smp", "CPU %u: INIT from the guest; waiting for SIPI", v->index);
}

static u64 exits_total(const struct vcpu *v)
{
    u64 t = 0;

    for (int k = 0; k < EXIT_KIND_COUNT; k++)
        t += v->exit_counts[k];
    return t;
}

static void do_sipi(struct vcpu *v, u8 vector)
{
    if (!v->wait_for_sipi) {
        log_debug("smp", "CPU %u: SIPI 0x%02x while running: ignored (as on "
                  "hardware)", v->index, vector);
        return;
    }
    v->sipis++;
    vcpu_ops->start_at_sipi(v, vector);
    v->sipi_stamp = exits_total(v);
    v->sipi_cs = (u16)(vector << 8);
    log_info("smp", "CPU %u (APIC ID %u) started by the guest at %04x:0000 "
             "(%llu halt%s while it waited)", v->index, v->apic_id,
             (unsigned)vector << 8, (unsigned long long)v->idle_halts,
             v->idle_halts == 1 ? "" : "s");
    v->idle_halts = 0;
}

void smp_on_init(struct vcpu *v)
{
    /* The guest's INIT, SIPI, SIPI to a CPU in wait-for-SIPI: INIT is
     * blocked in that state and held, so the CPU (Bochs) exits for the
     * first SIPI and then for the held INIT, before the started code ran
     * a single instruction (Bochs holds the INIT level de-assert as a
     * second INIT); the second SIPI has come and gone meanwhile.
     * On bare metal that INIT landed on a CPU already waiting (a no-op):
     * so it is here. */
    if (v->sipis && exits_total(v) == v->sipi_stamp + 1) {
        struct vcpu_state *s = vcpu_state_get(v, VS_RIP | VS_CS);
        if (s->rip == 0 && s->seg[SEG_CS].sel == v->sipi_cs) {
            log_debug("smp", "CPU %u: INIT held through wait-for-SIPI, "
                      "delivered after the SIPI: ignored", v->index);
            v->sipi_stamp = exits_total(v); /* Bochs: the de-assert too */
            return;
        }
    }
    do_init(v);
}

void smp_on_sipi(struct vcpu *v, u8 vector)
{
    do_sipi(v, vector);
}

/* The INIT is applied before its flag is cleared: from the moment an INIT
 * is posted until a SIPI starts the vcpu, pending_init or wait_for_sipi is
 * set, and smp_post_sipi reads them in that order. Clearing the flag first
 * left a gap (flag clear, wait_for_sipi not yet set) in which a SIPI was
 * taken for one to a running CPU and dropped: a guest that sends one SIPI
 * right behind its INIT to a running AP (tests/miniguest/ipi_test.S) never
 * saw that AP again. An INIT posted again while this one is applied is
 * merged with it: the state after INIT is the same. */
void smp_take_signals(struct vcpu *v)
{
    if (__atomic_load_n(&v->pending_init, __ATOMIC_ACQUIRE)) {
        do_init(v);
        __atomic_store_n(&v->pending_init, 0, __ATOMIC_SEQ_CST);
    }
    u32 sipi = __atomic_exchange_n(&v->pending_sipi, 0, __ATOMIC_ACQ_REL);
    if (sipi)
        do_sipi(v, (u8)sipi);
}

void smp_kick(struct vcpu *t)
{
    struct pcpu *c = &pcpus[t->index];

    if (t == current_vcpu())
        return;
    /* One kick NMI in flight per CPU: a second poster that finds the flag
     * still set sends none, since the NMI already on its way makes the
     * target look at every signal stored before it is taken. Two NMIs for
     * one flag would make the second look like the guest's own NMI and
     * inject a spurious one (an AP the guest just started took it at its
     * first instruction). */
    if (__atomic_exchange_n(&c->kick, 1, __ATOMIC_SEQ_CST))
        return;
    lapic_send_ipi(c->apic_id, (ICR_MODE_NMI << 8) | ICR_ASSERT);
}

/* A vcpu waiting for its SIPI in the VMM halts rather than spins: a real
 * CPU would only burn power, and an emulated or nested one (QEMU's TCG
 * threads, KVM) takes the host's time from the CPUs that work. The poster
 * of a signal stores it, then looks at `idle`; this CPU sets `idle`, then
 * looks at the signals: one of them sees the other (both sequentially
 * consistent), and a poster that sees `idle` sets `wake` and kicks. */
void smp_idle(struct vcpu *v)
{
    struct pcpu *c = this_cpu();

    __atomic_store_n(&c->idle, 1, __ATOMIC_SEQ_CST);
    if (!smp_signals_pending(v) && !vmm_stopping && !smp_parking())
        vcpu_ops->idle(&c->wake);
    __atomic_store_n(&c->idle, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->wake, 0, __ATOMIC_SEQ_CST);
    v->idle_halts++;
}

/* After a signal was stored for t: makes t look at it (out of the guest,
 * or out of its idle halt). */
static void smp_signal(struct vcpu *t)
{
    struct pcpu *c = &pcpus[t->index];

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->idle, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&c->wake, 1, __ATOMIC_SEQ_CST);
        smp_kick(t);
    } else if (!__atomic_load_n(&t->wait_for_sipi, __ATOMIC_ACQUIRE)) {
        smp_kick(t); /* in the guest: out of it */
    }
}

void smp_post_init(struct vcpu *t)
{
    __atomic_store_n(&t->pending_init, 1, __ATOMIC_SEQ_CST);
    smp_signal(t);
}

void smp_post_sipi(struct vcpu *t, u8 vector)
{
    /* A SIPI counts only for a CPU waiting for one, or about to (its INIT
     * not yet applied). pending_init first: it is cleared only after
     * wait_for_sipi is set (smp_take_signals), so that seeing it clear
     * means seeing wait_for_sipi as set, unless a SIPI started the CPU. */
    if (__atomic_load_n(&t->pending_init, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&t->wait_for_sipi, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&t->pending_sipi, 0x100u | vector, __ATOMIC_SEQ_CST);
        smp_signal(t);
    } else {
        log_debug("smp", "CPU %u: SIPI 0x%02x while running: ignored",
                  t->index, vector);
    }
}

/* ---- S3: the other CPUs parked before the sleep, started after it ------ */

/* Set by the CPU that handles a sleep request; every other CPU, at the top
 * of its loop, counts itself in `parked` and waits there, outside the guest
 * and holding no lock, until the sleep takes it or the request is given up. */
volatile u32 smp_parking_flag;
static volatile u32 parked;

/* A parked CPU writes its vcpu's control block back to memory before it
 * counts itself (vcpu_ops->s3_suspend: VMX's VMCLEAR and VMXOFF must run on
 * the CPU that holds the VMCS), so the sleeping CPU's wait covers it. */
void smp_park(struct vcpu *v)
{
    int r = vcpu_ops->s3_suspend(v);

    __atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&smp_parking_flag, __ATOMIC_SEQ_CST))
        cpu_relax();
    __atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
    if (r == 0 && (r = vcpu_ops->s3_resume(v)) < 0) {
        log_err("smp", "CPU %u: virtualization could not be entered again "
                "after a sleep given up (error %d); it stays halted in the "
                "VMM", v->index, r);
        cpu_halt_forever();
    }
    log_info("smp", "CPU %u: the sleep was given up; back to the guest", v->index);
}

/* How long the sleeping CPU waits for the others to park. */
#define PARK_WAIT_MS 2000u

int smp_park_others(void)
{
    struct vcpu *me = current_vcpu();
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE), want = 0;

    __atomic_store_n(&smp_parking_flag, 1, __ATOMIC_SEQ_CST);
    for (u32 i = 0; i < n; i++) {
        struct vcpu *t = vcpus[i];
        if (!t || t == me)
            continue;
        want++;
        smp_signal(t);
    }
    for (u32 t = 0; t < PARK_WAIT_MS && __atomic_load_n(&parked, __ATOMIC_SEQ_CST) != want; t++)
        smp_delay_us(1000);
    u32 got = __atomic_load_n(&parked, __ATOMIC_SEQ_CST);
    if (got != want) {
        log_err("smp", "S3: only %u of %u other CPU%s stopped within %u ms", got,
                want, want == 1 ? "" : "s", PARK_WAIT_MS);
        __atomic_store_n(&smp_parking_flag, 0, __ATOMIC_SEQ_CST);
        return -E_TIMEOUT;
    }
    return 0;
}

void smp_unpark_others(void)
{
    __atomic_store_n(&smp_parking_flag, 0, __ATOMIC_SEQ_CST);
}

/* An AP again after the sleep: virtualization on (the same host areas),
 * its vcpu in the state after INIT, waiting for the guest's SIPI, which
 * the guest's OS sends when it brings the CPU back online. */
static __noreturn void ap_wake_main(struct pcpu *c);

u32 smp_wake_aps(void)
{
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE), failed = 0, started = 0;

    /* the sleep reset every CPU: none is parked any more */
    __atomic_store_n(&parked, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&smp_parking_flag, 0, __ATOMIC_SEQ_CST);
    for (u32 i = 0; i < pcpu_count; i++) {
        pcpus[i].kick = 0;
        pcpus[i].idle = 0;
        pcpus[i].wake = 0;
    }
    for (u32 i = 0; i < n; i++) {
        struct vcpu *v = vcpus[i];
        if (!v || v->index == 0)
            continue;
        ap_ready = 0;
        ap_error = 0;
        if (smp_start_ap(v->index, v->apic_id, ap_wake_main) < 0) {
            failed++;
            continue;
        }
        for (u32 t = 0; t < 5000 && __atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) != v->index; t++)
            smp_delay_us(1000);
        if (__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) != v->index || ap_error) {
            if (!ap_error)
                log_err("smp", "S3 wake: CPU %u (APIC ID %u) started but never "
                        "finished its set-up", v->index, v->apic_id);
            failed++;
            continue;
        }
        started++;
    }
    smp_boot_done();
    log_info("smp", "S3 wake: %u AP%s back under the VMM, waiting for the "
             "guest's SIPI%s", started, started == 1 ? "" : "s",
             failed ? " (some could not be started: see above)" : "");
    return failed;
}

/* ---- second-level map changes ------------------------------------------ */

void slat_changed(void)
{
    struct vcpu *me = current_vcpu();
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);

    __atomic_add_fetch(&slat_generation, 1, __ATOMIC_ACQ_REL);
    for (u32 i = 0; i < n; i++) {
        struct vcpu *t = vcpus[i];
        if (t && t != me && !__atomic_load_n(&t->wait_for_sipi, __ATOMIC_ACQUIRE))
            smp_kick(t);
    }
}

/* ---- the APs ----------------------------------------------------------- */

static __noreturn void ap_fail(struct pcpu *c, const char *what, int r)
{
    log_err("smp", "CPU %u (APIC ID %u): %s (error %d); it stays halted in "
            "the VMM", c->index, c->apic_id, what, r);
    __atomic_store_n(&ap_error, r ? r : -E_IO, __ATOMIC_RELEASE);
    __atomic_store_n(&ap_ready, c->index, __ATOMIC_RELEASE);
    cpu_halt_forever();
}

static __noreturn void ap_main(struct pcpu *c)
{
    struct vcpu *v;
    int r;

    if ((r = simd_cpu_init()) < 0)
        ap_fail(c, "no memory for its vector save area", r);
    if ((r = vcpu_ops->cpu_enable()) < 0)
        ap_fail(c, "virtualization could not be enabled", r);
    v = kzalloc(sizeof(*v));
    if (!v)
        ap_fail(c, "no memory for its vcpu", -E_NOMEM);
    v->index = c->index;
    v->apic_id = c->apic_id;
    c->vcpu = v;
    if ((r = vcpu_ops->vcpu_create(v)) < 0)
        ap_fail(c, "its vcpu could not be created", r);
    msr_policy_init(v);
    io_policy_init(v);
    smp_vcpu_policy(v);
    vcpu_set_init_state(v, true);
    vcpu_ops->wait_for_sipi(v);
    v->slat_gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
    vcpu_register(v);
    __atomic_store_n(&ap_ready, c->index, __ATOMIC_RELEASE);
    vcpu_loop(v);
}

static __noreturn void ap_wake_main(struct pcpu *c)
{
    struct vcpu *v = c->vcpu;
    int r;

    if (!v)
        ap_fail(c, "it has no vcpu to resume", -E_INVAL);
    if ((r = vcpu_ops->s3_resume(v)) < 0)
        ap_fail(c, "virtualization could not be enabled again after S3", r);
    vcpu_set_init_state(v, true);
    vcpu_ops->wait_for_sipi(v);
    __atomic_store_n(&v->pending_init, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->pending_sipi, 0, __ATOMIC_SEQ_CST);
    v->slat_gen = __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE);
    __atomic_store_n(&ap_ready, c->index, __ATOMIC_RELEASE);
    vcpu_loop(v);
}

/* Starts every enabled CPU of the MADT not yet under the VMM. Returns how
 * many could not be brought under it; *started counts the others. */
static u32 start_madt_aps(const struct acpi_platform *pf, u32 *started)
{
    u32 bsp_id = pcpus[0].apic_id, failed = 0, n = pcpu_count ? pcpu_count : 1;

    for (unsigned i = 0; i < pf->madt.ncpus; i++) {
        const struct acpi_cpu *cpu = &pf->madt.cpus[i];
        if (!cpu->enabled || cpu->apic_id == bsp_id ||
            smp_vcpu_by_apic_id(cpu->apic_id))
            continue;
        if (n >= MAX_CPUS) {
            log_err("smp", "APIC ID %u: more than %d CPUs; it is not started "
                    "and the guest cannot start it", cpu->apic_id, MAX_CPUS);
            failed++;
            continue;
        }
        ap_ready = 0;
        ap_error = 0;
        if (smp_start_ap(n, cpu->apic_id, ap_main) < 0) {
            failed++;
            continue;
        }
        for (u32 t = 0; t < 5000 && __atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) != n; t++)
            smp_delay_us(1000);
        if (__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) != n || ap_error) {
            if (!ap_error)
                log_err("smp", "CPU %u (APIC ID %u) started but never finished "
                        "its set-up", n, cpu->apic_id);
            failed++;
            n++;
            continue;
        }
        (*started)++;
        n++;
    }
    pcpu_count = n;
    smp_boot_done();
    return failed;
}

/* UEFI: the firmware's MP services own the APs until someone starts them
 * with INIT-SIPI-SIPI (the firmware itself, or the OS); the first INIT the
 * guest sends brings them all under the VMM first (common/apic.c), then
 * the INIT and SIPIs go to their vcpus as usual. */
static bool uefi_aps_pending;

void smp_uefi_first_init(void)
{
    const struct acpi_platform *pf = acpi_platform();
    u32 started = 0, failed;

    if (!uefi_aps_pending)
        return;
    uefi_aps_pending = false;
    failed = start_madt_aps(pf, &started);
    log_info("smp", "UEFI: the guest's first INIT: %u AP%s brought under the "
             "VMM%s", started, started == 1 ? "" : "s",
             failed ? " (some could not be: see above)" : "");
}

static int smp_start(void)
{
    const struct acpi_platform *pf = acpi_platform();
    u32 bsp_id = lapic_id(), started = 0, failed;

    pcpus[0].apic_id = bsp_id;
    if (!apic_intercept_opt && !vcpu_ops->sipi_exits)
        refuse_to_start("vmm.apic_intercept=0: the %s backend has no INIT and "
                        "SIPI exits; the VMM must intercept the local APIC to "
                        "start the guest's CPUs", active_backend->name);
    vmm_sipi = apic_intercept_opt;
    if (!pf || !pf->have_madt) {
        log_warn("smp", "no ACPI MADT: only the boot CPU is known; the VMM "
                 "intercepts the local APIC so that the guest cannot start a "
                 "CPU outside it");
        vmm_sipi = true;
        return apic_intercept_start();
    }
    if (boot_info.uefi_entry) {
        /* Starting the APs now would take them from the firmware's MP
         * services, which still run them (docs/uefi.md). */
        uefi_aps_pending = true;
        vmm_sipi = true;
        log_info("smp", "UEFI: the APs stay with the firmware's MP services; "
                 "the guest's first INIT brings them under the VMM (local "
                 "APIC ICR intercepted)");
        return apic_intercept_start();
    }
    failed = start_madt_aps(pf, &started);
    if (failed) {
        /* The guest must not start those CPUs itself, outside the VMM. */
        log_err("smp", "%u CPU%s could not be brought under the VMM; the guest "
                "will not be able to start %s", failed, failed == 1 ? "" : "s",
                failed == 1 ? "it" : "them");
        vmm_sipi = true;
    }
    log_info("smp", "%u CPU%s under the VMM (the boot CPU and %u AP%s); the "
             "APs wait for the guest's SIPI, delivered by %s", started + 1,
             started ? "s" : "", started, started == 1 ? "" : "s",
             vmm_sipi ? "the VMM (local APIC ICR intercepted)"
                      : "the CPU (wait-for-SIPI state)");
    if (vmm_sipi)
        return apic_intercept_start();
    return 0;
}
INIT_FUNC(late, 90, smp_start);
