/* Ticket spinlocks. spin_lock_irqsave also masks interrupts so a handler on
 * the same CPU cannot deadlock on a lock its interrupted code holds. NMI
 * handlers must never take a spinlock (they use per-CPU state only). */
#ifndef VENEER_PLATFORM_SPINLOCK_H
#define VENEER_PLATFORM_SPINLOCK_H

#include <platform/cpu.h>

typedef struct {
    volatile u16 next;
    volatile u16 owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
    u16 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
    u16 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    u16 expected = owner;

    return __atomic_compare_exchange_n(&l->next, &expected, (u16)(owner + 1),
                                       false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline u64 spin_lock_irqsave(spinlock_t *l)
{
    u64 flags = read_rflags();

    irq_disable();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
    spin_unlock(l);
    if (flags & RFLAGS_IF)
        irq_enable();
}

#endif
