/* Instruction length by expected opcode (see decode.h). Pure. */
#include <common/decode.h>
#include <string.h>

struct opcode {
    u8 len;
    u8 bytes[3];
};

static const struct opcode opcodes[] = {
    [INSN_CPUID] = { 2, { 0x0f, 0xa2 } },
    [INSN_RDMSR] = { 2, { 0x0f, 0x32 } },
    [INSN_WRMSR] = { 2, { 0x0f, 0x30 } },
    [INSN_VMMCALL] = { 3, { 0x0f, 0x01, 0xd9 } },
    [INSN_VMCALL] = { 3, { 0x0f, 0x01, 0xc1 } },
    [INSN_XSETBV] = { 3, { 0x0f, 0x01, 0xd1 } },
    [INSN_HLT] = { 1, { 0xf4 } },
    [INSN_PAUSE] = { 1, { 0x90 } }, /* after an F3 prefix */
    [INSN_RDTSC] = { 2, { 0x0f, 0x31 } },
    [INSN_RDTSCP] = { 3, { 0x0f, 0x01, 0xf9 } },
    [INSN_MONITOR] = { 3, { 0x0f, 0x01, 0xc8 } },
    [INSN_MWAIT] = { 3, { 0x0f, 0x01, 0xc9 } },
    [INSN_INVD] = { 2, { 0x0f, 0x08 } },
    [INSN_WBINVD] = { 2, { 0x0f, 0x09 } },
    [INSN_VMRUN] = { 3, { 0x0f, 0x01, 0xd8 } },
    [INSN_VMLOAD] = { 3, { 0x0f, 0x01, 0xda } },
    [INSN_VMSAVE] = { 3, { 0x0f, 0x01, 0xdb } },
    [INSN_STGI] = { 3, { 0x0f, 0x01, 0xdc } },
    [INSN_CLGI] = { 3, { 0x0f, 0x01, 0xdd } },
    [INSN_INVLPGA] = { 3, { 0x0f, 0x01, 0xdf } },
};

int insn_length(enum insn_kind kind, const u8 *bytes, size_t avail,
                bool long_mode)
{
    const size_t max_len = 15;
    size_t i = 0;
    bool rep = false;

    if (kind >= sizeof(opcodes) / sizeof(opcodes[0]) || !opcodes[kind].len)
        return -E_INVAL;
    if (avail > max_len)
        avail = max_len;
    while (i < avail && x86_is_legacy_prefix(bytes[i])) {
        rep |= bytes[i] == 0xf3;
        i++;
    }
    if (long_mode && i < avail && (bytes[i] & 0xf0) == 0x40)
        i++; /* REX: must come last, right before the opcode */
    if (kind == INSN_PAUSE && !rep)
        return -E_INVAL;
    const struct opcode *op = &opcodes[kind];
    if (i + op->len > avail || memcmp(bytes + i, op->bytes, op->len) != 0)
        return -E_INVAL;
    return (int)(i + op->len);
}

int insn_decode_mov_to_cr(const u8 *bytes, size_t avail, bool long_mode,
                          u8 *cr, u8 *gpr)
{
    size_t i = 0;
    bool lock = false;
    u8 rex = 0;

    if (avail > 15)
        avail = 15;
    while (i < avail && x86_is_legacy_prefix(bytes[i]))
        lock |= bytes[i++] == 0xf0;
    if (long_mode && i < avail && (bytes[i] & 0xf0) == 0x40)
        rex = bytes[i++];
    if (i + 3 > avail || bytes[i] != 0x0f || bytes[i + 1] != 0x22)
        return -E_INVAL;
    u8 modrm = bytes[i + 2];
    /* the mod field is ignored: the operand is always a register */
    *cr = (u8)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0) | (lock ? 8 : 0));
    *gpr = (u8)((modrm & 7) | ((rex & 1) ? 8 : 0));
    return (int)(i + 3);
}
