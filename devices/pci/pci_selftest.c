/* pci-cfgcheck: an opt-in mediator that tests the config lock and the
 * virtual 0xcf8 latch on a live guest (vmm.pci=mediate=SEL, docs/pci.md).
 *
 * Before each of the guest's config accesses to a selected device is
 * forwarded, it makes VMM cycles of its own through the ports, to another
 * function and to the device, so the hardware latch points elsewhere when
 * the guest's access is done. Were the guest's latch the hardware's, the
 * guest would read the wrong function and its driver would fail. It also
 * reads the device's ID and class dwords through ECAM and through the
 * ports and checks that they agree (one API, two mechanisms), and logs
 * the first command-register and BAR writes of the guest as the device
 * took them (config_written). */
#include <devices/pci/pci.h>
#include <platform/format.h>
#include <platform/log.h>

static u32 checks, mismatches;

static void interleave(struct pci_dev *d)
{
    struct pci_dev other = *pci_device(0), self = *d;

    other.ecam = NULL; /* through the ports, whatever MCFG offers */
    self.ecam = NULL;
    (void)pci_config_read(&other, PCI_VENDOR_ID, 4);
    for (u16 off = PCI_VENDOR_ID; off <= PCI_REVISION; off += 8) {
        u32 port = pci_config_read(&self, off, 4);
        u32 direct = pci_config_read(d, off, 4);
        if (port != direct &&
            __atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 4)
            log_warn("pci", "cfgcheck %02x:%02x.%x: offset 0x%x reads %08x "
                     "through the ports, %08x through %s", d->id.bus,
                     d->id.dev, d->id.fn, off, port, direct,
                     d->ecam ? "ECAM" : "the ports again");
    }
    (void)pci_config_read(&other, PCI_CLASS_PROG, 1);
    u32 n = __atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
    if (n == 1 || (n >= 64 && !(n & (n - 1))))
        log_info("pci", "cfgcheck: %u guest config accesses interleaved with "
                 "VMM port cycles, %u ECAM/port mismatches", n,
                 __atomic_load_n(&mismatches, __ATOMIC_RELAXED));
}

/* The guest's ECAM path (pci_guest_ecam_access, waiting for its MMIO hook)
 * on the device's ID dword, against the VMM's own read. */
static void ecam_path(struct pci_dev *d)
{
    u64 base = pci_ecam_base(d->id.bus);
    u32 guest = 0, vmm = pci_config_read(d, PCI_VENDOR_ID, 4);

    if (!base)
        return;
    u64 gpa = base + ((u64)d->id.bus << 20) + ((u64)d->id.dev << 15) +
              ((u64)d->id.fn << 12);
    bool ok = pci_guest_ecam_access(gpa, 4, false, &guest);
    log_info("pci", "cfgcheck %02x:%02x.%x: guest ECAM path at 0x%llx: %s "
             "%08x, the VMM reads %08x", d->id.bus, d->id.dev, d->id.fn,
             (unsigned long long)gpa, ok ? "reads" : "not decoded,", guest, vmm);
}

/* Logs what a storage mediator will need: the BARs and the MSI/MSI-X
 * capabilities, read through the API. */
static int cfgcheck_attach(struct pci_dev *d)
{
    char buf[200];
    size_t n = 0;
    struct pci_bar bar;

    for (unsigned i = 0; i < 6 && n < sizeof(buf); i++) {
        if (pci_read_bar(d, i, &bar) < 0 || !bar.base)
            continue;
        n += (size_t)ksnprintf(buf + n, sizeof(buf) - n, " BAR%u %s 0x%llx", i,
                               bar.io ? "io" : bar.mem64 ? "mem64" : "mem32",
                               (unsigned long long)bar.base);
    }
    if (n < sizeof(buf))
        ksnprintf(buf + n, sizeof(buf) - n, "; MSI at 0x%02x, MSI-X at 0x%02x",
                  pci_find_cap(d, PCI_CAP_ID_MSI), pci_find_cap(d, PCI_CAP_ID_MSIX));
    log_info("pci", "cfgcheck %02x:%02x.%x:%s", d->id.bus, d->id.dev, d->id.fn,
             buf);
    ecam_path(d);
    return 0;
}

static enum pci_verdict cfgcheck_read(struct pci_dev *d, u16 offset, u8 size,
                                      u32 *value)
{
    interleave(d);
    return PCI_FORWARD;
}

static enum pci_verdict cfgcheck_write(struct pci_dev *d, u16 offset, u8 size,
                                       u32 value)
{
    interleave(d);
    return PCI_FORWARD;
}

/* The guest's command and BAR writes, as the device took them. */
static void cfgcheck_written(struct pci_dev *d, u16 offset, u8 size)
{
    static unsigned logged;

    if (offset + size <= PCI_COMMAND || offset >= PCI_BAR0 + 24 ||
        (offset >= PCI_COMMAND + 2 && offset < PCI_BAR0) ||
        __atomic_fetch_add(&logged, 1, __ATOMIC_RELAXED) >= 8)
        return;
    if (offset < PCI_BAR0)
        log_info("pci", "cfgcheck %02x:%02x.%x: the guest wrote the command "
                 "register: now 0x%04x", d->id.bus, d->id.dev, d->id.fn,
                 (u16)pci_config_read(d, PCI_COMMAND, 2));
    else
        log_info("pci", "cfgcheck %02x:%02x.%x: the guest wrote BAR%u: now "
                 "0x%08x", d->id.bus, d->id.dev, d->id.fn,
                 (unsigned)(offset - PCI_BAR0) / 4,
                 pci_config_read(d, (u16)(offset & ~3u), 4));
}

static const struct pci_mediator cfgcheck = {
    .name = "pci-cfgcheck",
    .opt_in = true, /* no match of its own: vmm.pci=mediate=SEL chooses */
    .port_cycles = true, /* interleave(): the latch moved between the guest's cycles */
    .attach = cfgcheck_attach,
    .config_read = cfgcheck_read,
    .config_write = cfgcheck_write,
    .config_written = cfgcheck_written,
};
PCI_MEDIATOR(cfgcheck);
