/* The other CPUs: the local APIC as the VMM uses it, a PIT delay, and the
 * start of an application processor into the VMM's long mode
 * (platform/smp.c, platform/ap_tramp.S). What an AP does once it runs
 * VMM code is common/smp.c's business. */
#ifndef VENEER_PLATFORM_SMP_H
#define VENEER_PLATFORM_SMP_H

#include <platform/percpu.h>

/* Local APIC registers (xAPIC MMIO offsets; x2APIC MSR = 0x800 + off/16). */
#define LAPIC_ID      0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR     0x080
#define LAPIC_EOI     0x0b0
#define LAPIC_LDR     0x0d0
#define LAPIC_DFR     0x0e0
#define LAPIC_SVR     0x0f0
#define LAPIC_IRR     0x200 /* 8 registers, 0x10 apart */
#define LAPIC_ESR     0x280
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define MSR_X2APIC_BASE 0x800 /* x2APIC register at xAPIC offset off: 0x800 + off/16 */
#define MSR_X2APIC_ICR 0x830

/* ICR fields (SDM 10.6.1). */
#define ICR_VECTOR(x)     ((x) & 0xff)
#define ICR_MODE(x)       (((x) >> 8) & 7)
#define ICR_MODE_FIXED    0
#define ICR_MODE_LOWEST   1
#define ICR_MODE_SMI      2
#define ICR_MODE_NMI      4
#define ICR_MODE_INIT     5
#define ICR_MODE_SIPI     6
#define ICR_LOGICAL       BIT(11)
#define ICR_BUSY          BIT(12)
#define ICR_ASSERT        BIT(14)
#define ICR_LEVEL         BIT(15)
#define ICR_SHORTHAND(x)  (((x) >> 18) & 3)
#define ICR_SH_NONE 0
#define ICR_SH_SELF 1
#define ICR_SH_ALL  2
#define ICR_SH_OTHERS 3

bool lapic_x2apic(void);
u64 lapic_phys_base(void);
u32 lapic_id(void);
u32 lapic_read(u32 off);
void lapic_write(u32 off, u32 value);
/* Sends an IPI (ICR low word `icr`) to APIC ID `dest` and waits until the
 * APIC has sent it. */
void lapic_send_ipi(u32 dest, u32 icr);

/* A device the VMM programmed to send NMIs (the VMM's NIC on receive,
 * devices/net): returns true if the NMI being taken was its, clearing the
 * device's cause. NMI context: no locks, no logging. NULL if none. */
extern bool (*nmi_device_claim)(void);

/* The NMI this CPU is taking was another CPU's kick (common/smp.c) or
 * the VMM's device (nmi_device_claim), not an NMI for the guest:
 * consumes the request; the run loop then returns to common code, whose
 * exit path polls. NMI context. A guest NMI that arrives while the kick
 * NMI is still pending merges with it (the CPU holds one NMI) and is
 * lost: kicks are rare (second-level map changes and start-up signals
 * after the guest runs; the NIC's are rate-limited by the NIC). */
static inline bool nmi_take_kick(void)
{
    bool kick = __atomic_exchange_n(&this_cpu()->kick, 0, __ATOMIC_ACQ_REL);
    bool (*claim)(void) = __atomic_load_n(&nmi_device_claim, __ATOMIC_ACQUIRE);

    if (claim && claim()) /* always asked: it clears the device's cause */
        kick = true;
    return kick;
}

/* Busy-waits about `us` microseconds on PIT channel 2 (the guest does not
 * own the PIT yet when this is used: boot, and S3, while every other CPU
 * is parked or not yet started and the guest does not run). */
void pit_delay_us(u32 us);
/* Busy-waits about `us` microseconds on the TSC (its rate measured at
 * boot, platform/time.c): no port I/O and a PAUSE only every few thousand
 * reads. For the waits on another CPU (its start, its parking): under
 * QEMU's TCG each port access and each PAUSE takes the emulator's global
 * lock, which the awaited CPU needs to take its INIT and SIPI; a BSP
 * polling the PIT for seconds kept it from ever getting it (S3 wake,
 * docs/sleep.md). */
void smp_delay_us(u32 us);

/* Starts the AP with APIC ID `apic_id` as pcpus[index]: stacks, the
 * trampoline, INIT-SIPI-SIPI; the AP loads the VMM's tables and calls
 * main(c) (which never returns). Returns 0 once it runs VMM code, or
 * -E_TIMEOUT (logged) if it never arrived. Boot, BSP only, one at a time. */
int smp_start_ap(u32 index, u32 apic_id, void (*main)(struct pcpu *c));
/* Releases the trampoline page (its old contents are put back). */
void smp_boot_done(void);
/* S3: puts the start-up code in its page below 1 MiB (the page's contents
 * saved) so that the BSP, sent there in real mode by the firmware's
 * resume path, reaches main() in the VMM's long mode on its own tables,
 * stack and console. Returns the page's physical address (the waking
 * vector), or 0 (logged). smp_start_ap then reuses the page for the APs;
 * smp_boot_done puts the saved contents back. */
u64 smp_wake_prepare(void (*main)(void));

#endif
