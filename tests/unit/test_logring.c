/* The log ring: whole lines in order, a reader overtaken by the writer
 * resumes at the oldest whole line, long lines are cut, not overrun. */
#include "check.h"
#include <platform/logring.h>

int main(void)
{
    char buf[64], out[32];
    struct log_ring r = { .buf = buf, .size = sizeof(buf) };
    u64 pos = 0, lost = 0;

    CHECK_EQ(log_ring_line(&r, &pos, out, sizeof(out), &lost), -1);
    log_ring_append(&r, "I a: one\n", 9);
    log_ring_append(&r, "W b: two\n", 9);
    log_ring_append(&r, "E c: par", 8); /* no newline yet: not a line */
    CHECK_EQ(log_ring_line(&r, &pos, out, sizeof(out), &lost), 8);
    CHECK_STR(out, "I a: one");
    CHECK_EQ(log_ring_line(&r, &pos, out, sizeof(out), &lost), 8);
    CHECK_STR(out, "W b: two");
    CHECK_EQ(log_ring_line(&r, &pos, out, sizeof(out), &lost), -1);
    CHECK_EQ(pos, 18);
    log_ring_append(&r, "tial\n", 5);
    CHECK_EQ(log_ring_line(&r, &pos, out, sizeof(out), &lost), 12);
    CHECK_STR(out, "E c: partial");
    CHECK_EQ(lost, 0);

    /* wrap: 10 lines of 10 bytes through a 64-byte ring */
    u64 reader = pos;
    for (int i = 0; i < 10; i++) {
        char line[11] = "D x: 0000\n";
        line[8] = (char)('0' + i);
        log_ring_append(&r, line, 10);
    }
    int n = log_ring_line(&r, &reader, out, sizeof(out), &lost);
    CHECK_EQ(lost, 1);
    CHECK_EQ(n, 9);
    /* the oldest whole line the 64 bytes still hold */
    CHECK_STR(out, "D x: 0004");
    int count = 1;
    while (log_ring_line(&r, &reader, out, sizeof(out), &lost) >= 0)
        count++;
    CHECK_EQ(count, 6);
    CHECK_STR(out, "D x: 0009");
    CHECK_EQ(reader, r.head);

    /* a line longer than the output buffer is cut and NUL-terminated */
    log_ring_append(&r, "I long: abcdefghijklmnopqrstuvwxyz0123456789\n", 45);
    n = log_ring_line(&r, &reader, out, 8, &lost);
    CHECK_EQ(n, 44);
    CHECK_STR(out, "I long:");
    CHECK_EQ(reader, r.head);

    /* a reader ahead of the writer (a bogus position) reads nothing */
    u64 ahead = r.head + 100;
    CHECK_EQ(log_ring_line(&r, &ahead, out, sizeof(out), NULL), -1);

    /* a write larger than the ring keeps its tail */
    char big[100];
    memset(big, 'z', sizeof(big));
    big[50] = '\n';
    big[99] = '\n';
    u64 p2 = 0;
    log_ring_append(&r, big, sizeof(big));
    n = log_ring_line(&r, &p2, out, sizeof(out), NULL);
    CHECK_EQ(n, 48);
    return check_done("logring");
}
