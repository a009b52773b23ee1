/* vmm.ip= and vmm.syslog= values (devices/net/net_opts.h). */
#include <devices/net/net_opts.h>
#include <platform/format.h>
#include <string.h>

int net_parse_ipv4(const char *s, size_t len, u32 *out)
{
    u32 v = 0;
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return -E_INVAL;
            i++;
        }
        size_t start = i;
        u32 n = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            n = n * 10 + (u32)(s[i++] - '0');
        if (i == start || n > 255 || (i - start > 1 && s[start] == '0'))
            return -E_INVAL;
        v = v << 8 | n;
    }
    if (i != len)
        return -E_INVAL;
    *out = v;
    return 0;
}

static u32 parse_uint(const char *s, size_t len, u32 max, bool *ok)
{
    u32 n = 0;

    *ok = len > 0 && len <= 5;
    for (size_t i = 0; *ok && i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            *ok = false;
        else
            n = n * 10 + (u32)(s[i] - '0');
    }
    if (n > max)
        *ok = false;
    return n;
}

int net_parse_ip(const char *s, struct net_ip_config *out, char *why,
                 size_t why_size)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(s, "dhcp") == 0) {
        out->dhcp = true;
        return 0;
    }
    const char *slash = strchr(s, '/');
    if (!slash) {
        ksnprintf(why, why_size, "'%s' is neither 'dhcp' nor A.B.C.D/NN[,GATEWAY]", s);
        return -E_INVAL;
    }
    if (net_parse_ipv4(s, (size_t)(slash - s), &out->addr) < 0) {
        ksnprintf(why, why_size, "'%.*s' is not a dotted IPv4 address",
                  (int)(slash - s), s);
        return -E_INVAL;
    }
    const char *comma = strchr(slash, ',');
    size_t plen = comma ? (size_t)(comma - slash - 1) : strlen(slash + 1);
    bool ok;
    u32 prefix = parse_uint(slash + 1, plen, 32, &ok);
    if (!ok || prefix == 0) {
        ksnprintf(why, why_size, "prefix length '/%.*s' is not 1-32", (int)plen,
                  slash + 1);
        return -E_INVAL;
    }
    out->netmask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    u32 host = out->addr & ~out->netmask;
    if (prefix < 31 && (host == 0 || host == ~out->netmask)) {
        ksnprintf(why, why_size, "%.*s is the network's %s address, not a host's",
                  (int)(slash - s), s, host ? "broadcast" : "own");
        return -E_INVAL;
    }
    if (comma) {
        if (net_parse_ipv4(comma + 1, strlen(comma + 1), &out->gateway) < 0) {
            ksnprintf(why, why_size, "gateway '%s' is not a dotted IPv4 address",
                      comma + 1);
            return -E_INVAL;
        }
        if ((out->gateway & out->netmask) != (out->addr & out->netmask) ||
            out->gateway == out->addr) {
            ksnprintf(why, why_size, "gateway %s is not another host of the "
                      "network /%u", comma + 1, prefix);
            return -E_INVAL;
        }
    }
    return 0;
}

int net_parse_endpoint(const char *s, u32 *addr, u16 *port, char *why,
                       size_t why_size)
{
    const char *colon = strchr(s, ':');
    bool ok;

    if (!colon || net_parse_ipv4(s, (size_t)(colon - s), addr) < 0) {
        ksnprintf(why, why_size, "'%s' is not A.B.C.D:PORT", s);
        return -E_INVAL;
    }
    u32 p = parse_uint(colon + 1, strlen(colon + 1), 65535, &ok);
    if (!ok || p == 0) {
        ksnprintf(why, why_size, "port '%s' is not 1-65535", colon + 1);
        return -E_INVAL;
    }
    *port = (u16)p;
    return 0;
}

static int syslog_severity(char level)
{
    switch (level) {
    case 'E': return 3;
    case 'W': return 4;
    case 'D': return 7;
    default: return 6;
    }
}

size_t net_syslog_format(const char *line, char *out, size_t size)
{
    const char *colon = strchr(line, ':');
    const char *msgid = "-", *msg = line;
    int sev = 6, msgid_len = 1;

    /* RFC 5424 6.2.7: MSGID is 1-32 printable characters without spaces */
    bool form = line[0] && strchr("EWID", line[0]) && line[1] == ' ' && colon &&
                colon[1] == ' ' && colon - line > 2 && colon - line - 2 <= 32;
    for (const char *c = line + 2; form && c < colon; c++)
        form = *c > ' ' && *c < 0x7f;
    if (form) {
        sev = syslog_severity(line[0]);
        msgid = line + 2;
        msgid_len = (int)(colon - msgid);
        msg = colon + 2;
    }
    int n = ksnprintf(out, size, "<%d>1 - veneer veneer - %.*s - %s",
                      NET_SYSLOG_FACILITY * 8 + sev, msgid_len, msgid, msg);
    return n < 0 ? 0 : MIN((size_t)n, size - 1);
}
