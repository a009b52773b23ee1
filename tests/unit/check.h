/* A tiny unit-test vocabulary for host tests: CHECK() counts, never aborts,
 * so one run reports every failing expectation; check_done() prints the
 * summary and returns the exit status. */
#ifndef VENEER_TESTS_CHECK_H
#define VENEER_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (cond) {                                                       \
            check_passed++;                                               \
        } else {                                                          \
            check_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                     \
        }                                                                 \
    } while (0)

#define CHECK_EQ(a, b)                                                    \
    do {                                                                  \
        unsigned long long check_a_ = (unsigned long long)(a);            \
        unsigned long long check_b_ = (unsigned long long)(b);            \
        if (check_a_ == check_b_) {                                       \
            check_passed++;                                               \
        } else {                                                          \
            check_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s "           \
                    "(0x%llx != 0x%llx)\n", __FILE__, __LINE__, #a, #b,   \
                    check_a_, check_b_);                                  \
        }                                                                 \
    } while (0)

#define CHECK_STR(a, b)                                                   \
    do {                                                                  \
        const char *check_sa_ = (a), *check_sb_ = (b);                    \
        if (check_sa_ && check_sb_ && strcmp(check_sa_, check_sb_) == 0) {\
            check_passed++;                                               \
        } else {                                                          \
            check_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n",\
                    __FILE__, __LINE__, check_sa_ ? check_sa_ : "(null)", \
                    check_sb_ ? check_sb_ : "(null)");                    \
        }                                                                 \
    } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d checks passed, %d failed\n", name, check_passed,
           check_failed);
    return check_failed ? 1 : 0;
}

#endif
