/* Instruction lengths for the exits that need them without NRIPS. */
#include "check.h"
#include "hexbytes.h"
#include <common/decode.h>

static int len(enum insn_kind k, const char *hex, bool lm)
{
    u8 b[16];
    size_t n = hexbytes(hex, b, sizeof b);

    return insn_length(k, b, n, lm);
}

/* MOV to CRn: returns the length, *cr*16 + gpr in *what. */
static int movcr(const char *hex, bool lm, int *what)
{
    u8 b[16], cr = 0xff, gpr = 0xff;
    size_t n = hexbytes(hex, b, sizeof b);
    int r = insn_decode_mov_to_cr(b, n, lm, &cr, &gpr);

    *what = cr * 16 + gpr;
    return r;
}

static void test_mov_to_cr(void)
{
    int w;

    CHECK_EQ(movcr("0f22e0", false, &w), 3);          /* mov %eax,%cr4 */
    CHECK_EQ(w, 4 * 16 + 0);
    CHECK_EQ(movcr("0f22e3", true, &w), 3);           /* mov %rbx,%cr4 */
    CHECK_EQ(w, 4 * 16 + 3);
    CHECK_EQ(movcr("410f22e0", true, &w), 4);         /* mov %r8,%cr4 */
    CHECK_EQ(w, 4 * 16 + 8);
    CHECK_EQ(movcr("440f22c1", true, &w), 4);         /* mov %rcx,%cr8 */
    CHECK_EQ(w, 8 * 16 + 1);
    CHECK_EQ(movcr("f00f22c2", false, &w), 4);        /* AMD: lock mov %edx,%cr8 */
    CHECK_EQ(w, 8 * 16 + 2);
    CHECK_EQ(movcr("0f2220", false, &w), 3);          /* mod ignored: still %eax */
    CHECK_EQ(w, 4 * 16 + 0);
    CHECK_EQ(movcr("0f20e0", false, &w), -E_INVAL);   /* MOV from CR4 */
    CHECK_EQ(movcr("0f22", false, &w), -E_INVAL);     /* truncated */
    CHECK_EQ(movcr("410f22e0", false, &w), -E_INVAL); /* INC ECX in 32-bit code */
    CHECK_EQ(movcr("90", false, &w), -E_INVAL);
}

int main(void)
{
    test_mov_to_cr();
    CHECK_EQ(len(INSN_CPUID, "0fa2", false), 2);
    CHECK_EQ(len(INSN_CPUID, "0fa2 90 90", true), 2);
    CHECK_EQ(len(INSN_RDMSR, "0f32", true), 2);
    CHECK_EQ(len(INSN_WRMSR, "0f30", false), 2);
    CHECK_EQ(len(INSN_VMMCALL, "0f01d9", false), 3);
    CHECK_EQ(len(INSN_VMCALL, "0f01c1", true), 3);
    CHECK_EQ(len(INSN_XSETBV, "0f01d1", true), 3);
    /* the SVM instructions emulated for a nested hypervisor */
    CHECK_EQ(len(INSN_VMRUN, "0f01d8", false), 3);
    CHECK_EQ(len(INSN_VMRUN, "670f01d8", false), 4);  /* vmrun %ax-sized */
    CHECK_EQ(len(INSN_VMLOAD, "0f01da", true), 3);
    CHECK_EQ(len(INSN_VMSAVE, "0f01db", true), 3);
    CHECK_EQ(len(INSN_STGI, "0f01dc", false), 3);
    CHECK_EQ(len(INSN_CLGI, "0f01dd", false), 3);
    CHECK_EQ(len(INSN_INVLPGA, "0f01df", false), 3);
    CHECK_EQ(len(INSN_VMRUN, "0f01da", false), -E_INVAL); /* a VMLOAD */
    CHECK_EQ(len(INSN_STGI, "0f01dd", false), -E_INVAL);  /* a CLGI */
    CHECK_EQ(len(INSN_HLT, "f4", false), 1);
    CHECK_EQ(len(INSN_PAUSE, "f390", false), 2);
    CHECK_EQ(len(INSN_PAUSE, "90", false), -E_INVAL);      /* NOP, not PAUSE */
    /* Prefixes count; REX only in 64-bit mode and only last. */
    CHECK_EQ(len(INSN_CPUID, "66 0fa2", false), 3);
    CHECK_EQ(len(INSN_CPUID, "2e 3e 0fa2", false), 4);
    CHECK_EQ(len(INSN_RDMSR, "48 0f32", true), 3);
    CHECK_EQ(len(INSN_RDMSR, "48 0f32", false), -E_INVAL); /* DEC EAX in 32-bit */
    CHECK_EQ(len(INSN_RDMSR, "66 41 0f32", true), 4);
    /* Wrong instruction, truncated bytes, too many prefixes. */
    CHECK_EQ(len(INSN_CPUID, "0f32", false), -E_INVAL);
    CHECK_EQ(len(INSN_VMMCALL, "0f01", false), -E_INVAL);
    CHECK_EQ(len(INSN_VMMCALL, "0f01c1", false), -E_INVAL);
    CHECK_EQ(len(INSN_CPUID, "66666666666666666666666666 0fa2", false), 15);  /* the longest legal */
    CHECK_EQ(len(INSN_CPUID, "6666666666666666666666666666 0fa2", false), -E_INVAL); /* 16 bytes */
    CHECK_EQ(len(INSN_CPUID, "", false), -E_INVAL);
    CHECK_EQ(len((enum insn_kind)99, "0fa2", false), -E_INVAL);
    return check_done("decode");
}
