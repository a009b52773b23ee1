/* Veneer hypercall ABI v1, guest side: name packing, argument parsing. */
#include "abi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vc_pack(const char *name, uint64_t *words, size_t nwords)
{
    size_t n = strlen(name), i;

    if (n == 0 || n > nwords * 8)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7e)
            return -1;
    }
    for (i = 0; i < nwords; i++)
        words[i] = 0;
    for (i = 0; i < n; i++)
        words[i / 8] |= (uint64_t)(unsigned char)name[i] << (8 * (i % 8));
    return 0;
}

size_t vc_unpack(const uint64_t *words, size_t nwords, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < nwords * 8; i++) {
        unsigned char c = (unsigned char)(words[i / 8] >> (8 * (i % 8)));
        if (c == 0)
            break;
        out[n++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
    }
    out[n] = '\0';
    return n;
}

int vc_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    int neg = 0;

    if (s == NULL || *s == '\0')
        return -1;
    if (*s == '-') {
        neg = 1;
        s++;
        if (*s < '0' || *s > '9')
            return -1;
    } else if (*s < '0' || *s > '9') {
        return -1;      /* no leading '+' or spaces */
    }
    errno = 0;
    if (!neg && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (s[2] == '\0' || s[2] == '-' || s[2] == '+' || s[2] == ' ')
            return -1;
        unsigned long long v = strtoull(s + 2, &end, 16);
        if (errno || *end)
            return -1;
        *out = v;
        return 0;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    if (neg) {
        if (v > (1ULL << 63))
            return -1;
        *out = (uint64_t)0 - v;
    } else {
        *out = v;
    }
    return 0;
}

void vc_format_version(uint64_t v, char *out, size_t len)
{
    snprintf(out, len, "%u.%u.%u", (unsigned)(v >> 32),
             (unsigned)((v >> 16) & 0xffff), (unsigned)(v & 0xffff));
}

const char *vc_status_name(uint64_t rax)
{
    if (rax == 0)
        return "ok";
    if ((int64_t)rax == VC_ENOENT)
        return "ENOENT";
    if ((int64_t)rax == VC_EINVAL)
        return "EINVAL";
    if ((int64_t)rax == VC_ENOSYS)
        return "ENOSYS";
    return "error";
}

int vc_build_args(struct vc_regs *r, int argc, char *const argv[], int *bad)
{
    uint64_t v[VC_NARGS] = { 0 };
    int i;

    if (argc > VC_NARGS) {
        *bad = VC_NARGS;
        return -1;
    }
    for (i = 0; i < argc; i++) {
        if (vc_parse_u64(argv[i], &v[i]) != 0) {
            *bad = i;
            return -1;
        }
    }
    r->rbx = v[0];
    r->rcx = v[1];
    r->rdx = v[2];
    r->rsi = v[3];
    r->rdi = v[4];
    return 0;
}

int vc_is_number(const char *s)
{
    uint64_t v;

    return s && s[0] >= '0' && s[0] <= '9' && vc_parse_u64(s, &v) == 0;
}
