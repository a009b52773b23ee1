/* MOV to CR0/CR4 checks (see cr_policy.h). */
#include <common/cr_policy.h>
#include <platform/cpu.h>

/* A CR4 bit and the CPUID bit that says the CPU has it. */
struct cr4_feature {
    u64 bit;
    u32 leaf;
    u8 reg;   /* 0 EBX, 1 ECX, 2 EDX */
    u8 shift;
};

static const struct cr4_feature cr4_features[] = {
    { CR4_VME, 1, 2, 1 },        { CR4_PVI, 1, 2, 1 },
    { CR4_TSD, 1, 2, 4 },        { CR4_DE, 1, 2, 2 },
    { CR4_PSE, 1, 2, 3 },        { CR4_PAE, 1, 2, 6 },
    { CR4_MCE, 1, 2, 7 },        { CR4_PGE, 1, 2, 13 },
    { CR4_OSFXSR, 1, 2, 24 },    { CR4_OSXMMEXCPT, 1, 2, 25 },
    { CR4_UMIP, 7, 1, 2 },       { CR4_LA57, 7, 1, 16 },
    { CR4_VMXE, 1, 1, 5 },       { CR4_SMXE, 1, 1, 6 },
    { CR4_FSGSBASE, 7, 0, 0 },   { CR4_PCIDE, 1, 1, 17 },
    { CR4_OSXSAVE, 1, 1, 26 },   { CR4_KL, 7, 1, 23 },
    { CR4_SMEP, 7, 0, 7 },       { CR4_SMAP, 7, 0, 20 },
    { CR4_PKE, 7, 1, 3 },        { CR4_CET, 7, 1, 7 },
    { CR4_PKS, 7, 1, 31 },       { CR4_UINTR, 7, 2, 5 },
};

u64 cr4_valid_bits(cpuid_fn raw, const struct cpuid_policy_in *in)
{
    struct cpuid_regs l1, l7 = { 0 }, max;
    u64 valid = CR4_PCE; /* RDPMC at CPL>0: every CPU with a TSC has it */

    cpuid_policy(0, 0, in, raw, &max);
    cpuid_policy(1, 0, in, raw, &l1);
    if (max.eax >= 7)
        cpuid_policy(7, 0, in, raw, &l7);
    for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
        const struct cr4_feature *f = &cr4_features[i];
        const struct cpuid_regs *r = f->leaf == 1 ? &l1 : &l7;
        u32 word = f->reg == 0 ? r->ebx : f->reg == 1 ? r->ecx : r->edx;
        if (word & (1u << f->shift))
            valid |= f->bit;
    }
    return valid;
}

enum emu_result cr0_write_check(const struct cr_ctx *c, u64 val, u64 *efer)
{
    bool pg_on = (val & CR0_PG) && !(c->cr0 & CR0_PG);
    bool pg_off = !(val & CR0_PG) && (c->cr0 & CR0_PG);

    *efer = c->efer;
    if (val >> 32)
        return EMU_GP;
    if ((val & CR0_PG) && !(val & CR0_PE))
        return EMU_GP;
    if ((val & CR0_NW) && !(val & CR0_CD))
        return EMU_GP;
    if (!(val & CR0_WP) && (c->cr4 & CR4_CET))
        return EMU_GP;
    if (pg_on && (c->efer & EFER_LME)) {
        if (!(c->cr4 & CR4_PAE))
            return EMU_GP;
        *efer |= EFER_LMA;
    }
    if (pg_off && (c->efer & EFER_LMA)) {
        if (c->cs_long || (c->cr4 & CR4_PCIDE))
            return EMU_GP; /* paging off from 64-bit code, or with PCIDE */
        *efer &= ~EFER_LMA;
    }
    return EMU_DONE;
}

enum emu_result cr4_write_check(const struct cr_ctx *c, u64 val)
{
    u64 changed = val ^ c->cr4;

    if (val & ~c->cr4_valid)
        return EMU_GP; /* bits 63:32, reserved bits, features it lacks */
    if (c->efer & EFER_LMA) {
        if (!(val & CR4_PAE))
            return EMU_GP;
        if (changed & CR4_LA57)
            return EMU_GP;
    }
    if ((val & CR4_PCIDE) && !(c->cr4 & CR4_PCIDE) &&
        (!(c->efer & EFER_LMA) || (c->cr3 & 0xfff)))
        return EMU_GP;
    if ((val & CR4_CET) && !(c->cr0 & CR0_WP))
        return EMU_GP;
    return EMU_DONE;
}
