/* The hypercall dispatcher and its first calls (see hypercall.h). */
#include <common/hypercall.h>
#include <common/backend.h>
#include <platform/log.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <string.h>

extern const struct hypercall __hypercalls_start[], __hypercalls_end[];

void hypercall_pack(const char *s, u64 regs[3])
{
    u8 bytes[24] = { 0 };
    size_t n = strnlen(s, 24);

    memcpy(bytes, s, n);
    memcpy(regs, bytes, 24);
}

void hypercall_unpack(const u64 regs[3], char out[25])
{
    memcpy(out, regs, 24);
    out[24] = '\0';
}

static const u64 arg_regs[HC_ARGS] = { GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI };

/* Outside 64-bit mode the registers are 32 bits wide: their upper halves
 * are not the caller's, and a name is packed 4 bytes per register. */
static bool caller_is_64bit(struct vcpu *v)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_EFER | VS_CS);

    return (s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13));
}

bool hypercall_handle(struct vcpu *v)
{
    u64 *g = v->regs.gpr;
    size_t count = (size_t)(__hypercalls_end - __hypercalls_start);
    bool wide = caller_is_64bit(v);
    u64 rax = wide ? g[GPR_RAX] : (u32)g[GPR_RAX];

    if ((rax & ~(u64)HC_NR_MASK) != HC_MAGIC)
        return false;
    if (!wide)
        for (int r = 0; r < GPR_COUNT; r++)
            g[r] &= 0xffffffff;
    u64 nr = rax & HC_NR_MASK;
    if (nr == 0) {
        u64 name_regs[3] = { g[GPR_RBX], g[GPR_RCX], g[GPR_RDX] };
        char name[25];
        if (wide) {
            hypercall_unpack(name_regs, name);
        } else {
            for (int r = 0; r < 3; r++)
                memcpy(name + 4 * r, &name_regs[r], 4);
            name[12] = '\0';
        }
        g[GPR_RAX] = (u64)-1;
        for (size_t i = 0; i < count; i++)
            if (strcmp(name, __hypercalls_start[i].name) == 0)
                g[GPR_RAX] = i + 1;
        if (g[GPR_RAX] == (u64)-1)
            log_debug("hypercall", "lookup of unknown name '%s'", name);
        return true;
    }
    if (nr > count) {
        g[GPR_RAX] = (u64)-E_NOSYS;
        return true;
    }
    u64 in[HC_ARGS], out[HC_ARGS];
    for (int i = 0; i < HC_ARGS; i++)
        in[i] = out[i] = g[arg_regs[i]];
    int r = __hypercalls_start[nr - 1].fn(v, in, out);
    g[GPR_RAX] = wide ? (u64)(s64)r : (u32)r;
    if (r == 0)
        for (int i = 0; i < HC_ARGS; i++)
            g[arg_regs[i]] = wide ? out[i] : (u32)out[i];
    return true;
}

/* version: RBX/RCX/RDX = "veneer X.Y.Z VENDOR", RSI = major<<32|minor<<16|patch. */
static int hc_version(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    char s[32];
    unsigned maj = 0, min = 0, pat = 0, *part = &maj;

    ksnprintf(s, sizeof(s), "veneer %s %s", VENEER_VERSION, active_backend->name);
    hypercall_pack(s, out);
    for (const char *p = VENEER_VERSION; *p; p++) {
        if (*p == '.')
            part = part == &maj ? &min : &pat;
        else if (*p >= '0' && *p <= '9')
            *part = *part * 10 + (unsigned)(*p - '0');
    }
    out[3] = ((u64)maj << 32) | ((u64)min << 16) | pat;
    return 0;
}
HYPERCALL("version", hc_version);

/* exit_counters: RBX = index; returns RBX = count, RCX/RDX = kind name. */
static int hc_exit_counters(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS])
{
    u64 idx = in[0];
    u64 name[3];

    if (idx >= EXIT_KIND_COUNT)
        return -E_NOENT;
    hypercall_pack(vcpu_exit_kind_name((enum vcpu_exit_kind)idx), name);
    out[0] = v->exit_counts[idx];
    out[1] = name[0];
    out[2] = name[1];
    return 0;
}
HYPERCALL("exit_counters", hc_exit_counters);

/* cpu_exit_counters: RBX = CPU index, RCX = exit kind index; returns RBX
 * = that CPU's count, RCX/RDX = the kind's name, RSI = the number of
 * CPUs. -E_NOENT past the last CPU or kind. */
static int hc_cpu_exit_counters(struct vcpu *v, const u64 in[HC_ARGS],
                                u64 out[HC_ARGS])
{
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);
    u64 cpu = in[0], idx = in[1];
    u64 name[3];

    if (cpu >= n || idx >= EXIT_KIND_COUNT)
        return -E_NOENT;
    hypercall_pack(vcpu_exit_kind_name((enum vcpu_exit_kind)idx), name);
    out[0] = vcpus[cpu] ? __atomic_load_n(&vcpus[cpu]->exit_counts[idx],
                                          __ATOMIC_RELAXED) : 0;
    out[1] = name[0];
    out[2] = name[1];
    out[3] = n;
    return 0;
}
HYPERCALL("cpu_exit_counters", hc_cpu_exit_counters);
