/* The little of <stdlib.h> lwIP's core includes (devices/net/port is on
 * lwIP's include path only): netif.c's atoi, defined in devices/net/net.c. */
#ifndef VENEER_LWIP_STDLIB_H
#define VENEER_LWIP_STDLIB_H

int atoi(const char *s);

#endif
