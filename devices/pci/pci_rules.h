/* The pure parts of PCI mediation, host-tested (tests/unit/test_pci.c):
 * decoding the guest's 0xCF8 latch, the match rules of mediators, and the
 * `vmm.pci=` option syntax (docs/pci.md). No hardware access here. */
#ifndef VENEER_DEVICES_PCI_RULES_H
#define VENEER_DEVICES_PCI_RULES_H

#include <platform/types.h>

/* ---- configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) -------- */

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_CF8_ENABLE     BIT(31)

/* Where a config access goes: one function, a byte offset in its space. */
struct pci_addr {
    u8 bus, dev, fn;
    u16 offset;
};

/* Bits 27:24 carry offset bits 11:8 (AMD's extended configuration
 * through 0xcf8, enabled by EnableCf8ExtCfg in NB_CFG; BKDG for family
 * 10h, 2.11.1; reserved and ignored elsewhere, so 0 for offsets < 256). */
static inline u32 pci_cf8_value(u8 bus, u8 dev, u8 fn, u16 offset)
{
    return (u32)PCI_CF8_ENABLE | (u32)(offset & 0xf00) << 16 | (u32)bus << 16 |
           (u32)(dev & 0x1f) << 11 | (u32)(fn & 7) << 8 | (offset & 0xfc);
}

/* True when an access of `size` bytes to data port `port` (0xcfc-0xcff)
 * under `latch` is a configuration cycle, with *out its target. False
 * when the enable bit is clear or the access would cross the dword (the
 * hardware makes no config cycle then). Bits 27:24 become offset bits
 * 11:8, as pci_cf8_value writes them back, so the hardware sees the
 * guest's own latch bits; bits 30:28 (reserved) are ignored. */
bool pci_latch_decode(u32 latch, u16 port, u8 size, struct pci_addr *out);

/* True for the accesses to ports 0xcf8-0xcff that touch the address latch:
 * only 32-bit accesses at 0xcf8 (a byte at 0xcf9 is the chipset's reset
 * control register, other sizes go to the bus as ordinary I/O). */
static inline bool pci_is_latch_access(u16 port, u8 size)
{
    return port == PCI_CONFIG_ADDRESS && size == 4;
}

/* Where an access at byte `off` of an ECAM window (from bus 0's address)
 * goes (PCIe 3.0, 7.2.2: bus 27:20, device 19:15, function 14:12,
 * register 11:0). False unless `size` is 1, 2 or 4 and `off` aligned to
 * it. */
bool pci_ecam_decode(u64 off, u8 size, struct pci_addr *out);

/* ---- identity and matching --------------------------------------------- */

struct pci_ident {
    u8 bus, dev, fn;
    u16 vendor, device;
    u32 class; /* class << 16 | subclass << 8 | prog-if */
};

enum pci_sel_kind { PCI_SEL_ANY, PCI_SEL_SLOT, PCI_SEL_ID, PCI_SEL_CLASS };

/* Selects devices by slot, by vendor:device (device PCI_ANY_ID for any of
 * the vendor's), or by class (class_mask chooses which bytes count). */
#define PCI_ANY_ID 0xffffffffu
struct pci_sel {
    enum pci_sel_kind kind;
    u8 bus, dev, fn;
    u32 vendor, device;
    u32 class, class_mask;
};

bool pci_sel_match(const struct pci_sel *s, const struct pci_ident *id);

/* Parses one selector: "BB:DD.F", "VVVV:DDDD", "VVVV:*", "class:CC",
 * "class:CCSS" or "class:CCSSPP" (hex). Returns 0, or < 0 with the reason
 * in why. */
int pci_sel_parse(const char *s, size_t len, struct pci_sel *out, char *why,
                  size_t why_size);

/* Writes a selector in the syntax it was parsed from. */
void pci_sel_format(const struct pci_sel *s, char *buf, size_t size);

/* ---- the vmm.pci= option ------------------------------------------------ */

enum pci_action {
    PCI_DISABLE, /* concealed, and its decoding and bus mastering turned off */
    PCI_CONCEAL, /* the guest sees no device there (vendor ID 0xffff) */
    PCI_PASS,    /* no mediator: the guest gets the device untouched */
    PCI_MEDIATE, /* attach opt-in mediators (e.g. one under test) */
};

struct pci_rule {
    enum pci_action action;
    struct pci_sel sel;
};

#define PCI_MAX_RULES 16

/* Parses "ACTION=SEL,ACTION=SEL,..." (actions disable, conceal, pass,
 * mediate).
 * Returns the number of rules (0 for an empty string), or < 0 with why set
 * (naming the offending item). */
int pci_rules_parse(const char *s, struct pci_rule *rules, unsigned max,
                    char *why, size_t why_size);

/* What the rules say about a device: the strongest action of the rules
 * that match it (disable, then conceal, pass, mediate); -1 if none. */
int pci_rules_action(const struct pci_rule *rules, unsigned n,
                     const struct pci_ident *id);

const char *pci_action_name(enum pci_action a);

/* ---- header fields ------------------------------------------------------ */

/* A base address register as programmed (PCI 3.0, 6.2.5.1); no sizing. */
struct pci_bar {
    u64 base;
    bool io, mem64, prefetch;
};

/* Decodes BAR `lo` (and `hi`, the next BAR, for a 64-bit memory BAR).
 * Returns how many BAR slots it takes (1 or 2), or 0 for a reserved type. */
unsigned pci_bar_decode(u32 lo, u32 hi, struct pci_bar *out);

/* Reads one byte of a function's config space (for the capability walk). */
typedef u8 (*pci_cfg_byte_reader)(void *ctx, u16 offset);

/* The offset of the first capability with ID `cap` in the standard list
 * (status bit 4, pointer at 0x34; PCI 3.0, 6.7), or 0 if none. Bounded:
 * a looping or out-of-range list ends the walk. */
u8 pci_cap_find(pci_cfg_byte_reader rd, void *ctx, u8 cap);

#endif
