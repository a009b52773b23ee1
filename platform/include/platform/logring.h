/* The log ring: the last LOG_RING_SIZE bytes of log lines, kept in VMM
 * memory for the readers that come after the console (the debug shell's
 * `log`, UDP syslog). Every line is stored whole, "<level> <subsys>:
 * <message>\n", by log_write. A reader holds a position (bytes written
 * since boot) and takes one whole line at a time; a reader overtaken by
 * the writer resumes at the oldest whole line still held. */
#ifndef VENEER_PLATFORM_LOGRING_H
#define VENEER_PLATFORM_LOGRING_H

#include <platform/types.h>

#define LOG_RING_SIZE KiB(64)

struct log_ring {
    char *buf;
    u64 size;  /* a power of two */
    u64 head;  /* bytes appended since the start */
};

/* Pure ring operations (host-tested); callers lock. */
void log_ring_append(struct log_ring *r, const char *s, size_t n);
/* The line at *pos (moved forward to the oldest whole line if the writer
 * overwrote it) into out[0..size) without its newline, NUL-terminated and
 * cut to size - 1 bytes; *pos moves past it. Returns the line's stored
 * length (before cutting), or -1 when no whole line follows *pos. Lines
 * skipped because they were overwritten are counted in *lost if given. */
int log_ring_line(const struct log_ring *r, u64 *pos, char *out, size_t size,
                  u64 *lost);

/* The VMM's ring (locked): log_write appends; any CPU may read. */
void log_ring_write(const char *s, size_t n);
int log_ring_read_line(u64 *pos, char *out, size_t size, u64 *lost);
/* The position where new lines will appear (a reader that wants only
 * lines written from now on). */
u64 log_ring_head(void);
/* Lines left out because the ring's lock could not be had (a CPU died
 * holding it): they reached the console only. */
u64 log_ring_dropped(void);

#endif
