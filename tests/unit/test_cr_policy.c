/* MOV to CR0/CR4 as the CPU checks them (common/cr_policy.c), over
 * recorded CPUID answers: a Skylake-X like CPU (no PKU in leaf 7 here, no
 * LA57) and one with everything. */
#include "check.h"
#include <common/cr_policy.h>

static u32 l7_ecx, l1_ecx;

static void cpu(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    memset(r, 0, sizeof(*r));
    switch (leaf) {
    case 0:
        r->eax = 0xd;
        r->ebx = 0x756e6547; r->edx = 0x49656e69; r->ecx = 0x6c65746e;
        break;
    case 1:
        r->ecx = l1_ecx;
        r->edx = 0xbfebfbff;  /* VME DE PSE TSC PAE MCE PGE FXSR SSE ... */
        break;
    case 7:
        if (sub == 0) {
            r->ebx = BIT(0) | BIT(7) | BIT(20); /* FSGSBASE SMEP SMAP */
            r->ecx = l7_ecx;
        }
        break;
    }
}

static void test_valid_bits(void)
{
    struct cpuid_policy_in in = { 0, false, false, false };
    u64 v;

    l1_ecx = BIT(5) | BIT(6) | BIT(17) | BIT(26); /* VMX SMX PCID XSAVE */
    l7_ecx = BIT(2);                              /* UMIP */
    v = cr4_valid_bits(cpu, &in);
    CHECK(v & CR4_PAE);
    CHECK(v & CR4_PGE);
    CHECK(v & CR4_OSXSAVE);
    CHECK(v & CR4_PCIDE);
    CHECK(v & CR4_FSGSBASE);
    CHECK(v & CR4_SMEP);
    CHECK(v & CR4_SMAP);
    CHECK(v & CR4_UMIP);
    CHECK(v & CR4_PCE);
    CHECK(!(v & CR4_VMXE));   /* hidden by the policy */
    CHECK(!(v & CR4_SMXE));   /* hidden by the policy */
    CHECK(!(v & CR4_PKE));    /* no PKU */
    CHECK(!(v & CR4_LA57));   /* no 5-level paging */
    CHECK(!(v & CR4_CET));
    CHECK(!(v & BIT(15)));    /* reserved on every CPU */
    CHECK(!(v >> 32));
    l7_ecx = BIT(3) | BIT(16) | BIT(7); /* PKU LA57 CET */
    v = cr4_valid_bits(cpu, &in);
    CHECK(v & CR4_PKE);
    CHECK(v & CR4_LA57);
    CHECK(v & CR4_CET);
    CHECK(!(v & CR4_UMIP));
}

static void test_cr4(void)
{
    struct cpuid_policy_in in = { 0, false, false, false };
    struct cr_ctx c = { .cr0 = CR0_PE | CR0_ET, .cr4 = 0 };

    l1_ecx = BIT(17) | BIT(26);
    l7_ecx = 0;
    c.cr4_valid = cr4_valid_bits(cpu, &in);
    CHECK_EQ(cr4_write_check(&c, CR4_PAE | CR4_PGE), EMU_DONE);
    CHECK_EQ(cr4_write_check(&c, CR4_PKE), EMU_GP);     /* no PKU */
    CHECK_EQ(cr4_write_check(&c, CR4_LA57), EMU_GP);    /* no LA57 */
    CHECK_EQ(cr4_write_check(&c, CR4_VMXE), EMU_GP);    /* VMX hidden */
    CHECK_EQ(cr4_write_check(&c, BIT(15)), EMU_GP);     /* reserved */
    CHECK_EQ(cr4_write_check(&c, BIT(32)), EMU_GP);     /* 63:32 */
    CHECK_EQ(cr4_write_check(&c, CR4_PCIDE), EMU_GP);   /* not IA-32e */
    /* IA-32e mode: PAE stays, PCIDE only with CR3[11:0] = 0 */
    c.efer = EFER_LME | EFER_LMA;
    c.cr0 |= CR0_PG;
    c.cr4 = CR4_PAE;
    CHECK_EQ(cr4_write_check(&c, 0), EMU_GP);
    CHECK_EQ(cr4_write_check(&c, CR4_PAE | CR4_PCIDE), EMU_DONE);
    c.cr3 = 0x1005;
    CHECK_EQ(cr4_write_check(&c, CR4_PAE | CR4_PCIDE), EMU_GP);
    c.cr4 |= CR4_PCIDE; /* already set: CR3's low bits are a PCID then */
    CHECK_EQ(cr4_write_check(&c, CR4_PAE | CR4_PCIDE | CR4_PGE), EMU_DONE);
    /* LA57 cannot change in IA-32e mode even where the CPU has it */
    l7_ecx = BIT(16) | BIT(7);
    c.cr4_valid = cr4_valid_bits(cpu, &in);
    CHECK_EQ(cr4_write_check(&c, c.cr4 | CR4_LA57), EMU_GP);
    /* CET needs CR0.WP */
    c.efer = 0; c.cr0 = CR0_PE | CR0_ET; c.cr4 = 0; c.cr3 = 0;
    CHECK_EQ(cr4_write_check(&c, CR4_CET), EMU_GP);
    c.cr0 |= CR0_WP;
    CHECK_EQ(cr4_write_check(&c, CR4_CET), EMU_DONE);
}

static void test_cr0(void)
{
    struct cr_ctx c = { .cr0 = CR0_ET, .cr4 = 0, .efer = 0 };
    u64 efer;

    CHECK_EQ(cr0_write_check(&c, CR0_PE | CR0_ET, &efer), EMU_DONE);
    CHECK_EQ(cr0_write_check(&c, CR0_PG | CR0_ET, &efer), EMU_GP);       /* PG without PE */
    CHECK_EQ(cr0_write_check(&c, CR0_NW | CR0_ET, &efer), EMU_GP);       /* NW without CD */
    CHECK_EQ(cr0_write_check(&c, CR0_NW | CR0_CD | CR0_ET, &efer), EMU_DONE);
    CHECK_EQ(cr0_write_check(&c, BIT(32) | CR0_ET, &efer), EMU_GP);
    /* paging on with LME: LMA follows, PAE required */
    c.cr0 = CR0_PE | CR0_ET;
    c.efer = EFER_LME;
    CHECK_EQ(cr0_write_check(&c, c.cr0 | CR0_PG, &efer), EMU_GP);
    c.cr4 = CR4_PAE;
    CHECK_EQ(cr0_write_check(&c, c.cr0 | CR0_PG, &efer), EMU_DONE);
    CHECK_EQ(efer, EFER_LME | EFER_LMA);
    /* paging off: not from 64-bit code, not with PCIDE; LMA clears */
    c.cr0 |= CR0_PG;
    c.efer = EFER_LME | EFER_LMA;
    c.cs_long = true;
    CHECK_EQ(cr0_write_check(&c, CR0_PE | CR0_ET, &efer), EMU_GP);
    c.cs_long = false;
    CHECK_EQ(cr0_write_check(&c, CR0_PE | CR0_ET, &efer), EMU_DONE);
    CHECK_EQ(efer, EFER_LME);
    c.cr4 |= CR4_PCIDE;
    CHECK_EQ(cr0_write_check(&c, CR0_PE | CR0_ET, &efer), EMU_GP);
    /* WP stays while CET is on */
    c.cr4 = CR4_PAE | CR4_CET;
    c.cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
    CHECK_EQ(cr0_write_check(&c, CR0_PE | CR0_PG | CR0_ET, &efer), EMU_GP);
}

int main(void)
{
    test_valid_bits();
    test_cr4();
    test_cr0();
    return check_done("cr_policy");
}
