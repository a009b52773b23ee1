/* The network options' values, parsed without lwIP or hardware
 * (host-tested): vmm.ip= and vmm.syslog=. */
#ifndef VENEER_DEVICES_NET_OPTS_H
#define VENEER_DEVICES_NET_OPTS_H

#include <platform/types.h>

/* IPv4 addresses in host order: 10.0.2.15 is 0x0a00020f. */
struct net_ip_config {
    bool dhcp;
    u32 addr, netmask, gateway; /* gateway 0: none */
};

/* "dhcp", "A.B.C.D/NN" or "A.B.C.D/NN,G.G.G.G" (prefix 1-32, an address
 * that is neither the network's nor its broadcast address unless /31 or
 * /32, a gateway inside the network). Returns 0, or < 0 with the reason
 * in why. */
int net_parse_ip(const char *s, struct net_ip_config *out, char *why,
                 size_t why_size);

/* "A.B.C.D:PORT" (port 1-65535). Returns 0, or < 0 with the reason. */
int net_parse_endpoint(const char *s, u32 *addr, u16 *port, char *why,
                       size_t why_size);

/* One log ring line ("I pci: text") as an RFC 5424 message:
 * "<134>1 - veneer veneer - pci - text" (facility local0, severity from
 * the level letter: E 3, W 4, I 6, D 7; no timestamp). A line not in the
 * log's form is sent whole with severity 6 and no MSGID. Returns the
 * length written (cut to size - 1). */
#define NET_SYSLOG_FACILITY 16
size_t net_syslog_format(const char *line, char *out, size_t size);

/* One dotted quad at s[0..len); 0 or < 0. */
int net_parse_ipv4(const char *s, size_t len, u32 *out);

#endif
