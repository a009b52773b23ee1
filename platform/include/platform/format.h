/* printf-style formatting into a buffer, with no libc beneath it.
 * Supports %d %i %u %x %X %o %p %s %c %% with flags '-', '0', ' ', '+',
 * '#', width, precision (also '*'), and length modifiers hh h l ll z t j.
 * Returns the length the full output would have had (as C99 snprintf). */
#ifndef VENEER_PLATFORM_FORMAT_H
#define VENEER_PLATFORM_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
