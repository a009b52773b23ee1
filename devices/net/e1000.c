/* An Intel 82540EM (`e1000`) or 82574L (`e1000e`, e1000e.c gives its
 * model) driven by the VMM for its own network (docs/network.md). With
 * vmm.net=vmm the first such NIC is reset, given descriptor rings in VMM
 * memory and concealed from the guest: its configuration space reads as
 * absent and its memory BARs (registers, and the 82574's flash and MSI-X
 * table) are hooked so that the guest can neither read nor program them
 * (it could otherwise aim the NIC's DMA anywhere the NIC may reach); its
 * I/O BAR (indirect register access) stays undecoded. net.c polls the
 * rings; the only interrupt is the receive NMI through MSI where the NIC
 * has MSI (e1000_signal_rx; INTx off, MSI-X never enabled).
 *
 * Receive (8254x SDM 3.2): 32 descriptors with 2048-byte buffers, FCS
 * stripped, broadcast accepted. A frame longer than one buffer (no EOP)
 * or with an error bit is dropped whole, never handed to lwIP.
 * Transmit (3.3): 32 legacy descriptors, one frame per descriptor,
 * copied into a VMM buffer; a slot is reused once the NIC wrote back DD.
 * One slot always stays empty, so TDT never catches up with TDH. */
#include <common/mmio.h>
#include <devices/net/e1000.h>
#include <devices/net/net.h>
#include <devices/pci/pci.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/time.h>
#include <string.h>

#define RX_DESCS 32u
#define TX_DESCS 32u
#define BUF_SIZE 2048u
#define RESET_WAIT_US 10000
#define EERD_WAIT_US 10000
#define PCI_BARS 6

struct e1000 {
    struct net_nic nic;
    const struct e1000_model *model;
    volatile u8 *regs;
    u64 bar;
    volatile struct e1000_rx_desc *rx;
    volatile struct e1000_tx_desc *tx;
    u8 *rx_buf, *tx_buf;
    u64 rx_buf_phys, tx_buf_phys;
    unsigned rx_next, tx_next;
    bool rx_discard; /* inside a frame that spans descriptors */
    struct mmio_owner owner;
    struct mmio_owner other_bars[PCI_BARS - 1]; /* memory BARs 1-5 */
};

static struct e1000 nic0;
static bool nic0_taken;

static u32 rd32(struct e1000 *e, u32 reg)
{
    return *(volatile u32 *)(e->regs + reg);
}

static void wr32(struct e1000 *e, u32 reg, u32 v)
{
    *(volatile u32 *)(e->regs + reg) = v;
}

u32 e1000_read(struct e1000 *e, u32 reg)
{
    return rd32(e, reg);
}

void e1000_write(struct e1000 *e, u32 reg, u32 v)
{
    wr32(e, reg, v);
}

static bool wait_bits(struct e1000 *e, u32 reg, u32 mask, u32 want, u64 us)
{
    u64 end = rdtsc() + us_to_tsc(us);

    while ((rd32(e, reg) & mask) != want)
        if (rdtsc() > end)
            return false;
        else
            cpu_relax();
    return true;
}

/* 13.4.4 (82574 DS 10.2.2.5): one 16-bit EEPROM (NVM) word; false if the
 * read never completes. */
static bool eeprom_read(struct e1000 *e, u8 addr, u16 *out)
{
    u32 done = e->model->eerd_done;

    wr32(e, E1000_EERD, (u32)addr << e->model->eerd_addr_shift | E1000_EERD_START);
    if (!wait_bits(e, E1000_EERD, done, done, EERD_WAIT_US))
        return false;
    *out = (u16)(rd32(e, E1000_EERD) >> E1000_EERD_DATA_SHIFT);
    return true;
}

/* The MAC address: EEPROM words 0-2 (13.4.4, 5.6.1), else RAL0/RAH0 as
 * the reset's EEPROM auto-load left them. */
static const char *read_mac(struct e1000 *e)
{
    u16 w[3];

    if (eeprom_read(e, 0, &w[0]) && eeprom_read(e, 1, &w[1]) &&
        eeprom_read(e, 2, &w[2])) {
        for (int i = 0; i < 3; i++) {
            e->nic.mac[2 * i] = (u8)w[i];
            e->nic.mac[2 * i + 1] = (u8)(w[i] >> 8);
        }
        return "EEPROM";
    }
    u32 lo = rd32(e, E1000_RAL0), hi = rd32(e, E1000_RAH0);
    if (!(hi & E1000_RAH_AV))
        return NULL;
    for (int i = 0; i < 4; i++)
        e->nic.mac[i] = (u8)(lo >> (8 * i));
    e->nic.mac[4] = (u8)hi;
    e->nic.mac[5] = (u8)(hi >> 8);
    return "RAL0";
}

static unsigned e1000_poll_rx(struct net_nic *nic, net_rx_fn deliver, unsigned budget)
{
    struct e1000 *e = nic->priv;
    unsigned n = 0;

    while (n < budget) {
        unsigned i = e->rx_next;
        volatile struct e1000_rx_desc *d = &e->rx[i];
        u8 status = d->status;
        if (!(status & E1000_RXD_DD))
            break;
        __asm__ volatile("" ::: "memory"); /* DD before the rest (x86 keeps loads in order) */
        u16 len = d->length;
        if (!e1000_rx_accept(status, d->errors, len, &e->rx_discard)) {
            nic->rx_dropped++;
        } else {
            nic->rx_frames++;
            deliver(nic, e->rx_buf + (u64)i * BUF_SIZE, len);
        }
        d->status = 0;
        d->errors = 0;
        __asm__ volatile("" ::: "memory");
        wr32(e, E1000_RDT, i); /* the buffer is the NIC's again */
        e->rx_next = (i + 1) % RX_DESCS;
        n++;
    }
    return n;
}

static int e1000_transmit(struct net_nic *nic, const void *frame, size_t len)
{
    struct e1000 *e = nic->priv;
    unsigned i = e->tx_next, next = (i + 1) % TX_DESCS;

    if (len < NET_FRAME_MIN || len > NET_FRAME_MAX) {
        nic->tx_dropped++;
        return -E_INVAL;
    }
    if (!(e->tx[i].status & E1000_TXD_DD) || !(e->tx[next].status & E1000_TXD_DD)) {
        nic->tx_dropped++;
        return -E_BUSY;
    }
    memcpy(e->tx_buf + (u64)i * BUF_SIZE, frame, len);
    volatile struct e1000_tx_desc *d = &e->tx[i];
    d->addr = e->tx_buf_phys + (u64)i * BUF_SIZE;
    d->length = (u16)len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    __asm__ volatile("sfence" ::: "memory");
    e->tx_next = next;
    wr32(e, E1000_TDT, next);
    nic->tx_frames++;
    return 0;
}

static bool e1000_link_up(struct net_nic *nic)
{
    return rd32(nic->priv, E1000_STATUS) & E1000_STATUS_LU;
}

/* MSI (PCI 3.0 6.8.1) with NMI delivery (SDM vol. 3 10.11: address
 * 0xFEE00000 | destination << 12, physical; data: delivery mode 100b,
 * edge, vector 0) for the receive causes, throttled by ITR: an idle
 * guest that makes no exits (a HLT) is left by an NMI exit whenever a
 * frame arrives (platform/smp.h nmi_take_kick, devices/net/net.c). */
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_DATA_NMI (4u << 8)
#define MSI_CTRL_ENABLE BIT(0)
#define MSI_CTRL_MME (7u << 4)
#define MSI_CTRL_64BIT BIT(7)

static int e1000_signal_rx(struct net_nic *nic, u32 apic_id)
{
    struct e1000 *e = nic->priv;
    u8 cap = pci_find_cap(nic->pci, PCI_CAP_ID_MSI);

    if (!cap || apic_id > 0xff)
        return -E_NOTSUP;
    u16 ctrl = (u16)pci_config_read(nic->pci, cap + 2, 2);
    pci_config_write(nic->pci, cap + 4, 4, MSI_ADDR_BASE | apic_id << 12);
    if (ctrl & MSI_CTRL_64BIT) {
        pci_config_write(nic->pci, cap + 8, 4, 0);
        pci_config_write(nic->pci, cap + 12, 2, MSI_DATA_NMI);
    } else {
        pci_config_write(nic->pci, cap + 8, 2, MSI_DATA_NMI);
    }
    pci_config_write(nic->pci, cap + 2, 2, (ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
    wr32(e, E1000_ITR, E1000_ITR_KICK);
    (void)rd32(e, E1000_ICR);
    wr32(e, E1000_IMS, E1000_ICR_RX_KICK);
    return 0;
}

/* NMI context: IMC stops the messages; reading ICR clears it (13.4.17)
 * and, a read, returns only after the NIC's earlier writes (its
 * messages) went upstream. */
static bool e1000_rx_signalled(struct net_nic *nic)
{
    wr32(nic->priv, E1000_IMC, E1000_ICR_RX_KICK);
    return rd32(nic->priv, E1000_ICR) & E1000_ICR_RX_KICK;
}

/* A cause set meanwhile sends a message at once. */
static void e1000_rx_unmask(struct net_nic *nic)
{
    wr32(nic->priv, E1000_IMS, E1000_ICR_RX_KICK);
}

/* The guest's accesses to the concealed NIC's memory BARs: reads give
 * all ones (as an absent device's would), writes are dropped. */
static int e1000_guest_access(u64 gpa, unsigned size, bool write, u64 *value)
{
    log_warn_ratelimited(nic0.model->name, "the guest %s the VMM's NIC registers at "
                         "0x%llx: refused", write ? "wrote" : "read",
                         (unsigned long long)gpa);
    if (!write)
        *value = ~0ULL;
    return 0;
}

static int rings_alloc(struct e1000 *e)
{
    u64 rx_phys, tx_phys;

    e->rx = net_dma_alloc(RX_DESCS * sizeof(struct e1000_rx_desc), &rx_phys);
    e->tx = net_dma_alloc(TX_DESCS * sizeof(struct e1000_tx_desc), &tx_phys);
    e->rx_buf = net_dma_alloc(RX_DESCS * BUF_SIZE, &e->rx_buf_phys);
    e->tx_buf = net_dma_alloc(TX_DESCS * BUF_SIZE, &e->tx_buf_phys);
    if (!e->rx || !e->tx || !e->rx_buf || !e->tx_buf)
        return -E_NOMEM;
    for (unsigned i = 0; i < RX_DESCS; i++)
        e->rx[i].addr = e->rx_buf_phys + (u64)i * BUF_SIZE;
    for (unsigned i = 0; i < TX_DESCS; i++)
        e->tx[i].status = E1000_TXD_DD; /* free */
    /* 14.5/14.6: rings base, length (a multiple of 128 bytes), head, tail */
    wr32(e, E1000_RDBAL, (u32)rx_phys);
    wr32(e, E1000_RDBAH, (u32)(rx_phys >> 32));
    wr32(e, E1000_RDLEN, RX_DESCS * sizeof(struct e1000_rx_desc));
    wr32(e, E1000_RDH, 0);
    wr32(e, E1000_RDT, RX_DESCS - 1);
    wr32(e, E1000_TDBAL, (u32)tx_phys);
    wr32(e, E1000_TDBAH, (u32)(tx_phys >> 32));
    wr32(e, E1000_TDLEN, TX_DESCS * sizeof(struct e1000_tx_desc));
    wr32(e, E1000_TDH, 0);
    wr32(e, E1000_TDT, 0);
    return 0;
}

/* 14.3-14.5: reset, interrupts masked, link up, the MAC read; NULL if
 * the reset does not complete or there is no MAC, else where it came from. */
static const char *e1000_reset_mac(struct e1000 *e)
{
    wr32(e, E1000_IMC, 0xffffffffu);
    wr32(e, E1000_CTRL, rd32(e, E1000_CTRL) | E1000_CTRL_RST);
    if (!wait_bits(e, E1000_CTRL, E1000_CTRL_RST, 0, RESET_WAIT_US)) {
        log_warn(e->model->name, "%s: reset does not complete", e->nic.name);
        return NULL;
    }
    wr32(e, E1000_IMC, 0xffffffffu); /* reset unmasks nothing, but be sure */
    (void)rd32(e, E1000_ICR);
    wr32(e, E1000_CTRL, (rd32(e, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE));
    if (e->model->setup && e->model->setup(e) < 0)
        return NULL;
    const char *src = read_mac(e);
    if (!src)
        log_warn(e->model->name, "%s: no MAC address in the EEPROM or RAL0", e->nic.name);
    return src;
}

static const struct e1000_model e1000_82540em;

/* The share mode drives the 82540EM only (e1000_share.c). */
const char *e1000_hw_reset(volatile u8 *regs, const char *name, u8 mac[6])
{
    struct e1000 tmp = { .regs = regs, .model = &e1000_82540em };

    ksnprintf(tmp.nic.name, sizeof(tmp.nic.name), "%s", name);
    const char *src = e1000_reset_mac(&tmp);
    if (src)
        memcpy(mac, tmp.nic.mac, 6);
    return src;
}

/* 14.3-14.6: reset, interrupts masked, link up, MAC, rings, RX/TX on. */
static int e1000_setup(struct e1000 *e)
{
    const char *src = e1000_reset_mac(e);
    if (!src)
        return -E_IO;
    const u8 *m = e->nic.mac;
    wr32(e, E1000_RAL0, (u32)m[0] | (u32)m[1] << 8 | (u32)m[2] << 16 | (u32)m[3] << 24);
    wr32(e, E1000_RAH0, (u32)m[4] | (u32)m[5] << 8 | E1000_RAH_AV);
    for (u32 i = 0; i < 128; i++)
        wr32(e, E1000_MTA + 4 * i, 0);
    int r = rings_alloc(e);
    if (r < 0) {
        log_warn(e->model->name, "%s: out of VMM memory for the rings", e->nic.name);
        return r;
    }
    wr32(e, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
    wr32(e, E1000_TIPG, E1000_TIPG_DEFAULT);
    wr32(e, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT(0x0f) |
         E1000_TCTL_COLD(0x40));
    log_info(e->model->name, "%s: MAC %02x:%02x:%02x:%02x:%02x:%02x (from %s), link %s, "
             "%u RX and %u TX descriptors in VMM memory, registers at 0x%llx hidden "
             "from the guest", e->nic.name, m[0], m[1], m[2], m[3], m[4], m[5], src,
             e1000_link_up(&e->nic) ? "up" : "down", RX_DESCS, TX_DESCS,
             (unsigned long long)e->bar);
    return 0;
}

#define PCI_COMMAND_INTX_DISABLE BIT(10)

/* The length of memory BAR `i` (PCI 3.0 6.2.5.1: write all ones, read
 * back the size mask), with memory decoding off meanwhile; 0 if none. */
static u64 mem_bar_len(struct pci_dev *d, unsigned i, const struct pci_bar *bar)
{
    u16 off = PCI_BAR0 + 4 * i;
    u16 cmd = (u16)pci_config_read(d, PCI_COMMAND, 2);
    u32 lo = pci_config_read(d, off, 4), hi = 0, mlo, mhi = ~0u;

    pci_config_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
    pci_config_write(d, off, 4, ~0u);
    mlo = pci_config_read(d, off, 4) & ~0xfu;
    pci_config_write(d, off, 4, lo);
    if (bar->mem64) {
        hi = pci_config_read(d, off + 4, 4);
        pci_config_write(d, off + 4, 4, ~0u);
        mhi = pci_config_read(d, off + 4, 4);
        pci_config_write(d, off + 4, 4, hi);
    }
    pci_config_write(d, PCI_COMMAND, 2, cmd);
    u64 mask = (u64)mhi << 32 | mlo;
    return mlo ? ~mask + 1 : 0;
}

/* Hooks memory BAR `i` like BAR0 (the 82574's flash and MSI-X table):
 * the guest must not reach what the VMM's NIC decodes. */
static int hook_other_bar(struct e1000 *e, struct pci_dev *d, unsigned i)
{
    struct pci_bar bar;

    if (pci_read_bar(d, i, &bar) < 0 || bar.io)
        return 0; /* none, the high half of BAR i-1, or I/O (left undecoded) */
    u64 len = mem_bar_len(d, i, &bar);
    if (!len || !bar.base)
        return 0;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!IS_ALIGNED(bar.base, PAGE_SIZE) || bar.base + len > direct_map_top) {
        log_warn(e->model->name, "%s: BAR%u at 0x%llx cannot be hooked", e->nic.name,
                 i, (unsigned long long)bar.base);
        return -E_INVAL;
    }
    e->other_bars[i - 1] = (struct mmio_owner){ .base = bar.base, .len = len,
                                                .name = "VMM NIC memory",
                                                .access = e1000_guest_access };
    return mmio_register(&e->other_bars[i - 1]);
}

int e1000_attach_model(struct pci_dev *d, const struct e1000_model *m)
{
    struct e1000 *e = &nic0;
    struct pci_bar bar;

    if (nic0_taken) {
        log_info(m->name, "%02x:%02x.%x: the VMM already has a NIC: left to the guest",
                 d->id.bus, d->id.dev, d->id.fn);
        return -E_BUSY;
    }
    memset(e, 0, sizeof(*e));
    e->model = m;
    e->nic.driver = m->name;
    e->nic.pci = d;
    e->nic.priv = e;
    e->nic.transmit = e1000_transmit;
    e->nic.poll_rx = e1000_poll_rx;
    e->nic.link_up = e1000_link_up;
    if (pci_find_cap(d, PCI_CAP_ID_MSI)) {
        e->nic.signal_rx = e1000_signal_rx;
        e->nic.rx_signalled = e1000_rx_signalled;
        e->nic.rx_unmask = e1000_rx_unmask;
    }
    ksnprintf(e->nic.name, sizeof(e->nic.name), "%02x:%02x.%x", d->id.bus,
              d->id.dev, d->id.fn);
    if (pci_read_bar(d, 0, &bar) < 0 || bar.io || !bar.base ||
        !IS_ALIGNED(bar.base, PAGE_SIZE) || bar.base + E1000_BAR0_LEN > direct_map_top) {
        log_warn(m->name, "%s: BAR0 is not a memory BAR the VMM can reach: left to "
                 "the guest", e->nic.name);
        return -E_INVAL;
    }
    e->bar = bar.base;
    e->regs = phys_to_virt(bar.base);
    e->owner = (struct mmio_owner){ .base = bar.base, .len = E1000_BAR0_LEN,
                                    .name = "VMM NIC registers",
                                    .access = e1000_guest_access };
    if (mmio_register(&e->owner) < 0) {
        log_warn(m->name, "%s: cannot hook the registers: left to the guest", e->nic.name);
        return -E_NOMEM;
    }
    /* from here on the NIC is never the guest's: on failure it is turned
     * off and concealed, its hooks stay */
    bool usable = true;
    for (unsigned i = 1; i < PCI_BARS; i++)
        if (hook_other_bar(e, d, i) < 0)
            usable = false;
    /* I/O decoding off: the I/O BAR's IOADDR/IODATA window reaches every
     * register (8254x SDM 13.2.2) */
    u16 cmd = (u16)pci_config_read(d, PCI_COMMAND, 2) & ~PCI_COMMAND_IO;
    pci_config_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                     PCI_COMMAND_INTX_DISABLE);
    if (!usable || e1000_setup(e) < 0 || net_nic_register(&e->nic) < 0) {
        pci_config_write(d, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
        d->concealed = true;
        log_warn(m->name, "%s: not usable: turned off and concealed", e->nic.name);
        return 0;
    }
    nic0_taken = true;
    d->concealed = true; /* absent to the guest from now on */
    return 0;
}

static const struct e1000_model e1000_82540em = {
    .name = "e1000",
    .eerd_done = E1000_82540_EERD_DONE,
    .eerd_addr_shift = E1000_82540_EERD_ADDR_SHIFT,
};

static int e1000_attach(struct pci_dev *d)
{
    return e1000_attach_model(d, &e1000_82540em);
}

/* vmm.net=pass (the default): the e1000s are the guest's, untouched. */
bool e1000_wanted(void)
{
    return net_mode() == NET_MODE_VMM;
}

static const struct pci_mediator e1000_mediator = {
    .name = "e1000",
    .wanted = e1000_wanted,
    .match_id = { .kind = PCI_SEL_ID, .vendor = 0x8086, .device = 0x100e },
    .attach = e1000_attach,
};
PCI_MEDIATOR(e1000_mediator);
