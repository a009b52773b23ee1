/* libFuzzer target for the instruction decoders the VMM runs on guest
 * bytes: the MMIO access decoder (common/mmio_decode.c: decode, then the
 * register read/write and TEST flags on what it decoded), the length
 * decoder of the exits without NRIPS and the MOV-to-CR decoder
 * (common/decode.c), and the CR0/CR4 write checks (common/cr_policy.c)
 * on arbitrary register values. The first byte picks the mode. */
#include <stdint.h>
#include <string.h>

#include <common/cr_policy.h>
#include <common/decode.h>
#include <common/mmio.h>

static void any_cpu(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    (void)sub;
    memset(r, leaf == 0 ? 0 : 0xff, sizeof(*r));
    if (leaf == 0)
        r->eax = 7;
}

static u64 word(const uint8_t *d, size_t n, size_t at)
{
    u64 v = 0;

    for (size_t i = 0; i < 8 && at + i < n; i++)
        v |= (u64)d[at + i] << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    u8 sel = data[0];
    const u8 *b = data + 1;
    size_t n = size - 1;
    static const int modes[] = { 2, 4, 8 };

    switch (sel % 4) {
    case 0: {
        struct mmio_insn in;
        u64 gpr[GPR_COUNT];
        memset(gpr, 0xa5, sizeof(gpr));
        if (mmio_decode(b, n, modes[(sel >> 2) % 3], &in) == 0) {
            if (in.len == 0 || in.len > 15 || in.len > n)
                __builtin_trap(); /* a length beyond the bytes it was given */
            if (in.size != 1 && in.size != 2 && in.size != 4 && in.size != 8)
                __builtin_trap();
            u64 v = mmio_reg_read(gpr, &in);
            mmio_reg_write(gpr, &in, v ^ in.imm);
            (void)mmio_test_flags(0x202, &in, v, in.imm);
        }
        break;
    }
    case 1: {
        for (int k = INSN_CPUID; k <= INSN_WBINVD; k++) {
            int len = insn_length((enum insn_kind)k, b, n, sel & 4);
            if (len > 15 || (len > 0 && (size_t)len > n))
                __builtin_trap();
        }
        break;
    }
    case 2: {
        u8 cr, gpr;
        int len = insn_decode_mov_to_cr(b, n, sel & 4, &cr, &gpr);
        if (len > 15 || (len > 0 && ((size_t)len > n || cr > 15 || gpr > 15)))
            __builtin_trap();
        break;
    }
    case 3: {
        struct cpuid_policy_in pin = { 0, false, false, false };
        struct cr_ctx c = {
            .cr0 = word(b, n, 0), .cr3 = word(b, n, 8), .cr4 = word(b, n, 16),
            .efer = word(b, n, 24), .cs_long = sel & 4,
            .cr4_valid = cr4_valid_bits(any_cpu, &pin),
        };
        u64 efer, val = word(b, n, 32);
        if (cr4_write_check(&c, val) == EMU_DONE && (val & ~c.cr4_valid))
            __builtin_trap(); /* a reserved bit accepted */
        if (cr0_write_check(&c, val, &efer) == EMU_DONE &&
            ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE))))
            __builtin_trap();
        break;
    }
    }
    return 0;
}
