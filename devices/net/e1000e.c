/* The Intel 82574L (QEMU's `e1000e`, PCI 8086:10d3), the e1000 family's
 * PCIe member found in laptops and desktop boards, as a model of the
 * e1000.c driver (docs/network.md). What differs from the 82540EM, from
 * the 82574 GbE Controller Family Datasheet ("82574 DS"):
 *   - EERD has DONE at bit 1 and the word address at bits 15:2 (10.2.2.5);
 *   - RFCTL.EXSTEN selects extended RX descriptors (10.2.5.8): cleared,
 *     so the NIC writes back the legacy ones the driver shares;
 *   - CTRL_EXT.DRV_LOAD tells the manageability firmware that a driver
 *     owns the NIC (10.2.2.3);
 *   - three more BARs: flash (BAR1), I/O (BAR2) and the MSI-X table
 *     (BAR3); e1000.c hooks every memory BAR and leaves I/O undecoded.
 * MSI-X (IVAR, 10.2.4) is never enabled; MSI carries the receive NMI
 * (e1000.c e1000_signal_rx: the 82574's MSI capability and ITR at the
 * 8254x's offsets). The PHY needs nothing: the reset leaves
 * autonegotiation on and CTRL.SLU brings the link up. */
#include <devices/net/e1000.h>
#include <devices/pci/pci.h>

static int e1000e_setup(struct e1000 *e)
{
    e1000_write(e, E1000_CTRL_EXT, e1000_read(e, E1000_CTRL_EXT) | E1000_CTRL_EXT_DRV_LOAD);
    e1000_write(e, E1000_RFCTL, e1000_read(e, E1000_RFCTL) & ~E1000_RFCTL_EXSTEN);
    return 0;
}

static const struct e1000_model e1000_82574l = {
    .name = "e1000e",
    .eerd_done = E1000_82574_EERD_DONE,
    .eerd_addr_shift = E1000_82574_EERD_ADDR_SHIFT,
    .setup = e1000e_setup,
};

static int e1000e_attach(struct pci_dev *d)
{
    return e1000_attach_model(d, &e1000_82574l);
}

static const struct pci_mediator e1000e_mediator = {
    .name = "e1000e",
    .wanted = e1000_wanted,
    .match_id = { .kind = PCI_SEL_ID, .vendor = 0x8086, .device = 0x10d3 },
    .attach = e1000e_attach,
};
PCI_MEDIATOR(e1000e_mediator);
