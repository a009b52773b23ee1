/* The log ring's pure operations (platform/logring.h). */
#include <platform/logring.h>

void log_ring_append(struct log_ring *r, const char *s, size_t n)
{
    if (n > r->size) { /* only the tail of an oversized write can be kept */
        s += n - r->size;
        r->head += n - r->size;
        n = r->size;
    }
    for (size_t i = 0; i < n; i++)
        r->buf[(r->head + i) & (r->size - 1)] = s[i];
    r->head += n;
}

static char at(const struct log_ring *r, u64 pos)
{
    return r->buf[pos & (r->size - 1)];
}

int log_ring_line(const struct log_ring *r, u64 *pos, char *out, size_t size,
                  u64 *lost)
{
    u64 p = *pos, oldest = r->head > r->size ? r->head - r->size : 0;

    if (p > r->head)
        p = r->head;
    if (p < oldest) {
        /* overwritten: resume after the first newline still held, the
         * start of the oldest whole line */
        p = oldest;
        while (p < r->head && at(r, p) != '\n')
            p++;
        if (p == r->head)
            return -1;
        p++;
        if (lost)
            (*lost)++;
    }
    u64 end = p;
    while (end < r->head && at(r, end) != '\n')
        end++;
    if (end == r->head)
        return -1;
    size_t len = (size_t)(end - p), n = 0;
    if (size) {
        for (; n < len && n + 1 < size; n++)
            out[n] = at(r, p + n);
        out[n] = 0;
    }
    *pos = end + 1;
    return (int)len;
}
