/* kvsnprintf against the host's snprintf, conversion by conversion. */
#include "check.h"
#include <platform/format.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#define SAME(...)                                                         \
    do {                                                                  \
        char a_[128], b_[128];                                            \
        int na_ = ksnprintf(a_, sizeof(a_), __VA_ARGS__);                 \
        int nb_ = snprintf(b_, sizeof(b_), __VA_ARGS__);                  \
        CHECK_STR(a_, b_);                                                \
        CHECK_EQ(na_, nb_);                                               \
    } while (0)

/* For formats the compiler's checker would reject on purpose. */
static int unchecked(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int main(void)
{
    SAME("plain");
    SAME("%d %i %u", 42, -17, 3000000000u);
    SAME("%x %X %o %#x %#o %#X", 0xbeef, 0xbeef, 8, 255, 8, 0xab);
    SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
    SAME("%.3d|%8.3d|%-8.3d|%.0d", 7, 7, 7, 0);
    SAME("%lld %llu %llx", -9223372036854775807LL - 1, 18446744073709551615ULL,
         0x123456789abcdef0ULL);
    SAME("%ld %lu %zu %zx", -5L, 5UL, (size_t)77, (size_t)0xfff);
    SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    SAME("%s|%10s|%-10s|%.2s|%*s|%-*s|", "abc", "abc", "abc", "abc", 6, "ab", 6, "ab");
    SAME("%c%c%c", 'x', 'y', 'z');
    SAME("100%%");
    SAME("%016llx", 0xffffffff80001234ULL);
    SAME("%.*s", 3, "abcdef");
    SAME("%#x %#o", 0, 0);

    char p1[64], p2[64];
    void *ptr = (void *)(uintptr_t)0xffff800012345678ULL;
    ksnprintf(p1, sizeof p1, "%p", ptr);
    snprintf(p2, sizeof p2, "%p", ptr);
    CHECK_STR(p1, p2);

    /* Truncation: C99 semantics, always terminated. */
    char small[8];
    int n = ksnprintf(small, sizeof(small), "%s", "0123456789");
    CHECK_EQ(n, 10);
    CHECK_STR(small, "0123456");
    CHECK_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
    char one[1] = { 'x' };
    CHECK_EQ(ksnprintf(one, 1, "abc"), 3);
    CHECK_EQ(one[0], 0);

    /* A NULL string prints "(null)", a lone '%' at the end is dropped, an
     * unknown conversion is shown as written. */
    char b[32];
    const char *volatile null_str = NULL;
    unchecked(b, sizeof b, "%s", null_str);
    CHECK_STR(b, "(null)");
    unchecked(b, sizeof b, "x%");
    CHECK_STR(b, "x");
    unchecked(b, sizeof b, "%q");
    CHECK_STR(b, "%q");
    return check_done("format");
}
