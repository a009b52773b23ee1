/* Just enough instruction decoding for what the VMM must step over or
 * emulate when the CPU does not tell it the instruction length (SVM
 * without NRIPS): legacy and REX prefixes, then one expected opcode. */
#ifndef VENEER_COMMON_DECODE_H
#define VENEER_COMMON_DECODE_H

#include <platform/types.h>

enum insn_kind {
    INSN_CPUID, INSN_RDMSR, INSN_WRMSR, INSN_VMMCALL, INSN_VMCALL,
    INSN_XSETBV, INSN_HLT, INSN_PAUSE, INSN_RDTSC, INSN_RDTSCP,
    INSN_MONITOR, INSN_MWAIT, INSN_INVD, INSN_WBINVD,
    INSN_VMRUN, INSN_VMLOAD, INSN_VMSAVE, INSN_STGI, INSN_CLGI, INSN_INVLPGA,
};

/* The legacy prefixes (segment, operand/address size, LOCK, REP). */
static inline bool x86_is_legacy_prefix(u8 b)
{
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
        return true;
    default:
        return false;
    }
}

/* Returns the length of the instruction at `bytes` (up to `avail` bytes
 * valid) if it is `kind`, in the given mode (64-bit mode allows REX), or
 * -E_INVAL if the bytes are not that instruction. Pure: host-tested. */
int insn_length(enum insn_kind kind, const u8 *bytes, size_t avail,
                bool long_mode);

/* A MOV to CRn from a register (0F 22 /r): returns its length and sets
 * the CR number (REX.R or, on AMD, LOCK selects CR8-15) and the GPR, or
 * -E_INVAL if the bytes are something else. Pure: host-tested. */
int insn_decode_mov_to_cr(const u8 *bytes, size_t avail, bool long_mode,
                          u8 *cr, u8 *gpr);

#endif
