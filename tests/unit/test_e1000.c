/* The e1000 RX descriptor verdict: whole, error-free frames of a sane
 * length are delivered; a frame spread over descriptors is dropped whole. */
#include "check.h"
#include <devices/net/e1000.h>

#define DD E1000_RXD_DD
#define EOP E1000_RXD_EOP

int main(void)
{
    bool disc = false;

    CHECK(e1000_rx_accept(DD | EOP, 0, 60, &disc));
    CHECK(!disc);
    CHECK(e1000_rx_accept(DD | EOP, 0, 14, &disc));
    CHECK(e1000_rx_accept(DD | EOP, 0, 1518, &disc));
    CHECK(!e1000_rx_accept(DD | EOP, 0, 13, &disc));   /* shorter than a header */
    CHECK(!e1000_rx_accept(DD | EOP, 0, 0, &disc));
    CHECK(!e1000_rx_accept(DD | EOP, 0, 1519, &disc)); /* longer than a frame */
    CHECK(!e1000_rx_accept(DD | EOP, 0, 65535, &disc));
    CHECK(!e1000_rx_accept(DD | EOP, 0x01, 60, &disc)); /* CRC error */
    CHECK(!disc);
    /* a frame over three descriptors: all three dropped, the next taken */
    CHECK(!e1000_rx_accept(DD, 0, 2048, &disc));
    CHECK(disc);
    CHECK(!e1000_rx_accept(DD, 0, 2048, &disc));
    CHECK(disc);
    CHECK(!e1000_rx_accept(DD | EOP, 0, 100, &disc));
    CHECK(!disc);
    CHECK(e1000_rx_accept(DD | EOP, 0, 100, &disc));
    /* an error on a middle piece changes nothing: still dropped to the end */
    CHECK(!e1000_rx_accept(DD, 0, 2048, &disc));
    CHECK(!e1000_rx_accept(DD, 0x80, 2048, &disc));
    CHECK(!e1000_rx_accept(DD | EOP, 0, 60, &disc));
    CHECK(e1000_rx_accept(DD | EOP, 0, 60, &disc));
    return check_done("e1000");
}
