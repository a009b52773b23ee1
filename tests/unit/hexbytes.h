/* Test helper: "0f a2 90" -> bytes (spaces optional). */
#ifndef VENEER_TESTS_HEXBYTES_H
#define VENEER_TESTS_HEXBYTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline size_t hexbytes(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    unsigned v;

    while (*hex && n < max && sscanf(hex, "%2x", &v) == 1) {
        out[n++] = (uint8_t)v;
        hex += 2;
        while (*hex == ' ')
            hex++;
    }
    return n;
}

#endif
