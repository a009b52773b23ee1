/* The MMIO access decoder against hand-checked encodings (objdump), in
 * 64-, 32- and 16-bit modes, and the register write-back rules. */
#include "check.h"
#include "hexbytes.h"
#include <common/mmio.h>

static int dec(const char *hex, int mode, struct mmio_insn *in)
{
    u8 b[16];
    size_t n = hexbytes(hex, b, sizeof b);

    return mmio_decode(b, n, mode, in);
}

#define EXPECT(hex, mode, k, sz, r, l)                                     \
    do {                                                                   \
        struct mmio_insn in_;                                              \
        CHECK_EQ(dec(hex, mode, &in_), 0);                                 \
        CHECK_EQ(in_.kind, k);                                             \
        CHECK_EQ(in_.size, sz);                                            \
        CHECK_EQ(in_.reg, r);                                              \
        CHECK_EQ(in_.len, l);                                              \
    } while (0)

int main(void)
{
    struct mmio_insn in;

    /* 64-bit */
    EXPECT("89 07", 8, MMIO_STORE_REG, 4, GPR_RAX, 2);           /* mov %eax,(%rdi) */
    EXPECT("8b 0f", 8, MMIO_LOAD, 4, GPR_RCX, 2);                /* mov (%rdi),%ecx */
    EXPECT("48 89 47 10", 8, MMIO_STORE_REG, 8, GPR_RAX, 4);     /* mov %rax,0x10(%rdi) */
    EXPECT("c7 83 00 03 00 00 78 56 34 12", 8, MMIO_STORE_IMM, 4, 0, 10);
    CHECK(dec("c7 83 00 03 00 00 78 56 34 12", 8, &in) == 0 && in.imm == 0x12345678);
    EXPECT("48 c7 00 ff ff ff ff", 8, MMIO_STORE_IMM, 8, 0, 7);  /* movq $-1,(%rax) */
    CHECK(dec("48 c7 00 ff ff ff ff", 8, &in) == 0 && in.imm == ~0ULL);
    EXPECT("0f b6 56 08", 8, MMIO_LOAD_ZX, 1, GPR_RDX, 4);       /* movzbl 8(%rsi),%edx */
    CHECK(dec("0f b6 56 08", 8, &in) == 0 && in.dst_size == 4);
    EXPECT("44 0f b7 08", 8, MMIO_LOAD_ZX, 2, GPR_R9, 4);        /* movzwl (%rax),%r9d */
    EXPECT("0f be 07", 8, MMIO_LOAD_SX, 1, GPR_RAX, 3);          /* movsbl (%rdi),%eax */
    EXPECT("88 23", 8, MMIO_STORE_REG, 1, GPR_RAX, 2);           /* mov %ah,(%rbx) */
    CHECK(dec("88 23", 8, &in) == 0 && in.high_byte);
    EXPECT("40 88 23", 8, MMIO_STORE_REG, 1, GPR_RSP, 3);        /* mov %spl,(%rbx) */
    CHECK(dec("40 88 23", 8, &in) == 0 && !in.high_byte);
    EXPECT("66 44 89 44 91 02", 8, MMIO_STORE_REG, 2, GPR_R8, 6);/* mov %r8w,2(%rcx,%rdx,4) */
    EXPECT("8b 05 00 10 00 00", 8, MMIO_LOAD, 4, GPR_RAX, 6);    /* mov 0x1000(%rip),%eax */
    EXPECT("8b 04 25 00 03 e0 fe", 8, MMIO_LOAD, 4, GPR_RAX, 7); /* mov 0xfee00300,%eax */
    EXPECT("a1 00 03 e0 fe 00 00 00 00", 8, MMIO_LOAD, 4, GPR_RAX, 9); /* movabs */
    EXPECT("f0 48 89 47 10", 8, MMIO_STORE_REG, 8, GPR_RAX, 5);  /* prefix counted */
    CHECK_EQ(dec("89 c3", 8, &in), -E_INVAL);                    /* register form */
    CHECK_EQ(dec("01 07", 8, &in), -E_INVAL);                    /* add: not decoded */
    CHECK_EQ(dec("c7 c8 00 00 00 00", 8, &in), -E_INVAL);        /* c7 /1 */
    CHECK_EQ(dec("c7 83 00 03", 8, &in), -E_INVAL);              /* truncated */
    CHECK_EQ(dec("", 8, &in), -E_INVAL);
    /* TEST: a status poll (the nmi miniguest's testl $0x1000,0xfee00300) */
    EXPECT("f7 05 00 03 e0 fe 00 10 00 00", 4, MMIO_TEST_IMM, 4, 0, 10);
    CHECK(dec("f7 05 00 03 e0 fe 00 10 00 00", 4, &in) == 0 && in.imm == 0x1000);
    EXPECT("f6 07 80", 8, MMIO_TEST_IMM, 1, 0, 3);               /* testb $0x80,(%rdi) */
    EXPECT("85 07", 8, MMIO_TEST_REG, 4, GPR_RAX, 2);            /* test %eax,(%rdi) */
    EXPECT("84 27", 8, MMIO_TEST_REG, 1, GPR_RAX, 2);            /* test %ah,(%rdi) */
    CHECK(dec("84 27", 8, &in) == 0 && in.high_byte);
    CHECK_EQ(dec("f7 17", 8, &in), -E_INVAL);                    /* f7 /2: not */
    CHECK(dec("f7 05 00 03 e0 fe 00 10 00 00", 4, &in) == 0);
    CHECK_EQ(mmio_test_flags(0x2 | 0x1 | 0x800, &in, 0x1000, 0x1000), 0x2 | 0x4);
    CHECK_EQ(mmio_test_flags(0x2, &in, 0x0fff, 0x1000), 0x2 | 0x40 | 0x4);
    CHECK_EQ(mmio_test_flags(0x2, &in, 0x80000001, 0xffffffff), 0x2 | 0x80);
    /* 32-bit */
    EXPECT("a3 78 56 34 12", 4, MMIO_STORE_REG, 4, GPR_RAX, 5);  /* mov %eax,0x12345678 */
    EXPECT("66 c7 00 cd ab", 4, MMIO_STORE_IMM, 2, 0, 5);        /* movw $0xabcd,(%eax) */
    CHECK(dec("66 c7 00 cd ab", 4, &in) == 0 && in.imm == 0xabcd);
    CHECK_EQ(dec("48 89 07", 4, &in), -E_INVAL);               /* 0x48 is DEC in 32-bit */
    /* 16-bit */
    EXPECT("89 07", 2, MMIO_STORE_REG, 2, GPR_RAX, 2);           /* mov %ax,(%bx) */
    EXPECT("8a 06 34 12", 2, MMIO_LOAD, 1, GPR_RAX, 4);          /* mov 0x1234,%al */
    EXPECT("66 89 07", 2, MMIO_STORE_REG, 4, GPR_RAX, 3);        /* mov %eax,(%bx) */
    EXPECT("67 66 8b 04 25 00 03 e0 fe", 2, MMIO_LOAD, 4, GPR_RAX, 9); /* 32-bit addressing */

    /* Write-back rules. */
    u64 g[GPR_COUNT] = { 0 };
    g[GPR_RAX] = 0x1122334455667788ULL;
    dec("8b 07", 8, &in);                       /* 32-bit load zero-extends */
    mmio_reg_write(g, &in, 0xdeadbeef);
    CHECK_EQ(g[GPR_RAX], 0xdeadbeef);
    g[GPR_RAX] = 0x1122334455667788ULL;
    dec("66 8b 07", 8, &in);                    /* 16-bit load merges */
    mmio_reg_write(g, &in, 0xbeef);
    CHECK_EQ(g[GPR_RAX], 0x112233445566beefULL);
    dec("8a 27", 8, &in);                       /* mov (%rdi),%ah */
    mmio_reg_write(g, &in, 0x5a);
    CHECK_EQ(g[GPR_RAX], 0x1122334455665aefULL);
    g[GPR_RCX] = 0;
    dec("0f be 07", 8, &in);                    /* movsbl: sign-extends to 32 */
    in.reg = GPR_RCX;
    mmio_reg_write(g, &in, 0x80);
    CHECK_EQ(g[GPR_RCX], 0xffffff80);
    g[GPR_RBX] = 0xffff;
    dec("88 3f", 8, &in);                       /* mov %bh,(%rdi) */
    CHECK_EQ(mmio_reg_read(g, &in), 0xff);
    return check_done("mmio_decode");
}
