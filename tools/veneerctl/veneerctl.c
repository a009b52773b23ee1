/* veneerctl: the guest's control tool; speaks Veneer's hypercall ABI v1.
 *
 *   veneerctl version              the hypervisor's version string
 *   veneerctl exit-counters        "kind count" per exit kind
 *   veneerctl cpu-exits            "cpu N kind count" per CPU and kind
 *                                  (non-zero ones), "cpu N total T"
 *   veneerctl call NAME|NUM [ARG]  a raw call (up to 5 args), prints regs
 *   veneerctl simd-check           the VMM's vector work leaves ours alone
 *
 * Exit status: 0 success, 1 the hypervisor answered with an error,
 * 2 not running under Veneer (no hypervisor answered), 64 usage. */
#include "abi.h"
#include "hypercall.h"
#include "simd.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define EX_OK      0
#define EX_ERR     1
#define EX_NOHV    2
#define EX_USAGE   64

static int usage(void)
{
    fprintf(stderr,
            "usage: veneerctl version\n"
            "       veneerctl exit-counters\n"
            "       veneerctl cpu-exits\n"
            "       veneerctl call NAME|NUMBER [ARG...]   (up to %d args:"
            " decimal, 0xhex, -N)\n"
            "       veneerctl simd-check\n", VC_NARGS);
    return EX_USAGE;
}

static int no_hypervisor(void)
{
    fprintf(stderr, "veneerctl: not running under Veneer "
            "(no hypervisor answered)\n");
    return EX_NOHV;
}

static const char *method_name(void)
{
    return vc_hypercall_method() == VC_VMMCALL ? "vmmcall" : "vmcall";
}

static int hcall(struct vc_regs *r)
{
    return vc_hypercall(r);
}

/* Looks NAME up; returns 0 and the number, 1 unknown, EX_NOHV, EX_ERR. */
static int lookup(const char *name, uint64_t *nr)
{
    struct vc_regs r = { 0 };
    uint64_t w[3];

    if (vc_pack(name, w, 3) != 0) {
        fprintf(stderr, "veneerctl: bad call name '%s' (1-%d printable "
                "ASCII bytes)\n", name, VC_NAME_MAX);
        return EX_USAGE;
    }
    r.rax = VC_LOOKUP;
    r.rbx = w[0];
    r.rcx = w[1];
    r.rdx = w[2];
    if (hcall(&r) != 0)
        return no_hypervisor();
    if (r.rax == VC_UNKNOWN) {
        fprintf(stderr, "veneerctl: the hypervisor (answering %s) has no "
                "call '%s'%s\n", method_name(), name,
                strcmp(name, "version") == 0 ? " (not Veneer?)" : "");
        return EX_ERR;
    }
    if (r.rax == 0 || (int64_t)r.rax < 0) {
        fprintf(stderr, "veneerctl: unexpected answer to lookup of '%s': "
                "rax=0x%" PRIx64 " (not Veneer?)\n", name, r.rax);
        return EX_ERR;
    }
    *nr = r.rax;
    return EX_OK;
}

static int cmd_version(void)
{
    struct vc_regs r = { 0 };
    uint64_t nr, w[3];
    char s[VC_NAME_MAX + 1], num[32];
    int rc = lookup("version", &nr);

    if (rc)
        return rc;
    r.rax = nr;
    if (hcall(&r) != 0)
        return no_hypervisor();
    if (r.rax != 0) {
        fprintf(stderr, "veneerctl: version: %s (rax=%" PRId64 ")\n",
                vc_status_name(r.rax), (int64_t)r.rax);
        return EX_ERR;
    }
    w[0] = r.rbx;
    w[1] = r.rcx;
    w[2] = r.rdx;
    vc_unpack(w, 3, s);
    vc_format_version(r.rsi, num, sizeof(num));
    printf("%s (abi v2, numeric %s, %s)\n", s, num,
           method_name());
    return EX_OK;
}

static int cmd_exit_counters(void)
{
    uint64_t nr, i, w[2];
    char kind[17];
    int rc = lookup("exit_counters", &nr);

    if (rc)
        return rc;
    for (i = 0; i < 4096; i++) {
        struct vc_regs r = { 0 };
        r.rax = nr;
        r.rbx = i;
        if (hcall(&r) != 0)
            return no_hypervisor();
        if ((int64_t)r.rax == VC_ENOENT)
            return EX_OK;
        if (r.rax != 0) {
            fprintf(stderr, "veneerctl: exit_counters %" PRIu64 ": %s "
                    "(rax=%" PRId64 ")\n", i, vc_status_name(r.rax),
                    (int64_t)r.rax);
            return EX_ERR;
        }
        w[0] = r.rcx;
        w[1] = r.rdx;
        if (vc_unpack(w, 2, kind) == 0)
            snprintf(kind, sizeof(kind), "#%" PRIu64, i);
        printf("%s %" PRIu64 "\n", kind, r.rbx);
    }
    fprintf(stderr, "veneerctl: exit_counters: no end after 4096 entries\n");
    return EX_ERR;
}

static int cmd_cpu_exits(void)
{
    uint64_t nr, cpu, i, w[2], ncpus = 1, total;
    char kind[17];
    int rc = lookup("cpu_exit_counters", &nr);

    if (rc)
        return rc;
    for (cpu = 0; cpu < ncpus && cpu < 4096; cpu++) {
        total = 0;
        for (i = 0; i < 4096; i++) {
            struct vc_regs r = { 0 };
            r.rax = nr;
            r.rbx = cpu;
            r.rcx = i;
            if (hcall(&r) != 0)
                return no_hypervisor();
            if ((int64_t)r.rax == VC_ENOENT)
                break;
            if (r.rax != 0) {
                fprintf(stderr, "veneerctl: cpu_exit_counters %" PRIu64 " %"
                        PRIu64 ": %s (rax=%" PRId64 ")\n", cpu, i,
                        vc_status_name(r.rax), (int64_t)r.rax);
                return EX_ERR;
            }
            ncpus = r.rsi;
            w[0] = r.rcx;
            w[1] = r.rdx;
            if (vc_unpack(w, 2, kind) == 0)
                snprintf(kind, sizeof(kind), "#%" PRIu64, i);
            if (r.rbx)
                printf("cpu %" PRIu64 " %s %" PRIu64 "\n", cpu, kind, r.rbx);
            total += r.rbx;
        }
        if (i == 0) {
            fprintf(stderr, "veneerctl: cpu_exit_counters: no CPU %" PRIu64
                    "\n", cpu);
            return EX_ERR;
        }
        printf("cpu %" PRIu64 " total %" PRIu64 "\n", cpu, total);
    }
    return EX_OK;
}

static int cmd_call(int argc, char **argv)
{
    struct vc_regs r = { 0 };
    uint64_t nr;
    int bad, rc;

    if (argc < 1)
        return usage();
    if (vc_build_args(&r, argc - 1, argv + 1, &bad) != 0) {
        if (bad >= VC_NARGS)
            fprintf(stderr, "veneerctl: at most %d arguments\n", VC_NARGS);
        else
            fprintf(stderr, "veneerctl: bad argument '%s'\n", argv[1 + bad]);
        return EX_USAGE;
    }
    if (vc_is_number(argv[0])) {
        vc_parse_u64(argv[0], &nr);
    } else {
        rc = lookup(argv[0], &nr);
        if (rc)
            return rc;
    }
    r.rax = nr;
    if (hcall(&r) != 0)
        return no_hypervisor();
    printf("rax=0x%016" PRIx64 " (%s)\nrbx=0x%016" PRIx64 "\nrcx=0x%016"
           PRIx64 "\nrdx=0x%016" PRIx64 "\nrsi=0x%016" PRIx64 "\nrdi=0x%016"
           PRIx64 "\n", r.rax, vc_status_name(r.rax), r.rbx, r.rcx, r.rdx,
           r.rsi, r.rdi);
    return r.rax == 0 ? EX_OK : EX_ERR;
}

static int cmd_simd_check(void)
{
    static const char *const paths[] = { "auto", "ct64", "aesni", "vaes256", "vaes512" };
    struct vc_simd_result res;
    uint64_t nr;
    int rc = lookup("simd_selftest", &nr);

    if (rc)
        return rc;
    vc_simd_check(nr, vc_hypercall_method() == VC_VMMCALL, &res);
    if (res.status != 0) {
        fprintf(stderr, "veneerctl: simd_selftest: %s\n", vc_status_name((uint64_t)res.status));
        return EX_ERR;
    }
    printf("simd-check: VMM path %s, XTS vector %s, %d-bit registers %s, "
           "MXCSR %s\n", res.path < 5 ? paths[res.path] : "?",
           res.vector_ok ? "ok" : "WRONG", res.width,
           res.regs_ok ? "preserved" : "CHANGED",
           res.mxcsr_ok ? "preserved" : "CHANGED");
    return res.vector_ok && res.regs_ok && res.mxcsr_ok ? EX_OK : EX_ERR;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "version") == 0 && argc == 2)
        return cmd_version();
    if (strcmp(argv[1], "exit-counters") == 0 && argc == 2)
        return cmd_exit_counters();
    if (strcmp(argv[1], "cpu-exits") == 0 && argc == 2)
        return cmd_cpu_exits();
    if (strcmp(argv[1], "call") == 0)
        return cmd_call(argc - 2, argv + 2);
    if (strcmp(argv[1], "simd-check") == 0 && argc == 2)
        return cmd_simd_check();
    return usage();
}
