/* Zeroing of key material that the compiler may not elide. */
#ifndef VENEER_CRYPTO_WIPE_H
#define VENEER_CRYPTO_WIPE_H

#include <stddef.h>
#include <stdint.h>

static inline void crypto_wipe(void *p, size_t n)
{
    volatile uint8_t *b = p;

    while (n--)
        *b++ = 0;
}

#endif
