/* The VMM's network stack: lwIP 2.1.3 (NO_SYS, raw API) on the NIC a
 * driver registered, polled from the exit path (devices/net/net.h,
 * docs/network.md).
 *
 * Polling: every exit calls net_poll() (common/exit.h's poller). It
 * returns at once unless NET_POLL_US have passed since the last poll and
 * it wins the trylock on net_lock; then it takes up to NET_RX_BUDGET
 * received frames, runs lwIP's timers and sends new syslog lines. So the
 * stack runs on one CPU at a time, never makes a CPU wait, and costs a
 * TSC read per exit otherwise.
 *
 * A guest that makes no exits (idle in HLT, even with interrupts off)
 * would leave received frames unseen: a NIC that can (signal_rx: the
 * 82574L's MSI) sends an NMI to the boot CPU for each received frame
 * (throttled by the NIC), the NMI exit returns to common code as a kick
 * (platform/smp.h), and the poll that follows skips the 1 ms spacing.
 * Which NMI is the NIC's: the claim masks the NIC's receive causes, then
 * reads (and so clears) them. A cause set: the NIC's. None: the guest's,
 * except for one NMI right after a claim, which is a message the NIC
 * sent before the mask took (QEMU's e1000e sends one per cause update):
 * the read of the cause register completes only after such a message
 * reached the local APIC, so it is already latched in this CPU and is
 * taken as soon as NMIs open again, before this exit's poll. The poll
 * on that CPU unmasks the NIC and ends that allowance.
 * Where the backend has a timer of its own (VMX's preemption timer), it
 * also brings an exit every NET_TIMER_US, for lwIP's timers and for NICs
 * without MSI. Where it has none (SVM: -E_NOTSUP), the HLT and MWAIT of
 * the CPU that started the stack exit instead (common/exit.h's idle
 * exits, as the NVMe mediator uses them): the poll runs while that CPU's
 * guest idles, until an interrupt waits for the guest (docs/network.md). */
#include <common/exit.h>
#include <common/vcpu.h>
#include <devices/net/net.h>
#include <devices/net/net_opts.h>
#include <devices/net/net_rand.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/iommu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/smp.h>
#include <platform/spinlock.h>
#include <platform/time.h>
#include <stdarg.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define NET_POLL_US 1000
#define NET_RX_BUDGET 64
/* With a backend timer (vcpu_ops periodic_exit: VMX's preemption timer),
 * the longest the stack goes unpolled while the guest makes no exits. */
#define NET_TIMER_US 20000

static const char *const net_modes[] = { "pass", "vmm", "share", NULL };
static int net_mode_opt = NET_MODE_PASS;
OPTION_CHOICE("vmm.net", net_mode_opt, net_modes,
              "pass: NICs belong to the guest (default); vmm: the first e1000 "
              "(82540EM 8086:100e) or e1000e (82574L 8086:10d3) is concealed from the guest and runs the VMM's own "
              "network (debug shell, syslog); share: the guest keeps the first "
              "e1000, whose rings the VMM shadows, and the VMM's network rides on "
              "it with a MAC and address of its own (docs/network.md)");
static char ip_opt[48] = "dhcp";
OPTION_STRING("vmm.ip", ip_opt,
              "the VMM's IPv4 address with vmm.net=vmm|share: dhcp (default) or "
              "A.B.C.D/NN[,GATEWAY]");

static struct net_ip_config ip_cfg;
static struct netif netif;
static spinlock_t net_lock = SPINLOCK_INIT;
static struct net_nic *active;
static bool stack_up, link_was_up;
static bool rx_kicked; /* an NMI of the NIC came since the last poll */
static u32 rx_nmi_cpu;  /* the CPU (pcpus index) the NIC's NMIs go to */
static bool rx_masked;  /* a claim masked the NIC's receive NMIs */
static bool rx_copy_ok; /* the next NMI with no cause is the NIC's too */
static u64 next_poll_tsc;
static u8 tx_frame[NET_FRAME_MAX];

enum net_mode net_mode(void)
{
    return (enum net_mode)net_mode_opt;
}

u64 net_lock_irqsave(void)
{
    return spin_lock_irqsave(&net_lock);
}

void net_unlock_irqrestore(u64 flags)
{
    spin_unlock_irqrestore(&net_lock, flags);
}

/* ---- lwIP's port (lwIP doc/NO_SYS_SampleCode.c, sys_arch.txt) --------- */

u32_t sys_now(void)
{
    return (u32_t)(rdtsc() / tsc_per_us / 1000);
}

/* LWIP_RAND (TCP initial sequence numbers, the first ephemeral ports,
 * DHCP transaction IDs): RDRAND when the CPU has it, else a TSC-based
 * generator seeded from RDSEED or the TSC (devices/net/net_rand.h).
 * Called by lwIP only, so under net_lock. */
static struct net_rand net_rng;

static bool rdrand64(u64 *out)
{
    bool ok;

    __asm__ volatile("rdrand %0" : "=r"(*out), "=@ccc"(ok));
    return ok;
}

static bool rdseed64(u64 *out)
{
    bool ok;

    __asm__ volatile("rdseed %0" : "=r"(*out), "=@ccc"(ok));
    return ok;
}

static u64 tsc_now(void)
{
    return rdtsc();
}

uint32_t veneer_lwip_rand(void)
{
    return net_rand_next(&net_rng);
}

/* CPUID.1:ECX[30] RDRAND, CPUID.(7,0):EBX[18] RDSEED (SDM vol. 2). */
static void net_rand_start(void)
{
    struct cpuid_regs l7 = { 0 };
    bool has_rdrand = cpuid(1).ecx & BIT(30), has_rdseed;

    if (cpuid(0).eax >= 7)
        cpuid_count(7, 0, &l7);
    has_rdseed = l7.ebx & BIT(18);
    enum net_rand_seed seed = net_rand_init(&net_rng, has_rdrand ? rdrand64 : NULL,
                                            has_rdseed ? rdseed64 : NULL, tsc_now);
    if (has_rdrand)
        log_info("net", "random numbers (TCP sequence numbers, ports, DHCP IDs) "
                 "from RDRAND");
    else
        log_warn("net", "random numbers (TCP sequence numbers, ports, DHCP IDs) "
                 "from a TSC-based generator seeded from %s: the CPU has no RDRAND",
                 seed == NET_RAND_SEED_RDSEED ? "RDSEED" : "the TSC");
}

void veneer_lwip_diag(const char *fmt, ...)
{
    char line[160];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_debug("lwip", "%s", line);
}

void veneer_lwip_assert(const char *what, const char *file, int line)
{
    log_ratelimited(LOG_ERROR, "lwip", "assertion '%s' failed at %s:%d (ignored)",
                    what, file, line);
}

/* netif.c's netif_find: a decimal interface number */
int atoi(const char *s)
{
    int n = 0;

    while (*s >= '0' && *s <= '9' && n < 100000000)
        n = n * 10 + (*s++ - '0');
    return n;
}

/* ---- DMA memory ---------------------------------------------------------- */

void *net_dma_alloc(size_t len, u64 *phys)
{
    u64 pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    phys_addr_t p = alloc_pages(pages ? pages : 1);

    if (!p)
        return NULL;
    /* the NIC is in the trusted domain: these pages are all it may reach
     * of the VMM region */
    if (iommu_dma_map(p, (pages ? pages : 1) * PAGE_SIZE, true) < 0) {
        iommu_dma_map(p, (pages ? pages : 1) * PAGE_SIZE, false);
        free_pages(p, pages ? pages : 1);
        return NULL;
    }
    *phys = p;
    return phys_to_virt(p);
}

/* ---- the netif --------------------------------------------------------- */

static err_t net_linkoutput(struct netif *n, struct pbuf *p)
{
    if (!active || p->tot_len > sizeof(tx_frame))
        return ERR_IF;
    u16 len = pbuf_copy_partial(p, tx_frame, p->tot_len, 0);
    return active->transmit(active, tx_frame, len) < 0 ? ERR_IF : ERR_OK;
}

void net_deliver_frame(struct net_nic *nic, const void *frame, size_t len)
{
    if (!stack_up) {
        nic->rx_dropped++;
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);

    if (!p) {
        nic->rx_dropped++;
        return;
    }
    if (pbuf_take(p, frame, (u16_t)len) != ERR_OK || netif.input(p, &netif) != ERR_OK)
        pbuf_free(p);
}

static void ip_text(const ip4_addr_t *a, char *buf, size_t size)
{
    u32 v = lwip_ntohl(ip4_addr_get_u32(a));

    ksnprintf(buf, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
              v & 0xff);
}

void net_describe_address(char *buf, size_t size)
{
    char a[16], m[16], g[16];

    if (!stack_up || ip4_addr_isany_val(*netif_ip4_addr(&netif))) {
        ksnprintf(buf, size, "none yet (%s)", ip_cfg.dhcp ? "dhcp" : "static");
        return;
    }
    ip_text(netif_ip4_addr(&netif), a, sizeof(a));
    ip_text(netif_ip4_netmask(&netif), m, sizeof(m));
    ip_text(netif_ip4_gw(&netif), g, sizeof(g));
    ksnprintf(buf, size, "%s netmask %s gateway %s (%s)", a, m, g,
              ip_cfg.dhcp ? "dhcp" : "static");
}

static void net_status_changed(struct netif *n)
{
    char text[96];

    net_describe_address(text, sizeof(text));
    log_info("net", "%s: address %s", active->name, text);
}

static err_t net_netif_init(struct netif *n)
{
    n->name[0] = 'v';
    n->name[1] = 'n';
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, active->mac, ETH_HWADDR_LEN);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    n->output = etharp_output;
    n->linkoutput = net_linkoutput;
    netif_set_hostname(n, "veneer");
    return ERR_OK;
}

struct net_nic *net_active_nic(void)
{
    return active;
}

/* ---- polling ------------------------------------------------------------- */

static void net_link_check(void)
{
    bool up = active->link_up(active);

    if (up == link_was_up)
        return;
    link_was_up = up;
    if (up)
        netif_set_link_up(&netif);
    else
        netif_set_link_down(&netif);
    log_info("net", "%s: link %s", active->name, up ? "up" : "down");
}

/* Exit path of the CPU the NIC's NMIs go to, after that exit's NMI
 * window (header comment): no more copies; the NIC may signal again. */
static void net_rx_rearm(void)
{
    if (this_cpu()->index != rx_nmi_cpu || !active || !active->rx_unmask)
        return;
    __atomic_store_n(&rx_copy_ok, false, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&rx_masked, false, __ATOMIC_RELAXED))
        active->rx_unmask(active);
}

static void net_poll_locked(void)
{
    active->poll_rx(active, net_deliver_frame, NET_RX_BUDGET);
    net_link_check();
    sys_check_timeouts();
    net_syslog_poll();
}

static void net_poll(void)
{
    u64 now = rdtsc();

    net_rx_rearm();
    if ((now < __atomic_load_n(&next_poll_tsc, __ATOMIC_RELAXED) &&
         !__atomic_load_n(&rx_kicked, __ATOMIC_RELAXED)) ||
        !spin_trylock(&net_lock))
        return;
    __atomic_store_n(&rx_kicked, false, __ATOMIC_RELAXED);
    next_poll_tsc = now + us_to_tsc(NET_POLL_US);
    net_poll_locked();
    spin_unlock(&net_lock);
}

int net_run_until(bool (*done)(void *ctx), void *ctx, u64 timeout_us)
{
    u64 end = rdtsc() + us_to_tsc(timeout_us);

    if (!stack_up)
        return -E_NOENT;
    for (;;) {
        net_rx_rearm();
        u64 flags = spin_lock_irqsave(&net_lock);
        net_poll_locked();
        bool finished = done(ctx);
        spin_unlock_irqrestore(&net_lock, flags);
        if (finished)
            return 0;
        u64 now = rdtsc();
        if (now >= end)
            return -E_TIMEOUT;
        for (u64 until = now + us_to_tsc(200); rdtsc() < until;)
            cpu_relax();
    }
}

bool net_has_address(void)
{
    return stack_up && link_was_up && !ip4_addr_isany_val(*netif_ip4_addr(&netif));
}

/* NMI context (platform/smp.h nmi_device_claim). Only the CPU the NIC
 * targets asks it: another CPU's NMI reading ICR could take the cause of
 * an NMI on its way here, which would then look like the guest's. */
static bool net_nmi_claim(void)
{
    if (this_cpu()->index != rx_nmi_cpu)
        return false;
    __atomic_store_n(&rx_masked, true, __ATOMIC_RELAXED);
    if (active->rx_signalled(active)) { /* masked, then read */
        __atomic_store_n(&rx_copy_ok, true, __ATOMIC_RELAXED);
        __atomic_store_n(&rx_kicked, true, __ATOMIC_RELAXED);
        return true;
    }
    return __atomic_exchange_n(&rx_copy_ok, false, __ATOMIC_RELAXED);
}

/* The NIC's receive NMI, where it has one: the claim first, so that no
 * NMI of the NIC is ever taken for the guest's. */
static const char *net_signal_start(void)
{
    if (!active->signal_rx)
        return "only: the NIC has no MSI";
    rx_nmi_cpu = this_cpu()->index;
    __atomic_store_n(&nmi_device_claim, net_nmi_claim, __ATOMIC_RELEASE);
    if (active->signal_rx(active, this_cpu()->apic_id) < 0) {
        __atomic_store_n(&nmi_device_claim, NULL, __ATOMIC_RELEASE);
        return "only: its MSI cannot reach this CPU";
    }
    return "and at each received frame (the NIC's MSI sent as an NMI)";
}

/* ---- bring-up -------------------------------------------------------------- */

int net_nic_register(struct net_nic *nic)
{
    if (active)
        return -E_BUSY;
    active = nic;
    return 0;
}

/* Before pci_init (devices, 10): a malformed address refuses the start. */
static int net_configure(void)
{
    char why[128];

    if (net_parse_ip(ip_opt, &ip_cfg, why, sizeof(why)) < 0)
        refuse_to_start("vmm.ip=%s: %s", ip_opt, why);
    if (net_mode() == NET_MODE_PASS && strcmp(ip_opt, "dhcp") != 0)
        log_warn("net", "vmm.ip= has no effect without vmm.net=vmm or share");
    return 0;
}
INIT_FUNC(devices, 06, net_configure);

static int net_start(void)
{
    ip4_addr_t a, m, g;

    if (net_mode() == NET_MODE_PASS)
        return 0;
    if (!active) {
        log_warn("net", "vmm.net=%s: no NIC the VMM can drive (e1000 8086:100e, "
                 "e1000e 8086:10d3%s) was found: no VMM network", net_modes[net_mode()],
                 net_mode() == NET_MODE_SHARE ? "; share: e1000 only" : "");
        return 0;
    }
    u64 flags = spin_lock_irqsave(&net_lock);
    net_rand_start();
    lwip_init();
    ip4_addr_set_u32(&a, lwip_htonl(ip_cfg.addr));
    ip4_addr_set_u32(&m, lwip_htonl(ip_cfg.netmask));
    ip4_addr_set_u32(&g, lwip_htonl(ip_cfg.gateway));
    netif_add(&netif, &a, &m, &g, NULL, net_netif_init, ethernet_input);
    netif_set_default(&netif);
    netif_set_status_callback(&netif, net_status_changed);
    netif_set_up(&netif);
    stack_up = true;
    net_link_check();
    if (ip_cfg.dhcp && dhcp_start(&netif) != ERR_OK)
        log_err("net", "DHCP could not start (out of lwIP memory)");
    net_shell_start();
    net_syslog_start();
    const char *polled = net_signal_start();
    int timer = vcpu_ops->periodic_exit(NET_TIMER_US);
    if (timer == -E_NOTSUP)
        exit_idle_want(this_cpu()->index, true);
    spin_unlock_irqrestore(&net_lock, flags);
    log_info("net", "%s: lwIP %s up, %s; polled at guest exits (at most every %u us) %s",
             active->name, LWIP_VERSION_STRING,
             ip_cfg.dhcp ? "asking DHCP for an address" : "static address",
             NET_POLL_US, polled);
    if (timer == 0)
        log_info("net", "%s: also polled every %u ms at the latest (the backend's "
                 "timer exit)", active->name, NET_TIMER_US / 1000);
    else if (timer == -E_NOTSUP)
        log_info("net", "%s: no timer exit on this backend: polled while the guest "
                 "idles (HLT and MWAIT of cpu %u intercepted)", active->name,
                 this_cpu()->index);
    else
        log_warn("net", "%s: the backend's timer exit failed (%d): while the guest "
                 "makes no exits, only the NIC's frames bring polls", active->name, timer);
    exit_set_poller(net_poll);
    return 0;
}
INIT_FUNC(late, 50, net_start);
