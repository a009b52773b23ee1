/* The TSC rate, measured against PIT channel 2 (see time.h). */
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/smp.h>
#include <platform/time.h>

#define CALIBRATE_US 20000 /* 20 ms of PIT time */

u64 tsc_per_us = 3000;

static int tsc_calibrate(void)
{
    u64 t0 = rdtsc();

    pit_delay_us(CALIBRATE_US);
    u64 rate = (rdtsc() - t0) / CALIBRATE_US;
    if (rate == 0 || rate > 100000) {
        log_warn("time", "TSC rate against the PIT looks wrong (%llu cycles/us); "
                 "waits assume 3 GHz", (unsigned long long)rate);
        return 0;
    }
    tsc_per_us = rate;
    log_info("time", "TSC: %llu.%03llu GHz (measured against the PIT)",
             (unsigned long long)(rate / 1000), (unsigned long long)(rate % 1000));
    return 0;
}
INIT_FUNC(cpu, 5, tsc_calibrate);
