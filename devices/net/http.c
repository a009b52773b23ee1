/* A one-shot HTTP/1.1 POST over lwIP's raw TCP API, run synchronously on
 * the BSP before the guest starts (devices/net/net.h, net_run_until): the
 * Tang key fetch is its user. Plain HTTP, a dotted IPv4 address, one
 * request per connection ("Connection: close"), the answer read until the
 * server closes or Content-Length bytes of body arrived. */
#include <devices/net/net.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/time.h>
#include <platform/cpu.h>
#include <string.h>

#include "lwip/tcp.h"

#define HTTP_REQ_MAX 1024
#define HTTP_RESP_MAX 4096
#define HTTP_RETRY_US 1000000

enum http_phase { HTTP_WAIT_ADDR, HTTP_CONNECTING, HTTP_SENT, HTTP_DONE, HTTP_FAILED };

struct http_call {
    enum http_phase phase;
    struct tcp_pcb *pcb;
    ip_addr_t ip;
    u16 port;
    char req[HTTP_REQ_MAX];
    size_t req_len;
    char resp[HTTP_RESP_MAX + 1];
    size_t resp_len;
    u64 retry_tsc;
    unsigned attempts;
    char last_err[96];
};

static struct http_call call; /* one caller: the BSP at the late stage */

/* The first occurrence of `what` in the NUL-terminated s, or NULL. */
static const char *find(const char *s, const char *what)
{
    size_t n = strlen(what);

    for (; *s; s++)
        if (strncmp(s, what, n) == 0)
            return s;
    return NULL;
}

static void http_drop_pcb(struct http_call *c)
{
    if (!c->pcb)
        return;
    tcp_arg(c->pcb, NULL);
    tcp_recv(c->pcb, NULL);
    tcp_err(c->pcb, NULL);
    tcp_sent(c->pcb, NULL);
    tcp_abort(c->pcb);
    c->pcb = NULL;
}

/* Transient failures (refused, reset, unreachable): try again later. */
static void http_retry(struct http_call *c, const char *what)
{
    ksnprintf(c->last_err, sizeof(c->last_err), "%s", what);
    c->phase = HTTP_WAIT_ADDR;
    c->retry_tsc = rdtsc() + us_to_tsc(HTTP_RETRY_US);
    c->resp_len = 0;
}

/* The whole answer is in when the headers ended and Content-Length bytes
 * of body followed them. */
static bool http_complete(const struct http_call *c)
{
    const char *end = find(c->resp, "\r\n\r\n");
    const char *cl;
    u64 want = 0;

    if (!end)
        return false;
    cl = find(c->resp, "\r\nContent-Length:");
    if (!cl || cl > end)
        return false;
    for (cl += 17; *cl == ' '; cl++)
        ;
    while (*cl >= '0' && *cl <= '9' && want < HTTP_RESP_MAX)
        want = want * 10 + (u64)(*cl++ - '0');
    return (size_t)(c->resp + c->resp_len - (end + 4)) >= want;
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct http_call *c = arg;

    if (!p) { /* the server closed: the answer is what came */
        c->phase = c->resp_len ? HTTP_DONE : HTTP_FAILED;
        if (!c->resp_len)
            ksnprintf(c->last_err, sizeof(c->last_err),
                      "the server closed the connection without answering");
        http_drop_pcb(c);
        return ERR_ABRT;
    }
    if (err != ERR_OK || c->resp_len + p->tot_len > HTTP_RESP_MAX) {
        pbuf_free(p);
        ksnprintf(c->last_err, sizeof(c->last_err), "the answer is longer than %d bytes",
                  HTTP_RESP_MAX);
        c->phase = HTTP_FAILED;
        http_drop_pcb(c);
        return ERR_ABRT;
    }
    pbuf_copy_partial(p, c->resp + c->resp_len, p->tot_len, 0);
    c->resp_len += p->tot_len;
    c->resp[c->resp_len] = 0;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (http_complete(c)) {
        c->phase = HTTP_DONE;
        http_drop_pcb(c);
        return ERR_ABRT;
    }
    return ERR_OK;
}

static void http_err(void *arg, err_t err)
{
    struct http_call *c = arg;

    c->pcb = NULL; /* lwIP freed it */
    http_retry(c, err == ERR_RST ? "connection refused or reset" :
                  err == ERR_ABRT ? "connection aborted" : "connection failed");
}

static err_t http_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct http_call *c = arg;

    if (err != ERR_OK || tcp_write(pcb, c->req, (u16_t)c->req_len,
                                   TCP_WRITE_FLAG_COPY) != ERR_OK) {
        http_drop_pcb(c);
        http_retry(c, "the request could not be queued");
        return ERR_ABRT;
    }
    tcp_output(pcb);
    c->phase = HTTP_SENT;
    return ERR_OK;
}

static bool http_step(void *arg)
{
    struct http_call *c = arg;

    if (c->phase == HTTP_DONE || c->phase == HTTP_FAILED)
        return true;
    if (c->phase != HTTP_WAIT_ADDR || !net_has_address() || rdtsc() < c->retry_tsc)
        return false;
    c->pcb = tcp_new();
    if (!c->pcb) {
        http_retry(c, "out of lwIP TCP connections");
        return false;
    }
    c->attempts++;
    tcp_arg(c->pcb, c);
    tcp_recv(c->pcb, http_recv);
    tcp_err(c->pcb, http_err);
    c->phase = HTTP_CONNECTING;
    if (tcp_connect(c->pcb, &c->ip, c->port, http_connected) != ERR_OK) {
        http_drop_pcb(c);
        http_retry(c, "tcp_connect failed (no route)");
    }
    return false;
}

static bool http_abort(void *arg)
{
    http_drop_pcb(arg);
    return true;
}

static int http_status(const char *resp, const char **body, size_t *blen, size_t len)
{
    const char *end = find(resp, "\r\n\r\n");
    int st = 0;

    if (strncmp(resp, "HTTP/1.", 7) != 0 || !resp[7] || resp[8] != ' ' || !end)
        return -E_INVAL;
    for (int i = 9; i < 12; i++) {
        if (resp[i] < '0' || resp[i] > '9')
            return -E_INVAL;
        st = st * 10 + resp[i] - '0';
    }
    *body = end + 4;
    *blen = len - (size_t)(*body - resp);
    return st;
}

int net_http_post(u32 ip, u16 port, const char *path, const char *ctype,
                  const char *body, size_t len, char *out, size_t size,
                  size_t *out_len, u64 timeout_us, char *why, size_t whylen)
{
    struct http_call *c = &call;
    const char *b;
    size_t blen;
    int n, r, st;

    memset(c, 0, sizeof(*c));
    IP_ADDR4(&c->ip, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    c->port = port;
    ksnprintf(c->last_err, sizeof(c->last_err), "no address from DHCP yet, or no link");
    n = ksnprintf(c->req, sizeof(c->req),
                  "POST %s HTTP/1.1\r\nHost: %u.%u.%u.%u:%u\r\nContent-Type: %s\r\n"
                  "Content-Length: %llu\r\nConnection: close\r\n\r\n",
                  path, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
                  port, ctype, (unsigned long long)len);
    if (n < 0 || (size_t)n + len >= sizeof(c->req)) {
        ksnprintf(why, whylen, "the HTTP request would be longer than %d bytes",
                  HTTP_REQ_MAX);
        return -E_RANGE;
    }
    memcpy(c->req + n, body, len);
    c->req_len = (size_t)n + len;
    r = net_run_until(http_step, c, timeout_us);
    if (r == -E_NOENT) {
        ksnprintf(why, whylen, "no VMM network (vmm.net=vmm and an e1000 are needed)");
        return r;
    }
    if (r == -E_TIMEOUT) {
        net_run_until(http_abort, c, 0);
        ksnprintf(why, whylen, "no answer within %llu s after %u connection "
                  "attempt%s (last: %s)", (unsigned long long)(timeout_us / 1000000),
                  c->attempts, c->attempts == 1 ? "" : "s", c->last_err);
        return r;
    }
    if (c->phase == HTTP_FAILED) {
        ksnprintf(why, whylen, "%s", c->last_err);
        return -E_IO;
    }
    st = http_status(c->resp, &b, &blen, c->resp_len);
    if (st < 0) {
        ksnprintf(why, whylen, "the answer is not HTTP/1.x");
        return -E_INVAL;
    }
    if (blen >= size) {
        ksnprintf(why, whylen, "the answer's body (%llu bytes) is too long",
                  (unsigned long long)blen);
        return -E_RANGE;
    }
    memcpy(out, b, blen);
    out[blen] = 0;
    *out_len = blen;
    return st;
}
