/* Decoding the one load or store that touched an MMIO page (see mmio.h).
 * Pure: host-tested. Covers what compilers emit for device registers:
 * MOV r/m,r (88/89), MOV r,r/m (8a/8b), MOV r/m,imm (c6/c7 /0), MOVZX
 * (0f b6/b7), MOVSX (0f be/bf), MOV with a moffs (a0-a3), TEST r/m,r
 * (84/85) and TEST r/m,imm (f6/f7 /0: a status poll), with the legacy
 * prefixes, REX, and 16-, 32- or 64-bit addressing. */
#include <common/decode.h>
#include <common/mmio.h>

/* Length of ModRM (+SIB +displacement) at p for the address size. */
static int modrm_len(const u8 *p, size_t avail, int addr_size)
{
    u8 modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
    int len = 1;

    if (mod == 3)
        return -E_INVAL; /* a register operand: no memory access */
    if (addr_size == 2) {
        if (mod == 0 && rm == 6)
            len += 2;
        else if (mod == 1)
            len += 1;
        else if (mod == 2)
            len += 2;
        return len <= (int)avail ? len : -E_INVAL;
    }
    if (rm == 4) { /* SIB */
        if (avail < 2)
            return -E_INVAL;
        len++;
        if (mod == 0 && (p[1] & 7) == 5)
            len += 4;
    } else if (mod == 0 && rm == 5) {
        len += 4; /* disp32, or RIP-relative in 64-bit mode */
    }
    if (mod == 1)
        len += 1;
    else if (mod == 2)
        len += 4;
    return len <= (int)avail ? len : -E_INVAL;
}

int mmio_decode(const u8 *b, size_t avail, int mode, struct mmio_insn *out)
{
    size_t i = 0;
    bool opsize = false, addrsize = false, rex_w = false, rex_r = false,
         rex = false;
    int op_size, addr_size;

    if (avail > 15)
        avail = 15;
    while (i < avail && x86_is_legacy_prefix(b[i])) {
        opsize |= b[i] == 0x66;
        addrsize |= b[i] == 0x67;
        i++;
    }
    if (mode == 8 && i < avail && (b[i] & 0xf0) == 0x40) {
        rex = true;
        rex_w = b[i] & 8;
        rex_r = b[i] & 4;
        i++;
    }
    if (i >= avail)
        return -E_INVAL;
    op_size = mode == 2 ? (opsize ? 4 : 2) : (opsize ? 2 : 4);
    if (rex_w)
        op_size = 8;
    addr_size = mode == 8 ? (addrsize ? 4 : 8)
              : mode == 4 ? (addrsize ? 2 : 4) : (addrsize ? 4 : 2);

    u8 op = b[i++];
    bool two = false;
    if (op == 0x0f) {
        if (i >= avail)
            return -E_INVAL;
        op = b[i++];
        two = true;
    }
    *out = (struct mmio_insn){ 0 };
    if (!two && op >= 0xa0 && op <= 0xa3) { /* MOV AL/eAX <-> moffs */
        out->kind = op >= 0xa2 ? MMIO_STORE_REG : MMIO_LOAD;
        out->size = (op & 1) ? op_size : 1;
        out->dst_size = out->size;
        out->reg = GPR_RAX;
        i += (size_t)addr_size;
        if (i > avail)
            return -E_INVAL;
        out->len = (u8)i;
        return 0;
    }
    bool byte_op;
    if (!two && (op == 0x88 || op == 0x89 || op == 0x8a || op == 0x8b)) {
        byte_op = !(op & 1);
        out->kind = op <= 0x89 ? MMIO_STORE_REG : MMIO_LOAD;
        out->size = byte_op ? 1 : op_size;
        out->dst_size = out->size;
    } else if (!two && (op == 0xc6 || op == 0xc7)) {
        if (i >= avail || ((b[i] >> 3) & 7) != 0)
            return -E_INVAL;
        byte_op = op == 0xc6;
        out->kind = MMIO_STORE_IMM;
        out->size = byte_op ? 1 : op_size;
        out->dst_size = out->size;
    } else if (!two && (op == 0x84 || op == 0x85)) {
        byte_op = op == 0x84;
        out->kind = MMIO_TEST_REG;
        out->size = byte_op ? 1 : op_size;
        out->dst_size = out->size;
    } else if (!two && (op == 0xf6 || op == 0xf7)) {
        if (i >= avail || ((b[i] >> 3) & 7) != 0)
            return -E_INVAL;
        byte_op = op == 0xf6;
        out->kind = MMIO_TEST_IMM;
        out->size = byte_op ? 1 : op_size;
        out->dst_size = out->size;
    } else if (two && (op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf)) {
        byte_op = false;
        out->kind = (op & 8) ? MMIO_LOAD_SX : MMIO_LOAD_ZX;
        out->size = (op & 1) ? 2 : 1;
        out->dst_size = op_size;
    } else {
        return -E_INVAL;
    }
    if (i >= avail)
        return -E_INVAL;
    u8 reg = (u8)(((b[i] >> 3) & 7) | (rex_r ? 8 : 0));
    int m = modrm_len(b + i, avail - i, addr_size);
    if (m < 0)
        return m;
    i += (size_t)m;
    out->reg = reg;
    /* AH, CH, DH, BH: byte registers 4-7 without a REX prefix. */
    bool has_imm = out->kind == MMIO_STORE_IMM || out->kind == MMIO_TEST_IMM;
    if (byte_op && !has_imm && !rex && reg >= 4 && reg < 8) {
        out->reg = reg - 4;
        out->high_byte = true;
    }
    if (has_imm) {
        int isz = out->size == 8 ? 4 : out->size;
        if (i + (size_t)isz > avail)
            return -E_INVAL;
        u64 imm = 0;
        for (int k = 0; k < isz; k++)
            imm |= (u64)b[i + k] << (8 * k);
        if (out->size == 8 && (imm & 0x80000000u))
            imm |= 0xffffffff00000000ULL; /* sign-extended imm32 */
        out->imm = imm;
        i += (size_t)isz;
    }
    out->len = (u8)i;
    return 0;
}

u64 mmio_test_flags(u64 rflags, const struct mmio_insn *in, u64 mem, u64 operand)
{
    int bits = 8 * in->size;
    u64 mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    u64 r = mem & operand & mask;
    u8 low = (u8)r;

    /* CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11 (kept pure: no platform header) */
    rflags &= ~(u64)(BIT(0) | BIT(2) | BIT(4) | BIT(6) | BIT(7) | BIT(11));
    if (!r)
        rflags |= BIT(6);
    if (r >> (bits - 1))
        rflags |= BIT(7);
    low ^= low >> 4;
    low ^= low >> 2;
    low ^= low >> 1;
    if (!(low & 1))
        rflags |= BIT(2); /* PF: an even number of set bits */
    return rflags;
}

/* The value of a register operand of `size` bytes. */
u64 mmio_reg_read(const u64 *gpr, const struct mmio_insn *in)
{
    u64 v = gpr[in->reg];

    if (in->high_byte)
        return (v >> 8) & 0xff;
    return in->size == 8 ? v : v & ((1ULL << (8 * in->size)) - 1);
}

/* Writes a loaded value into the destination register as the CPU would:
 * 32-bit results zero the upper half, 8- and 16-bit ones merge. */
void mmio_reg_write(u64 *gpr, const struct mmio_insn *in, u64 value)
{
    u64 v = value;
    int dsize = in->dst_size;

    if (in->kind == MMIO_LOAD_SX) {
        int bits = 8 * in->size;
        v &= (1ULL << bits) - 1;
        if (v & (1ULL << (bits - 1)))
            v |= ~0ULL << bits;
    } else if (in->size < 8) {
        v &= (1ULL << (8 * in->size)) - 1;
    }
    if (in->high_byte) {
        gpr[in->reg] = (gpr[in->reg] & ~0xff00ULL) | ((v & 0xff) << 8);
    } else if (dsize == 8) {
        gpr[in->reg] = v;
    } else if (dsize == 4) {
        gpr[in->reg] = v & 0xffffffff;
    } else {
        u64 mask = (1ULL << (8 * dsize)) - 1;
        gpr[in->reg] = (gpr[in->reg] & ~mask) | (v & mask);
    }
}
