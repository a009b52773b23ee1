/* veneerctl simd-check: proves that Veneer's own vector work on an exit
 * path leaves the guest's registers alone. It loads ymm0-15 (xmm0-15 on a
 * CPU without AVX) and MXCSR with patterns, makes the simd_selftest call
 * (the VMM runs an XTS-AES vector through its fastest path, inside its
 * save/restore), and compares everything afterwards. */
#include "simd.h"

#include <cpuid.h>
#include <stdint.h>
#include <string.h>

static int have_avx(void)
{
    unsigned a, b, c, d;
    uint32_t lo, hi;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)))
        return 0; /* no OSXSAVE or no AVX */
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

#define LOAD16(insn, R)                                                    \
    insn " 0x000(%[in]), %%" R "0\n\t" insn " 0x020(%[in]), %%" R "1\n\t"  \
    insn " 0x040(%[in]), %%" R "2\n\t" insn " 0x060(%[in]), %%" R "3\n\t"  \
    insn " 0x080(%[in]), %%" R "4\n\t" insn " 0x0a0(%[in]), %%" R "5\n\t"  \
    insn " 0x0c0(%[in]), %%" R "6\n\t" insn " 0x0e0(%[in]), %%" R "7\n\t"  \
    insn " 0x100(%[in]), %%" R "8\n\t" insn " 0x120(%[in]), %%" R "9\n\t"  \
    insn " 0x140(%[in]), %%" R "10\n\t" insn " 0x160(%[in]), %%" R "11\n\t"\
    insn " 0x180(%[in]), %%" R "12\n\t" insn " 0x1a0(%[in]), %%" R "13\n\t"\
    insn " 0x1c0(%[in]), %%" R "14\n\t" insn " 0x1e0(%[in]), %%" R "15\n\t"
#define STORE16(insn, R)                                                   \
    insn " %%" R "0, 0x000(%[out])\n\t" insn " %%" R "1, 0x020(%[out])\n\t"  \
    insn " %%" R "2, 0x040(%[out])\n\t" insn " %%" R "3, 0x060(%[out])\n\t"  \
    insn " %%" R "4, 0x080(%[out])\n\t" insn " %%" R "5, 0x0a0(%[out])\n\t"  \
    insn " %%" R "6, 0x0c0(%[out])\n\t" insn " %%" R "7, 0x0e0(%[out])\n\t"  \
    insn " %%" R "8, 0x100(%[out])\n\t" insn " %%" R "9, 0x120(%[out])\n\t"  \
    insn " %%" R "10, 0x140(%[out])\n\t" insn " %%" R "11, 0x160(%[out])\n\t"\
    insn " %%" R "12, 0x180(%[out])\n\t" insn " %%" R "13, 0x1a0(%[out])\n\t"\
    insn " %%" R "14, 0x1c0(%[out])\n\t" insn " %%" R "15, 0x1e0(%[out])\n\t"

/* Loads 16 registers and MXCSR, makes the call, stores them back: one asm
 * statement, so the compiler cannot touch the registers in between. */
#define CALL_LOADED(move, reg, call)                                       \
    __asm__ volatile("ldmxcsr %[mi]\n\t" LOAD16(move, reg) call "\n\t"    \
                     STORE16(move, reg) "stmxcsr %[mo]"                    \
                     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),           \
                       "+d"(r->rdx), "+S"(r->rsi), [mo] "=m"(mx_out)       \
                     : [in] "D"(in), [out] "r"(out), [mi] "m"(mx_in)       \
                     : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",     \
                       "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",     \
                       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15")

/* One call with the registers loaded; in/out are 16 x 32 bytes. */
static void call_loaded(int avx, int vmmcall, struct vc_regs *r,
                        const uint8_t *in, uint8_t *out, uint32_t *mxcsr)
{
    uint32_t mx_in = *mxcsr, mx_out = 0;

    if (avx && vmmcall)
        CALL_LOADED("vmovdqu", "ymm", "vmmcall");
    else if (avx)
        CALL_LOADED("vmovdqu", "ymm", "vmcall");
    else if (vmmcall)
        CALL_LOADED("movdqu", "xmm", "vmmcall");
    else
        CALL_LOADED("movdqu", "xmm", "vmcall");
    *mxcsr = mx_out;
}

int vc_simd_check(uint64_t nr, int vmmcall, struct vc_simd_result *res)
{
    uint8_t in[512], out[512];
    uint32_t mxcsr = 0x7f80; /* round toward zero: not the default */
    struct vc_regs r = { 0 };
    int avx = have_avx();
    size_t width = avx ? 32 : 16;

    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7 + 0x5a);
    memset(out, 0, sizeof(out));
    r.rax = VC_MAGIC | nr;
    call_loaded(avx, vmmcall, &r, in, out, &mxcsr);
    res->status = (int64_t)r.rax;
    res->path = r.rbx;
    res->vector_ok = r.rcx == 1;
    res->width = (int)width * 8;
    res->mxcsr_ok = mxcsr == 0x7f80;
    res->regs_ok = 1;
    for (int reg = 0; reg < 16; reg++)
        if (memcmp(in + reg * 32, out + reg * 32, width) != 0)
            res->regs_ok = 0;
    return 0;
}
