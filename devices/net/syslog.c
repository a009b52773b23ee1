/* UDP syslog of the VMM's log (RFC 5424) to vmm.syslog=A.B.C.D:PORT,
 * with vmm.net=vmm. At each poll the lines written to the log ring since
 * the last one are sent, one datagram each, starting with what the ring
 * still holds of the boot. A line is taken from the ring only once it is
 * sent: while the next hop's MAC address is unknown nothing is sent and
 * an ARP request goes out instead, so the boot lines are not lost to
 * lwIP's small ARP queue. Lines overwritten before they could be sent are
 * counted and said in the next line sent.
 *
 *   <PRI>1 - veneer veneer - SUBSYS - MESSAGE
 * PRI = facility local0 (16) * 8 + severity (E 3, W 4, I 6, D 7); no
 * timestamp (the VMM has no wall clock: NILVALUE). */
#include <devices/net/net.h>
#include <devices/net/net_opts.h>
#include <platform/boot.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/logring.h>
#include <platform/options.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/udp.h"

#define SYSLOG_BUDGET 32   /* lines per poll */

static char syslog_opt[32];
OPTION_STRING("vmm.syslog", syslog_opt,
              "with vmm.net=vmm: send the VMM's log lines as RFC 5424 UDP "
              "syslog to A.B.C.D:PORT");

static u32 target_addr;
static u16 target_port;
static struct udp_pcb *pcb;
static u64 ring_pos, lost, sent, send_errors;

static int syslog_configure(void)
{
    char why[96];

    if (!syslog_opt[0])
        return 0;
    if (net_parse_endpoint(syslog_opt, &target_addr, &target_port, why, sizeof(why)) < 0)
        refuse_to_start("vmm.syslog=%s: %s", syslog_opt, why);
    if (net_mode() == NET_MODE_PASS)
        log_warn("syslog", "vmm.syslog= has no effect without vmm.net=vmm or share");
    return 0;
}
INIT_FUNC(devices, 07, syslog_configure);

/* Whether the next hop's MAC address is known; asks for it if not. */
static bool next_hop_ready(const ip4_addr_t *dst)
{
    struct netif *n = netif_default;
    const ip4_addr_t *hop = dst, *ip_ret;
    struct eth_addr *eth_ret;

    if (!n || ip4_addr_isany_val(*netif_ip4_addr(n)))
        return false;
    if (!ip4_addr_netcmp(dst, netif_ip4_addr(n), netif_ip4_netmask(n)))
        hop = netif_ip4_gw(n);
    if (etharp_find_addr(n, hop, &eth_ret, &ip_ret) >= 0)
        return true;
    etharp_request(n, hop);
    return false;
}

void net_syslog_poll(void)
{
    char line[520], msg[600];
    ip4_addr_t dst;

    if (!pcb)
        return;
    ip4_addr_set_u32(&dst, lwip_htonl(target_addr));
    if (!next_hop_ready(&dst))
        return;
    for (int i = 0; i < SYSLOG_BUDGET; i++) {
        u64 pos = ring_pos, was_lost = lost;
        if (log_ring_read_line(&pos, line, sizeof(line), &lost) < 0)
            return;
        size_t n = net_syslog_format(line, msg, sizeof(msg));
        if (lost != was_lost)
            n = (size_t)ksnprintf(msg, sizeof(msg), "<%d>1 - veneer veneer - syslog - "
                                  "lines were overwritten before they could be sent",
                                  NET_SYSLOG_FACILITY * 8 + 4);
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
        if (!p)
            return;
        pbuf_take(p, msg, (u16_t)n);
        err_t e = udp_sendto(pcb, p, &dst, target_port);
        pbuf_free(p);
        if (e != ERR_OK) {
            send_errors++;
            lost = was_lost;
            return; /* the same line again at the next poll */
        }
        if (lost == was_lost)
            ring_pos = pos;
        sent++;
    }
}

void net_syslog_start(void)
{
    if (!target_port)
        return;
    pcb = udp_new();
    if (!pcb) {
        log_err("syslog", "no lwIP memory for a UDP socket: no syslog");
        return;
    }
    log_info("syslog", "sending the VMM log to %s (RFC 5424, facility local0)",
             syslog_opt);
}
