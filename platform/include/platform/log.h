/* Levelled logging to the VMM console (COM1, 115200 8N1).
 *
 * Every line reads "<level> <subsystem>: <message>", level one of
 * E (error), W (warning), I (info), D (debug); the option vmm.loglevel
 * chooses the least severe level printed (default info). */
#ifndef VENEER_PLATFORM_LOG_H
#define VENEER_PLATFORM_LOG_H

#include <platform/types.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_threshold;

void log_write(enum log_level lvl, const char *subsys, const char *fmt, ...)
    __printf(3, 4);
/* Raw output with no prefix (used by panic and the memory map table). */
void console_printf(const char *fmt, ...) __printf(1, 2);
void console_write(const char *s, size_t n);
void console_init(void);
/* The next byte received on the console's serial line, or -1 for none
 * (polled: only the pre-boot prompt reads input). */
int console_poll_char(void);
/* Panic-safe: takes the console lock only if it can (a panicking CPU may
 * have died holding it). */
void console_force_unlock(void);

#define log_err(sub, ...) log_write(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_write(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) log_write(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...)                                               \
    do {                                                                  \
        if (log_threshold >= LOG_DEBUG)                                   \
            log_write(LOG_DEBUG, sub, __VA_ARGS__);                       \
    } while (0)

/* A line the guest can cause at will (an access to the VMM region, an
 * instruction changed under an exit): each call site prints its first 8,
 * then only its 16th, 32nd, 64th, ... so a guest cannot flood the console
 * or slow the VMM down with it. */
#define LOG_RATELIMIT_BURST 8
#define log_ratelimited(lvl, sub, ...)                                    \
    do {                                                                  \
        static u32 log_rl_count_;                                         \
        u32 log_rl_n_ = __atomic_add_fetch(&log_rl_count_, 1,             \
                                           __ATOMIC_RELAXED);             \
        if (log_rl_n_ <= LOG_RATELIMIT_BURST ||                           \
            !(log_rl_n_ & (log_rl_n_ - 1))) {                             \
            log_write(lvl, sub, __VA_ARGS__);                             \
            if (log_rl_n_ == LOG_RATELIMIT_BURST)                         \
                log_write(lvl, sub, "(the line above is rate-limited "    \
                          "from now on: only its 16th, 32nd, 64th, ... "  \
                          "repeat is printed)");                          \
        }                                                                 \
    } while (0)
#define log_warn_ratelimited(sub, ...) log_ratelimited(LOG_WARN, sub, __VA_ARGS__)

/* Logs file:line of a failure and evaluates to the (negative) code, so
 * "return trace_error(-E_INVAL);" leaves a trail on the console. */
#define trace_error(code)                                                 \
    ({                                                                    \
        int trace_code_ = (code);                                         \
        log_debug("trace", "%s:%d: error %d", __FILE__, __LINE__,         \
                  trace_code_);                                           \
        trace_code_;                                                      \
    })

#endif
