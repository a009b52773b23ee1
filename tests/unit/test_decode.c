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

int main(void)
{
    CHECK_EQ(len(INSN_CPUID, "0fa2", false), 2);
    CHECK_EQ(len(INSN_CPUID, "0fa2 90 90", true), 2);
    CHECK_EQ(len(INSN_RDMSR, "0f32", true), 2);
    CHECK_EQ(len(INSN_WRMSR, "0f30", false), 2);
    CHECK_EQ(len(INSN_VMMCALL, "0f01d9", false), 3);
    CHECK_EQ(len(INSN_VMCALL, "0f01c1", true), 3);
    CHECK_EQ(len(INSN_XSETBV, "0f01d1", true), 3);
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
