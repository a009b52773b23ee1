/* LWIP_RAND's plumbing (devices/net/net_rand.h says the design). */
#include <devices/net/net_rand.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

/* SplitMix64's output function (Steele, Lea, Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): every input bit reaches
 * every output bit. */
static u64 mix64(u64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool hw_read(net_rand_hw_fn fn, u64 *out)
{
    for (int i = 0; fn && i < NET_RAND_HW_TRIES; i++)
        if (fn(out))
            return true;
    return false;
}

enum net_rand_seed net_rand_init(struct net_rand *r, net_rand_hw_fn rdrand,
                                 net_rand_hw_fn rdseed, u64 (*clock)(void))
{
    u64 seed;
    enum net_rand_seed from = NET_RAND_SEED_RDSEED;

    if (!hw_read(rdseed, &seed)) {
        seed = mix64(clock());
        from = NET_RAND_SEED_TSC;
    }
    *r = (struct net_rand){ .rdrand = rdrand, .clock = clock, .state = seed };
    return from;
}

u32 net_rand_next(struct net_rand *r)
{
    u64 v;

    if (hw_read(r->rdrand, &v)) {
        r->hw_draws++;
        return (u32)(v >> 32) ^ (u32)v;
    }
    r->fallback_draws++;
    r->state += GOLDEN_GAMMA + r->clock();
    return (u32)(mix64(r->state) >> 32);
}
