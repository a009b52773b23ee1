/* The VMM's log ring (platform/logring.h): one static buffer, one lock. */
#include <platform/logring.h>
#include <platform/spinlock.h>

static char ring_buf[LOG_RING_SIZE];
static struct log_ring ring = { .buf = ring_buf, .size = LOG_RING_SIZE };
static spinlock_t ring_lock = SPINLOCK_INIT;

void log_ring_write(const char *s, size_t n)
{
    u64 flags = spin_lock_irqsave(&ring_lock);

    log_ring_append(&ring, s, n);
    spin_unlock_irqrestore(&ring_lock, flags);
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
