/* Zeroing of key material that the compiler may not elide. */
#ifndef VENEER_CRYPTO_WIPE_H
#define VENEER_CRYPTO_WIPE_H

#include <stddef.h>
#include <stdint.h>

/* Volatile stores, 8 bytes each where aligned (the ct64 path wipes about
 * 2 KiB per request: a byte at a time that was about 9000 instructions). */
static inline void crypto_wipe(void *p, size_t n)
{
    volatile uint8_t *b = p;
    volatile uint64_t *q;

    while (n && ((uintptr_t)b & 7)) {
        *b++ = 0;
        n--;
    }
    for (q = (volatile uint64_t *)b; n >= 8; n -= 8)
        *q++ = 0;
    for (b = (volatile uint8_t *)q; n; n--)
        *b++ = 0;
}

#endif
