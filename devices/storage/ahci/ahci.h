/* The AHCI mediator's state, shared by devices/storage/ahci/ahci.c (controller, ports,
 * registers) and devices/storage/ahci/ahci_slot.c (the shadowed commands). Private to
 * the two. docs/storage-ahci.md. */
#ifndef VENEER_DEVICES_AHCI_H
#define VENEER_DEVICES_AHCI_H

#include <common/exit.h>
#include <common/mmio.h>
#include <devices/storage/ahci/ahci_cmd.h>
#include <devices/storage/storage.h>
#include <platform/spinlock.h>

/* HBA registers (AHCI 1.3.1, 3.1) */
enum ahci_hba_reg {
    HBA_CAP = 0x00,
    HBA_GHC = 0x04,
    HBA_IS = 0x08,
    HBA_PI = 0x0c,
};
#define HBA_CAP_S64A BIT(31)
#define HBA_GHC_HR BIT(0)
#define AHCI_PORT_BASE 0x100u
#define AHCI_PORT_STRIDE 0x80u
#define AHCI_MAX_PORTS 32

/* Port registers (AHCI 3.3), offsets in a port's 0x80 bytes */
enum ahci_port_reg {
    PX_CLB = 0x00,
    PX_CLBU = 0x04,
    PX_FB = 0x08,
    PX_FBU = 0x0c,
    PX_IS = 0x10,
    PX_IE = 0x14,
    PX_CMD = 0x18,
    PX_TFD = 0x20,
    PX_SIG = 0x24,
    PX_SSTS = 0x28,
    PX_SCTL = 0x2c,
    PX_SERR = 0x30,
    PX_SACT = 0x34,
    PX_CI = 0x38,
};
#define PX_CMD_ST BIT(0)
#define PX_CMD_FRE BIT(4)
#define PX_CMD_FR BIT(14)
#define PX_CMD_CR BIT(15)
#define PX_SSTS_DET_PRESENT 3u      /* device present, link up */
#define SATA_SIG_ATA 0x00000101u    /* SATA 11.3: a disk */
#define SATA_SIG_ATAPI 0xeb140101u
#define ATA_CMD_NOP 0x00            /* ACS-3 7.17: always aborted */

struct ahci_hba;

/* A bounce buffer in VMM memory (DMA-able by the mediated HBA). */
struct ahci_bounce {
    u8 *buf;
    u64 phys;
    size_t len;     /* 0: none */
};
/* Large bounce buffers a port keeps between commands (ahci_slot.c). */
#define AHCI_POOL 4

/* One command slot of a mediated port. */
struct ahci_slot {
    bool refused;           /* issued as a NOP the device aborts */
    bool bounce;            /* data through buf (the cipher covers it) */
    bool before_lm;         /* issued outside long mode (the BIOS) */
    struct ahci_ata_cmd c;
    u32 bytes;              /* media bytes the command moves */
    u64 guest_hdr;          /* the guest's command header (checked) */
    struct ahci_cmd_table *table; /* the shadow table the HBA gets */
    u64 table_phys;
    struct ahci_prdt_walk *walk;  /* the guest's regions, checked */
    struct ahci_bounce b;   /* the slot's bounce buffer */
};

struct ahci_port {
    struct ahci_hba *hba;
    unsigned index;
    u32 clb, clbu, fb, fbu;      /* the guest's: the HBA has the shadow's */
    struct ahci_cmd_header *cl;  /* the shadow command list (1 KiB) */
    u64 cl_phys;
    u8 *rfis;                    /* the shadow FIS receive area */
    u64 rfis_phys;
    struct ahci_cmd_table *nop;  /* the command a refusal issues */
    u64 nop_phys;
    u32 issued;                  /* slots at the HBA from the shadow */
    u32 sact_pending;            /* the guest's PxSACT bits not issued yet */
    u32 sact_refused;            /* refused NCQ slots: the guest keeps seeing
                                  * them active until the port stops */
    struct ahci_slot slot[32];
    struct storage_dev sd;
    bool registered;
    u64 sectors_bios, sectors_os, sectors_ncq; /* through the cipher */
    u64 commands;
    struct ahci_bounce pool[AHCI_POOL]; /* large buffers free between
                                         * commands, whichever slot */
    u64 large_cmds;              /* bounced commands over 256 KiB */
    u64 large_allocs;            /* bounce buffers over 256 KiB taken from
                                  * VMM memory */
    unsigned max_inflight;       /* most slots at the HBA at once */
};

struct ahci_hba {
    const struct pci_dev *pci;
    spinlock_t lock;
    u64 abar;
    u32 abar_len;                /* the registers of the implemented ports */
    volatile u8 *regs;
    bool addr64;                 /* CAP.S64A */
    u32 pi;
    u32 closed;   /* ports not taken over while vmm.crypt= rules exist:
                   * their registers read 0 and ignore writes */
    struct mmio_owner mmio;
    struct ahci_port *port[AHCI_MAX_PORTS]; /* NULL: passed through */
    /* AHCI 1.3 Index-Data Pair in an I/O BAR (BAR4 of Intel's and QEMU's
     * ICH9 HBAs): the index at +0x10 selects an ABAR register, the data
     * at +0x14 reaches it. Owned; the index is the guest's, kept here. */
    u16 idp;                     /* I/O BAR base, 0: none */
    u32 idp_index;
    struct io_owner idp_owner;
};
#define AHCI_IDP_BAR 4
#define AHCI_IDP_INDEX 0x10
#define AHCI_IDP_DATA 0x14

static inline u32 ahci_port_read(struct ahci_port *p, unsigned reg)
{
    return *(volatile u32 *)(p->hba->regs + AHCI_PORT_BASE +
                             p->index * AHCI_PORT_STRIDE + reg);
}

static inline void ahci_port_write(struct ahci_port *p, unsigned reg, u32 v)
{
    *(volatile u32 *)(p->hba->regs + AHCI_PORT_BASE +
                      p->index * AHCI_PORT_STRIDE + reg) = v;
}

/* ahci_slot.c, all with the HBA's lock held */
/* The guest wrote PxCI: shadows and issues the slots newly set. */
void ahci_issue(struct ahci_port *p, u32 ci);
/* Completes the slots the HBA finished; returns the PxCI and PxSACT the
 * decision was made on (what the guest must see). */
void ahci_poll(struct ahci_port *p, u32 *ci, u32 *sact);
/* The port stopped (ST cleared, HBA reset): every shadowed command is
 * dropped (a read's data is never delivered). */
void ahci_drop_all(struct ahci_port *p);
/* Refusals so far (all controllers). */
u32 ahci_refusal_count(void);

#endif
