/* Host unit test of veneerctl: the pure parts (name packing and
 * unpacking, argument parsing, version formatting: tools/veneerctl/abi.c),
 * then the real static binary end to end against a mock hypervisor: the
 * test runs build/guest/veneerctl under ptrace with int3 on its VMMCALL
 * and VMCALL instructions, and at each one either answers the hypercall
 * (ABI v1, as Veneer would) or makes it fault with SIGILL (as a CPU
 * without a hypervisor would). */
#include "check.h"
#include "abi.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VENEERCTL_BIN
#define VENEERCTL_BIN "build/guest/veneerctl"
#endif

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

/* ---- end to end: the static binary against a mock hypervisor ---------- */

enum mock_mode {
    MOCK_NONE,      /* both instructions fault: no hypervisor */
    MOCK_AMD,       /* VMMCALL answered */
    MOCK_INTEL,     /* VMMCALL faults (#UD), VMCALL answered */
};

struct mock {
    enum mock_mode mode;
    int counters_error;     /* exit_counters answers -22 */
    int calls;              /* hypercalls answered */
    int faults;             /* SIGILLs injected */
};

static const struct { const char *kind; uint64_t count; } mock_exits[] = {
    { "cpuid", 2942 }, { "npf", 7 }, { "hypercall-long16", 3 },
};

static void mock_answer(struct mock *m, struct user_regs_struct *r)
{
    uint64_t w[3] = { r->rbx, r->rcx, r->rdx };
    char name[25];

    m->calls++;
    switch (r->rax & 0xff) {
    case 0:
        vc_unpack(w, 3, name);
        r->rax = strcmp(name, "version") == 0 ? 1
               : strcmp(name, "exit_counters") == 0 ? 7 : (uint64_t)-1;
        break;
    case 1:
        vc_pack("veneer 0.1.0 mock", w, 3);
        r->rbx = w[0];
        r->rcx = w[1];
        r->rdx = w[2];
        r->rsi = (0ULL << 32) | (1ULL << 16) | 0;
        r->rax = 0;
        break;
    case 7:
        if (m->counters_error) {
            r->rax = (uint64_t)-22;
        } else if (r->rbx < sizeof(mock_exits) / sizeof(mock_exits[0])) {
            vc_pack(mock_exits[r->rbx].kind, w, 2);
            r->rbx = mock_exits[r->rbx].count;
            r->rcx = w[0];
            r->rdx = w[1];
            r->rax = 0;
        } else {
            r->rax = (uint64_t)-2;
        }
        break;
    default:
        r->rax = (uint64_t)-38;
        break;
    }
}

/* Finds the VMMCALL (0f 01 d9) and VMCALL (0f 01 c1) sites in the
 * executable segments of a static, non-PIE ELF: at[i] with kind[i] 0 for
 * VMMCALL, 1 for VMCALL; at least one of each, MAX_SITES at most (the
 * generic calls, and simd-check's, which keeps the vector registers loaded
 * across its own sites). Returns the count, or -1. */
#define MAX_SITES 8
static int find_insns(const char *path, uint64_t *at, int *kind)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    unsigned char *buf;
    int nmm = 0, nm = 0, n = 0;

    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    buf = malloc(st.st_size);
    if (!buf || read(fd, buf, st.st_size) != st.st_size) {
        close(fd);
        free(buf);
        return -1;
    }
    close(fd);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_type != ET_EXEC) {
        free(buf);
        return -1;
    }
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff) + i;
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        for (uint64_t o = ph->p_offset; o + 3 <= ph->p_offset + ph->p_filesz; o++) {
            if (buf[o] != 0x0f || buf[o + 1] != 0x01)
                continue;
            if ((buf[o + 2] == 0xd9 || buf[o + 2] == 0xc1) && n < MAX_SITES) {
                at[n] = ph->p_vaddr + (o - ph->p_offset);
                kind[n] = buf[o + 2] == 0xc1;
                nmm += !kind[n];
                nm += kind[n];
                n++;
            }
        }
    }
    free(buf);
    return nmm >= 1 && nm >= 1 && n < MAX_SITES ? n : -1;
}

/* Runs veneerctl ARGS under the mock; returns its exit status (or -1),
 * its stdout+stderr in OUT. */
static int run_mock(struct mock *m, char *out, size_t outlen, char *const args[])
{
    uint64_t at[MAX_SITES];
    int kind[MAX_SITES], nsites;
    long saved[MAX_SITES];
    char tmpl[] = "/tmp/veneerctl-test.XXXXXX";
    int fd = mkstemp(tmpl), status, rc = -1;
    pid_t pid;

    out[0] = '\0';
    if (fd < 0 || (nsites = find_insns(VENEERCTL_BIN, at, kind)) < 0) {
        fprintf(stderr, "run_mock: cannot inspect %s\n", VENEERCTL_BIN);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    unlink(tmpl);
    pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(VENEERCTL_BIN, args);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
        goto out;
    for (int i = 0; i < nsites; i++) {
        errno = 0;
        saved[i] = ptrace(PTRACE_PEEKTEXT, pid, (void *)at[i], 0);
        if (errno)
            goto kill;
        ptrace(PTRACE_POKETEXT, pid, (void *)at[i], (void *)((saved[i] & ~0xffL) | 0xcc));
    }
    int sig = 0;
    for (;;) {
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
        sig = 0;
        if (waitpid(pid, &status, 0) != pid)
            goto kill;
        if (WIFEXITED(status)) {
            rc = WEXITSTATUS(status);
            break;
        }
        if (WIFSIGNALED(status)) {
            rc = 128 + WTERMSIG(status);
            break;
        }
        if (!WIFSTOPPED(status))
            continue;
        if (WSTOPSIG(status) != SIGTRAP) {
            sig = WSTOPSIG(status);     /* deliver it (e.g. our SIGILL) */
            continue;
        }
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        int which = -1;
        for (int i = 0; i < nsites; i++)
            if (r.rip - 1 == at[i])
                which = i;
        if (which < 0)
            goto kill;
        /* as Veneer: only a call with the magic in RAX 31:8 is answered */
        int answer = ((kind[which] == 0 && m->mode == MOCK_AMD) ||
                      (kind[which] == 1 && m->mode == MOCK_INTEL)) &&
                     (r.rax & ~0xffULL) == VC_MAGIC;
        if (answer) {
            mock_answer(m, &r);
            r.rip = at[which] + 3;
        } else {
            m->faults++;
            r.rip = at[which];  /* #UD: the fault points at the instruction */
            sig = SIGILL;
        }
        ptrace(PTRACE_SETREGS, pid, 0, &r);
    }
    goto out;
kill:
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
out:
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    return rc;
}

static void test_end_to_end(void)
{
    char out[4096];
    struct mock m;
    char *version[] = { "veneerctl", "version", NULL };
    char *counters[] = { "veneerctl", "exit-counters", NULL };
    char *call_ok[] = { "veneerctl", "call", "exit_counters", "1", NULL };
    char *call_nr[] = { "veneerctl", "call", "0x9", NULL };
    char *call_unknown[] = { "veneerctl", "call", "no_such_call", NULL };

    if (access(VENEERCTL_BIN, X_OK) != 0) {
        fprintf(stderr, "%s missing: make %s\n", VENEERCTL_BIN, VENEERCTL_BIN);
        CHECK(0);
        return;
    }

    /* AMD: VMMCALL answers at once */
    m = (struct mock){ .mode = MOCK_AMD };
    CHECK_EQ(run_mock(&m, out, sizeof(out), version), 0);
    CHECK_STR(out, "veneer 0.1.0 mock (abi v2, numeric 0.1.0, vmmcall)\n");
    CHECK_EQ(m.calls, 2);   /* lookup + call */
    CHECK_EQ(m.faults, 0);

    /* Intel: VMMCALL is #UD, then VMCALL answers (and is kept) */
    m = (struct mock){ .mode = MOCK_INTEL };
    CHECK_EQ(run_mock(&m, out, sizeof(out), version), 0);
    CHECK_STR(out, "veneer 0.1.0 mock (abi v2, numeric 0.1.0, vmcall)\n");
    CHECK_EQ(m.calls, 2);
    CHECK_EQ(m.faults, 1);

    /* no hypervisor: both fault */
    m = (struct mock){ .mode = MOCK_NONE };
    CHECK_EQ(run_mock(&m, out, sizeof(out), version), 2);
    CHECK_STR(out, "veneerctl: not running under Veneer (no hypervisor answered)\n");
    CHECK_EQ(m.faults, 2);

    /* exit counters until -2 */
    m = (struct mock){ .mode = MOCK_INTEL };
    CHECK_EQ(run_mock(&m, out, sizeof(out), counters), 0);
    CHECK_STR(out, "cpuid 2942\nnpf 7\nhypercall-long16 3\n");
    CHECK_EQ(m.calls, 1 + 4);
    m = (struct mock){ .mode = MOCK_AMD, .counters_error = 1 };
    CHECK_EQ(run_mock(&m, out, sizeof(out), counters), 1);
    CHECK(strstr(out, "EINVAL") != NULL);

    /* raw calls */
    m = (struct mock){ .mode = MOCK_AMD };
    CHECK_EQ(run_mock(&m, out, sizeof(out), call_ok), 0);
    CHECK(strstr(out, "rax=0x0000000000000000 (ok)\nrbx=0x0000000000000007\n") != NULL);
    m = (struct mock){ .mode = MOCK_AMD };
    CHECK_EQ(run_mock(&m, out, sizeof(out), call_nr), 1);
    CHECK(strstr(out, "rax=0xffffffffffffffda (ENOSYS)") != NULL);
    CHECK_EQ(m.calls, 1);   /* a number: no lookup */
    m = (struct mock){ .mode = MOCK_AMD };
    CHECK_EQ(run_mock(&m, out, sizeof(out), call_unknown), 1);
    CHECK(strstr(out, "has no call 'no_such_call'") != NULL);
}

int main(void)
{
    test_pack();
    test_unpack();
    test_parse();
    test_build_args();
    test_misc();
    test_end_to_end();
    return check_done("veneerctl");
}
