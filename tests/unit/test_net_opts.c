/* vmm.ip= and vmm.syslog= values: accepted forms and every refusal. */
#include "check.h"
#include <devices/net/net_opts.h>

static int ip(const char *s, struct net_ip_config *c)
{
    char why[128] = "";
    int r = net_parse_ip(s, c, why, sizeof(why));
    CHECK(r == 0 || why[0]); /* a refusal always says why */
    return r;
}

int main(void)
{
    struct net_ip_config c;
    u32 a;
    u16 port;
    char why[128];

    CHECK_EQ(ip("dhcp", &c), 0);
    CHECK(c.dhcp);
    CHECK_EQ(ip("10.0.2.15/24,10.0.2.2", &c), 0);
    CHECK(!c.dhcp);
    CHECK_EQ(c.addr, 0x0a00020f);
    CHECK_EQ(c.netmask, 0xffffff00);
    CHECK_EQ(c.gateway, 0x0a000202);
    CHECK_EQ(ip("192.168.1.7/32", &c), 0);
    CHECK_EQ(c.netmask, 0xffffffff);
    CHECK_EQ(c.gateway, 0);
    CHECK_EQ(ip("10.1.2.3/8", &c), 0);
    CHECK_EQ(c.netmask, 0xff000000);

    CHECK(ip("10.0.2.15", &c) < 0);          /* no prefix */
    CHECK(ip("10.0.2.15/0", &c) < 0);
    CHECK(ip("10.0.2.15/33", &c) < 0);
    CHECK(ip("10.0.2.15/", &c) < 0);
    CHECK(ip("10.0.2.15/2x", &c) < 0);
    CHECK(ip("10.0.2.256/24", &c) < 0);
    CHECK(ip("10.0.2/24", &c) < 0);
    CHECK(ip("10.0.2.1.5/24", &c) < 0);
    CHECK(ip("10.0.02.1/24", &c) < 0);       /* leading zero */
    CHECK(ip("10.0.2.0/24", &c) < 0);        /* the network's address */
    CHECK(ip("10.0.2.255/24", &c) < 0);      /* its broadcast */
    CHECK(ip("10.0.2.15/24,10.0.3.2", &c) < 0); /* gateway outside */
    CHECK(ip("10.0.2.15/24,10.0.2.15", &c) < 0); /* gateway = self */
    CHECK(ip("10.0.2.15/24,gw", &c) < 0);
    CHECK(ip("", &c) < 0);
    CHECK(ip("DHCP", &c) < 0);

    CHECK_EQ(net_parse_endpoint("10.0.2.2:5514", &a, &port, why, sizeof(why)), 0);
    CHECK_EQ(a, 0x0a000202);
    CHECK_EQ(port, 5514);
    CHECK(net_parse_endpoint("10.0.2.2", &a, &port, why, sizeof(why)) < 0);
    CHECK(net_parse_endpoint("10.0.2.2:0", &a, &port, why, sizeof(why)) < 0);
    CHECK(net_parse_endpoint("10.0.2.2:65536", &a, &port, why, sizeof(why)) < 0);
    CHECK(net_parse_endpoint("10.0.2.2:", &a, &port, why, sizeof(why)) < 0);
    CHECK(net_parse_endpoint("10.0.2.2:12a", &a, &port, why, sizeof(why)) < 0);
    CHECK(net_parse_endpoint("host:514", &a, &port, why, sizeof(why)) < 0);
    CHECK(why[0] != 0);
    char msg[128];
    CHECK_EQ(net_syslog_format("I pci: 3 functions", msg, sizeof(msg)),
             strlen("<134>1 - veneer veneer - pci - 3 functions"));
    CHECK_STR(msg, "<134>1 - veneer veneer - pci - 3 functions");
    net_syslog_format("E veneer: refusing to start: x: y", msg, sizeof(msg));
    CHECK_STR(msg, "<131>1 - veneer veneer - veneer - refusing to start: x: y");
    net_syslog_format("W shell: wrong", msg, sizeof(msg));
    CHECK_STR(msg, "<132>1 - veneer veneer - shell - wrong");
    net_syslog_format("D trace: a", msg, sizeof(msg));
    CHECK_STR(msg, "<135>1 - veneer veneer - trace - a");
    /* not the log's form: whole line, info, no MSGID */
    net_syslog_format("  0000-ffff usable", msg, sizeof(msg));
    CHECK_STR(msg, "<134>1 - veneer veneer - - -   0000-ffff usable");
    net_syslog_format("X pci: level unknown", msg, sizeof(msg));
    CHECK_STR(msg, "<134>1 - veneer veneer - - - X pci: level unknown");
    net_syslog_format("I two words: x", msg, sizeof(msg));
    CHECK_STR(msg, "<134>1 - veneer veneer - - - I two words: x");
    net_syslog_format("", msg, sizeof(msg));
    CHECK_STR(msg, "<134>1 - veneer veneer - - - ");
    CHECK_EQ(net_syslog_format("I pci: long", msg, 10), 9);
    CHECK_STR(msg, "<134>1 - ");
    return check_done("net_opts");
}
