/* Random numbers for lwIP's LWIP_RAND (TCP initial sequence numbers,
 * the first ephemeral ports, DHCP transaction IDs; devices/net/net.c).
 * The plumbing is pure (the hardware comes in as functions) and
 * host-tested (tests/unit/test_net_rand.c).
 *
 * A draw takes RDRAND's output when the CPU has it, retrying a failed
 * RDRAND up to NET_RAND_HW_TRIES times (Intel's DRNG Software
 * Implementation Guide, 5.2.1: ten retries; a failure after that means
 * the hardware is broken); otherwise, or when every try failed, a
 * TSC-based generator: a SplitMix64 state, seeded once from RDSEED when
 * the CPU has it (else from the TSC), advanced at each draw by the
 * golden-ratio increment plus the current TSC, output through
 * SplitMix64's finaliser. That fallback is unpredictable only as far as
 * the TSC is (the time of each draw): not a cryptographic generator. */
#ifndef VENEER_DEVICES_NET_RAND_H
#define VENEER_DEVICES_NET_RAND_H

#include <platform/types.h>

#define NET_RAND_HW_TRIES 10

/* One hardware read: true with *out set, false if the CPU had none ready
 * (CF=0). */
typedef bool (*net_rand_hw_fn)(u64 *out);

struct net_rand {
    net_rand_hw_fn rdrand;   /* NULL: the CPU has no RDRAND */
    u64 (*clock)(void);      /* the TSC */
    u64 state;               /* the fallback's state */
    u64 hw_draws, fallback_draws;
};

/* Where the fallback's seed came from. */
enum net_rand_seed { NET_RAND_SEED_RDSEED, NET_RAND_SEED_TSC };

/* rdrand/rdseed NULL where CPUID says the CPU has no such instruction. */
enum net_rand_seed net_rand_init(struct net_rand *r, net_rand_hw_fn rdrand,
                                 net_rand_hw_fn rdseed, u64 (*clock)(void));
u32 net_rand_next(struct net_rand *r);

#endif
