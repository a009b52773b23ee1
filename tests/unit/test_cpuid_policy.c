/* CPUID policy over recorded Intel and AMD answers. */
#include "check.h"
#include <common/guest_policy.h>

static bool intel;

static void fake(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    memset(r, 0xee, sizeof(*r)); /* anything not set below */
    switch (leaf) {
    case 0:
        r->eax = 0x16;
        if (intel) { r->ebx = 0x756e6547; r->edx = 0x49656e69; r->ecx = 0x6c65746e; }
        else { r->ebx = 0x68747541; r->edx = 0x69746e65; r->ecx = 0x444d4163; }
        break;
    case 1:
        r->ecx = 0xffffffff; /* every feature, VMX/SMX/OSXSAVE/hypervisor too */
        r->edx = 0x178bfbff;
        break;
    case 7:
        r->ebx = 0xffffffff;
        r->ecx = 0xffffffff;
        break;
    case 0x16:
        r->eax = 0x1111; r->ebx = 0x2222; r->ecx = 0x3333 + sub; r->edx = 0;
        break;
    case 0x40000000: /* an outer hypervisor's signature */
        r->eax = 0x40000001; r->ebx = 0x4b4d564b; r->ecx = 0x564b4d56; r->edx = 0x4d;
        break;
    case 0x80000001:
        r->ecx = 0xffffffff;
        break;
    case 0x8000000a:
        r->eax = 1; r->ebx = 16; r->edx = 0xff;
        break;
    }
}

/* Every bit set, every leaf: any edit by the policy shows. */
static void all_ones(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    memset(r, 0xff, sizeof(*r));
}

/* The exit path's shortcut (cpuid_leaf_is_raw: CPUID and nothing else)
 * agrees with the policy: every leaf it calls raw comes out of
 * cpuid_policy unchanged, whatever the inputs and the vendor. */
static void check_raw_leaves(void)
{
    static const u32 bases[] = { 0, 0x40000000, 0x4fffffe0, 0x50000000,
                                 0x80000000, 0xc0000000, 0xffffffe0 };
    int raw = 0;

    for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
        for (u32 leaf = bases[b]; leaf < bases[b] + 0x20; leaf++) {
            if (!cpuid_leaf_is_raw(leaf))
                continue;
            raw++;
            for (unsigned k = 0; k < 64; k++) {
                struct cpuid_policy_in in = { (k & 1) ? ~0ULL : 0, k & 2, k & 4, k & 8 };
                struct cpuid_regs r;
                intel = k & 16;
                cpuid_policy(leaf, (k & 32) ? 3 : 0, &in, all_ones, &r);
                CHECK(r.eax == ~0u && r.ebx == ~0u && r.ecx == ~0u && r.edx == ~0u);
            }
        }
    }
    CHECK(raw > 100);
    CHECK(!cpuid_leaf_is_raw(1) && !cpuid_leaf_is_raw(7) &&
          !cpuid_leaf_is_raw(0x40000000) && !cpuid_leaf_is_raw(0x4fffffff));
    CHECK(cpuid_leaf_is_raw(0) && cpuid_leaf_is_raw(0xd) && cpuid_leaf_is_raw(0x50000000));
}

int main(void)
{
    struct cpuid_policy_in in = { 0, false, false, false };
    struct cpuid_regs r;

    intel = false;
    cpuid_policy(1, 0, &in, fake, &r);
    CHECK(!(r.ecx & BIT(5)));   /* VMX */
    CHECK(!(r.ecx & BIT(6)));   /* SMX */
    CHECK(!(r.ecx & BIT(31)));  /* hypervisor present */
    in.nested_vmx = true;       /* vmm.nested=1 on VMX: shown */
    cpuid_policy(1, 0, &in, fake, &r);
    CHECK(r.ecx & BIT(5));
    CHECK(!(r.ecx & BIT(6)) && !(r.ecx & BIT(31)));
    in.nested_vmx = false;
    cpuid_policy(1, 0, &in, fake, &r);
    CHECK(!(r.ecx & BIT(27)));  /* OSXSAVE: guest CR4 has none */
    CHECK(r.ecx & BIT(26));     /* XSAVE itself stays */
    CHECK_EQ(r.edx, 0x178bfbff);
    in.guest_cr4 = CR4_OSXSAVE | CR4_PKE;
    cpuid_policy(1, 0, &in, fake, &r);
    CHECK(r.ecx & BIT(27));
    cpuid_policy(7, 0, &in, fake, &r);
    CHECK(!(r.ebx & BIT(25)));  /* Intel PT */
    CHECK(r.ecx & BIT(4));      /* OSPKE follows guest CR4.PKE */
    in.guest_cr4 = 0;
    cpuid_policy(7, 0, &in, fake, &r);
    CHECK(!(r.ecx & BIT(4)));
    cpuid_policy(0x80000001, 0, &in, fake, &r);
    CHECK(!(r.ecx & BIT(2)));   /* SVM */
    cpuid_policy(0x8000000a, 0, &in, fake, &r);
    CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
    cpuid_policy(0x14, 0, &in, fake, &r);
    CHECK(r.eax == 0 && r.ebx == 0);

    /* The hypervisor range: AMD hardware answers zeros ... */
    cpuid_policy(0x40000000, 0, &in, fake, &r);
    CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
    cpuid_policy(0x4fffffff, 0, &in, fake, &r);
    CHECK(r.eax == 0);
    /* ... Intel hardware the highest basic leaf (with the subleaf). */
    intel = true;
    cpuid_policy(0x40000000, 2, &in, fake, &r);
    CHECK_EQ(r.eax, 0x1111);
    CHECK_EQ(r.ecx, 0x3335);
    /* Veneer's own leaf only when asked for. */
    in.expose_veneer_leaf = true;
    cpuid_policy(0x40000000, 0, &in, fake, &r);
    CHECK_EQ(r.eax, 0x40000000);
    char sig[13] = { 0 };
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    CHECK_STR(sig, "VeneerVeneer");
    cpuid_policy(0x40000001, 0, &in, fake, &r);
    CHECK_EQ(r.eax, 0x1111);    /* the rest of the range still hidden */

    /* vmm.nested=1: SVM shown, of its optional features (EDX) only
     * nested paging. */
    intel = false;
    in.nested_svm = true;
    cpuid_policy(0x80000001, 0, &in, fake, &r);
    CHECK(r.ecx & BIT(2));
    cpuid_policy(0x8000000a, 0, &in, fake, &r);
    CHECK_EQ(r.eax, 1);         /* revision */
    CHECK_EQ(r.ebx, 16);        /* ASIDs */
    CHECK(r.ecx == 0 && r.edx == 1); /* NPT; no NRIPS, clean bits, ... */
    cpuid_policy(1, 0, &in, fake, &r);
    CHECK(!(r.ecx & BIT(5)));   /* VMX stays hidden */
    check_raw_leaves();
    return check_done("cpuid_policy");
}
