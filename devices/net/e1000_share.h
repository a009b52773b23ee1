/* The share mode's pure rules on the guest's e1000 descriptors and
 * registers (devices/net/e1000_share.c, host-tested in
 * tests/unit/test_e1000_share.c). 8254x SDM 3.3 and 13.4.22. */
#ifndef VENEER_DEVICES_NET_E1000_SHARE_H
#define VENEER_DEVICES_NET_E1000_SHARE_H

#include <devices/net/e1000.h>

#define E1000_TXD_DEXT 0x20      /* command byte (11): extended descriptor */
#define E1000_TXD_DTYP_DATA 1    /* extended data; 0 is a context descriptor */
#define E1000_SHARE_TX_BUF 4096u /* the most a guest descriptor may hold */

/* What a guest TX descriptor is. */
enum e1000_txd_kind {
    E1000_TXD_CONTEXT, /* no buffer: queued as it is */
    E1000_TXD_DATA,    /* legacy or extended data: a buffer to copy */
    E1000_TXD_BAD,     /* a type the NIC does not have, or a buffer of 0
                          or more than E1000_SHARE_TX_BUF bytes */
};

/* Classifies descriptor `d`: its buffer length in *len (data only) and
 * whether it ends a packet in *eop (any but a context descriptor may, a
 * bad one too: the packet it ends is refused whole). */
static inline enum e1000_txd_kind e1000_txd_classify(const struct e1000_tx_desc *d,
                                                      u32 *len, bool *eop)
{
    u32 w2 = (u32)d->length | (u32)d->cso << 16 | (u32)d->cmd << 24;

    *eop = false;
    *len = 0;
    if (d->cmd & E1000_TXD_DEXT) {
        u32 dtyp = (w2 >> 20) & 0xf;
        if (dtyp == 0)
            return E1000_TXD_CONTEXT;
        *eop = d->cmd & E1000_TXD_CMD_EOP; /* a bad one still ends its packet */
        if (dtyp != E1000_TXD_DTYP_DATA)
            return E1000_TXD_BAD;
        *len = w2 & 0xfffff; /* DTALEN, 20 bits */
    } else {
        *len = d->length;
    }
    *eop = d->cmd & E1000_TXD_CMD_EOP;
    return *len == 0 || *len > E1000_SHARE_TX_BUF ? E1000_TXD_BAD : E1000_TXD_DATA;
}

#define E1000_RCTL_BSEX BIT(25)

/* 13.4.22: the receive buffer size RCTL.BSIZE and BSEX select. */
static inline u32 e1000_rx_bsize(u32 rctl)
{
    u32 sz = (rctl >> 16) & 3;

    if (rctl & E1000_RCTL_BSEX)
        return sz ? 16384u >> (sz - 1) : 2048u; /* 00 with BSEX is reserved */
    return 2048u >> sz;
}

#endif
