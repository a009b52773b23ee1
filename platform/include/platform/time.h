/* The TSC as the VMM's clock: its rate measured once at boot against the
 * PIT (platform/time.c), so that waits on exit paths are bounded in real
 * time, not in cycles of an assumed clock. */
#ifndef VENEER_PLATFORM_TIME_H
#define VENEER_PLATFORM_TIME_H

#include <platform/types.h>

/* TSC cycles per microsecond (at least 1; 3000 until measured). */
extern u64 tsc_per_us;

static inline u64 us_to_tsc(u64 us)
{
    return us * tsc_per_us;
}

#endif
