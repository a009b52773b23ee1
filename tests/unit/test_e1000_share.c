/* The share mode's descriptor rules: which guest TX descriptors are data,
 * context or refused, where packets end, and the guest's RX buffer size. */
#include "check.h"
#include <devices/net/e1000_share.h>

static struct e1000_tx_desc legacy(u16 len, u8 cmd)
{
    return (struct e1000_tx_desc){ .addr = 0x1000, .length = len, .cmd = cmd };
}

/* extended: DTALEN in bits 0-19 of dword 2, DTYP in 20-23, DCMD in 24-31 */
static struct e1000_tx_desc ext(u32 dtalen, u32 dtyp, u8 cmd)
{
    u32 w2 = (dtalen & 0xfffff) | dtyp << 20;

    return (struct e1000_tx_desc){ .addr = 0x1000, .length = (u16)w2,
                                   .cso = (u8)(w2 >> 16), .cmd = cmd | E1000_TXD_DEXT };
}

int main(void)
{
    struct e1000_tx_desc d;
    u32 len;
    bool eop;

    d = legacy(64, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_DATA && len == 64 && eop);
    d = legacy(4096, 0);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_DATA && len == 4096 && !eop);
    d = legacy(4097, E1000_TXD_CMD_EOP);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD);
    d = legacy(0, E1000_TXD_CMD_EOP);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD);
    d = legacy(65535, E1000_TXD_CMD_EOP);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD);
    /* a context descriptor: no buffer, never the end of a packet (its bit
     * 0 is TUCMD.TCP, not EOP) */
    d = ext(0x12345, 0, 0x01);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_CONTEXT && !eop && len == 0);
    /* extended data: the 20-bit length */
    d = ext(1514, E1000_TXD_DTYP_DATA, E1000_TXD_CMD_EOP);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_DATA && len == 1514 && eop);
    d = ext(0x10000, E1000_TXD_DTYP_DATA, 0); /* past 16 bits, past 4 KiB */
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD);
    d = ext(0xfffff, E1000_TXD_DTYP_DATA, E1000_TXD_CMD_EOP);
    CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD);
    /* reserved types */
    for (u32 t = 2; t < 16; t++) {
        d = ext(64, t, E1000_TXD_CMD_EOP);
        CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD && eop);
        d = ext(64, t, 0);
        CHECK(e1000_txd_classify(&d, &len, &eop) == E1000_TXD_BAD && !eop);
    }
    /* RX buffer sizes, 13.4.22 */
    CHECK(e1000_rx_bsize(0) == 2048);
    CHECK(e1000_rx_bsize(1u << 16) == 1024);
    CHECK(e1000_rx_bsize(2u << 16) == 512);
    CHECK(e1000_rx_bsize(3u << 16) == 256);
    CHECK(e1000_rx_bsize(E1000_RCTL_BSEX | 1u << 16) == 16384);
    CHECK(e1000_rx_bsize(E1000_RCTL_BSEX | 2u << 16) == 8192);
    CHECK(e1000_rx_bsize(E1000_RCTL_BSEX | 3u << 16) == 4096);
    return check_done("e1000_share");
}
