/* PCI configuration space: the boot scan, the VMM's accessors, and the
 * guest's ports 0xcf8-0xcff (see pci.h and docs/pci.md). */
#include <common/exit.h>
#include <common/mmio.h>
#include <devices/pci/pci.h>
#include <platform/iommu.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/options.h>
#include <platform/percpu.h>
#include <platform/spinlock.h>
#include <string.h>

static char pci_option[256];
OPTION_STRING("vmm.pci", pci_option,
              "PCI devices: comma-separated disable=SEL, conceal=SEL, pass=SEL, "
              "mediate=SEL; "
              "SEL is BB:DD.F, VVVV:DDDD, VVVV:* or class:CC[SS[PP]] (docs/pci.md)");

#define PCI_MAX_DEVICES 256
#define PCI_CONCEAL_LOGS 8 /* concealed devices whose first probe is logged */

extern const struct pci_mediator *const __pci_mediators_start[],
    *const __pci_mediators_end[];

static struct pci_dev devices[PCI_MAX_DEVICES];
static unsigned ndevices;
static u64 ecam_base[256]; /* per bus: bus 0's address in its window, or 0 */
static struct pci_rule rules[PCI_MAX_RULES];
static unsigned nrules;
static unsigned conceal_logs;

/* One lock for every cycle through ports 0xcf8/0xcfc, the VMM's and the
 * guest's: the address write and the data access happen under it as one
 * unit. hw_latch caches what port 0xcf8 holds, so a run of accesses to one
 * dword writes it once.
 *
 * The guest's view of 0xcf8 is virtual and per vcpu (conf1_vcpus). With
 * conf1_pass (docs/pci.md, "Data ports passed through"), a vcpu whose
 * latch targets a function that is not watched (concealed, mediated, or
 * one whose writes the VMM checks) gets the data ports 0xcfc-0xcff passed
 * through, and only then is its latch written to the hardware; the
 * hardware latch never holds a watched function, and the VMM's own cycles
 * all go through ECAM, so no CPU's passed-through access reaches a watched
 * function. Without conf1_pass every data access exits, as the VMM's
 * cycles through the ports need the latch. */
static spinlock_t pci_lock = SPINLOCK_INIT;
static u32 hw_latch;
static bool hw_latch_known;
static bool conf1_pass;
static u8 watched[256 * 256 / 8]; /* bit bus << 8 | dev << 3 | fn */
static struct {
    u32 latch;  /* what the guest last wrote to 0xcf8 on this vcpu */
    bool pass;  /* 0xcfc-0xcff passed through on this vcpu */
} conf1_vcpus[MAX_CPUS];

static unsigned slot_bit(u8 bus, u8 dev, u8 fn)
{
    return (unsigned)bus << 8 | (unsigned)(dev & 0x1f) << 3 | (fn & 7);
}

static bool is_watched(u8 bus, u8 dev, u8 fn)
{
    unsigned b = slot_bit(bus, dev, fn);

    return watched[b / 8] & (1u << (b % 8));
}

static u32 size_mask(u8 size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* ---- raw cycles ------------------------------------------------------- */

static u32 port_cycle(const struct pci_addr *a, u8 size, bool write, u32 value)
{
    u32 latch = pci_cf8_value(a->bus, a->dev, a->fn, a->offset);
    u16 port = PCI_CONFIG_DATA + (a->offset & 3);
    u64 flags;

    if (conf1_pass && is_watched(a->bus, a->dev, a->fn)) {
        /* never: every watched function has ECAM while conf1_pass holds */
        log_err("pci", "%02x:%02x.%x: config cycle through the ports refused "
                "while the guest's data ports pass through", a->bus, a->dev, a->fn);
        return write ? 0 : size_mask(size);
    }
    flags = spin_lock_irqsave(&pci_lock);
    if (!hw_latch_known || hw_latch != latch) {
        outl(PCI_CONFIG_ADDRESS, latch);
        hw_latch = latch;
        hw_latch_known = true;
    }
    if (write) {
        if (size == 1)
            outb(port, (u8)value);
        else if (size == 2)
            outw(port, (u16)value);
        else
            outl(port, value);
        value = 0;
    } else {
        value = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    }
    spin_unlock_irqrestore(&pci_lock, flags);
    return value;
}

static volatile u8 *ecam_ptr(u8 bus, u8 dev, u8 fn)
{
    if (!ecam_base[bus])
        return NULL;
    return (volatile u8 *)phys_to_virt(ecam_base[bus] + ((u64)bus << 20) +
                                       ((u64)dev << 15) + ((u64)fn << 12));
}

/* ECAM needs no lock: each access is one memory operation. */
static u32 ecam_cycle(volatile u8 *w, u16 offset, u8 size, bool write, u32 value)
{
    volatile void *p = w + offset;

    if (write) {
        if (size == 1)
            *(volatile u8 *)p = (u8)value;
        else if (size == 2)
            *(volatile u16 *)p = (u16)value;
        else
            *(volatile u32 *)p = value;
        return 0;
    }
    return size == 1 ? *(volatile u8 *)p : size == 2 ? *(volatile u16 *)p
                                                     : *(volatile u32 *)p;
}

/* ---- the VMM's API ------------------------------------------------------ */

unsigned pci_config_size(const struct pci_dev *d)
{
    return d->ecam ? PCI_CFG_SIZE_ECAM : PCI_CFG_SIZE_LEGACY;
}

static bool access_ok(const struct pci_dev *d, u16 offset, u8 size, bool write)
{
    if ((size == 1 || size == 2 || size == 4) && !(offset & (size - 1)) &&
        offset + size <= pci_config_size(d))
        return true;
    log_warn("pci", "%02x:%02x.%x: VMM config %s of %u bytes at 0x%x refused "
             "(misaligned or beyond %u bytes)", d->id.bus, d->id.dev, d->id.fn,
             write ? "write" : "read", size, offset, pci_config_size(d));
    return false;
}

u32 pci_config_read(const struct pci_dev *d, u16 offset, u8 size)
{
    struct pci_addr a = { d->id.bus, d->id.dev, d->id.fn, offset };

    if (!access_ok(d, offset, size, false))
        return size_mask(size);
    if (d->ecam)
        return ecam_cycle(d->ecam, offset, size, false, 0);
    return port_cycle(&a, size, false, 0);
}

void pci_config_write(const struct pci_dev *d, u16 offset, u8 size, u32 value)
{
    struct pci_addr a = { d->id.bus, d->id.dev, d->id.fn, offset };

    if (!access_ok(d, offset, size, true))
        return;
    if (d->ecam)
        ecam_cycle(d->ecam, offset, size, true, value);
    else
        port_cycle(&a, size, true, value);
}

int pci_read_bar(const struct pci_dev *d, unsigned i, struct pci_bar *out)
{
    unsigned nbars = (d->header_type & 0x7f) == 0 ? 6 : (d->header_type & 0x7f) == 1 ? 2 : 0;

    /* from BAR 0, so that the high half of a 64-bit BAR is known as one */
    for (unsigned k = 0; k < nbars;) {
        u32 lo = pci_config_read(d, (u16)(PCI_BAR0 + 4 * k), 4);
        u32 hi = k + 1 < nbars ? pci_config_read(d, (u16)(PCI_BAR0 + 4 * k + 4), 4) : 0;
        unsigned slots = pci_bar_decode(lo, hi, out);
        if (k == i)
            return slots && !(slots == 2 && k + 1 >= nbars) ? 0 : -E_INVAL;
        k += slots ? slots : 1;
    }
    return -E_INVAL;
}

static u8 cfg_byte(void *ctx, u16 offset)
{
    return (u8)pci_config_read(ctx, offset, 1);
}

u8 pci_find_cap(const struct pci_dev *d, u8 cap)
{
    return pci_cap_find(cfg_byte, (void *)d, cap);
}

unsigned pci_device_count(void)
{
    return ndevices;
}

struct pci_dev *pci_device(unsigned i)
{
    return i < ndevices ? &devices[i] : NULL;
}

struct pci_dev *pci_find_slot(u8 bus, u8 dev, u8 fn)
{
    for (unsigned i = 0; i < ndevices; i++)
        if (devices[i].id.bus == bus && devices[i].id.dev == dev &&
            devices[i].id.fn == fn)
            return &devices[i];
    return NULL;
}

/* ---- the guest's ports 0xcf8-0xcff ------------------------------------ */

/* The guest's config read of `a` through the ports, or through ECAM
 * window `ecam` (the function's) when the guest used ECAM. */
static void guest_config_read(struct pci_dev *d, const struct pci_addr *a,
                              volatile u8 *ecam, u8 size, u32 *value)
{
    if (d) {
        __atomic_fetch_add(&d->guest_reads, 1, __ATOMIC_RELAXED);
        if (d->concealed) {
            if (!__atomic_exchange_n(&d->guest_probe_logged, true, __ATOMIC_RELAXED) &&
                __atomic_fetch_add(&conceal_logs, 1, __ATOMIC_RELAXED) < PCI_CONCEAL_LOGS) {
                log_info("pci", "the guest probed concealed %02x:%02x.%x "
                         "(%04x:%04x): it reads as absent", a->bus, a->dev,
                         a->fn, d->id.vendor, d->id.device);
            }
            *value = size_mask(size);
            return;
        }
        if (d->mediator && d->mediator->config_read &&
            d->mediator->config_read(d, a->offset, size, value) == PCI_HANDLED) {
            *value &= size_mask(size);
            return;
        }
    }
    *value = ecam ? ecam_cycle(ecam, a->offset, size, false, 0)
                  : port_cycle(a, size, false, 0);
}

/* Config writes that would take the VMM's sight of config space away:
 * the Intel host bridge's PCIEXBAR (q35 MCH and Intel client chipsets:
 * 00:00.0 offset 0x60-0x67) moves ECAM to an address with no hook; a
 * bridge's bus numbers renumber what is behind it, and pci_find_slot
 * knows the devices by their boot-time numbers. A bridge the firmware
 * left unnumbered (secondary bus 0) may be numbered. Returns what the
 * write would do, or NULL. */
/* Whether the write changes a byte of [from, to) of the register. */
static bool changes(const struct pci_dev *d, const struct pci_addr *a, u8 size,
                    u32 value, u16 from, u16 to)
{
    for (u16 o = a->offset; o < a->offset + size; o++)
        if (o >= from && o < to &&
            (u8)pci_config_read(d, o, 1) != (u8)(value >> (8 * (o - a->offset))))
            return true;
    return false;
}

static bool is_intel_host_bridge(const struct pci_dev *d)
{
    return d->id.bus == 0 && d->id.dev == 0 && d->id.fn == 0 &&
           d->id.vendor == 0x8086 && (d->id.class >> 8) == 0x0600;
}

static bool is_bridge(const struct pci_dev *d)
{
    return (d->header_type & 0x7f) == 1;
}

static const char *guest_write_refusal(const struct pci_dev *d, const struct pci_addr *a,
                                       u8 size, u32 value)
{
    if (is_intel_host_bridge(d) && changes(d, a, size, value, 0x60, 0x68))
        return "move the ECAM window (PCIEXBAR)";
    if (is_bridge(d) && pci_config_read(d, 0x19, 1) != 0 &&
        changes(d, a, size, value, 0x18, 0x1b))
        return "renumber the buses behind a bridge";
    return NULL;
}

static void guest_config_write(struct pci_dev *d, const struct pci_addr *a,
                               volatile u8 *ecam, u8 size, u32 value)
{
    if (d) {
        __atomic_fetch_add(&d->guest_writes, 1, __ATOMIC_RELAXED);
        if (d->concealed)
            return;
        const char *why = guest_write_refusal(d, a, size, value);
        if (why) {
            log_warn("pci", "%02x:%02x.%x: the guest's write of 0x%x at 0x%x would "
                     "%s: refused", a->bus, a->dev, a->fn, value, a->offset, why);
            return;
        }
        if (d->mediator && d->mediator->config_write &&
            d->mediator->config_write(d, a->offset, size, value) == PCI_HANDLED)
            return;
    }
    if (ecam)
        ecam_cycle(ecam, a->offset, size, true, value);
    else
        port_cycle(a, size, true, value);
    if (d && d->mediator && d->mediator->config_written)
        d->mediator->config_written(d, a->offset, size);
}

/* Ordinary I/O to a port of the range that is no config access (0xcf9 is
 * the reset control register on many chipsets): done as asked, under the
 * lock. In case the chipset let a narrow write through to the latch, the
 * hardware latch is written back (conf1_pass: other CPUs' passed-through
 * data accesses must find the unwatched function it held) or forgotten. */
static u32 plain_io(const struct vcpu_exit *e, u32 value)
{
    u16 p = e->io.port;
    u64 flags = spin_lock_irqsave(&pci_lock);

    if (e->io.in) {
        value = io_port_read(p, e->io.size);
    } else {
        io_port_write(p, e->io.size, value);
        if (conf1_pass)
            outl(PCI_CONFIG_ADDRESS, hw_latch_known ? hw_latch : 0);
        else
            hw_latch_known = false;
    }
    spin_unlock_irqrestore(&pci_lock, flags);
    return value;
}

/* The guest wrote `latch` to 0xcf8 on v. With conf1_pass and an enabled
 * latch on a function that is not watched, the hardware gets it and v's
 * data ports pass through; otherwise the latch stays virtual and v's data
 * accesses exit. */
static void guest_latch_write(struct vcpu *v, u32 latch)
{
    u8 bus = (u8)(latch >> 16), dev = (latch >> 11) & 0x1f, fn = (latch >> 8) & 7;
    bool pass = conf1_pass && (latch & PCI_CF8_ENABLE) && !is_watched(bus, dev, fn);

    conf1_vcpus[v->index].latch = latch;
    if (pass) {
        u64 flags = spin_lock_irqsave(&pci_lock);
        if (!hw_latch_known || hw_latch != latch) {
            outl(PCI_CONFIG_ADDRESS, latch);
            hw_latch = latch;
            hw_latch_known = true;
        }
        spin_unlock_irqrestore(&pci_lock, flags);
    }
    if (pass != conf1_vcpus[v->index].pass) {
        vcpu_ops->io_intercept(v, PCI_CONFIG_DATA, 4, !pass);
        conf1_vcpus[v->index].pass = pass;
    }
}

static bool pci_io_handle(struct vcpu *v, const struct vcpu_exit *e)
{
    u64 *g = v->regs.gpr;
    u32 value = (u32)g[GPR_RAX] & size_mask(e->io.size);
    struct pci_addr a;

    if (e->io.string || v->index >= MAX_CPUS)
        return false; /* the generic path refuses it */
    if (pci_is_latch_access(e->io.port, e->io.size)) {
        if (e->io.in)
            value = conf1_vcpus[v->index].latch;
        else
            guest_latch_write(v, value);
    } else if (e->io.port < PCI_CONFIG_DATA && e->io.port + e->io.size > PCI_CONFIG_DATA) {
        /* reaches 0xcfc with no latch of its own: nothing answers */
        value = size_mask(e->io.size);
    } else if (e->io.port < PCI_CONFIG_DATA) {
        value = plain_io(e, value);
    } else if (!pci_latch_decode(conf1_vcpus[v->index].latch, e->io.port,
                                 e->io.size, &a)) {
        value = size_mask(e->io.size); /* no config cycle: nothing answers */
    } else {
        /* conf1_pass: through ECAM, the hardware latch left alone */
        volatile u8 *w = conf1_pass ? ecam_ptr(a.bus, a.dev, a.fn) : NULL;
        struct pci_dev *d = pci_find_slot(a.bus, a.dev, a.fn);
        if (e->io.in)
            guest_config_read(d, &a, w, e->io.size, &value);
        else
            guest_config_write(d, &a, w, e->io.size, value);
    }
    if (e->io.in) {
        u32 mask = size_mask(e->io.size);
        g[GPR_RAX] = e->io.size == 4 ? value : (g[GPR_RAX] & ~(u64)mask) | value;
    }
    vcpu_ops->skip_instruction(v, e);
    return true;
}

/* The Intel host bridge's PCIEXBAR (0x60-0x67) as at boot: the guest
 * cannot change it (guest_write_refusal); the wake may reset it. */
static struct pci_dev *pciexbar_dev;
static u32 pciexbar_boot[2];

/* After S3: the chipset may come back with ECAM off (QEMU q35 with
 * SeaBIOS resets PCIEXBAR to its default, disabled, and nothing enables
 * it again): the VMM puts back the boot value through the ports. If ECAM
 * still does not answer, the guest's data ports stop passing through
 * (the VMM's own cycles may need the ports from now on). The hardware
 * latch holds whatever the firmware's resume path left there, maybe a
 * watched function: the vcpus whose data ports pass through must find the
 * unwatched one they left. All this before any vcpu runs. */
static int pci_resume(void)
{
    bool pass = conf1_pass, known = hw_latch_known;
    u32 latch = hw_latch; /* the last unwatched one, while pass */

    if (!ndevices)
        return 0;
    conf1_pass = false; /* no vcpu runs: the VMM may use the ports */
    if (pciexbar_dev) {
        struct pci_addr lo = { 0, 0, 0, 0x60 }, hi = { 0, 0, 0, 0x64 };
        u32 now = port_cycle(&lo, 4, false, 0);
        if (now != pciexbar_boot[0]) {
            port_cycle(&hi, 4, true, pciexbar_boot[1]);
            port_cycle(&lo, 4, true, pciexbar_boot[0]);
            log_info("pci", "S3 wake: PCIEXBAR 0x%08x, put back to 0x%08x (ECAM "
                     "on again)", now, pciexbar_boot[0]);
        }
    }
    const struct pci_dev *d = &devices[0];
    if (pass && (!d->ecam || ecam_cycle(d->ecam, PCI_VENDOR_ID, 4, false, 0) !=
                                 ((u32)d->id.device << 16 | d->id.vendor))) {
        pass = false;
        for (u32 i = 0; i < vcpu_count && i < MAX_CPUS; i++)
            if (vcpus[i] && conf1_vcpus[i].pass) {
                vcpu_ops->io_intercept(vcpus[i], PCI_CONFIG_DATA, 4, true);
                conf1_vcpus[i].pass = false;
            }
        log_warn("pci", "S3 wake: ECAM does not answer for %02x:%02x.%x: the "
                 "guest's data ports 0xcfc-0xcff always exit from now on",
                 d->id.bus, d->id.dev, d->id.fn);
    }
    if (pass) {
        hw_latch = known ? latch : 0;
        hw_latch_known = true;
        outl(PCI_CONFIG_ADDRESS, hw_latch);
    }
    conf1_pass = pass;
    return 0;
}
INIT_FUNC(resume, 5, pci_resume);

/* ---- the guest's ECAM accesses (for the MMIO hook to come) -------------- */

bool pci_guest_ecam_access(u64 gpa, u8 size, bool write, u32 *value)
{
    u64 base = pci_ecam_window_of(gpa);
    struct pci_addr a;

    if (!base || !pci_ecam_decode(gpa - base, size, &a))
        return false;
    struct pci_dev *d = pci_find_slot(a.bus, a.dev, a.fn);
    volatile u8 *w = phys_to_virt(base + (gpa - base - a.offset));
    if (write)
        guest_config_write(d, &a, w, size, *value);
    else
        guest_config_read(d, &a, w, size, value);
    return true;
}

/* The MMIO hook's side: the guest's loads and stores in the ECAM windows.
 * An aligned 8-byte access is two mediated 4-byte ones (never raw: it
 * would pass concealment and every mediator); anything else unaligned
 * faults. */
static int ecam_mmio_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    u32 v32 = (u32)*value;

    if (size == 8 && IS_ALIGNED(gpa, 8)) {
        u32 hi = (u32)(*value >> 32);
        if (!pci_guest_ecam_access(gpa, 4, write, &v32) ||
            !pci_guest_ecam_access(gpa + 4, 4, write, &hi))
            return -E_INVAL;
        if (!write)
            *value = (u64)hi << 32 | v32;
        return 0;
    }
    if (size <= 4 && pci_guest_ecam_access(gpa, (u8)size, write, &v32)) {
        if (!write)
            *value = v32;
        return 0;
    }
    return -E_INVAL; /* unaligned: no device does it */
}

static struct mmio_owner ecam_owners[4];

static void hook_ecam(void)
{
    u64 start = 0, end = 0;
    unsigned n = 0;

    /* One hook per run of buses in the same window. */
    for (unsigned bus = 0; bus <= 256 && n < ARRAY_SIZE(ecam_owners); bus++) {
        u64 base = bus < 256 ? ecam_base[bus] : 0;
        u64 here = base ? base + ((u64)bus << 20) : 0;
        if (here && here == end) {
            end += MiB(1);
            continue;
        }
        if (end > start) {
            ecam_owners[n] = (struct mmio_owner){ .base = start, .len = end - start,
                                                  .name = "PCI ECAM",
                                                  .access = ecam_mmio_access };
            if (mmio_register(&ecam_owners[n]) < 0)
                log_warn("pci", "cannot hook ECAM 0x%llx: the guest's accesses "
                         "there are not mediated", (unsigned long long)start);
            n++;
        }
        start = end = here ? here : 0;
        if (here)
            end = here + MiB(1);
    }
}

static struct io_owner pci_owner = {
    .port = PCI_CONFIG_ADDRESS, .count = 8, .name = "PCI configuration",
    .handle = pci_io_handle,
};
IO_OWNER(pci_owner);

/* ---- the boot scan ---------------------------------------------------- */

/* vmm.pci=mediate= names the device for an opt-in mediator: those are
 * tried first, so a device selected for one (pci-cfgcheck on an AHCI)
 * is not taken by the mediator its class would get; without the
 * selection only the others are tried. 1: attached; 0: none took it;
 * -1: none took it and one that declined must mediate it. */
static int try_attach(struct pci_dev *d, bool opt_in)
{
    u8 devfn = (u8)(d->id.dev << 3 | d->id.fn);
    int r = 0;

    for (const struct pci_mediator *const *m = __pci_mediators_start;
         m < __pci_mediators_end; m++) {
        if ((*m)->opt_in != opt_in || !pci_mediator_matches(*m, &d->id) ||
            ((*m)->wanted && !(*m)->wanted()))
            continue;
        /* before attach: a mediator may start DMA into its buffers there */
        iommu_set_trusted(d->id.bus, devfn, true);
        if ((*m)->attach && (*m)->attach(d) < 0) {
            iommu_set_trusted(d->id.bus, devfn, false);
            log_info("pci", "%02x:%02x.%x: mediator %s declined it", d->id.bus,
                     d->id.dev, d->id.fn, (*m)->name);
            if ((*m)->must_mediate && (*m)->must_mediate()) {
                log_err("pci", "%02x:%02x.%x: not mediated while disk encryption "
                        "is configured: disabled and concealed from the guest "
                        "(its disks would be reached in the clear)", d->id.bus,
                        d->id.dev, d->id.fn);
                r = -1;
            }
            continue;
        }
        d->mediator = *m;
        return 1;
    }
    return r;
}

/* false: the device must be disabled (see try_attach). */
static bool attach_mediator(struct pci_dev *d, int action)
{
    int r = 0;

    if (action == PCI_MEDIATE && (r = try_attach(d, true)) > 0)
        return true;
    int r2 = try_attach(d, false);
    return r2 > 0 || (r == 0 && r2 == 0);
}

static void log_device(const struct pci_dev *d)
{
    char extra[64] = "";

    if ((d->header_type & 0x7f) == 1) {
        u32 buses = pci_config_read(d, 0x18, 4);
        ksnprintf(extra, sizeof(extra), " bridge to buses %02x-%02x",
                  (buses >> 8) & 0xff, (buses >> 16) & 0xff);
    }
    log_info("pci", "%02x:%02x.%x %04x:%04x class %06x rev %02x %s%s%s%s%s",
             d->id.bus, d->id.dev, d->id.fn, d->id.vendor, d->id.device,
             d->id.class, d->revision, d->ecam ? "ecam" : "ports", extra,
             d->disabled ? " disabled" : d->concealed ? " concealed" : "",
             d->mediator ? " mediator " : "",
             d->mediator ? d->mediator->name : "");
}

/* Reads one function's identity; false if nothing answers there. */
static bool probe_function(u8 bus, u8 dev, u8 fn, struct pci_dev *d)
{
    memset(d, 0, sizeof(*d));
    d->id.bus = bus;
    d->id.dev = dev;
    d->id.fn = fn;
    d->ecam = ecam_ptr(bus, dev, fn);
    u32 id = pci_config_read(d, PCI_VENDOR_ID, 4);
    if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
        return false;
    u32 cls = pci_config_read(d, PCI_REVISION, 4);
    d->id.vendor = (u16)id;
    d->id.device = (u16)(id >> 16);
    d->id.class = cls >> 8;
    d->revision = (u8)cls;
    d->header_type = (u8)pci_config_read(d, PCI_HEADER_TYPE, 1);
    return true;
}

/* Turns off I/O and memory decoding and bus mastering (PCI 3.0, 6.2.2),
 * so a device the guest cannot see does no DMA and claims no addresses. */
static void disable(struct pci_dev *d)
{
    u16 cmd = (u16)pci_config_read(d, PCI_COMMAND, 2);
    u16 off = cmd & (u16)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    pci_config_write(d, PCI_COMMAND, 2, off);
    log_info("pci", "%02x:%02x.%x disabled: command 0x%04x -> 0x%04x (reads "
             "back 0x%04x)", d->id.bus, d->id.dev, d->id.fn, cmd, off,
             (u16)pci_config_read(d, PCI_COMMAND, 2));
}

static void add_device(const struct pci_dev *probe)
{
    if (ndevices == PCI_MAX_DEVICES) {
        if (ndevices++ == PCI_MAX_DEVICES)
            log_warn("pci", "more than %u functions: the rest pass through "
                     "unmediated and cannot be concealed", PCI_MAX_DEVICES);
        return;
    }
    struct pci_dev *d = &devices[ndevices++];
    *d = *probe;
    int action = pci_rules_action(rules, nrules, &d->id);
    d->disabled = action == PCI_DISABLE;
    if (action == PCI_DISABLE || action == PCI_CONCEAL)
        d->concealed = true;
    else if (action != PCI_PASS && !attach_mediator(d, action))
        d->disabled = d->concealed = true;
    log_device(d);
    if (d->disabled)
        disable(d);
}

static void scan(void)
{
    struct pci_dev probe;

    for (unsigned bus = 0; bus < 256; bus++)
        for (u8 dev = 0; dev < 32; dev++) {
            if (!probe_function((u8)bus, dev, 0, &probe))
                continue;
            bool multi = probe.header_type & PCI_HEADER_MULTIFUNCTION;
            add_device(&probe);
            for (u8 fn = 1; multi && fn < 8; fn++)
                if (probe_function((u8)bus, dev, fn, &probe))
                    add_device(&probe);
        }
    if (ndevices > PCI_MAX_DEVICES)
        ndevices = PCI_MAX_DEVICES;
}

static void check_rules_used(void)
{
    for (unsigned r = 0; r < nrules; r++) {
        bool used = false;
        for (unsigned i = 0; i < ndevices && !used; i++)
            used = pci_sel_match(&rules[r].sel, &devices[i].id);
        if (!used) {
            char sel[32];
            pci_sel_format(&rules[r].sel, sel, sizeof(sel));
            log_warn("pci", "vmm.pci: %s=%s matches no device",
                     pci_action_name(rules[r].action), sel);
        }
    }
}

/* Which functions' config accesses must exit (the guest's data ports pass
 * through only to the others), and whether they may pass at all: every
 * function the VMM reaches through ECAM, and no mediator that makes its
 * own cycles through the ports. */
static void choose_conf1_pass(void)
{
    bool all_ecam = true, port_mediator = false;
    unsigned nwatched = 0;

    for (unsigned i = 0; i < ndevices; i++) {
        const struct pci_dev *d = &devices[i];
        all_ecam &= d->ecam != NULL;
        port_mediator |= d->mediator && d->mediator->port_cycles;
        if (d->concealed || d->mediator || is_intel_host_bridge(d) || is_bridge(d)) {
            unsigned b = slot_bit(d->id.bus, d->id.dev, d->id.fn);
            watched[b / 8] |= (u8)(1u << (b % 8));
            nwatched++;
        }
    }
    conf1_pass = all_ecam && !port_mediator && ndevices <= PCI_MAX_DEVICES;
    for (unsigned i = 0; i < ndevices; i++)
        if (is_intel_host_bridge(&devices[i]) && devices[i].ecam) {
            pciexbar_dev = &devices[i];
            pciexbar_boot[0] = pci_config_read(pciexbar_dev, 0x60, 4);
            pciexbar_boot[1] = pci_config_read(pciexbar_dev, 0x64, 4);
        }
    if (conf1_pass)
        log_info("pci", "guest data ports 0xcfc-0xcff pass through while a vcpu's "
                 "latch targets none of the %u watched functions", nwatched);
    else
        log_info("pci", "guest data ports 0xcfc-0xcff always exit (%s)",
                 !all_ecam ? "the VMM reaches some functions through the ports"
                 : port_mediator ? "a mediator makes cycles through the ports"
                                 : "more functions than recorded");
}

static int pci_init(void)
{
    char why[160];
    int n = pci_rules_parse(pci_option, rules, PCI_MAX_RULES, why, sizeof(why));
    unsigned ecam_buses = 0, concealed = 0, disabled = 0, mediated = 0;

    if (n < 0)
        refuse_to_start("vmm.pci=%s: %s", pci_option, why);
    nrules = (unsigned)n;
    for (unsigned bus = 0; bus < 256; bus++) {
        ecam_base[bus] = pci_ecam_base((u8)bus);
        ecam_buses += ecam_base[bus] != 0;
    }
    scan();
    hook_ecam();
    choose_conf1_pass();
    for (unsigned i = 0; i < ndevices; i++) {
        concealed += devices[i].concealed && !devices[i].disabled;
        disabled += devices[i].disabled;
        mediated += devices[i].mediator != NULL;
    }
    check_rules_used();
    log_info("pci", "%u functions (%u disabled, %u concealed, %u mediated); the "
             "VMM's config access: ECAM on %u buses, ports elsewhere; guest "
             "ports 0xcf8-0xcff and ECAM mediated", ndevices, disabled, concealed,
             mediated, ecam_buses);
    return 0;
}
INIT_FUNC(devices, 10, pci_init);
