/* The VMM's debug shell on TCP port 23 (telnet or any raw TCP client;
 * docs/network.md). One session at a time; commands status, log, exits,
 * storage, help, quit; an optional password (vmm.shell_password=), asked
 * before anything else. Runs under net_lock, from net_poll.
 *
 * Input is untrusted: printable ASCII is kept (127 characters a line at
 * most, longer lines refused whole), telnet IAC negotiations are
 * skipped, everything else ignored. Output goes through one buffer that
 * is pushed as the TCP window allows; `log` streams the ring through it
 * line by line, up to the lines that existed when it was typed. */
#include <common/backend.h>
#include <common/vcpu.h>
#include <devices/net/net.h>
#include <devices/storage/storage.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/logring.h>
#include <platform/options.h>
#include <platform/percpu.h>
#include <platform/time.h>
#include <stdarg.h>
#include <string.h>

#include "lwip/tcp.h"

#define SHELL_PORT 23
#define SHELL_LINE_MAX 127
#define SHELL_OUT_SIZE 4096
#define SHELL_PASSWORD_TRIES 3
/* One session at a time: a connection that never gives the password would
 * keep the owner out for good. It is closed after this long. */
#define SHELL_LOGIN_US (20ull * 1000 * 1000)
#define TELNET_IAC 0xff
/* RFC 857: the server offering to echo makes a telnet client stop its own
 * local echo, so the password is not shown; the shell never echoes. */
static const char telnet_will_echo[] = { (char)0xff, (char)0xfb, 0x01 };
static const char telnet_wont_echo[] = { (char)0xff, (char)0xfc, 0x01 };

static char shell_password[65];
OPTION_STRING("vmm.shell_password", shell_password,
              "with vmm.net=vmm: the debug shell asks for this password first "
              "(default: none asked)");

struct shell {
    struct tcp_pcb *pcb;
    char line[SHELL_LINE_MAX + 1];
    unsigned line_len;
    bool line_overflow;
    u8 iac_skip;          /* bytes of a telnet command still to skip */
    u8 prev;              /* the byte before: CR LF ends one line */
    char out[SHELL_OUT_SIZE];
    unsigned out_len, out_sent;
    /* a long answer produced as the window drains: `log` (ring position
     * up to log_end) or `exits` (the next CPU) */
    enum { MORE_NONE, MORE_LOG, MORE_EXITS } more;
    u64 log_pos, log_end, log_lost;
    u32 next_cpu;
    /* input that came while a long answer was going out: taken after it
     * (pipelined commands), up to its size, the excess dropped */
    u8 pend[512];
    unsigned pend_len;
    bool authed, closing;
    unsigned failures;
    u64 start_tsc;        /* the connection's, for SHELL_LOGIN_US */
};

static struct shell sess;
static bool sess_busy;
static u64 sessions, refused_sessions, wrong_passwords, login_timeouts;
static u64 boot_tsc;

static int shell_boot_time(void)
{
    boot_tsc = rdtsc();
    return 0;
}
INIT_FUNC(early, 00, shell_boot_time);

static void out_text(struct shell *s, const char *t, size_t n)
{
    static const char cut[] = "\r\n(answer cut: longer than the shell's buffer)\r\n";
    size_t room = SHELL_OUT_SIZE - sizeof(cut) - s->out_len;

    if (s->out_len + sizeof(cut) > SHELL_OUT_SIZE)
        return; /* already cut */
    if (n > room) {
        memcpy(s->out + s->out_len, t, room);
        memcpy(s->out + s->out_len + room, cut, sizeof(cut) - 1);
        s->out_len = SHELL_OUT_SIZE - 1; /* full: nothing more until sent */
        return;
    }
    memcpy(s->out + s->out_len, t, n);
    s->out_len += (unsigned)n;
}

static void __printf(2, 3) outf(struct shell *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out_text(s, buf, MIN((size_t)n, sizeof(buf) - 1));
}

static void prompt(struct shell *s)
{
    outf(s, s->authed ? "veneer> " : "password: ");
}

/* ---- commands ----------------------------------------------------------- */

static void cmd_help(struct shell *s)
{
    outf(s, "status   version, backend, CPUs, uptime, network\r\n"
            "log      the VMM's log ring, oldest line first\r\n"
            "exits    exit counters per CPU\r\n"
            "storage  disks, vmm.crypt= rules, key slots loaded (yes/no)\r\n"
            "help     this list\r\n"
            "quit     end the session\r\n");
}

static void cmd_status(struct shell *s)
{
    u64 ms = (rdtsc() - boot_tsc) / tsc_per_us / 1000;
    struct net_nic *n = net_active_nic();
    char addr[96];

    outf(s, "Veneer %s (%s, build %s)\r\n", VENEER_VERSION, VENEER_GITREV, VENEER_VENDOR);
    outf(s, "backend %s, %u CPU%s, %u vcpu%s\r\n",
         active_backend ? active_backend->name : "none", pcpu_count,
         pcpu_count == 1 ? "" : "s", vcpu_count, vcpu_count == 1 ? "" : "s");
    outf(s, "uptime %llu.%03llu s\r\n", (unsigned long long)(ms / 1000),
         (unsigned long long)(ms % 1000));
    net_describe_address(addr, sizeof(addr));
    outf(s, "net %s %s: %s; rx %llu (dropped %llu) tx %llu (dropped %llu)\r\n",
         n->driver, n->name, addr, (unsigned long long)n->rx_frames,
         (unsigned long long)n->rx_dropped, (unsigned long long)n->tx_frames,
         (unsigned long long)n->tx_dropped);
    outf(s, "shell: %llu sessions, %llu refused (one at a time), %llu wrong passwords, "
         "%llu without a password in %llu s\r\n",
         (unsigned long long)sessions, (unsigned long long)refused_sessions,
         (unsigned long long)wrong_passwords, (unsigned long long)login_timeouts,
         SHELL_LOGIN_US / 1000000);
}

/* One CPU's line: every non-zero exit counter and the total. */
static size_t exits_line(u32 c, char *buf, size_t size)
{
    struct vcpu *v = vcpus[c];
    u64 total = 0;
    size_t n = 0;

    if (!v)
        return (size_t)ksnprintf(buf, size, "cpu%u: not started\r\n", c);
    n += (size_t)ksnprintf(buf, size, "cpu%u:", c);
    for (unsigned k = 0; k < EXIT_KIND_COUNT && n < size; k++) {
        u64 count = __atomic_load_n(&v->exit_counts[k], __ATOMIC_RELAXED);
        total += count;
        if (count)
            n += (size_t)ksnprintf(buf + n, size - n, " %s %llu",
                                   vcpu_exit_kind_name((enum vcpu_exit_kind)k),
                                   (unsigned long long)count);
    }
    if (n < size)
        n += (size_t)ksnprintf(buf + n, size - n, " total %llu\r\n",
                               (unsigned long long)total);
    return MIN(n, size - 1);
}

static void fill_exits(struct shell *s)
{
    char line[1024];
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);

    while (s->next_cpu < n) {
        size_t l = exits_line(s->next_cpu, line, sizeof(line));
        if (s->out_len + l > SHELL_OUT_SIZE)
            return; /* the rest once this is sent */
        out_text(s, line, l);
        s->next_cpu++;
    }
    s->more = MORE_NONE;
    prompt(s);
}

static void storage_line(void *ctx, const char *text)
{
    outf(ctx, "%s\r\n", text);
}

static void cmd_log(struct shell *s)
{
    s->more = MORE_LOG;
    s->log_pos = 0;
    s->log_lost = 0;
    s->log_end = log_ring_head();
}

static void run_command(struct shell *s, const char *cmd)
{
    if (!strcmp(cmd, "help"))
        cmd_help(s);
    else if (!strcmp(cmd, "status"))
        cmd_status(s);
    else if (!strcmp(cmd, "exits")) {
        s->more = MORE_EXITS; /* the prompt comes after the last CPU */
        s->next_cpu = 0;
        return;
    } else if (!strcmp(cmd, "storage"))
        storage_report(storage_line, s);
    else if (!strcmp(cmd, "log")) {
        cmd_log(s);
        return; /* the prompt comes after the last line */
    } else if (!strcmp(cmd, "quit")) {
        outf(s, "bye\r\n");
        s->closing = true;
        return;
    } else
        outf(s, "unknown command '%s': try help\r\n", cmd);
    prompt(s);
}

/* Compares every byte of the longer string: the time taken does not
 * tell how much of a guess was right. */
static bool password_matches(const char *given)
{
    size_t a = strlen(given), b = strlen(shell_password);
    u8 diff = (u8)(a != b);

    for (size_t i = 0; i < MAX(a, b); i++)
        diff |= (u8)((i < a ? given[i] : 0) ^ (i < b ? shell_password[i] : 0));
    return diff == 0;
}

static void check_password(struct shell *s, const char *given)
{
    if (password_matches(given)) {
        s->authed = true;
        out_text(s, telnet_wont_echo, sizeof(telnet_wont_echo));
        outf(s, "\r\nVeneer debug shell: type help\r\n");
        prompt(s);
        return;
    }
    s->failures++;
    wrong_passwords++;
    /* anyone who reaches the port can cause this line: rate-limited, and
     * `status` gives the total */
    log_warn_ratelimited("shell", "wrong password (%u of %u in this session)",
                         s->failures, SHELL_PASSWORD_TRIES);
    if (s->failures >= SHELL_PASSWORD_TRIES) {
        outf(s, "\r\ntoo many wrong passwords\r\n");
        s->closing = true;
        return;
    }
    outf(s, "\r\nwrong password\r\n");
    prompt(s);
}

static void end_line(struct shell *s)
{
    char *l = s->line;

    s->line[s->line_len] = 0;
    if (s->line_overflow) {
        outf(s, "line too long (at most %u characters): ignored\r\n", SHELL_LINE_MAX);
        prompt(s);
    } else if (!s->authed) {
        check_password(s, l);
    } else {
        while (*l == ' ')
            l++;
        size_t n = strlen(l);
        while (n && l[n - 1] == ' ')
            l[--n] = 0;
        if (n)
            run_command(s, l);
        else
            prompt(s);
    }
    memset(s->line, 0, sizeof(s->line)); /* a password typed is not kept */
    s->line_len = 0;
    s->line_overflow = false;
}

static void input_byte(struct shell *s, u8 c)
{
    u8 prev = s->prev;

    s->prev = c;
    if (s->closing)
        return; /* `quit` or the last wrong password: the rest is ignored */
    if (s->iac_skip) {
        /* WILL/WONT/DO/DONT carry one option byte after the command */
        s->iac_skip = (s->iac_skip == 2 && c >= 251 && c <= 254) ? 1 : 0;
        return;
    }
    if (c == TELNET_IAC) {
        s->iac_skip = 2;
        return;
    }
    if (c == '\n' && prev == '\r')
        return;
    if (c == '\r' || c == '\n') {
        end_line(s);
        return;
    }
    if ((c == 0x7f || c == 0x08) && s->line_len) {
        s->line_len--;
        return;
    }
    if (c < 0x20 || c > 0x7e)
        return;
    if (s->line_len == SHELL_LINE_MAX)
        s->line_overflow = true;
    else
        s->line[s->line_len++] = (char)c;
}

/* ---- output and the TCP callbacks -------------------------------------- */

/* More of the ring into the output buffer, whole lines only. */
static void fill_log(struct shell *s)
{
    char line[520];

    while (s->more == MORE_LOG) {
        u64 pos = s->log_pos;
        int n = pos < s->log_end ? log_ring_read_line(&pos, line, sizeof(line),
                                                      &s->log_lost) : -1;
        if (n < 0) {
            s->more = MORE_NONE;
            if (s->log_lost)
                outf(s, "(older lines were overwritten while this was sent)\r\n");
            prompt(s);
            return;
        }
        size_t l = strlen(line);
        if (s->out_len + l + 2 > SHELL_OUT_SIZE)
            return; /* the rest once this is sent */
        out_text(s, line, l);
        out_text(s, "\r\n", 2);
        s->log_pos = pos;
    }
}

/* The session lets go of its pcb (lwIP's callbacks cleared). */
static struct tcp_pcb *shell_detach(struct shell *s)
{
    struct tcp_pcb *pcb = s->pcb;

    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    s->pcb = NULL;
    sess_busy = false;
    return pcb;
}

static err_t shell_close(struct shell *s)
{
    struct tcp_pcb *pcb = shell_detach(s);

    log_ratelimited(LOG_INFO, "shell", "session ended");
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

/* Input held while a long answer went out, until the next one starts. */
static void take_pending(struct shell *s)
{
    unsigned i = 0;

    /* one command at a time: stop at the first byte that produced output */
    while (i < s->pend_len && s->more == MORE_NONE && !s->closing && !s->out_len)
        input_byte(s, s->pend[i++]);
    if (s->closing)
        i = s->pend_len;
    memmove(s->pend, s->pend + i, s->pend_len - i);
    s->pend_len -= i;
}

/* Pushes what the window takes; closes once `quit`'s answer is out. */
static err_t shell_flush(struct shell *s)
{
    for (;;) {
        if (s->out_sent == s->out_len) {
            s->out_len = s->out_sent = 0;
            if (s->more == MORE_NONE && s->pend_len)
                take_pending(s);
            if (!s->out_len && s->more == MORE_LOG)
                fill_log(s);
            else if (!s->out_len && s->more == MORE_EXITS)
                fill_exits(s);
            if (!s->out_len)
                break;
        }
        u32 room = tcp_sndbuf(s->pcb);
        u32 n = MIN(room, s->out_len - s->out_sent);
        if (!n || tcp_write(s->pcb, s->out + s->out_sent, (u16_t)n,
                            TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        s->out_sent += n;
    }
    tcp_output(s->pcb);
    if (s->closing && s->out_sent == s->out_len && s->more == MORE_NONE)
        return shell_close(s);
    return ERR_OK;
}

static err_t shell_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct shell *s = arg;

    if (!s) { /* not a session's (cannot happen: closing clears the callback) */
        if (p)
            pbuf_free(p);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    if (!p)
        return shell_close(s); /* the client closed */
    for (u16_t i = 0; i < p->tot_len; i++) {
        u8 c = pbuf_get_at(p, i);
        if (s->more == MORE_NONE && !s->pend_len)
            input_byte(s, c);
        else if (s->pend_len < sizeof(s->pend))
            s->pend[s->pend_len++] = c;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return shell_flush(s);
}

static err_t shell_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    return arg ? shell_flush(arg) : ERR_OK;
}

static err_t shell_poll_cb(void *arg, struct tcp_pcb *pcb)
{
    struct shell *s = arg;

    if (!s)
        return ERR_OK;
    u64 age = rdtsc() - s->start_tsc;
    if (!s->authed && age > 2 * us_to_tsc(SHELL_LOGIN_US)) {
        /* told to go and still there: its peer does not even read */
        tcp_abort(shell_detach(s));
        return ERR_ABRT;
    }
    if (!s->authed && !s->closing && age > us_to_tsc(SHELL_LOGIN_US)) {
        login_timeouts++;
        log_ratelimited(LOG_INFO, "shell", "no password within %llu s: session "
                        "closed", SHELL_LOGIN_US / 1000000);
        outf(s, "\r\nno password within %llu s\r\n", SHELL_LOGIN_US / 1000000);
        s->closing = true;
    }
    return shell_flush(s);
}

static void shell_err(void *arg, err_t err)
{
    struct shell *s = arg;

    /* the pcb is already freed by lwIP */
    if (s) {
        s->pcb = NULL;
        sess_busy = false;
        log_ratelimited(LOG_INFO, "shell", "session lost (lwIP error %d)", err);
    }
}

static err_t shell_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct shell *s = &sess;

    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    if (sess_busy) {
        refused_sessions++;
        log_ratelimited(LOG_INFO, "shell", "a second connection refused: one "
                        "session at a time");
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    memset(s, 0, sizeof(*s));
    sessions++;
    s->pcb = pcb;
    s->authed = shell_password[0] == 0;
    s->start_tsc = rdtsc();
    sess_busy = true;
    tcp_arg(pcb, s);
    tcp_recv(pcb, shell_recv);
    tcp_sent(pcb, shell_sent);
    tcp_err(pcb, shell_err);
    tcp_poll(pcb, shell_poll_cb, 2);
    u32 a = lwip_ntohl(ip4_addr_get_u32(&pcb->remote_ip));
    log_ratelimited(LOG_INFO, "shell", "session from %u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff,
             (a >> 8) & 0xff, a & 0xff, pcb->remote_port);
    if (!s->authed)
        out_text(s, telnet_will_echo, sizeof(telnet_will_echo));
    outf(s, "Veneer %s debug shell%s\r\n", VENEER_VERSION,
         s->authed ? ": type help" : "");
    prompt(s);
    return shell_flush(s);
}

void net_shell_start(void)
{
    struct tcp_pcb *pcb = tcp_new();

    if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, SHELL_PORT) != ERR_OK) {
        log_err("shell", "cannot listen on TCP port %u (out of lwIP memory)", SHELL_PORT);
        if (pcb)
            tcp_close(pcb);
        return;
    }
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 1);
    if (!l) {
        log_err("shell", "cannot listen on TCP port %u", SHELL_PORT);
        tcp_close(pcb);
        return;
    }
    tcp_accept(l, shell_accept);
    log_info("shell", "debug shell on TCP port %u (%s)", SHELL_PORT,
             shell_password[0] ? "password asked" : "no password: vmm.shell_password= sets one");
}
