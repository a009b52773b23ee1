/* vmm.net=share on an Intel 82540EM (`e1000`): the guest keeps its NIC
 * and its own e1000 driver, the VMM's network rides on the same NIC
 * (docs/network.md, "The share mode").
 *
 * The NIC's real rings are the VMM's: 128 RX and 128 TX descriptors and
 * their buffers in VMM pages (net_dma_alloc), the only memory the NIC
 * ever reads or writes. The guest's registers are emulated: its ring
 * registers (RDBA/RDLEN/RDH/RDT, TDBA/..., and their 82542 aliases), RCTL,
 * TCTL, the interrupt registers and everything not on a short list of
 * harmless ones (STATUS, EEPROM, PHY, flow control, statistics, the
 * multicast table, receive addresses 0-14, LEDs) are kept here. Its I/O
 * BAR (IOADDR/IODATA, an indirect way to every register) is hooked and
 * goes through the same emulation.
 *
 * Transmit: at each guest TDT write the guest's descriptors from TDH up to
 * TDT are read from guest RAM, one packet (up to EOP) at a time; each
 * data descriptor's buffer (at most 4 KiB, in guest RAM by
 * guest_ram_ok: never the VMM region, never a device window) is copied
 * into the VMM's bounce buffer of a real descriptor and the descriptor is
 * queued with that address (context descriptors are copied as they are:
 * the NIC's checksum and TSO offloads still work). A packet with any bad
 * descriptor is refused whole (one log line), its descriptors completed
 * so that the guest's driver goes on. The VMM's own frames are queued
 * between the guest's packets. When the NIC has sent a guest descriptor
 * the VMM writes DD into the guest's copy (if the guest asked, RS) and
 * raises TXDW in the guest's ICR.
 *
 * Receive: every frame lands in a VMM buffer. One to the VMM's MAC goes
 * to lwIP only (the guest never sees the VMM's traffic, the shell's
 * password included); broadcast goes to both; the rest to the guest:
 * copied into the buffer of the guest's descriptor at its RDH (checked as
 * for TX), with the FCS appended if the guest did not ask for it to be
 * stripped (Linux's e1000 does not), and the descriptor written back
 * (DD, EOP, IXSM: no checksum offload). With no guest descriptor free the
 * frame is dropped (RXO), as the NIC would.
 *
 * Interrupts: the guest's IMS is mirrored into the real IMS, so the real
 * INTx line, routed to the guest as before, signals it. The guest's ICR
 * read is where the VMM reads the real ICR (deasserting the line) and
 * then drains the real rings into the guest's; the guest gets what it
 * delivered (RXT0, TXDW) plus the real causes. A frame delivered between
 * ICR reads (by the exit poller) always leaves its RXT0 set in the real
 * ICR, so the guest is always told.
 *
 * MAC and address: the VMM uses the NIC's MAC with the first octet
 * replaced by a locally administered one (receive address 15, which the
 * guest's registers cannot reach) and its own vmm.ip= (or DHCP: a second
 * lease for the second MAC). */
#include <common/exit.h>
#include <common/guest_mem.h>
#include <common/mmio.h>
#include <common/vcpu.h>
#include <devices/net/e1000_share.h>
#include <devices/net/net.h>
#include <devices/pci/pci.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <string.h>

#define HW_RX 128u
#define HW_TX 128u
#define RX_BUF 2048u
#define TX_BUF E1000_SHARE_TX_BUF /* Linux's e1000 puts at most 4 KiB in one */
#define PKT_DESCS 64u         /* descriptors of one guest packet, at most */
#define VREGS 0x6000u         /* registers kept for the guest: 0 - 0x5fff */
#define GUEST_RAR 15u         /* receive addresses 0-14 are the guest's */

/* Registers and bits beyond e1000.h's (8254x SDM 13.4) */
#define R_EECD 0x0010
#define R_CTRL_EXT 0x0018
#define R_MDIC 0x0020
#define R_ICS 0x00c8
#define R_LEDCTL 0x0e00
#define R_STATS 0x4000        /* to 0x40ff, clear on read */
#define R_RAR15 (E1000_RAL0 + 8 * GUEST_RAR)
#define CTRL_LRST BIT(3)
#define CTRL_PHY_RST BIT(31)
#define MDIC_OP_WRITE (1u << 26)
#define MDIC_OP_MASK (3u << 26)
#define MDIC_REG(v) (((v) >> 16) & 0x1f)
#define BMCR_LOOPBACK BIT(14)
#define ICR_TXDW BIT(0)
#define ICR_RXO BIT(6)
#define ICR_RXT0 BIT(7)
#define IMS_MASK 0x0001ffffu  /* the causes an 82540EM has */
#define RCTL_UPE BIT(3)
#define RCTL_MPE BIT(4)
#define RCTL_MO (3u << 12)
#define RXD_IXSM BIT(2)
#define RXE_RXE BIT(7)

struct tx_slot {
    bool guest;               /* a guest descriptor (else the VMM's frame) */
    bool guest_rs;            /* the guest asked for DD */
    bool context;             /* a context descriptor: no buffer, no DD asked */
    u64 gdesc;                /* the guest descriptor's address */
};

struct share {
    struct net_nic nic;       /* the VMM's side: mac is the VMM's */
    struct pci_dev *pci;
    volatile u8 *regs;
    u64 bar;
    u16 io;                   /* the I/O BAR (IOADDR, IODATA), 0: none */
    bool bar0_sizing, io_sizing;
    struct mmio_owner owner;
    struct io_owner io_owner;
    u32 ioaddr;
    u8 hw_mac[6];             /* the guest's (the NIC's) */

    volatile struct e1000_rx_desc *rx;
    volatile struct e1000_tx_desc *tx;
    u8 *rx_buf, *tx_buf;
    u64 rx_buf_phys, tx_buf_phys;
    unsigned rx_next, tx_head, tx_tail;
    bool rx_discard;
    struct tx_slot slot[HW_TX];

    /* the guest's view */
    u32 vreg[VREGS / 4];
    u32 vicr, vims;
    u32 rdh, tdh;             /* where the VMM is in the guest's rings */
    struct e1000_tx_desc pkt[PKT_DESCS];
    u64 pkt_addr[PKT_DESCS];

    u64 g_rx, g_rx_dropped, g_tx, refused;
};

static struct share sh;
static u32 crc_table[256];

static u32 hw_rd(u32 reg)
{
    return *(volatile u32 *)(sh.regs + reg);
}

static void hw_wr(u32 reg, u32 v)
{
    *(volatile u32 *)(sh.regs + reg) = v;
}

static u32 vr(u32 reg)
{
    return sh.vreg[reg / 4];
}

#define refuse(...)                                                         \
    do {                                                                    \
        sh.refused++;                                                       \
        log_warn_ratelimited("e1000-share", __VA_ARGS__);                   \
    } while (0)

/* ---- FCS ------------------------------------------------------------------ */

static void crc_init(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 fcs(const u8 *p, size_t len)
{
    u32 c = ~0u;

    while (len--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

/* ---- the guest's rings ------------------------------------------------------ */

static u64 guest_ring(u32 bal)
{
    return (u64)vr(bal + 4) << 32 | (vr(bal) & ~0xfu);
}

static u32 ring_count(u32 len_reg)
{
    return (vr(len_reg) & 0xfff80u) / 16;
}

static u32 guest_bsize(void)
{
    return e1000_rx_bsize(vr(E1000_RCTL));
}

/* One received frame for the guest: into the buffer of its descriptor at
 * RDH, written back. */
static void guest_rx(const u8 *frame, size_t len)
{
    u32 rctl = vr(E1000_RCTL), n = ring_count(E1000_RDLEN), rdt = vr(E1000_RDT);
    u64 base = guest_ring(E1000_RDBAL);
    struct e1000_rx_desc d;

    if (!(rctl & E1000_RCTL_EN) || !n || rdt >= n || sh.rdh >= n) {
        sh.g_rx_dropped++;
        return;
    }
    if (sh.rdh == rdt) {
        sh.g_rx_dropped++; /* no buffer: the NIC's overrun */
        sh.vicr |= ICR_RXO;
        return;
    }
    u64 ga = base + 16ull * sh.rdh;
    if (!guest_ram_ok(ga, 16) || guest_phys_read(ga, &d, 16) < 0) {
        refuse("the guest's RX ring at 0x%llx (descriptor %u) is not in guest RAM: "
               "frame dropped", (unsigned long long)base, sh.rdh);
        sh.g_rx_dropped++;
        return;
    }
    bool crc = !(rctl & E1000_RCTL_SECRC);
    size_t flen = len + (crc ? 4 : 0);
    d.length = 0;
    d.csum = 0;
    d.errors = 0;
    d.special = 0;
    if (flen > guest_bsize() || !guest_ram_ok(d.addr, flen)) {
        refuse("the guest's RX descriptor %u: buffer 0x%llx (%u bytes) for a "
               "%zu-byte frame is not guest RAM: refused, frame dropped", sh.rdh,
               (unsigned long long)d.addr, guest_bsize(), flen);
        d.errors = RXE_RXE;
        sh.g_rx_dropped++;
    } else {
        u32 f = crc ? fcs(frame, len) : 0;
        guest_phys_write(d.addr, frame, len);
        if (crc)
            guest_phys_write(d.addr + len, &f, 4);
        d.length = (u16)flen;
        sh.g_rx++;
    }
    d.status = E1000_RXD_DD | E1000_RXD_EOP | RXD_IXSM;
    guest_phys_write(ga + 8, &d.length, 8);
    sh.rdh = (sh.rdh + 1) % n;
    sh.vicr |= ICR_RXT0;
}

static void guest_tx(void);

static bool mac_eq(const u8 *a, const u8 *b)
{
    return memcmp(a, b, 6) == 0;
}

static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The real RX ring: frames to the VMM's MAC to lwIP, broadcast to both,
 * the rest to the guest. */
static unsigned share_poll_rx(struct net_nic *nic, net_rx_fn deliver, unsigned budget)
{
    unsigned n = 0;

    while (n < budget) {
        unsigned i = sh.rx_next;
        volatile struct e1000_rx_desc *d = &sh.rx[i];
        u8 status = d->status;
        if (!(status & E1000_RXD_DD))
            break;
        __asm__ volatile("" ::: "memory");
        u16 len = d->length;
        const u8 *f = sh.rx_buf + (u64)i * RX_BUF;
        if (!e1000_rx_accept(status, d->errors, len, &sh.rx_discard)) {
            nic->rx_dropped++;
        } else if (mac_eq(f, nic->mac)) {
            nic->rx_frames++;
            deliver(nic, f, len);
        } else {
            if (mac_eq(f, bcast)) {
                nic->rx_frames++;
                deliver(nic, f, len);
            }
            guest_rx(f, len);
        }
        d->status = 0;
        d->errors = 0;
        __asm__ volatile("" ::: "memory");
        hw_wr(E1000_RDT, i);
        sh.rx_next = (i + 1) % HW_RX;
        n++;
    }
    guest_tx(); /* the guest's packets that waited for room, and completions */
    return n;
}

/* Whether real descriptor i is done: its DD, or for a context
 * descriptor (queued without RS) the DD of the next data descriptor
 * after it (the NIC processes the ring in order). */
static bool sent(unsigned i)
{
    while (sh.slot[i].context) {
        i = (i + 1) % HW_TX;
        if (i == sh.tx_tail)
            return false;
    }
    return sh.tx[i].status & E1000_TXD_DD;
}

/* Sent descriptors: the guest's get DD where it asked. */
static void reap_tx(void)
{
    bool done = false;

    while (sh.tx_head != sh.tx_tail && sent(sh.tx_head)) {
        struct tx_slot *s = &sh.slot[sh.tx_head];
        if (s->guest && s->guest_rs && guest_ram_ok(s->gdesc + 12, 1)) {
            u8 dd = E1000_TXD_DD;
            guest_phys_write(s->gdesc + 12, &dd, 1);
        }
        done |= s->guest;
        s->guest = false;
        sh.tx_head = (sh.tx_head + 1) % HW_TX;
    }
    if (done)
        sh.vicr |= ICR_TXDW;
}

static unsigned hw_tx_free(void)
{
    return HW_TX - 1 - (sh.tx_tail + HW_TX - sh.tx_head) % HW_TX;
}

/* Gathers the guest's packet at TDH: returns its descriptor count, 0 if
 * it is not all there yet (no EOP before TDT), or -1 (refused, logged)
 * if the ring or any descriptor is bad; *used is how many ring entries it
 * spans either way. */
static int gather_packet(u32 n, u32 tdt, u32 *used)
{
    u64 base = guest_ring(E1000_TDBAL), bad_addr = 0;
    u32 i = sh.tdh, k = 0, bad_at = 0, bad_len = 0;
    const char *why = NULL;
    bool eop = false;

    *used = 0;
    while (i != tdt && !eop) {
        u64 ga = base + 16ull * i;
        struct e1000_tx_desc d;
        u32 len;
        i = (i + 1) % n;
        (*used)++;
        if (!guest_ram_ok(ga, 16) || guest_phys_read(ga, &d, 16) < 0) {
            refuse("the guest's TX ring at 0x%llx (descriptor %u) is not in guest "
                   "RAM: refused", (unsigned long long)base, (unsigned)((ga - base) / 16));
            *used = (tdt + n - sh.tdh) % n; /* all of it: nothing there is readable */
            return -1;
        }
        enum e1000_txd_kind kind = e1000_txd_classify(&d, &len, &eop);
        if (k < PKT_DESCS) {
            sh.pkt[k] = d;
            sh.pkt_addr[k] = ga;
        }
        if (!why) {
            bool typed = (d.cmd & E1000_TXD_DEXT) && kind == E1000_TXD_BAD &&
                         (d.cso >> 4) != E1000_TXD_DTYP_DATA;
            if (k >= PKT_DESCS)
                why = "the packet spans more than 64 descriptors";
            else if (typed)
                why = "no such descriptor type";
            else if (kind == E1000_TXD_BAD)
                why = len == 0 ? "empty" : "longer than 4096 bytes";
            else if (kind == E1000_TXD_DATA && !guest_ram_ok(d.addr, len))
                why = "not in guest RAM";
            bad_at = (u32)((ga - base) / 16);
            bad_addr = d.addr;
            bad_len = len;
        }
        k++;
        if (why && k > PKT_DESCS)
            break; /* a runaway packet: refused as far as it went */
    }
    if (!eop && !(why && k > PKT_DESCS))
        return 0; /* the rest of the packet is not there yet */
    if (!why)
        return (int)k;
    refuse("the guest's TX descriptor %u: buffer 0x%llx, %u bytes: %s: refused, "
           "packet dropped", bad_at, (unsigned long long)bad_addr, bad_len, why);
    return -1;
}

/* The guest's packets from TDH to TDT into the real ring. */
static void guest_tx(void)
{
    u32 n = ring_count(E1000_TDLEN), tdt = vr(E1000_TDT);
    bool queued = false;

    reap_tx();
    if (!(vr(E1000_TCTL) & E1000_TCTL_EN) || !n || tdt >= n || sh.tdh >= n)
        return;
    while (sh.tdh != tdt) {
        u32 used;
        int k = gather_packet(n, tdt, &used);
        if (k == 0 || (k > 0 && (unsigned)k > hw_tx_free()))
            break; /* not all there yet, or no room: at the next TDT write or poll */
        if (k < 0) {
            /* completed unsent, so that the guest's driver goes on */
            for (u32 j = 0, i = sh.tdh; j < used; j++, i = (i + 1) % n) {
                u64 ga = guest_ring(E1000_TDBAL) + 16ull * i;
                u8 dd = E1000_TXD_DD;
                if (guest_ram_ok(ga + 12, 1))
                    guest_phys_write(ga + 12, &dd, 1);
            }
            sh.vicr |= ICR_TXDW;
            sh.tdh = (sh.tdh + used) % n;
            continue;
        }
        for (int j = 0; j < k; j++) {
            struct e1000_tx_desc d = sh.pkt[j];
            unsigned t = sh.tx_tail;
            bool eop;
            u32 len;
            enum e1000_txd_kind kind = e1000_txd_classify(&d, &len, &eop);
            if (kind == E1000_TXD_DATA) {
                u8 *b = sh.tx_buf + (u64)t * TX_BUF;
                guest_phys_read(d.addr, b, len);
                d.addr = sh.tx_buf_phys + (u64)t * TX_BUF;
            }
            sh.slot[t] = (struct tx_slot){ .guest = true,
                                           .guest_rs = d.cmd & E1000_TXD_CMD_RS,
                                           .context = kind == E1000_TXD_CONTEXT,
                                           .gdesc = sh.pkt_addr[j] };
            /* data: RS, so the VMM sees it sent; context: none (a packet
             * always has a data descriptor after its context) */
            if (kind == E1000_TXD_CONTEXT)
                d.cmd &= (u8)~E1000_TXD_CMD_RS;
            else
                d.cmd |= E1000_TXD_CMD_RS;
            d.status = 0;
            memcpy((void *)&sh.tx[t], &d, sizeof(d));
            sh.tx_tail = (t + 1) % HW_TX;
        }
        sh.g_tx++;
        sh.tdh = (sh.tdh + used) % n;
        queued = true;
    }
    if (queued) {
        __asm__ volatile("sfence" ::: "memory");
        hw_wr(E1000_TDT, sh.tx_tail);
    }
}

/* The VMM's frame, between the guest's packets. */
static int share_transmit(struct net_nic *nic, const void *frame, size_t len)
{
    if (len < NET_FRAME_MIN || len > NET_FRAME_MAX) {
        nic->tx_dropped++;
        return -E_INVAL;
    }
    reap_tx();
    if (!hw_tx_free()) {
        nic->tx_dropped++;
        return -E_BUSY;
    }
    unsigned t = sh.tx_tail;
    memcpy(sh.tx_buf + (u64)t * TX_BUF, frame, len);
    volatile struct e1000_tx_desc *d = &sh.tx[t];
    d->addr = sh.tx_buf_phys + (u64)t * TX_BUF;
    d->length = (u16)len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    sh.slot[t] = (struct tx_slot){ 0 };
    __asm__ volatile("sfence" ::: "memory");
    sh.tx_tail = (t + 1) % HW_TX;
    hw_wr(E1000_TDT, sh.tx_tail);
    nic->tx_frames++;
    return 0;
}

static bool share_link_up(struct net_nic *nic)
{
    (void)nic;
    return hw_rd(E1000_STATUS) & E1000_STATUS_LU;
}

/* Both rings drained into the guest's, at its ICR read and register writes. */
static void drain(void)
{
    share_poll_rx(&sh.nic, net_deliver_frame, HW_RX);
}

/* ---- the guest's registers ---------------------------------------------------- */

/* The real RCTL: the VMM's receiver, with the guest's promiscuous and
 * multicast choices (never loopback, never the guest's buffer size). */
static void hw_rctl(void)
{
    u32 g = vr(E1000_RCTL);

    hw_wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
          (g & (RCTL_UPE | RCTL_MPE | RCTL_MO)));
}

static void hw_ims(void)
{
    hw_wr(E1000_IMC, ~sh.vims & IMS_MASK);
    hw_wr(E1000_IMS, sh.vims & IMS_MASK);
}

/* CTRL.RST from the guest: its view is reset, the NIC is not. */
static void guest_reset(void)
{
    static const u32 ring_regs[] = { E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH,
                                     E1000_RDT, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN,
                                     E1000_TDH, E1000_TDT, E1000_RCTL, E1000_TCTL };

    for (unsigned i = 0; i < ARRAY_SIZE(ring_regs); i++)
        sh.vreg[ring_regs[i] / 4] = 0;
    sh.rdh = sh.tdh = 0;
    sh.vims = 0;
    sh.vicr = 0;
    hw_ims();
    hw_rctl();
    for (unsigned i = 0; i < HW_TX; i++)
        sh.slot[i].guest = false; /* in flight: no longer the guest's */
}

/* The 82542's aliases of the ring registers (13.4, table 13-2 notes). */
static u32 unalias(u32 off)
{
    if (off >= 0x0110 && off <= 0x0128)
        return off - 0x0110 + E1000_RDBAL;
    if (off >= 0x0420 && off <= 0x0438)
        return off - 0x0420 + E1000_TDBAL;
    return off;
}

static bool passed(u32 off)
{
    switch (off) {
    case E1000_STATUS: case R_EECD: case E1000_EERD: case R_CTRL_EXT: case R_MDIC:
    case 0x0028: case 0x002c: case 0x0030: case 0x0038: /* FCAL FCAH FCT VET */
    case 0x0170: case 0x0178: case 0x0180: case R_LEDCTL: /* FCTTV TXCW RXCW */
        return true;
    }
    return (off >= R_STATS && off < R_STATS + 0x100) ||
           (off >= E1000_MTA && off < E1000_MTA + 0x200) ||
           (off >= E1000_RAL0 && off < R_RAR15);
}

/* One 4-byte access at BAR0 offset `off` (net_lock held). */
static void guest_reg(u32 off, bool write, u32 *v)
{
    off = unalias(off);
    if (off >= VREGS) {
        if (!write)
            *v = 0;
        return;
    }
    if (!write) {
        switch (off) {
        case E1000_CTRL:
            *v = hw_rd(off);
            return;
        case E1000_ICR:
            sh.vicr |= hw_rd(E1000_ICR);
            drain();
            *v = sh.vicr;
            sh.vicr = 0;
            return;
        case E1000_IMS:
            *v = sh.vims;
            return;
        case E1000_RDH:
            *v = sh.rdh;
            return;
        case E1000_TDH:
            *v = sh.tdh;
            return;
        }
        *v = passed(off) ? hw_rd(off) : vr(off);
        return;
    }
    switch (off) {
    case E1000_CTRL:
        if (*v & E1000_CTRL_RST)
            guest_reset();
        hw_wr(off, (*v & ~(E1000_CTRL_RST | CTRL_PHY_RST | CTRL_LRST)) | E1000_CTRL_SLU);
        return;
    case E1000_STATUS:
        return;
    case R_MDIC:
        if ((*v & MDIC_OP_MASK) == MDIC_OP_WRITE && MDIC_REG(*v) == 0)
            *v &= ~BMCR_LOOPBACK; /* PHY loopback would cut the VMM off */
        hw_wr(off, *v);
        return;
    case E1000_ICR:
        sh.vicr &= ~*v;
        return;
    case R_ICS:
        hw_wr(R_ICS, *v & IMS_MASK); /* the real line, for the guest's own test */
        return;
    case E1000_IMS:
        sh.vims |= *v & IMS_MASK;
        hw_ims();
        drain();
        return;
    case E1000_IMC:
        sh.vims &= ~*v;
        hw_ims();
        return;
    case E1000_RDH:
        sh.rdh = *v;
        break;
    case E1000_TDH:
        sh.tdh = *v;
        break;
    }
    if (passed(off)) {
        hw_wr(off, *v);
        return;
    }
    sh.vreg[off / 4] = *v;
    if (off == E1000_RCTL)
        hw_rctl();
    else if (off == E1000_TDT || off == E1000_RDT || off == E1000_TCTL)
        drain();
}

static int share_mmio(u64 gpa, unsigned size, bool write, u64 *value)
{
    u32 off = (u32)(gpa - sh.bar), v = (u32)*value;

    if (size != 4 || (off & 3)) {
        refuse("a %u-byte %s at register 0x%x: refused%s", size,
               write ? "write" : "read", off, write ? "" : ", reads all ones");
        if (!write)
            *value = ~0ull;
        return 0;
    }
    u64 flags = net_lock_irqsave();
    guest_reg(off, write, &v);
    net_unlock_irqrestore(flags);
    if (!write)
        *value = v;
    return 0;
}

/* IOADDR (+0) and IODATA (+4): the same registers, indirectly (13.2.2). */
static bool share_io(struct vcpu *vc, const struct vcpu_exit *e)
{
    u64 *g = vc->regs.gpr;
    u32 off = e->io.port - sh.io, v = (u32)g[GPR_RAX];
    bool ok = !e->io.string && e->io.size == 4;

    if (ok && off == 0) {
        if (e->io.in)
            v = sh.ioaddr;
        else
            sh.ioaddr = v & 0x1fffc;
    } else if (ok && off == 4) {
        u64 flags = net_lock_irqsave();
        guest_reg(sh.ioaddr, !e->io.in, &v);
        net_unlock_irqrestore(flags);
    } else {
        refuse("a %u-byte %s at I/O BAR +%u: refused", e->io.size,
               e->io.in ? "read" : "write", off);
        v = ~0u;
    }
    if (e->io.in && !e->io.string)
        io_in_result(&g[GPR_RAX], e->io.size, v);
    vcpu_ops->skip_instruction(vc, e);
    return true;
}

/* ---- configuration space ---------------------------------------------------- */

static int io_bar_index(struct pci_dev *d)
{
    struct pci_bar b;

    for (unsigned i = 1; i < 6; i++)
        if (pci_read_bar(d, i, &b) == 0 && b.io)
            return (int)i;
    return -1;
}

/* BAR0 stays where the hook is: sizing (all ones) is answered here
 * without touching the NIC, which keeps decoding for the VMM. Memory
 * decoding and bus mastering stay on; I/O decoding off (the I/O BAR is
 * emulated); the power state D0. The I/O BAR may move: the hook follows. */
static enum pci_verdict share_config_write(struct pci_dev *d, u16 offset, u8 size,
                                           u32 value)
{
    if (offset == PCI_COMMAND && size >= 2) {
        u32 keep = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
        pci_config_write(d, offset, size, (value | keep) & ~(u32)PCI_COMMAND_IO);
        return PCI_HANDLED;
    }
    if (offset == PCI_COMMAND && size == 1) {
        pci_config_write(d, offset, 1, (value | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
                         ~(u32)PCI_COMMAND_IO);
        return PCI_HANDLED;
    }
    u8 pm = pci_find_cap(d, PCI_CAP_ID_PM);
    if (pm && offset == pm + 4 && size >= 2 && (value & 3)) {
        /* PMCSR: D3 would take the NIC from the VMM too */
        log_warn_ratelimited("e1000-share", "%02x:%02x.%x: the guest puts the shared "
                             "NIC in D%u: kept in D0", d->id.bus, d->id.dev, d->id.fn,
                             value & 3);
        pci_config_write(d, offset, size, value & ~3u);
        return PCI_HANDLED;
    }
    int io = io_bar_index(d);
    if (io > 0 && offset == PCI_BAR0 + 4 * io)
        sh.io_sizing = size == 4 && value == 0xffffffffu;
    if (offset < PCI_BAR0 + 4 && offset + size > PCI_BAR0) {
        if (size == 4 && value == 0xffffffffu)
            sh.bar0_sizing = true;
        else if (size == 4 && (value & ~0xfu) == (u32)sh.bar)
            sh.bar0_sizing = false;
        else
            refuse("%02x:%02x.%x: the guest moves BAR0 to 0x%x: refused, it stays "
                   "at 0x%llx", d->id.bus, d->id.dev, d->id.fn, value,
                   (unsigned long long)sh.bar);
        return PCI_HANDLED;
    }
    return PCI_FORWARD;
}

static void share_config_written(struct pci_dev *d, u16 offset, u8 size)
{
    int i = io_bar_index(d);
    struct pci_bar b;
    u16 at = (u16)(PCI_BAR0 + 4 * i);

    if (i < 0 || sh.io_sizing || offset + size <= at || offset >= at + 4 ||
        pci_read_bar(d, (unsigned)i, &b) < 0)
        return;
    if (b.base && b.base <= 0xfff8 && b.base != sh.io && io_owner_move(&sh.io_owner, (u16)b.base) == 0)
        sh.io = (u16)b.base;
}

static enum pci_verdict share_config_read(struct pci_dev *d, u16 offset, u8 size,
                                          u32 *value)
{
    if (!sh.bar0_sizing || offset != PCI_BAR0 || size != 4)
        return PCI_FORWARD;
    *value = ~(E1000_BAR0_LEN - 1) | (pci_config_read(d, PCI_BAR0, 4) & 0xf);
    return PCI_HANDLED;
}

/* ---- attach ------------------------------------------------------------------ */

static int rings_alloc(void)
{
    u64 rx_phys, tx_phys;

    sh.rx = net_dma_alloc(HW_RX * sizeof(struct e1000_rx_desc), &rx_phys);
    sh.tx = net_dma_alloc(HW_TX * sizeof(struct e1000_tx_desc), &tx_phys);
    sh.rx_buf = net_dma_alloc(HW_RX * RX_BUF, &sh.rx_buf_phys);
    sh.tx_buf = net_dma_alloc(HW_TX * TX_BUF, &sh.tx_buf_phys);
    if (!sh.rx || !sh.tx || !sh.rx_buf || !sh.tx_buf)
        return -E_NOMEM;
    for (unsigned i = 0; i < HW_RX; i++)
        sh.rx[i].addr = sh.rx_buf_phys + (u64)i * RX_BUF;
    hw_wr(E1000_RDBAL, (u32)rx_phys);
    hw_wr(E1000_RDBAH, (u32)(rx_phys >> 32));
    hw_wr(E1000_RDLEN, HW_RX * sizeof(struct e1000_rx_desc));
    hw_wr(E1000_RDH, 0);
    hw_wr(E1000_RDT, HW_RX - 1);
    hw_wr(E1000_TDBAL, (u32)tx_phys);
    hw_wr(E1000_TDBAH, (u32)(tx_phys >> 32));
    hw_wr(E1000_TDLEN, HW_TX * sizeof(struct e1000_tx_desc));
    hw_wr(E1000_TDH, 0);
    hw_wr(E1000_TDT, 0);
    return 0;
}

static bool virtual_reg(u32 off)
{
    return !passed(off) && off != E1000_ICR;
}

static int share_setup(void)
{
    const char *name = sh.nic.name;
    const char *src = e1000_hw_reset(sh.regs, name, sh.hw_mac);

    if (!src)
        return -E_IO;
    /* the guest's view starts as the NIC is after the reset */
    for (u32 off = 0; off < VREGS; off += 4)
        if (virtual_reg(off))
            sh.vreg[off / 4] = hw_rd(off);
    guest_reset();
    memcpy(sh.nic.mac, sh.hw_mac, 6);
    sh.nic.mac[0] = (u8)((sh.hw_mac[0] | 0x02) ^ (sh.hw_mac[0] & 0x02 ? 0x04 : 0));
    const u8 *m = sh.nic.mac, *h = sh.hw_mac;
    hw_wr(E1000_RAL0, (u32)h[0] | (u32)h[1] << 8 | (u32)h[2] << 16 | (u32)h[3] << 24);
    hw_wr(E1000_RAH0, (u32)h[4] | (u32)h[5] << 8 | E1000_RAH_AV);
    hw_wr(R_RAR15, (u32)m[0] | (u32)m[1] << 8 | (u32)m[2] << 16 | (u32)m[3] << 24);
    hw_wr(R_RAR15 + 4, (u32)m[4] | (u32)m[5] << 8 | E1000_RAH_AV);
    if (rings_alloc() < 0) {
        log_warn("e1000-share", "%s: out of VMM memory for the rings", name);
        return -E_NOMEM;
    }
    hw_rctl();
    hw_wr(E1000_TIPG, E1000_TIPG_DEFAULT);
    hw_wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT(0x0f) |
          E1000_TCTL_COLD(0x40));
    crc_init();
    log_info("e1000-share", "%s: shared with the guest: its MAC "
             "%02x:%02x:%02x:%02x:%02x:%02x (from %s), the VMM's "
             "%02x:%02x:%02x:%02x:%02x:%02x (receive address 15); %u RX and %u TX "
             "descriptors and bounce buffers in VMM memory, the guest's rings "
             "shadowed; registers at 0x%llx and I/O 0x%x hooked", name,
             h[0], h[1], h[2], h[3], h[4], h[5], src, m[0], m[1], m[2], m[3], m[4], m[5],
             HW_RX, HW_TX, (unsigned long long)sh.bar, sh.io);
    return 0;
}

static int share_attach(struct pci_dev *d)
{
    struct pci_bar bar;

    if (sh.pci) {
        log_info("e1000-share", "%02x:%02x.%x: one NIC is shared already: left to "
                 "the guest", d->id.bus, d->id.dev, d->id.fn);
        return -E_BUSY;
    }
    sh.nic.driver = "e1000";
    sh.nic.pci = d;
    sh.nic.priv = &sh;
    sh.nic.transmit = share_transmit;
    sh.nic.poll_rx = share_poll_rx;
    sh.nic.link_up = share_link_up;
    ksnprintf(sh.nic.name, sizeof(sh.nic.name), "%02x:%02x.%x", d->id.bus, d->id.dev,
              d->id.fn);
    if (pci_read_bar(d, 0, &bar) < 0 || bar.io || bar.mem64 || !bar.base ||
        !IS_ALIGNED(bar.base, PAGE_SIZE) || bar.base + E1000_BAR0_LEN > direct_map_top) {
        log_warn("e1000-share", "%s: BAR0 is not a 32-bit memory BAR the VMM can "
                 "reach: left to the guest", sh.nic.name);
        return -E_INVAL;
    }
    sh.bar = bar.base;
    sh.regs = phys_to_virt(bar.base);
    sh.owner = (struct mmio_owner){ .base = bar.base, .len = E1000_BAR0_LEN,
                                    .name = "shared NIC registers", .access = share_mmio };
    int io = io_bar_index(d);
    if (io > 0 && pci_read_bar(d, (unsigned)io, &bar) == 0 && bar.base && bar.base <= 0xfff8)
        sh.io = (u16)bar.base;
    /* a real 82540EM has an I/O BAR; if this one has none, the port
     * range is still taken where it would be moved to */
    sh.io_owner = (struct io_owner){ .port = sh.io ? sh.io : 0xfff8, .count = 8,
                                     .name = "shared NIC IOADDR/IODATA",
                                     .handle = share_io };
    if (mmio_register(&sh.owner) < 0 || io_owner_register(&sh.io_owner) < 0) {
        log_warn("e1000-share", "%s: cannot hook the registers: left to the guest",
                 sh.nic.name);
        return -E_NOMEM;
    }
    sh.io = (u16)sh.io_owner.port;
    sh.pci = d;
    u16 cmd = (u16)pci_config_read(d, PCI_COMMAND, 2);
    pci_config_write(d, PCI_COMMAND, 2, (u16)((cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
                                              ~PCI_COMMAND_IO));
    if (share_setup() < 0 || net_nic_register(&sh.nic) < 0) {
        pci_config_write(d, PCI_COMMAND, 2, 0);
        d->concealed = true;
        log_warn("e1000-share", "%s: not usable: turned off and concealed", sh.nic.name);
    }
    return 0;
}

/* At the guest's power-off: what went through the shared NIC. */
static int share_summary(void)
{
    if (sh.pci)
        log_info("e1000-share", "%s: the guest's frames: %llu received, %llu dropped "
                 "(no buffer, receiver off or refused), %llu packets sent; %llu "
                 "refusals; the VMM's: %llu received, %llu sent", sh.nic.name,
                 (unsigned long long)sh.g_rx, (unsigned long long)sh.g_rx_dropped,
                 (unsigned long long)sh.g_tx, (unsigned long long)sh.refused,
                 (unsigned long long)sh.nic.rx_frames, (unsigned long long)sh.nic.tx_frames);
    return 0;
}
INIT_FUNC(poweroff, 42, share_summary);

static bool share_wanted(void)
{
    return net_mode() == NET_MODE_SHARE;
}

static const struct pci_mediator e1000_share_mediator = {
    .name = "e1000-share",
    .wanted = share_wanted,
    .match_id = { .kind = PCI_SEL_ID, .vendor = 0x8086, .device = 0x100e },
    .attach = share_attach,
    .config_read = share_config_read,
    .config_write = share_config_write,
    .config_written = share_config_written,
};
PCI_MEDIATOR(e1000_share_mediator);
