/* PCI configuration space: the VMM's one API, and mediation of the guest's
 * accesses (docs/pci.md).
 *
 * The VMM reads and writes a device's configuration space with
 * pci_config_read/write on a `struct pci_dev` found by the boot scan; the
 * mechanism (ECAM through the direct map when MCFG covers the bus, else
 * ports 0xcf8/0xcfc) is chosen inside, and every cycle through the ports
 * holds one lock. The guest's 0xcf8 latch is virtual, one per vcpu: the
 * VMM owns ports 0xcf8-0xcff, keeps each vcpu's latch value and performs
 * the guest's data-port accesses itself, so neither side ever sees or
 * clobbers the other's address (seed 000: BitVisor's races). Where the
 * VMM reaches every function through ECAM, a vcpu whose latch targets a
 * function it does not watch has the data ports passed through, and only
 * such latches reach the hardware (docs/pci.md).
 *
 * Mediators register with PCI_MEDIATOR and a match; they see the guest's
 * config accesses to their devices. Everything else passes through
 * untouched, except devices that `vmm.pci=conceal=...` hides. */
#ifndef VENEER_DEVICES_PCI_H
#define VENEER_DEVICES_PCI_H

#include <devices/pci/pci_rules.h>

/* Standard header offsets (PCI Local Bus 3.0, 6.1). */
enum pci_cfg {
    PCI_VENDOR_ID = 0x00,
    PCI_DEVICE_ID = 0x02,
    PCI_COMMAND = 0x04,
    PCI_STATUS = 0x06,
    PCI_REVISION = 0x08,
    PCI_CLASS_PROG = 0x09,
    PCI_HEADER_TYPE = 0x0e,
    PCI_BAR0 = 0x10,
    PCI_SECONDARY_BUS = 0x19, /* type 1 (bridge) header */
    PCI_SUBORDINATE_BUS = 0x1a,
    PCI_CAP_PTR = 0x34,
};
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_CFG_SIZE_LEGACY 256u
#define PCI_CFG_SIZE_ECAM 4096u

struct pci_mediator;

struct pci_dev {
    struct pci_ident id;       /* slot, vendor:device, class */
    u8 revision, header_type;
    volatile u8 *ecam;         /* the function's 4 KiB ECAM window, or NULL */
    bool concealed;            /* vmm.pci=conceal: absent to the guest */
    bool disabled;             /* vmm.pci=disable: concealed and turned off */
    const struct pci_mediator *mediator; /* NULL: passed through */
    void *priv;                /* the mediator's per-device state */
    u32 guest_reads, guest_writes; /* the guest's config accesses, counted */
    bool guest_probe_logged;   /* a concealed device's first probe logged */
};

/* The VMM's access: `size` 1, 2 or 4, `offset` aligned to it and below
 * the device's config size (4096 with ECAM, else 256). Out of range reads
 * give all ones and writes are dropped (with a logged warning). Safe from
 * any CPU at any time, including from a mediator's callbacks. */
u32 pci_config_read(const struct pci_dev *d, u16 offset, u8 size);
void pci_config_write(const struct pci_dev *d, u16 offset, u8 size, u32 value);
/* How many bytes of config space the VMM can reach (256 or 4096). */
unsigned pci_config_size(const struct pci_dev *d);

/* BAR `i` (0-5 for a type 0 header, 0-1 for a bridge) as programmed now;
 * returns 0, or -E_INVAL for no such BAR, the high half of a 64-bit one,
 * or a reserved type. */
int pci_read_bar(const struct pci_dev *d, unsigned i, struct pci_bar *out);
/* The offset of capability `cap` (PCI_CAP_ID_*), or 0 if the device has
 * none. */
u8 pci_find_cap(const struct pci_dev *d, u8 cap);
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11

/* Devices found at boot (segment 0). */
unsigned pci_device_count(void);
struct pci_dev *pci_device(unsigned i);
struct pci_dev *pci_find_slot(u8 bus, u8 dev, u8 fn);

/* What a mediator's callback did with a guest access. */
enum pci_verdict {
    PCI_FORWARD, /* do it on the device as the guest asked */
    PCI_HANDLED, /* done by the mediator (*value filled for a read) */
};

/* A mediator matches devices by class and/or vendor:device: every
 * selector with a kind other than PCI_SEL_ANY must match. One with neither
 * matches nothing, unless it is opt-in: then vmm.pci=mediate=SEL alone
 * chooses its devices. */
struct pci_mediator {
    const char *name;
    struct pci_sel match_class;
    struct pci_sel match_id;
    bool opt_in; /* attached only where vmm.pci=mediate=... selects */
    /* Makes config cycles of its own through ports 0xcf8/0xcfc: while it
     * is attached the guest's data ports always exit (docs/pci.md). */
    bool port_cycles;
    /* May be NULL. When it returns false the mediator is not tried at all
     * (a run-time option left it off: vmm.net=pass for the e1000), so a
     * device it would match passes through as if it did not exist. */
    bool (*wanted)(void);
    /* At boot, for each matching device; < 0 declines it (passed through). */
    int (*attach)(struct pci_dev *d);
    /* May be NULL. When it returns true, a device this mediator declines is
     * disabled (concealed, no decoding, no bus mastering) instead of passed
     * through: the storage mediators while vmm.crypt= rules exist, so that
     * no disk the rules may name is reached unmediated. */
    bool (*must_mediate)(void);
    /* The guest's config accesses to an attached device. Called without
     * the config lock held: pci_config_read/write may be used. Either may
     * be NULL (forwarded). A mediator that wants to see a BAR or command
     * write take effect writes it with pci_config_write and returns
     * PCI_HANDLED. */
    enum pci_verdict (*config_read)(struct pci_dev *d, u16 offset, u8 size,
                                    u32 *value);
    enum pci_verdict (*config_write)(struct pci_dev *d, u16 offset, u8 size,
                                     u32 value);
    /* After a guest write that config_write forwarded (or of a device
     * without config_write) reached the device: the place to re-read a BAR
     * or the command register. May be NULL. */
    void (*config_written)(struct pci_dev *d, u16 offset, u8 size);
};
#define PCI_MEDIATOR(var)                                                 \
    static const struct pci_mediator *const pci_mediator_ref_##var __used \
        __section(".pci_mediators") = &(var)

/* The mediator matching rule alone (pure, host-tested). */
bool pci_mediator_matches(const struct pci_mediator *m,
                          const struct pci_ident *id);

/* ECAM from MCFG (devices/pci/pci_acpi.c): the physical base of segment 0's
 * window covering `bus` (the address of bus 0 in it), or 0 if none. */
u64 pci_ecam_base(u8 bus);
/* The base (bus 0's address) of the segment-0 window holding physical
 * address `pa`, or 0 if none does. */
u64 pci_ecam_window_of(u64 pa);

/* The guest's load (*value filled) or store of `size` bytes at
 * guest-physical `gpa` in an ECAM window, with the same concealment and
 * mediation as its port accesses. Returns false if gpa is in no window or
 * the access is not a naturally aligned 1, 2 or 4 bytes (the caller does
 * it as it would without the hook). Called from the ECAM MMIO hook
 * (common/mmio.h) that pci_init registers for every window. */
bool pci_guest_ecam_access(u64 gpa, u8 size, bool write, u32 *value);

#endif
