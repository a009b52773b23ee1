/* Intel 8254x (82540EM: QEMU's and Bochs' `e1000`) registers and
 * descriptors, from the PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual (8254x SDM), sections 3.2-3.4 and 13; and
 * what the 82574L (QEMU's `e1000e`; 82574 GbE Controller Family Datasheet,
 * "82574 DS", chapter 10) does differently. The 82574 keeps the 8254x's
 * register offsets and legacy descriptors, so one driver (e1000.c) serves
 * both, told apart by a `struct e1000_model`. */
#ifndef VENEER_DEVICES_NET_E1000_H
#define VENEER_DEVICES_NET_E1000_H

#include <platform/types.h>

enum e1000_reg {
    E1000_CTRL = 0x0000,   /* 13.4.1 */
    E1000_STATUS = 0x0008, /* 13.4.2 */
    E1000_EERD = 0x0014,   /* 13.4.4: EEPROM read (82540EM); 82574 DS 10.2.2.5 */
    E1000_CTRL_EXT = 0x0018, /* 82574 DS 10.2.2.3 */
    E1000_ICR = 0x00c0,
    E1000_ITR = 0x00c4,    /* 13.4.18: interrupt throttling */
    E1000_IMS = 0x00d0,
    E1000_IMC = 0x00d8,
    E1000_RCTL = 0x0100,   /* 13.4.22 */
    E1000_RFCTL = 0x5008,  /* 82574 DS 10.2.5.8: receive filter control */
    E1000_TCTL = 0x0400,   /* 13.4.33 */
    E1000_TIPG = 0x0410,   /* 13.4.34 */
    E1000_RDBAL = 0x2800,
    E1000_RDBAH = 0x2804,
    E1000_RDLEN = 0x2808,
    E1000_RDH = 0x2810,
    E1000_RDT = 0x2818,
    E1000_TDBAL = 0x3800,
    E1000_TDBAH = 0x3804,
    E1000_TDLEN = 0x3808,
    E1000_TDH = 0x3810,
    E1000_TDT = 0x3818,
    E1000_MTA = 0x5200,    /* 128 dwords */
    E1000_RAL0 = 0x5400,
    E1000_RAH0 = 0x5404,
};
#define E1000_BAR0_LEN 0x20000u

#define E1000_CTRL_ASDE BIT(5)
#define E1000_CTRL_SLU BIT(6)
#define E1000_CTRL_RST BIT(26)
#define E1000_STATUS_LU BIT(1)
/* EERD: START is bit 0 and the data bits 31:16 on both; DONE and the
 * word address differ (8254x SDM 13.4.4: DONE bit 4, address 15:8;
 * 82574 DS 10.2.2.5: DONE bit 1, address 15:2). */
#define E1000_EERD_START BIT(0)
#define E1000_EERD_DATA_SHIFT 16
#define E1000_82540_EERD_DONE BIT(4)
#define E1000_82540_EERD_ADDR_SHIFT 8
#define E1000_82574_EERD_DONE BIT(1)
#define E1000_82574_EERD_ADDR_SHIFT 2
/* 82574 DS 10.2.2.3: the driver tells the NIC's manageability firmware
 * that it has taken the NIC */
#define E1000_CTRL_EXT_DRV_LOAD BIT(28)
/* 82574 DS 10.2.5.8: extended RX descriptors (RFCTL.EXSTEN) instead of the
 * legacy ones this driver uses */
#define E1000_RFCTL_EXSTEN BIT(15)
#define E1000_RAH_AV BIT(31)
/* 13.4.17-13.4.20: interrupt causes: link status change, RX descriptor
 * minimum threshold, RX overrun, RX timer (a frame written back) */
#define E1000_ICR_LSC BIT(2)
#define E1000_ICR_RXDMT0 BIT(4)
#define E1000_ICR_RXO BIT(6)
#define E1000_ICR_RXT0 BIT(7)
#define E1000_ICR_RX_KICK (E1000_ICR_LSC | E1000_ICR_RXDMT0 | E1000_ICR_RXO | E1000_ICR_RXT0)
/* 13.4.18: at most one interrupt per ITR x 256 ns: 1000 gives 256 us,
 * about 3900 NMIs a second at most, whatever a flood sends */
#define E1000_ITR_KICK 1000u
#define E1000_RCTL_EN BIT(1)
#define E1000_RCTL_BAM BIT(15)  /* accept broadcast (ARP, DHCP offers) */
#define E1000_RCTL_SECRC BIT(26) /* strip the FCS */
/* BSIZE 00 with BSEX 0: 2048-byte receive buffers */
#define E1000_TCTL_EN BIT(1)
#define E1000_TCTL_PSP BIT(3)
#define E1000_TCTL_CT(x) ((u32)(x) << 4)
#define E1000_TCTL_COLD(x) ((u32)(x) << 12)
/* 13.4.34: IPGT 10, IPGR1 8, IPGR2 6 for the 82540EM (IEEE 802.3) */
#define E1000_TIPG_DEFAULT (10u | 8u << 10 | 6u << 20)

/* 3.2.3 receive descriptor */
struct e1000_rx_desc {
    u64 addr;
    u16 length;
    u16 csum;
    u8 status;
    u8 errors;
    u16 special;
} __packed;
CHECK_SIZE(struct e1000_rx_desc, 16);
CHECK_OFFSET(struct e1000_rx_desc, status, 12);
#define E1000_RXD_DD BIT(0)
#define E1000_RXD_EOP BIT(1)

/* What becomes of one written-back RX descriptor (pure, host-tested):
 * deliver a whole frame, or drop it. *discarding carries across
 * descriptors: a frame longer than one buffer (no EOP) is dropped with
 * every descriptor up to and including its last. */
static inline bool e1000_rx_accept(u8 status, u8 errors, u16 len, bool *discarding)
{
    bool eop = status & E1000_RXD_EOP;
    bool was_discarding = *discarding;

    *discarding = !eop;
    if (was_discarding || !eop || errors)
        return false;
    /* 14: an Ethernet header; 1518: 1500 bytes of payload and one VLAN tag */
    return len >= 14 && len <= 1518;
}

/* 3.3.3 legacy transmit descriptor */
struct e1000_tx_desc {
    u64 addr;
    u16 length;
    u8 cso;
    u8 cmd;
    u8 status;
    u8 css;
    u16 special;
} __packed;
CHECK_SIZE(struct e1000_tx_desc, 16);
CHECK_OFFSET(struct e1000_tx_desc, cmd, 11);
CHECK_OFFSET(struct e1000_tx_desc, status, 12);
#define E1000_TXD_CMD_EOP BIT(0)
#define E1000_TXD_CMD_IFCS BIT(1)
#define E1000_TXD_CMD_RS BIT(3)
#define E1000_TXD_DD BIT(0)

/* For the share mode (e1000_share.c): software reset of the NIC whose
 * registers are at `regs`, every interrupt masked, link up, the MAC from
 * the EEPROM (else RAL0) into mac. Returns where the MAC came from, or
 * NULL (logged) if the reset does not complete or there is none. */
const char *e1000_hw_reset(volatile u8 *regs, const char *name, u8 mac[6]);
/* What tells the two families apart (e1000.c; e1000e.c for the 82574L). */
struct e1000;
struct pci_dev;
struct e1000_model {
    const char *name;     /* "e1000", "e1000e": log tag and driver name */
    u32 eerd_done;        /* EERD's DONE bit */
    u8 eerd_addr_shift;   /* where EERD's word address starts */
    /* Family-specific registers, after the reset and before the rings;
     * NULL if none. Returns < 0 (logged) if the NIC is unusable. */
    int (*setup)(struct e1000 *e);
};

/* e1000.c, for a family's PCI mediator: take `d` for the VMM (hook its
 * memory BARs, reset it, set up rings, register it with net.c). The
 * first NIC of either family wins; later ones are left to the guest. */
int e1000_attach_model(struct pci_dev *d, const struct e1000_model *m);
/* e1000.c, for a model's setup(): register access. */
u32 e1000_read(struct e1000 *e, u32 reg);
void e1000_write(struct e1000 *e, u32 reg, u32 v);
/* The mediators' `wanted`: only with vmm.net=vmm. */
bool e1000_wanted(void);

#endif
