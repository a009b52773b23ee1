/* All CPUs under the VMM (docs/smp.md): the APs are started at boot into
 * the VMM, each gets a vcpu that waits for the guest's INIT-SIPI-SIPI;
 * start-up signals and kicks between CPUs. */
#ifndef VENEER_COMMON_SMP_H
#define VENEER_COMMON_SMP_H

#include <common/vcpu.h>

/* A vcpu's life (common/vcpu.c): signals, guest, exits. */
__noreturn void vcpu_loop(struct vcpu *v);

/* Whether the VMM delivers INIT and SIPI itself (it intercepts the
 * guest's local APIC ICR): on SVM always, on VMX with
 * vmm.apic_intercept=1 or when an AP failed to start. */
bool smp_vmm_sipi(void);

/* Per-vcpu policy for SMP (the x2APIC ICR MSR when intercepting). */
void smp_vcpu_policy(struct vcpu *v);

/* Applies INIT/SIPI posted for `v` (on v's own CPU). */
void smp_take_signals(struct vcpu *v);

/* Whether smp_take_signals has anything to apply (read in its order:
 * INIT, then SIPI; sequentially consistent for smp_idle's handshake); the
 * exit path's cheap check before the call. */
static inline bool smp_signals_pending(const struct vcpu *v)
{
    return __atomic_load_n(&v->pending_init, __ATOMIC_SEQ_CST) ||
           __atomic_load_n(&v->pending_sipi, __ATOMIC_SEQ_CST);
}

/* The guest sent INIT / SIPI to `t` (intercepted ICR). */
void smp_post_init(struct vcpu *t);
void smp_post_sipi(struct vcpu *t, u8 vector);

/* An INIT / SIPI exit of `v` itself (VMX without interception). */
void smp_on_init(struct vcpu *v);
void smp_on_sipi(struct vcpu *v, u8 vector);

/* Makes the CPU running `t` leave the guest soon (an NMI it recognizes). */
void smp_kick(struct vcpu *t);
/* Waits, halted, for a signal posted to v (vcpu_loop, while v waits for
 * its SIPI in the VMM). */
void smp_idle(struct vcpu *v);

/* S3 (common/sleep.c): the CPU handling the sleep request stops every
 * other one in the VMM (0, or -E_TIMEOUT, logged, with all of them back
 * in the guest); vcpu_loop parks its CPU while smp_parking(). After the
 * wake, the BSP starts the APs into the VMM again, each vcpu waiting for
 * the guest's SIPI; returns how many could not be started (logged). */
int smp_park_others(void);
void smp_unpark_others(void);
extern volatile u32 smp_parking_flag;
static inline bool smp_parking(void)
{
    return __atomic_load_n(&smp_parking_flag, __ATOMIC_SEQ_CST);
}
void smp_park(struct vcpu *v);
u32 smp_wake_aps(void);

/* The vcpu on the CPU with local APIC ID `id`, or NULL. */
struct vcpu *smp_vcpu_by_apic_id(u32 id);

/* Intercepted local APIC (common/apic.c). */
int apic_intercept_start(void);
/* Hooks the MADT's IOAPICs (common/ioapic.c): no pin routed as INIT. */
int ioapic_intercept_start(void);
int apic_x2apic_icr_write(struct vcpu *v, u64 value);
/* An x2APIC LVT MSR write (0x82f, 0x832-0x837): INIT delivery masked. */
int apic_x2apic_lvt_write(struct vcpu *v, u32 msr, u64 value);
static inline bool apic_x2apic_is_lvt(u32 msr)
{
    return msr == 0x82f || (msr >= 0x832 && msr <= 0x837);
}
int apic_base_write(struct vcpu *v, u64 value);

/* UEFI boot: brings the APs under the VMM at the guest's first INIT (a
 * no-op afterwards, and on BIOS boots). Called from the intercepted APIC's
 * ICR write; until then only the BSP runs under the VMM. */
void smp_uefi_first_init(void);

#endif
