/* The VMM's own network (docs/network.md): NIC drivers register a
 * `struct net_nic`; net.c runs lwIP on it (NO_SYS, raw API) and polls
 * it from the exit path; the debug shell and syslog are its users.
 *
 * Locking: one lock (net_lock) covers lwIP and every registered NIC's
 * rings. net_poll() takes it with a trylock, so at most one CPU runs the
 * stack at a time and no CPU ever waits for it on an exit path. */
#ifndef VENEER_DEVICES_NET_H
#define VENEER_DEVICES_NET_H

#include <devices/pci/pci.h>
#include <platform/types.h>

#define NET_FRAME_MAX 1514 /* Ethernet header + 1500, without the FCS */
#define NET_FRAME_MIN 14

struct net_nic;
typedef void (*net_rx_fn)(struct net_nic *nic, const void *frame, size_t len);

struct net_nic {
    const char *driver;
    char name[16];     /* "e1000 00:03.0" is driver + slot */
    u8 mac[6];
    const struct pci_dev *pci;
    /* Called with net_lock held. */
    int (*transmit)(struct net_nic *nic, const void *frame, size_t len);
    /* Hands up to `budget` received frames to `deliver`; returns how many
     * descriptors it consumed (frames delivered or dropped). */
    unsigned (*poll_rx)(struct net_nic *nic, net_rx_fn deliver, unsigned budget);
    bool (*link_up)(struct net_nic *nic);
    /* Optional (NULL if the NIC cannot): makes the NIC signal received
     * frames with an NMI to the CPU with local APIC ID `apic_id`; < 0 if
     * it cannot after all. rx_signalled is then asked at every NMI, in
     * NMI context (no locks): it masks the NIC's receive NMIs, then reads
     * and clears their causes (the read completes after any message the
     * NIC sent before the mask); true if a cause was set. rx_unmask lets
     * the NIC signal again (devices/net/net.c's header comment). */
    int (*signal_rx)(struct net_nic *nic, u32 apic_id);
    bool (*rx_signalled)(struct net_nic *nic);
    void (*rx_unmask)(struct net_nic *nic);
    void *priv;
    /* counters */
    u64 rx_frames, rx_dropped, tx_frames, tx_dropped;
};

enum net_mode { NET_MODE_PASS, NET_MODE_VMM, NET_MODE_SHARE };
/* vmm.net= as parsed. */
enum net_mode net_mode(void);

/* net_lock, for a driver's guest-facing paths (the share mode's register
 * hooks), which must not race the poller on the rings. Never taken with
 * it already held. */
u64 net_lock_irqsave(void);
void net_unlock_irqrestore(u64 flags);

/* A driver found a NIC it has reset and set up for the VMM's use: the
 * stack is brought up on it at the late stage. Only the first NIC is
 * used; returns < 0 (the driver should decline the device) for a second. */
int net_nic_register(struct net_nic *nic);

/* DMA memory for a NIC's rings and buffers: VMM pages, zeroed, mapped
 * for the device in the IOMMU's trusted domain. NULL when out of memory. */
void *net_dma_alloc(size_t len, u64 *phys);

/* A received frame for lwIP (net_lock held; dropped before the stack is
 * up): what drivers pass to their poll_rx's deliver, also usable from a
 * driver's own paths (the share mode drains its ring at the guest's
 * register accesses). */
void net_deliver_frame(struct net_nic *nic, const void *frame, size_t len);

/* For the shell and syslog (net_lock held): the NIC in use, or NULL. */
struct net_nic *net_active_nic(void);
/* "10.0.2.15/24 gw 10.0.2.2 (static)" or "none yet (dhcp)". */
void net_describe_address(char *buf, size_t size);

/* For a user that must finish before the guest runs (the Tang key
 * fetch, devices/storage/keysrc_tang.c): runs the stack on this CPU, from
 * the late init stage after net_start, until done(ctx) returns true (0)
 * or timeout_us pass (-E_TIMEOUT); -E_NOENT without a VMM network. done
 * runs with net_lock held and may call lwIP. */
int net_run_until(bool (*done)(void *ctx), void *ctx, u64 timeout_us);
/* net_lock held: the link is up and the netif has an address. */
bool net_has_address(void);

/* A one-shot HTTP/1.1 POST (devices/net/http.c) under net_run_until:
 * connects to ip:port (host order), sends body with Content-Type ctype,
 * retries a refused or reset connection every second, and waits for the
 * whole answer within timeout_us. Returns the HTTP status (the body in
 * out, *out_len bytes, NUL-terminated) or < 0 with one line in why. */
int net_http_post(u32 ip, u16 port, const char *path, const char *ctype,
                  const char *body, size_t len, char *out, size_t size,
                  size_t *out_len, u64 timeout_us, char *why, size_t whylen);

/* The users, started with the stack (net_lock held). */
void net_shell_start(void);
void net_syslog_start(void);
/* Called at each poll (net_lock held): send the log lines written since
 * the last call. */
void net_syslog_poll(void);

#endif
