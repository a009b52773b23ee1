/* lwIP configuration for the VMM (lwIP src/include/lwip/opt.h documents
 * each option). NO_SYS: no threads, the raw API only, driven by
 * net_poll() under the stack's one lock (devices/net/net.c), so lwIP's
 * own SYS_ARCH_PROTECT is not needed. Memory: lwIP's static heap and
 * pools, in the VMM image's .bss (the VMM region, never the guest's).
 * IPv4 only; TCP for the debug shell, UDP for syslog and DHCP. */
#ifndef VENEER_LWIPOPTS_H
#define VENEER_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_ALTCP 0

#define MEM_ALIGNMENT 8
#define MEM_SIZE (128 * 1024)
#define MEMP_NUM_PBUF 32
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_TCP_PCB 4
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG 64
#define MEMP_NUM_REASSDATA 4
#define MEMP_NUM_FRAG_PBUF 8
#define PBUF_POOL_SIZE 64
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_OVERFLOW_CHECK 0
#define MEMP_SANITY_CHECK 0

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ARP_TABLE_SIZE 8
#define ARP_QUEUEING 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_REASS_MAX_PBUFS 8
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_DHCP 1
/* No ARP probe of the offered address before binding: the probe waits
 * 500 ms on lwIP's DHCP timer, which runs only at polls; with the guest
 * idle (no exits) and the segment quiet, the bind would wait for the next
 * frame (docs/network.md, "A guest that makes no exits"). */
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1

#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_SINGLE_NETIF 1
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_LOOPBACK 0

#define LWIP_STATS 0
#define LWIP_DEBUG 0
#define LWIP_PERF 0
#define LWIP_PROVIDE_ERRNO 1
#define LWIP_TIMERS 1

#endif
