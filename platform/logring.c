/* The VMM's log ring (platform/logring.h): one static buffer, one lock. */
#include <platform/logring.h>
#include <platform/spinlock.h>

static char ring_buf[LOG_RING_SIZE];
static struct log_ring ring = { .buf = ring_buf, .size = LOG_RING_SIZE };
static spinlock_t ring_lock = SPINLOCK_INIT;

/* Bounded: a CPU that faults or panics while it holds the lock (or while
 * another CPU that died does) must still reach the console, so after
 * this many tries the line is left out of the ring, and counted. */
#define RING_LOCK_TRIES 1000000

static u64 ring_dropped;

void log_ring_write(const char *s, size_t n)
{
    u64 flags = read_rflags();

    irq_disable();
    for (u32 i = 0; !spin_trylock(&ring_lock); i++) {
        if (i == RING_LOCK_TRIES) {
            __atomic_fetch_add(&ring_dropped, 1, __ATOMIC_RELAXED);
            if (flags & RFLAGS_IF)
                irq_enable();
            return;
        }
        cpu_relax();
    }
    log_ring_append(&ring, s, n);
    spin_unlock_irqrestore(&ring_lock, flags);
}

u64 log_ring_dropped(void)
{
    return __atomic_load_n(&ring_dropped, __ATOMIC_RELAXED);
}

int log_ring_read_line(u64 *pos, char *out, size_t size, u64 *lost)
{
    u64 flags = spin_lock_irqsave(&ring_lock);
    int n = log_ring_line(&ring, pos, out, size, lost);

    spin_unlock_irqrestore(&ring_lock, flags);
    return n;
}

u64 log_ring_head(void)
{
    return __atomic_load_n(&ring.head, __ATOMIC_RELAXED);
}
