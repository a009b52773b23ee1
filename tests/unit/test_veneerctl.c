/* Host unit test of veneerctl's pure parts: name packing and unpacking,
 * argument parsing, version formatting (tools/veneerctl/abi.c). */
#include "check.h"
#include "abi.h"

#include <stdint.h>

static void test_pack(void)
{
    uint64_t w[3];

    CHECK_EQ(vc_pack("version", w, 3), 0);
    /* "version" = 76 65 72 73 69 6f 6e, little-endian in RBX */
    CHECK_EQ(w[0], 0x006e6f6973726576ULL);
    CHECK_EQ(w[1], 0);
    CHECK_EQ(w[2], 0);

    CHECK_EQ(vc_pack("exit_counters", w, 3), 0);
    CHECK_EQ(w[0], 0x756f635f74697865ULL);   /* "exit_cou" */
    CHECK_EQ(w[1], 0x000000737265746eULL);   /* "nters" */
    CHECK_EQ(w[2], 0);

    /* exactly 8 bytes fills RBX only */
    CHECK_EQ(vc_pack("ABCDEFGH", w, 3), 0);
    CHECK_EQ(w[0], 0x4847464544434241ULL);
    CHECK_EQ(w[1], 0);

    /* 24 bytes fill all three */
    CHECK_EQ(vc_pack("abcdefghijklmnopqrstuvwx", w, 3), 0);
    CHECK_EQ(w[0], 0x6867666564636261ULL);
    CHECK_EQ(w[1], 0x706f6e6d6c6b6a69ULL);
    CHECK_EQ(w[2], 0x7877767574737271ULL);

    /* too long, empty, non-printable */
    CHECK_EQ(vc_pack("abcdefghijklmnopqrstuvwxy", w, 3), -1);
    CHECK_EQ(vc_pack("", w, 3), -1);
    CHECK_EQ(vc_pack("a\tb", w, 3), -1);
    CHECK_EQ(vc_pack("caf\xc3\xa9", w, 3), -1);
    /* a 2-word field (exit kind names) */
    CHECK_EQ(vc_pack("0123456789abcdef", w, 2), 0);
    CHECK_EQ(vc_pack("0123456789abcdefg", w, 2), -1);
}

static void test_unpack(void)
{
    uint64_t w[3] = { 0x302e312072656e65ULL, 0x646d6120312eULL, 0 };
    char s[25];

    /* "ener 1.0" + ".1 amd": not starting at a name boundary on purpose */
    CHECK_EQ(vc_unpack(w, 3, s), 14);
    CHECK_STR(s, "ener 1.0.1 amd");

    /* round trip */
    CHECK_EQ(vc_pack("veneer 0.1.0 amd", w, 3), 0);
    CHECK_EQ(vc_unpack(w, 3, s), 16);
    CHECK_STR(s, "veneer 0.1.0 amd");

    /* all 24 bytes used: still terminated */
    CHECK_EQ(vc_pack("abcdefghijklmnopqrstuvwx", w, 3), 0);
    CHECK_EQ(vc_unpack(w, 3, s), 24);
    CHECK_STR(s, "abcdefghijklmnopqrstuvwx");

    /* stops at the first NUL even when later bytes are set */
    w[0] = 0x4142ULL;        /* "BA" */
    w[1] = 0x43ULL;
    w[2] = 0;
    CHECK_EQ(vc_unpack(w, 3, s), 2);
    CHECK_STR(s, "BA");

    /* non-printable bytes are shown as '?' */
    w[0] = 0x4101ULL;
    w[1] = w[2] = 0;
    CHECK_EQ(vc_unpack(w, 3, s), 2);
    CHECK_STR(s, "?A");

    /* empty */
    w[0] = w[1] = w[2] = 0;
    CHECK_EQ(vc_unpack(w, 3, s), 0);
    CHECK_STR(s, "");

    /* two words (exit kinds) */
    CHECK_EQ(vc_pack("npf", w, 2), 0);
    CHECK_EQ(vc_unpack(w, 2, s), 3);
    CHECK_STR(s, "npf");
}

static void test_parse(void)
{
    uint64_t v = 12345;

    CHECK_EQ(vc_parse_u64("0", &v), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(vc_parse_u64("42", &v), 0);
    CHECK_EQ(v, 42);
    CHECK_EQ(vc_parse_u64("0x2A", &v), 0);
    CHECK_EQ(v, 42);
    CHECK_EQ(vc_parse_u64("0xffffffffffffffff", &v), 0);
    CHECK_EQ(v, UINT64_MAX);
    CHECK_EQ(vc_parse_u64("18446744073709551615", &v), 0);
    CHECK_EQ(v, UINT64_MAX);
    CHECK_EQ(vc_parse_u64("-1", &v), 0);
    CHECK_EQ(v, UINT64_MAX);
    CHECK_EQ(vc_parse_u64("-22", &v), 0);
    CHECK_EQ((int64_t)v, -22);
    CHECK_EQ(vc_parse_u64("-9223372036854775808", &v), 0);
    CHECK_EQ(v, 1ULL << 63);

    v = 7;
    CHECK_EQ(vc_parse_u64("", &v), -1);
    CHECK_EQ(vc_parse_u64(NULL, &v), -1);
    CHECK_EQ(vc_parse_u64("18446744073709551616", &v), -1);
    CHECK_EQ(vc_parse_u64("0x10000000000000000", &v), -1);
    CHECK_EQ(vc_parse_u64("-9223372036854775809", &v), -1);
    CHECK_EQ(vc_parse_u64("12a", &v), -1);
    CHECK_EQ(vc_parse_u64("0x", &v), -1);
    CHECK_EQ(vc_parse_u64("0x-1", &v), -1);
    CHECK_EQ(vc_parse_u64("-0x1", &v), -1);
    CHECK_EQ(vc_parse_u64("+1", &v), -1);
    CHECK_EQ(vc_parse_u64(" 1", &v), -1);
    CHECK_EQ(vc_parse_u64("-", &v), -1);
    CHECK_EQ(vc_parse_u64("abc", &v), -1);
    CHECK_EQ(v, 7);     /* untouched on error */
}

static void test_build_args(void)
{
    struct vc_regs r = { 99, 1, 1, 1, 1, 1 };
    char *ok[] = { "1", "0x2", "-1", "4", "5" };
    char *six[] = { "1", "2", "3", "4", "5", "6" };
    char *badv[] = { "1", "two" };
    int bad = -1;

    CHECK_EQ(vc_build_args(&r, 5, ok, &bad), 0);
    CHECK_EQ(r.rax, 99);    /* the call number is not touched */
    CHECK_EQ(r.rbx, 1);
    CHECK_EQ(r.rcx, 2);
    CHECK_EQ(r.rdx, UINT64_MAX);
    CHECK_EQ(r.rsi, 4);
    CHECK_EQ(r.rdi, 5);

    CHECK_EQ(vc_build_args(&r, 1, ok, &bad), 0);
    CHECK_EQ(r.rbx, 1);
    CHECK_EQ(r.rcx, 0);
    CHECK_EQ(r.rdi, 0);

    CHECK_EQ(vc_build_args(&r, 0, ok, &bad), 0);
    CHECK_EQ(r.rbx, 0);

    CHECK_EQ(vc_build_args(&r, 6, six, &bad), -1);
    CHECK_EQ(bad, VC_NARGS);
    CHECK_EQ(vc_build_args(&r, 2, badv, &bad), -1);
    CHECK_EQ(bad, 1);

    CHECK(vc_is_number("17"));
    CHECK(vc_is_number("0x11"));
    CHECK(!vc_is_number("version"));
    CHECK(!vc_is_number("-1"));
    CHECK(!vc_is_number("1x"));
    CHECK(!vc_is_number(""));
}

static void test_misc(void)
{
    char s[32];

    vc_format_version((0ULL << 32) | (1 << 16) | 0, s, sizeof(s));
    CHECK_STR(s, "0.1.0");
    vc_format_version((2ULL << 32) | (65535ULL << 16) | 7, s, sizeof(s));
    CHECK_STR(s, "2.65535.7");

    CHECK_STR(vc_status_name(0), "ok");
    CHECK_STR(vc_status_name((uint64_t)-2), "ENOENT");
    CHECK_STR(vc_status_name((uint64_t)-22), "EINVAL");
    CHECK_STR(vc_status_name((uint64_t)-38), "ENOSYS");
    CHECK_STR(vc_status_name((uint64_t)-1), "error");
    CHECK_STR(vc_status_name(5), "error");
}

int main(void)
{
    test_pack();
    test_unpack();
    test_parse();
    test_build_args();
    test_misc();
    return check_done("veneerctl");
}
