/* Guest state between struct vcpu_state and the VMCS: fields are read
 * with VMREAD only when common code asks for them, and written back only
 * when dirty. CR0 and CR4 are presented as the guest believes them to be:
 * the bits VMX fixes come from the read shadows. */
#include <common/guest_mem.h>
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>

struct seg_fields {
    u32 sel, limit, ar, base;
};

static const struct seg_fields segs[SEG_COUNT] = {
    [SEG_ES] = { GUEST_ES_SEL, GUEST_ES_LIMIT, GUEST_ES_AR, GUEST_ES_BASE },
    [SEG_CS] = { GUEST_CS_SEL, GUEST_CS_LIMIT, GUEST_CS_AR, GUEST_CS_BASE },
    [SEG_SS] = { GUEST_SS_SEL, GUEST_SS_LIMIT, GUEST_SS_AR, GUEST_SS_BASE },
    [SEG_DS] = { GUEST_DS_SEL, GUEST_DS_LIMIT, GUEST_DS_AR, GUEST_DS_BASE },
    [SEG_FS] = { GUEST_FS_SEL, GUEST_FS_LIMIT, GUEST_FS_AR, GUEST_FS_BASE },
    [SEG_GS] = { GUEST_GS_SEL, GUEST_GS_LIMIT, GUEST_GS_AR, GUEST_GS_BASE },
    [SEG_LDTR] = { GUEST_LDTR_SEL, GUEST_LDTR_LIMIT, GUEST_LDTR_AR, GUEST_LDTR_BASE },
    [SEG_TR] = { GUEST_TR_SEL, GUEST_TR_LIMIT, GUEST_TR_AR, GUEST_TR_BASE },
};


u64 vmx_guest_cr0(u64 requested)
{
    return (requested | (vmx_cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_cr0_fixed1;
}

u64 vmx_guest_cr4(u64 requested)
{
    return (requested | vmx_cr4_fixed0) & vmx_cr4_fixed1;
}

void vmx_state_load(struct vcpu *v, u32 mask)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vcpu_state *s = &v->state;

    mask &= ~s->dirty;
    /* one step per field asked for (not a test of every field) */
    for (u32 m = mask; m; m &= m - 1) {
        switch (__builtin_ctz(m)) {
        case VS_BIT_RIP: s->rip = vmcs_readn(GUEST_RIP); break;
        case VS_BIT_RFLAGS: s->rflags = vmcs_readn(GUEST_RFLAGS); break;
        case VS_BIT_CR0:
            s->cr0 = (vmcs_readn(GUEST_CR0) & ~x->cr0_mask) |
                     (vmcs_readn(CR0_READ_SHADOW) & x->cr0_mask);
            break;
        case VS_BIT_CR2: s->cr2 = read_cr2(); break; /* CR2 is not switched */
        case VS_BIT_CR3: s->cr3 = vmcs_readn(GUEST_CR3); break;
        case VS_BIT_CR4:
            s->cr4 = (vmcs_readn(GUEST_CR4) & ~x->cr4_mask) |
                     (vmcs_readn(CR4_READ_SHADOW) & x->cr4_mask);
            break;
        case VS_BIT_EFER: s->efer = vmcs_read64(GUEST_IA32_EFER); break;
        case VS_BIT_PAT: s->pat = vmcs_read64(GUEST_IA32_PAT); break;
        case VS_BIT_DR7: s->dr7 = vmcs_readn(GUEST_DR7); break;
        case VS_BIT_CS: case VS_BIT_DS: case VS_BIT_ES: case VS_BIT_FS:
        case VS_BIT_GS: case VS_BIT_SS: case VS_BIT_TR: case VS_BIT_LDTR: {
            int i = seg_of_bit(m);
            s->seg[i] = (struct segment){ (u16)vmcs_read_raw(segs[i].sel),
                                          (u32)vmcs_read_raw(segs[i].ar),
                                          (u32)vmcs_read_raw(segs[i].limit),
                                          vmcs_read_raw(segs[i].base) };
            break;
        }
        case VS_BIT_GDTR:
            s->gdtr = (struct dtable){ vmcs_readn(GUEST_GDTR_BASE),
                                       vmcs_read32(GUEST_GDTR_LIMIT) };
            break;
        case VS_BIT_IDTR:
            s->idtr = (struct dtable){ vmcs_readn(GUEST_IDTR_BASE),
                                       vmcs_read32(GUEST_IDTR_LIMIT) };
            break;
        case VS_BIT_SYSENTER:
            s->sysenter_cs = vmcs_read32(GUEST_SYSENTER_CS);
            s->sysenter_esp = vmcs_readn(GUEST_SYSENTER_ESP);
            s->sysenter_eip = vmcs_readn(GUEST_SYSENTER_EIP);
            break;
        case VS_BIT_KERNEL_GS: s->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE); break;
        case VS_BIT_INTR_STATE: {
            u32 gi = vmcs_read32(GUEST_INTERRUPTIBILITY);
            s->intr_state = ((gi & (GI_STI | GI_MOV_SS)) ? INTR_SHADOW : 0) |
                            ((gi & GI_NMI) ? INTR_NMI_BLOCKED : 0);
            break;
        }
        case VS_BIT_ACTIVITY: {
            u32 a = vmcs_read32(GUEST_ACTIVITY_STATE);
            s->activity = a == ACTIVITY_HLT ? ACT_HLT
                        : a == ACTIVITY_WAIT_SIPI ? ACT_WAIT_SIPI : ACT_ACTIVE;
            break;
        }
        default:
            break;
        }
    }
    s->valid |= mask;
}

/* With EPT, VM entry takes a PAE guest's PDPTEs from the VMCS ("Loading
 * Page-Directory-Pointer-Table Entries" in the SDM's VM-entry chapter),
 * not from memory: a CR0, CR3 or CR4 the VMM wrote (a task switch's CR3)
 * needs them reloaded from the new tables. */
static void load_pdptes(const struct vcpu_state *s)
{
    u64 pdpte[4];

    if (!(s->cr0 & CR0_PG) || !(s->cr4 & CR4_PAE) || (s->efer & EFER_LMA))
        return;
    if (guest_phys_read(s->cr3 & 0xffffffe0, pdpte, sizeof(pdpte)) < 0)
        return;
    vmcs_write64(GUEST_PDPTE0, pdpte[0]);
    vmcs_write64(GUEST_PDPTE1, pdpte[1]);
    vmcs_write64(GUEST_PDPTE2, pdpte[2]);
    vmcs_write64(GUEST_PDPTE3, pdpte[3]);
}

/* CS's access rights as written to the VMCS. In real mode a selector may
 * have any low bits (a waking vector 0x803b is CS:IP 0803:000b), but a
 * non-conforming code type (11, as set at INIT) then fails VM entry where
 * CS.DPL must equal the selector's RPL (Bochs 2.7, older SDMs) or SS.DPL
 * (current SDMs, 27.3.1.2). Type 3 with DPL 0, which unrestricted guest
 * allows, passes both, and is what a real-mode load gives CS on Bochs. */
static u32 real_mode_cs_ar(struct vcpu *v)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CR0);
    u32 ar = s->seg[SEG_CS].attr;

    if ((s->cr0 & CR0_PE) || !(s->seg[SEG_CS].sel & 3))
        return ar;
    return (ar & ~0x6fu) | 0x3; /* type 3, DPL 0 */
}

void vmx_state_write_back(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vcpu_state *s = &v->state;
    u32 d = s->dirty;
    const u32 paging = VS_CR0 | VS_CR3 | VS_CR4 | VS_EFER;

    if (!d)
        return;
    if (d == VS_RIP) { /* an instruction skipped: the usual exit */
        vmcs_writen(GUEST_RIP, s->rip);
        s->dirty = 0;
        return;
    }
    if (d & (VS_CR0 | VS_CR3 | VS_CR4))
        vmx_state_load(v, paging & ~s->valid);
    if (d & VS_RIP) vmcs_writen(GUEST_RIP, s->rip);
    if (d & VS_RFLAGS) vmcs_writen(GUEST_RFLAGS, s->rflags | RFLAGS_FIXED);
    if (d & VS_CR0) {
        vmcs_writen(GUEST_CR0, vmx_guest_cr0(s->cr0));
        vmcs_writen(CR0_READ_SHADOW, s->cr0);
    }
    if (d & VS_CR2) write_cr2(s->cr2);
    if (d & VS_CR3) vmcs_writen(GUEST_CR3, s->cr3);
    if (d & VS_CR4) {
        vmcs_writen(GUEST_CR4, vmx_guest_cr4(s->cr4));
        vmcs_writen(CR4_READ_SHADOW, s->cr4);
    }
    if (d & VS_EFER) {
        vmcs_write64(GUEST_IA32_EFER, s->efer);
        /* "IA-32e mode guest" must agree with EFER.LMA at entry. */
        u32 entry = (x->entry & ~ENTRY_IA32E_GUEST) |
                    ((s->efer & EFER_LMA) ? ENTRY_IA32E_GUEST : 0);
        if (entry != x->entry) {
            x->entry = entry;
            vmcs_write32(VM_ENTRY_CONTROLS, entry);
        }
    }
    if (d & (VS_CR0 | VS_CR3 | VS_CR4))
        load_pdptes(s);
    if (d & VS_PAT) vmcs_write64(GUEST_IA32_PAT, s->pat);
    if (d & VS_DR7) vmcs_writen(GUEST_DR7, s->dr7);
    for (u32 m = d & VS_SEGMENTS; m; m &= m - 1) {
        int i = seg_of_bit(m);
        vmcs_write_raw(segs[i].sel, s->seg[i].sel);
        vmcs_write_raw(segs[i].ar, i == SEG_CS ? real_mode_cs_ar(v) : s->seg[i].attr);
        vmcs_write_raw(segs[i].limit, s->seg[i].limit);
        vmcs_write_raw(segs[i].base, s->seg[i].base);
    }
    if (d & VS_GDTR) {
        vmcs_writen(GUEST_GDTR_BASE, s->gdtr.base);
        vmcs_write32(GUEST_GDTR_LIMIT, s->gdtr.limit);
    }
    if (d & VS_IDTR) {
        vmcs_writen(GUEST_IDTR_BASE, s->idtr.base);
        vmcs_write32(GUEST_IDTR_LIMIT, s->idtr.limit);
    }
    if (d & VS_SYSENTER) {
        vmcs_write32(GUEST_SYSENTER_CS, s->sysenter_cs);
        vmcs_writen(GUEST_SYSENTER_ESP, s->sysenter_esp);
        vmcs_writen(GUEST_SYSENTER_EIP, s->sysenter_eip);
    }
    if (d & VS_KERNEL_GS) wrmsr(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
    if (d & VS_INTR_STATE) {
        u32 gi = vmcs_read32(GUEST_INTERRUPTIBILITY) & ~(GI_STI | GI_MOV_SS | GI_NMI);
        if (s->intr_state & INTR_SHADOW)
            gi |= GI_STI;
        if (s->intr_state & INTR_NMI_BLOCKED)
            gi |= GI_NMI;
        vmcs_write32(GUEST_INTERRUPTIBILITY, gi);
    }
    if (d & VS_ACTIVITY)
        vmcs_write32(GUEST_ACTIVITY_STATE,
                     s->activity == ACT_HLT ? ACTIVITY_HLT
                     : s->activity == ACT_WAIT_SIPI ? ACTIVITY_WAIT_SIPI
                                                    : ACTIVITY_ACTIVE);
    s->dirty = 0;
}
