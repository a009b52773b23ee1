/* LWIP_RAND's plumbing (devices/net/net_rand.h): RDRAND's value when it
 * has one, ten tries and no more, the TSC-based fallback otherwise (and
 * its seed from RDSEED or the TSC). The instructions are stand-ins here. */
#include "check.h"
#include <devices/net/net_rand.h>

static int tries, fail_first;
static u64 hw_value;

static bool fake_hw(u64 *out)
{
    tries++;
    if (tries <= fail_first)
        return false;
    *out = hw_value;
    return true;
}

static bool never(u64 *out)
{
    tries++;
    return false;
}

static u64 tsc;
static u64 fake_clock(void)
{
    return tsc;
}

static u64 frozen_clock(void)
{
    return 12345;
}

int main(void)
{
    struct net_rand r, r2;

    /* RDRAND present and ready: its value, folded to 32 bits */
    tries = 0, fail_first = 0, hw_value = 0x1122334455667788ULL;
    CHECK_EQ(net_rand_init(&r, fake_hw, NULL, fake_clock), NET_RAND_SEED_TSC);
    CHECK_EQ(net_rand_next(&r), 0x11223344u ^ 0x55667788u);
    CHECK_EQ(tries, 1);
    CHECK_EQ(r.hw_draws, 1);
    CHECK_EQ(r.fallback_draws, 0);

    /* nine failures, the tenth try answers: still RDRAND's value */
    tries = 0, fail_first = 9, hw_value = 0xdeadbeef00000000ULL;
    CHECK_EQ(net_rand_next(&r), 0xdeadbeefu);
    CHECK_EQ(tries, 10);
    CHECK_EQ(r.hw_draws, 2);

    /* ten failures: the eleventh is never tried, the fallback answers */
    tries = 0, fail_first = 10;
    u64 before = r.state;
    net_rand_next(&r);
    CHECK_EQ(tries, 10);
    CHECK_EQ(r.fallback_draws, 1);
    CHECK(r.state != before);

    /* no RDRAND at all: never called, the fallback; outputs differ even
     * when the TSC stands still, and each bit is set about half the time */
    tries = 0;
    net_rand_init(&r, NULL, NULL, frozen_clock);
    u32 prev = net_rand_next(&r), seen_diff = 0, ones[32] = { 0 };
    for (int i = 0; i < 10000; i++) {
        u32 v = net_rand_next(&r);
        seen_diff += v != prev;
        prev = v;
        for (int b = 0; b < 32; b++)
            ones[b] += (v >> b) & 1;
    }
    CHECK_EQ(tries, 0);
    CHECK_EQ(seen_diff, 10000);
    CHECK_EQ(r.fallback_draws, 10001);
    for (int b = 0; b < 32; b++)
        CHECK(ones[b] > 4500 && ones[b] < 5500);

    /* the seed: RDSEED's when it answers, else the TSC's */
    tries = 0, fail_first = 0, hw_value = 42;
    CHECK_EQ(net_rand_init(&r, NULL, fake_hw, fake_clock), NET_RAND_SEED_RDSEED);
    CHECK_EQ(r.state, 42);
    tries = 0;
    tsc = 1000;
    CHECK_EQ(net_rand_init(&r, NULL, never, fake_clock), NET_RAND_SEED_TSC);
    CHECK_EQ(tries, NET_RAND_HW_TRIES);
    tsc = 1001;
    net_rand_init(&r2, NULL, never, fake_clock);
    CHECK(r.state != r2.state);               /* another boot time, another seed */
    tsc = 5000;
    CHECK(net_rand_next(&r) != net_rand_next(&r2)); /* so another sequence */
    /* the TSC of each draw moves the fallback: same seed, other times */
    tsc = 1000;
    net_rand_init(&r, NULL, NULL, fake_clock);
    net_rand_init(&r2, NULL, NULL, fake_clock);
    tsc = 7;
    u32 a = net_rand_next(&r);
    tsc = 8;
    CHECK(a != net_rand_next(&r2));
    return check_done("net_rand");
}
