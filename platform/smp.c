/* Starting the application processors (see platform/smp.h). */
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/smp.h>
#include <platform/time.h>
#include <platform/trap.h>
#include <string.h>

extern const u8 ap_tramp_start[], ap_tramp_end[], ap_tramp_data[];
extern const u8 ap_tramp_off_gdt[], ap_tramp_off_pm32[], ap_tramp_off_lm64[];

/* The trampoline's data block (ap_tramp.S, at ap_tramp_data). */
struct tramp_data {
    u16 gdt_limit;
    u32 gdt_base;
    u16 pad0;
    u32 far32_off;
    u16 far32_sel, pad1;
    u32 far64_off;
    u16 far64_sel, pad2;
    u64 cr3, efer, stack, entry, arg;
} __packed;
CHECK_SIZE(struct tramp_data, 64);

/* ---- local APIC -------------------------------------------------------- */

bool lapic_x2apic(void)
{
    return rdmsr(MSR_IA32_APIC_BASE) & BIT(10);
}

u64 lapic_phys_base(void)
{
    return rdmsr(MSR_IA32_APIC_BASE) & 0xffffff000ULL;
}

u32 lapic_read(u32 off)
{
    if (lapic_x2apic())
        return (u32)rdmsr(0x800 + off / 16);
    return *(volatile u32 *)phys_to_virt(lapic_phys_base() + off);
}

void lapic_write(u32 off, u32 value)
{
    if (lapic_x2apic())
        wrmsr(0x800 + off / 16, value);
    else
        *(volatile u32 *)phys_to_virt(lapic_phys_base() + off) = value;
}

u32 lapic_id(void)
{
    u32 id = lapic_read(LAPIC_ID);

    return lapic_x2apic() ? id : id >> 24;
}

void lapic_send_ipi(u32 dest, u32 icr)
{
    if (lapic_x2apic()) {
        wrmsr(MSR_X2APIC_ICR, ((u64)dest << 32) | icr);
        return;
    }
    volatile u32 *apic = phys_to_virt(lapic_phys_base());
    apic[LAPIC_ICR_HI / 4] = dest << 24;
    apic[LAPIC_ICR_LO / 4] = icr;
    for (u32 i = 0; i < 1000000 && (apic[LAPIC_ICR_LO / 4] & ICR_BUSY); i++)
        cpu_relax();
}

/* ---- PIT channel 2 as a delay ------------------------------------------ */

#define PIT_HZ 1193182u

static void pit_wait_ticks(u32 ticks)
{
    u8 gate = inb(0x61);

    outb(0x61, (u8)((gate & ~0x02) | 0x01)); /* speaker off, gate on */
    outb(0x43, 0xb0);                        /* ch 2, lo/hi, mode 0 */
    outb(0x42, (u8)ticks);
    outb(0x42, (u8)(ticks >> 8));
    /* mode 0 starts counting when the gate rises */
    outb(0x61, (u8)(inb(0x61) & ~0x01));
    outb(0x61, (u8)(inb(0x61) | 0x01));
    for (u32 i = 0; i < 100000000 && !(inb(0x61) & 0x20); i++)
        cpu_relax();
    outb(0x61, gate);
}

void pit_delay_us(u32 us)
{
    while (us) {
        u32 chunk = us > 50000 ? 50000 : us;
        u32 ticks = (u32)((u64)chunk * PIT_HZ / 1000000);
        pit_wait_ticks(ticks ? ticks : 1);
        us -= chunk;
    }
}

void smp_delay_us(u32 us)
{
    u64 t0 = rdtsc(), len = us_to_tsc(us);

    for (u32 i = 1; rdtsc() - t0 < len; i++)
        if (!(i & 4095))
            cpu_relax();
}

/* ---- the trampoline ---------------------------------------------------- */

static u64 low_page;            /* the page below 1 MiB, found once */
static u64 tramp_phys;          /* low_page while the trampoline is in it */
static u8 tramp_saved[PAGE_SIZE];
static u64 tramp_cr3;           /* identity page + the VMM's high half */
static u64 bsp_cr0, bsp_cr4, bsp_efer;
/* The CPU smp_start_ap waits for. The AP claims it (sets it to NULL) before
 * it touches anything of its own; a CPU that answers only after the BSP gave
 * up finds it taken and stops there (see ap_start64). */
static struct pcpu *volatile expected;
static void (*ap_main)(struct pcpu *c);

/* Takes `expected` from c to NULL; false if it no longer was c. The AP
 * claims itself this way, and so does the BSP when it gives up on it. */
static bool claim(struct pcpu *c)
{
    return __atomic_compare_exchange_n(&expected, &c, NULL, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* A usable page below 1 MiB, away from the IVT/BDA and the boot sector's
 * 0x7c00: the BIOS boot flow starts after the APs, and gets the page back
 * as it was. */
static u64 find_low_page(void)
{
    for (u64 p = 0x9e000; p >= 0x10000; p -= PAGE_SIZE) {
        for (u32 i = 0; i < boot_info.mmap_count; i++) {
            const struct mem_range *r = &boot_info.mmap[i];
            if (r->type == MEM_USABLE && r->base <= p &&
                r->base + r->len >= p + PAGE_SIZE)
                return p;
        }
    }
    return 0;
}

/* The trampoline's page tables stay allocated after boot (12 KiB): the
 * S3 wake path (common/sleep.c) needs them again. */
static int tramp_tables(void)
{
    if (tramp_cr3)
        return 0;
    u64 pml4_pa = alloc_pages(1), pdpt_pa = alloc_pages(1), pd_pa = alloc_pages(1);
    if (!pml4_pa || !pdpt_pa || !pd_pa || pml4_pa >= GiB(4))
        return -E_NOMEM;
    /* Low 2 MiB identity (the trampoline runs there when paging turns on),
     * the VMM's upper half as it is. */
    u64 *pml4 = phys_to_virt(pml4_pa), *vmm = phys_to_virt(vmm_cr3);
    u64 *pdpt = phys_to_virt(pdpt_pa), *pd = phys_to_virt(pd_pa);
    pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
    pdpt[0] = pd_pa | PTE_P | PTE_W;
    pml4[0] = pdpt_pa | PTE_P | PTE_W;
    for (int i = 256; i < 512; i++)
        pml4[i] = vmm[i];
    tramp_cr3 = pml4_pa;
    return 0;
}

static int tramp_setup(void)
{
    size_t len = (size_t)(ap_tramp_end - ap_tramp_start);
    int r;

    if (!low_page)
        low_page = find_low_page();
    tramp_phys = low_page;
    if (!tramp_phys) {
        log_err("smp", "no usable page below 1 MiB for the AP start-up code");
        return -E_NOMEM;
    }
    if ((r = tramp_tables()) < 0) {
        tramp_phys = 0;
        return r;
    }

    u8 *page = phys_to_virt(tramp_phys);
    memcpy(tramp_saved, page, PAGE_SIZE);
    memcpy(page, ap_tramp_start, len);
    bsp_cr0 = read_cr0();
    bsp_cr4 = read_cr4() & ~(u64)CR4_VMXE;
    bsp_efer = rdmsr(MSR_EFER) & ~(u64)(EFER_SVME | EFER_LMA);
    log_info("smp", "start-up code at 0x%llx", (unsigned long long)tramp_phys);
    return 0;
}

/* Fills the data block: the CPU that runs the page calls entry(arg) on
 * `stack`, in long mode on the trampoline's page tables. */
static void tramp_fill(u64 stack, u64 entry, u64 arg)
{
    struct tramp_data *d = (void *)((u8 *)phys_to_virt(tramp_phys) +
                                    (ap_tramp_data - ap_tramp_start));
    d->gdt_base = (u32)(tramp_phys + (u64)ap_tramp_off_gdt);
    d->far32_off = (u32)(tramp_phys + (u64)ap_tramp_off_pm32);
    d->far64_off = (u32)(tramp_phys + (u64)ap_tramp_off_lm64);
    d->cr3 = tramp_cr3;
    d->efer = EFER_LME | (bsp_efer & EFER_NXE);
    d->stack = stack;
    d->entry = entry;
    d->arg = arg;
}

/* The BSP's first C code after an S3 wake: the VMM's paging and control
 * registers as before the sleep, its descriptor tables, the console. */
static void (*wake_main)(void);

__noreturn void bsp_wake64(void *unused);
__noreturn void bsp_wake64(void *unused)
{
    (void)unused;
    write_cr3(vmm_cr3);
    write_cr0(bsp_cr0);
    write_cr4(bsp_cr4);
    wrmsr(MSR_EFER, bsp_efer | EFER_LME | EFER_LMA);
    cpu_tables_load(&pcpus[0]);
    console_init();
    wake_main();
    panic("smp: the S3 wake path returned");
}

u64 smp_wake_prepare(void (*main)(void))
{
    if (tramp_phys) {
        log_err("smp", "S3: the start-up page is in use");
        return 0;
    }
    if (tramp_setup() < 0)
        return 0;
    wake_main = main;
    tramp_fill(pcpus[0].stack_top, (u64)bsp_wake64, 0);
    return tramp_phys;
}

/* The AP's first C code, on the trampoline's page tables and the stack
 * smp_start_ap gave it. */
__noreturn void ap_start64(struct pcpu *c);
__noreturn void ap_start64(struct pcpu *c)
{
    if (!claim(c)) {
        /* Too late: the BSP gave up on this CPU (and sends it an INIT) or
         * has already moved on to the next one, whose data this may be. */
        for (;;)
            asm volatile("cli; hlt");
    }
    write_cr3(vmm_cr3);
    write_cr0(bsp_cr0);
    write_cr4(bsp_cr4);
    wrmsr(MSR_EFER, bsp_efer | EFER_LME | EFER_LMA);
    cpu_tables_load(c);
    ap_main(c);
    panic("smp: CPU %u returned from its main loop", c->index);
}

static int alloc_stacks(struct pcpu *c)
{
    if (c->stack_top)
        return 0; /* started before (S3 wake): the same stacks */
    u64 s = alloc_pages(BSP_STACK_SIZE / PAGE_SIZE);

    if (!s)
        return -E_NOMEM;
    c->stack_bottom = (u64)phys_to_virt(s);
    c->stack_top = c->stack_bottom + BSP_STACK_SIZE;
    for (int i = 0; i < 3; i++) {
        u64 ist = alloc_pages(IST_STACK_SIZE / PAGE_SIZE);
        if (!ist)
            return -E_NOMEM;
        c->ist_bottom[i] = (u64)phys_to_virt(ist);
        c->ist_top[i] = c->ist_bottom[i] + IST_STACK_SIZE;
    }
    return 0;
}

/* How long the BSP waits for an AP after its second SIPI, and how many
 * times it sends the whole sequence. */
#define AP_ANSWER_MS 5000u
#define AP_ATTEMPTS 3

/* An INIT IPI, asserted then deasserted: the CPU resets into wait-for-SIPI. */
static void send_init(u32 apic_id)
{
    lapic_send_ipi(apic_id, (ICR_MODE_INIT << 8) | ICR_ASSERT | ICR_LEVEL);
    smp_delay_us(200);
    lapic_send_ipi(apic_id, (ICR_MODE_INIT << 8) | ICR_LEVEL);
}

int smp_start_ap(u32 index, u32 apic_id, void (*main)(struct pcpu *c))
{
    struct pcpu *c = &pcpus[index];
    int r;

    if (index == 0 || index >= MAX_CPUS)
        return -E_INVAL;
    if (!tramp_phys && (r = tramp_setup()) < 0)
        return r;
    if ((r = alloc_stacks(c)) < 0)
        return r;
    c->index = index;
    c->apic_id = apic_id;
    ap_main = main;

    tramp_fill(c->stack_top, (u64)ap_start64, (u64)c);
    /* INIT, then up to two SIPIs (SDM 8.4.4.1's sequence). A real CPU
     * answers within microseconds; an emulated one on a busy host may take
     * a while to be scheduled, hence the generous last wait. An AP that
     * still has not answered gets the whole sequence again: at an S3 wake
     * QEMU's q35 AP sometimes let the first one pass unanswered (it was
     * busy in the firmware's resume code, or not scheduled), and a CPU
     * given up on would be lost to the guest. Before each new INIT the BSP
     * takes `expected` back, so that a late answer to the previous round
     * stops in ap_start64 (the INIT then resets that CPU). */
    for (int attempt = 1; attempt <= AP_ATTEMPTS; attempt++) {
        if (attempt > 1) {
            if (!claim(c))
                return 0; /* it answered just now */
            log_warn("smp", "CPU %u (APIC ID %u) did not answer INIT-SIPI-SIPI "
                     "within %u ms; sending it again (attempt %d of %d)", index,
                     apic_id, AP_ANSWER_MS, attempt, AP_ATTEMPTS);
        }
        send_init(apic_id);
        smp_delay_us(10000);
        __atomic_store_n(&expected, c, __ATOMIC_RELEASE);
        for (int sipi = 0; sipi < 2; sipi++) {
            lapic_send_ipi(apic_id, (ICR_MODE_SIPI << 8) | (u32)(tramp_phys >> 12));
            for (u32 t = 0; t < (sipi ? AP_ANSWER_MS : 20u); t++) {
                if (!__atomic_load_n(&expected, __ATOMIC_ACQUIRE))
                    return 0;
                smp_delay_us(sipi ? 1000 : 10);
            }
        }
    }
    /* Give up, unless it claims itself right now; a later answer stops in
     * ap_start64 while the start-up page still holds the VMM's code, and
     * the INIT puts the CPU back to sleep (but see docs/sleep.md: QEMU
     * keeps a pending SIPI across that INIT). */
    if (!claim(c))
        return 0;
    send_init(apic_id);
    log_err("smp", "CPU %u (APIC ID %u) did not answer INIT-SIPI-SIPI %d times "
            "(%u ms each); it is left in INIT", index, apic_id, AP_ATTEMPTS,
            AP_ANSWER_MS);
    return -E_TIMEOUT;
}

void smp_boot_done(void)
{
    if (!tramp_phys)
        return;
    memcpy(phys_to_virt(tramp_phys), tramp_saved, PAGE_SIZE);
    tramp_phys = 0;
}
