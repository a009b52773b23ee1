/* Nested VMX: the guest (L1) runs its own virtual machines (L2) with the
 * VMX instructions, which Veneer emulates (SDM vol. 3, chapters 24-31).
 * Only with vmm.nested=1: common code decides (CPUID.1:ECX.VMX, which
 * also makes CR4.VMXE writable, and the IA32_VMX_* MSRs, common/cpuid*.c
 * and common/msr.c); everything here runs only once L1 has done VMXON.
 *
 * - VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
 *   VMRESUME, INVEPT and INVVPID are emulated with the checks and failures
 *   of the SDM's pseudo-code (#UD, #GP, VMfailInvalid, VMfailValid with
 *   the VM-instruction error number): a bad pointer, a VMCS in the VMM
 *   region (not memory of L1's machine), an unknown field or an
 *   unsupported control never reach the CPU.
 * - vmcs12 lies in L1's memory in Veneer's own layout (struct vmcs12,
 *   the fields of vmcs12.h) and is cached while it is current: VMPTRLD
 *   reads it, VMCLEAR/VMPTRLD of another/VMXOFF write it back, as a CPU
 *   may cache its VMCS.
 * - VMLAUNCH/VMRESUME build vmcs02: L2's state from vmcs12, L1's controls
 *   OR'ed with Veneer's (its NMI exiting, I/O and MSR bitmaps merged so a
 *   port or MSR Veneer owns exits to Veneer whatever L1 wants), Veneer's
 *   host state. Without EPT in vmcs12 L2 runs on Veneer's EPT with L1's
 *   paging (L1 shadows L2's page tables itself), L2-physical ==
 *   L1-physical, so the VMM region is as absent for L2 as for L1 and an
 *   MMIO hook sees the same addresses. With it, L2 runs on EPT02 (L1's
 *   EPT composed with Veneer's, vmx_nept.c), filled at L2's EPT
 *   violations: one EPT12 has no translation or permission for is L1's
 *   (exit 48/49); one onto a page Veneer's map leaves out (the VMM
 *   region, an MMIO hook) is Veneer's, at the L1-physical address.
 * - An L2 exit goes to L1 (an emulated VM exit: L2's state and the exit
 *   information into vmcs12, L1's host state from vmcs12 into vmcs01)
 *   when L1 asked for it; otherwise Veneer handles it on L2's state as it
 *   would for L1. An exception Veneer raises in L2 (an access to the VMM
 *   region) goes to L1 when L1's exception bitmap has it; an NMI or an
 *   interrupt held for the machine while L2 runs exits to L1 when L1 has
 *   NMI / external-interrupt exiting, else goes into L2.
 * - VMCS shadowing, where the CPU has it: while L1 has a current VMCS,
 *   vmcs01 links a shadow VMCS holding the cache's fields, and L1's
 *   VMREAD/VMWRITE of the known fields (VMREAD of every one, VMWRITE of
 *   all but the read-only exit information) run without exits. The
 *   shadow is copied into the cache before Veneer uses it (every other
 *   VMX instruction of L1) and back after the cache changed (an emulated
 *   VM exit, a VM-instruction error). Without it every VMREAD/VMWRITE
 *   exits and is answered from the cache. */
#include <common/guest_mem.h>
#include <common/guest_policy.h>
#include <intel-vmx/vmcs12.h>
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/trap.h>
#include <string.h>

#define VMCS12_REVISION 0x00125e12u  /* L1's VMCS revision: not the CPU's */
#define NO_VMCS (~0ULL)
/* The second-level VPID of a vcpu's L2 (its L1 has index + 1). */
#define L2_VPID(v) ((u16)((v)->index + 1 + 0x1000))

/* VM-instruction error numbers (SDM 30.4). */
enum {
    VMXERR_VMCALL_ROOT = 1, VMXERR_VMCLEAR_BAD_ADDR = 2,
    VMXERR_VMCLEAR_VMXON = 3, VMXERR_VMLAUNCH_NOT_CLEAR = 4,
    VMXERR_VMRESUME_NOT_LAUNCHED = 5, VMXERR_BAD_CONTROLS = 7,
    VMXERR_BAD_HOST = 8, VMXERR_VMPTRLD_BAD_ADDR = 9,
    VMXERR_VMPTRLD_VMXON = 10, VMXERR_VMPTRLD_REVISION = 11,
    VMXERR_UNSUPPORTED_FIELD = 12, VMXERR_READ_ONLY_FIELD = 13,
    VMXERR_VMXON_ROOT = 15, VMXERR_MOV_SS = 26, VMXERR_INVALID_INV = 28,
};

static const struct field12 {
    u32 enc;
    char kind;
} fields12[V12_COUNT] = {
#define X(f, w, k) [V12_##f] = { f, #k[0] },
    VMCS12_FIELDS(X)
#undef X
};

#define C12(n, field) ((n)->c->f[V12_##field])

/* ---- what L1 is shown (the IA32_VMX_* MSRs) ------------------------------ */

#define PIN_DEFAULT1   0x16u
#define PROC_DEFAULT1  0x0401e172u
#define EXIT_DEFAULT1  0x00036dffu
#define ENTRY_DEFAULT1 0x000011ffu
#define PIN_L1   (PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS)
#define PROC_L1  (PROC_INTR_WINDOW | PROC_TSC_OFFSETTING | PROC_HLT_EXITING | \
                  PROC_INVLPG_EXITING | PROC_MWAIT_EXITING | PROC_RDPMC_EXITING | \
                  PROC_RDTSC_EXITING | PROC_CR8_LOAD_EXITING | \
                  PROC_CR8_STORE_EXITING | PROC_NMI_WINDOW | PROC_MOV_DR_EXITING | \
                  PROC_UNCOND_IO | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | \
                  PROC_MONITOR_EXITING | PROC_PAUSE_EXITING | PROC_SECONDARY)
#define EXIT_L1  (EXIT_HOST_64 | EXIT_ACK_INTR | EXIT_SAVE_PAT | EXIT_LOAD_PAT | \
                  EXIT_SAVE_EFER | EXIT_LOAD_EFER)
#define ENTRY_L1 (ENTRY_IA32E_GUEST | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)

static u32 proc2_l1(void)
{
    u32 p = PROC2_DESC_TABLE | PROC2_WBINVD_EXITING | PROC2_EPT;

    if (vmx_caps.vpid && vmx_caps.invvpid)
        p |= PROC2_VPID;
    if (vmx_caps.rdtscp)
        p |= PROC2_RDTSCP;
    return p;
}

static u64 ctl_msr(u32 allowed0, u32 allowed1)
{
    return ((u64)(allowed1 | allowed0) << 32) | allowed0;
}

static u64 vmcs_enum(void)
{
    u32 max = 0;

    for (u32 i = 0; i < V12_COUNT; i++)
        if (((fields12[i].enc >> 1) & 0x1ff) > max)
            max = (fields12[i].enc >> 1) & 0x1ff;
    return (u64)max << 1;
}

int vmx_nested_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
    switch (msr) {
    case MSR_IA32_VMX_BASIC_NESTED:
        /* 4 KiB regions, write-back, the TRUE_* MSRs, no 32-bit limit */
        *val = VMCS12_REVISION | (4096ULL << 32) | (6ULL << 50) | BIT(55);
        return EMU_DONE;
    case MSR_IA32_VMX_PINBASED_CTLS:
    case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
        *val = ctl_msr(PIN_DEFAULT1, PIN_L1);
        return EMU_DONE;
    case MSR_IA32_VMX_PROCBASED_CTLS:
    case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
        *val = ctl_msr(PROC_DEFAULT1, PROC_L1);
        return EMU_DONE;
    case MSR_IA32_VMX_EXIT_CTLS:
    case MSR_IA32_VMX_TRUE_EXIT_CTLS:
        *val = ctl_msr(EXIT_DEFAULT1, EXIT_L1);
        return EMU_DONE;
    case MSR_IA32_VMX_ENTRY_CTLS:
    case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
        *val = ctl_msr(ENTRY_DEFAULT1, ENTRY_L1);
        return EMU_DONE;
    case MSR_IA32_VMX_MISC:
        /* EFER.LMA stored into "IA-32e mode guest" (bit 5), the HLT
         * activity state (bit 6), no CR3 targets, MSR lists of up to
         * 512 entries (bits 27:25 = 0) */
        *val = BIT(5) | BIT(6);
        return EMU_DONE;
    case MSR_IA32_VMX_CR0_FIXED0:
        *val = CR0_PE | CR0_NE | CR0_PG; /* no unrestricted guest */
        return EMU_DONE;
    case MSR_IA32_VMX_CR0_FIXED1:
        *val = vmx_cr0_fixed1;
        return EMU_DONE;
    case MSR_IA32_VMX_CR4_FIXED0:
        *val = CR4_VMXE;
        return EMU_DONE;
    case MSR_IA32_VMX_CR4_FIXED1:
        *val = vmx_cr4_fixed1 & cr4_guest_valid();
        return EMU_DONE;
    case 0x48a: /* IA32_VMX_VMCS_ENUM */
        *val = vmcs_enum();
        return EMU_DONE;
    case MSR_IA32_VMX_PROCBASED_CTLS2:
        *val = (u64)proc2_l1() << 32;
        return EMU_DONE;
    case MSR_IA32_VMX_EPT_VPID_CAP:
        /* EPT (vmx_nept.c): a 4-level walk (6), write-back (14), 2 MiB
         * and 1 GiB pages (16, 17), INVEPT (20) single-context (25) and
         * all-context (26); no execute-only, no accessed/dirty flags, no
         * UC EPTP. INVVPID single-context (41) and all-context (42). */
        *val = BIT(6) | BIT(14) | BIT(16) | BIT(17) | BIT(20) | BIT(25) | BIT(26);
        if (proc2_l1() & PROC2_VPID)
            *val |= BIT(32) | BIT(41) | BIT(42);
        return EMU_DONE;
    default:
        return EMU_GP; /* VMFUNC (0x491) and the rest: not shown */
    }
}

/* ---- setup ----------------------------------------------------------------- */

static void shadow_bitmaps(struct vmx_nested *n);

int vmx_nested_create(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    u64 c, io, msr, v02;

    n->current = NO_VMCS;
    if (!nested_vmx_exposed())
        return 0; /* CR4.VMXE stays refused: nothing here ever runs */
    c = alloc_pages(1);
    io = alloc_pages(2);
    msr = alloc_pages(1);
    v02 = alloc_pages(1);
    if (!c || !io || !msr || !v02)
        return -E_NOMEM;
    n->c = phys_to_virt(c);
    n->io02 = phys_to_virt(io);
    n->io02_pa = io;
    n->msr02 = phys_to_virt(msr);
    n->msr02_pa = msr;
    n->vmcs02_pa = v02;
    *(u32 *)phys_to_virt(v02) = vmx_caps.revision;
    if (vmx_nept_create(n) < 0)
        return -E_NOMEM;
    if (!vmx_caps.vmcs_shadowing)
        return 0;
    n->shadow_pa = alloc_pages(1);
    n->vmread_bitmap_pa = alloc_pages(1);
    n->vmwrite_bitmap_pa = alloc_pages(1);
    if (!n->shadow_pa || !n->vmread_bitmap_pa || !n->vmwrite_bitmap_pa)
        return -E_NOMEM;
    *(u32 *)phys_to_virt(n->shadow_pa) = vmx_caps.revision | BIT(31);
    __asm__ volatile("vmclear %0" ::"m"(n->shadow_pa) : "cc", "memory");
    shadow_bitmaps(n);
    /* vmcs01 is current (vmx_vcpu_create) */
    vmcs_write64(VMREAD_BITMAP, n->vmread_bitmap_pa);
    vmcs_write64(VMWRITE_BITMAP, n->vmwrite_bitmap_pa);
    return 0;
}

static void vmptrld(u64 pa)
{
    u8 fail;

    __asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
    if (fail)
        panic("vmx: VMPTRLD of the VMM's own VMCS at 0x%llx failed",
              (unsigned long long)pa);
}

/* ---- L1's RFLAGS after a VMX instruction (SDM 30.2) ----------------------- */

#define RFLAGS_ARITH (RFLAGS_CF | BIT(2) | BIT(4) | RFLAGS_ZF | BIT(7) | BIT(11))

static void set_result(struct vcpu *v, u64 flags)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_RFLAGS);

    s->rflags = (s->rflags & ~RFLAGS_ARITH) | flags;
    vcpu_state_set(v, VS_RFLAGS);
    vmx_skip_instruction(v, NULL); /* vmcs01's exit: L1's instruction */
}

static void succeed(struct vcpu *v)
{
    set_result(v, 0);
}

static void fail_invalid(struct vcpu *v)
{
    set_result(v, RFLAGS_CF);
}

static void fail_valid(struct vcpu *v, u32 err)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (n->current == NO_VMCS) {
        fail_invalid(v);
        return;
    }
    C12(n, VM_INSTRUCTION_ERROR) = err;
    set_result(v, RFLAGS_ZF);
    log_debug("vmx", "L1's VMX instruction: VMfailValid(%u)", err);
}

/* ---- the vmcs12 cache ------------------------------------------------------ */

static void flush_current(struct vmx_nested *n)
{
    if (n->current == NO_VMCS)
        return;
    if (guest_phys_write(n->current, n->c, sizeof(*n->c)) < 0)
        log_warn_ratelimited("vmx", "L1's VMCS at 0x%llx is no longer guest "
                             "memory; not written back",
                             (unsigned long long)n->current);
}

/* ---- VMCS shadowing ------------------------------------------------------ */

static bool vmwrite_try(u32 field, u64 value)
{
    u8 fail;

    __asm__ volatile("vmwrite %1, %2; setna %0" : "=qm"(fail)
                     : "rm"(value), "r"((u64)field) : "cc", "memory");
    return !fail;
}

static void bitmap_bit(u64 pa, u32 enc, bool exits)
{
    u8 *b = phys_to_virt(pa);

    enc &= 0x7fff;
    if (exits)
        b[enc / 8] |= (u8)(1u << (enc % 8));
    else
        b[enc / 8] &= (u8)~(1u << (enc % 8));
}

/* The bitmaps: every field exits but the known ones (and the high halves
 * of the 64-bit ones); VMWRITE of the read-only ones exits (error 13). */
static void shadow_bitmaps(struct vmx_nested *n)
{
    memset(phys_to_virt(n->vmread_bitmap_pa), 0xff, PAGE_SIZE);
    memset(phys_to_virt(n->vmwrite_bitmap_pa), 0xff, PAGE_SIZE);
    for (u32 i = 0; i < V12_COUNT; i++) {
        u32 enc = fields12[i].enc;
        bool wide = VMCS_WIDTH(enc) == VMCS_W64;
        bitmap_bit(n->vmread_bitmap_pa, enc, false);
        if (wide)
            bitmap_bit(n->vmread_bitmap_pa, enc | 1, false);
        if (fields12[i].kind == 'R')
            continue;
        bitmap_bit(n->vmwrite_bitmap_pa, enc, false);
        if (wide)
            bitmap_bit(n->vmwrite_bitmap_pa, enc | 1, false);
    }
}

/* Copies the cache into the shadow VMCS (vmcs01 current before and
 * after). A field this CPU's VMCS lacks goes back to exiting. */
static void shadow_load(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    vmptrld(n->shadow_pa);
    for (u32 i = 0; i < V12_COUNT; i++)
        if (!vmwrite_try(fields12[i].enc, n->c->f[i])) {
            bitmap_bit(n->vmread_bitmap_pa, fields12[i].enc, true);
            bitmap_bit(n->vmwrite_bitmap_pa, fields12[i].enc, true);
        }
    vmptrld(vmx_of(v)->vmcs_pa);
}

/* Copies the shadow VMCS into the cache (what L1 wrote without exits). */
static void shadow_store(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (!n->shadow_on)
        return;
    vmptrld(n->shadow_pa);
    for (u32 i = 0; i < V12_COUNT; i++) {
        u64 val;
        u8 fail;
        __asm__ volatile("vmread %2, %0; setna %1" : "=rm"(val), "=qm"(fail)
                         : "r"((u64)fields12[i].enc) : "cc");
        if (!fail)
            n->c->f[i] = val;
    }
    vmptrld(vmx_of(v)->vmcs_pa);
}

/* Shadowing on while L1 (vmcs01 current) has a current VMCS, with the
 * cache copied in; off otherwise (VMREAD/VMWRITE then exit and fail as
 * the SDM says without a current VMCS). */
static void shadow_update(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    bool on = n->shadow_pa && n->current != NO_VMCS;

    if (on)
        shadow_load(v);
    if (on == n->shadow_on)
        return;
    n->shadow_on = on;
    x->proc2 = on ? x->proc2 | PROC2_SHADOW_VMCS : x->proc2 & ~PROC2_SHADOW_VMCS;
    vmcs_write32(PROC_BASED_CONTROLS2, x->proc2);
    vmcs_write64(VMCS_LINK_POINTER, on ? n->shadow_pa : ~0ULL);
}

/* ---- operands -------------------------------------------------------------- */

static bool long_mode_64(struct vcpu *v)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_EFER | VS_CS);

    return (s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13));
}

/* The linear address of a memory operand (exit qualification: the
 * displacement; instruction information: SDM table 27-13). */
static u64 operand_addr(struct vcpu *v, u32 info, u64 qual)
{
    u64 *g = v->regs.gpr, a = qual;
    unsigned asize = (info >> 7) & 7, seg = (info >> 15) & 7;
    struct vcpu_state *s = vcpu_state_get(v, VS_ES | VS_CS | VS_SS | VS_DS |
                                          VS_FS | VS_GS);

    if (!(info & BIT(27)))
        a += g[(info >> 23) & 15];
    if (!(info & BIT(22)))
        a += g[(info >> 18) & 15] << (info & 3);
    a &= asize == 0 ? 0xffff : asize == 1 ? 0xffffffff : ~0ULL;
    if (!long_mode_64(v) || seg == SEG_FS || seg == SEG_GS)
        a += s->seg[seg].base;
    if (!long_mode_64(v))
        a &= 0xffffffff;
    return a;
}

/* Reads or writes an operand in L1's memory; false after raising the
 * fault L1's own access would take. */
static bool operand_access(struct vcpu *v, u64 gla, void *buf, size_t len,
                           bool write)
{
    struct guest_fault f;
    int r = guest_linear_access(v, gla, buf, len, write, &f);

    if (r == -E_FAULT) {
        vcpu_state_get(v, VS_CR2)->cr2 = f.addr;
        vcpu_state_set(v, VS_CR2);
        vmx_inject_exception(v, 14, f.error);
        return false;
    }
    if (r < 0) {
        vmx_inject_exception(v, 13, 0);
        return false;
    }
    return true;
}

static bool read_m64(struct vcpu *v, u64 *val)
{
    u32 info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);

    return operand_access(v, operand_addr(v, info, vmx_of(v)->exit_qual), val, 8, false);
}

/* ---- the checks every VMX instruction makes (SDM 30.3) ----------------- */

/* #UD outside VMX operation (VMXON: with CR4.VMXE clear), in real or
 * virtual-8086 mode, in compatibility mode; #GP(0) above CPL 0. */
static bool l1_insn_ok(struct vcpu *v, bool vmxon)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    struct vcpu_state *s = vcpu_state_get(v, VS_CR0 | VS_CR4 | VS_RFLAGS |
                                          VS_EFER | VS_CS | VS_SS);

    if ((vmxon ? !(s->cr4 & CR4_VMXE) : !n->vmxon) || !(s->cr0 & CR0_PE) ||
        (s->rflags & RFLAGS_VM) ||
        ((s->efer & EFER_LMA) && !(s->seg[SEG_CS].attr & BIT(13)))) {
        vmx_inject_exception(v, 6, 0);
        return false;
    }
    if ((s->seg[SEG_SS].attr >> 5) & 3) {
        vmx_inject_exception(v, 13, 0);
        return false;
    }
    return true;
}

/* A VMCS or VMXON-region address L1 may use: 4 KiB aligned memory of its
 * machine (the VMM region is none). */
static bool vmcs_addr_ok(u64 pa)
{
    return !(pa & 0xfff) && guest_mem_ok(pa, 4096);
}

/* ---- VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST --------------------------- */

static void emulate_vmxon(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    struct vcpu_state *s;
    u64 pa;
    u32 rev;

    if (n->vmxon) {
        if (l1_insn_ok(v, false))
            fail_valid(v, VMXERR_VMXON_ROOT);
        return;
    }
    if (!l1_insn_ok(v, true))
        return;
    s = vcpu_state_get(v, VS_CR0 | VS_CR4);
    /* CR0/CR4 outside the fixed bits L1 is shown: #GP (SDM: VMXON) */
    if ((s->cr0 & (CR0_PE | CR0_NE | CR0_PG)) != (CR0_PE | CR0_NE | CR0_PG)) {
        vmx_inject_exception(v, 13, 0);
        return;
    }
    if (!read_m64(v, &pa))
        return;
    if (!vmcs_addr_ok(pa) || guest_phys_read(pa, &rev, 4) < 0 ||
        (rev & 0x7fffffff) != VMCS12_REVISION || (rev >> 31)) {
        log_info("vmx", "L1's VMXON with region 0x%llx: not aligned memory "
                 "with revision 0x%x; VMfailInvalid", (unsigned long long)pa,
                 VMCS12_REVISION);
        fail_invalid(v);
        return;
    }
    n->vmxon = true;
    n->vmxon_pa = pa;
    n->current = NO_VMCS;
    succeed(v);
    log_info("vmx", "vcpu %u: L1 entered VMX operation (VMXON region 0x%llx)",
             v->index, (unsigned long long)pa);
}

static void emulate_vmxoff(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (!l1_insn_ok(v, false))
        return;
    flush_current(n);
    n->current = NO_VMCS;
    n->vmxon = false;
    succeed(v);
    log_info("vmx", "vcpu %u: L1 left VMX operation (%llu VM entries, %llu "
             "exits reflected, %llu VMREAD/VMWRITE exits; VMCS shadowing %s)",
             v->index, (unsigned long long)n->entries,
             (unsigned long long)n->reflected, (unsigned long long)n->vmrw_exits,
             n->shadow_pa ? "on" : "off");
    if (n->nept_fills || n->nept_reflected)
        log_info("vmx", "vcpu %u: L1's EPT: %llu EPT02 fills, %llu EPT02 flushes, "
                 "%llu EPT exits reflected", v->index, (unsigned long long)n->nept_fills,
                 (unsigned long long)n->nept_flushes,
                 (unsigned long long)n->nept_reflected);
}

static void emulate_vmclear(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    u32 clear = 0;
    u64 pa;

    if (!l1_insn_ok(v, false) || !read_m64(v, &pa))
        return;
    if (!vmcs_addr_ok(pa)) {
        log_info("vmx", "L1's VMCLEAR of 0x%llx: not aligned memory; "
                 "VMfailValid(2)", (unsigned long long)pa);
        fail_valid(v, VMXERR_VMCLEAR_BAD_ADDR);
        return;
    }
    if (pa == n->vmxon_pa) {
        fail_valid(v, VMXERR_VMCLEAR_VMXON);
        return;
    }
    if (pa == n->current) {
        n->c->launched = 0;
        flush_current(n);
        n->current = NO_VMCS;
    } else {
        guest_phys_write(pa + offsetof(struct vmcs12, launched), &clear, 4);
    }
    succeed(v);
}

static void emulate_vmptrld(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    u64 pa;
    u32 rev;

    if (!l1_insn_ok(v, false) || !read_m64(v, &pa))
        return;
    if (!vmcs_addr_ok(pa)) {
        log_info("vmx", "L1's VMPTRLD of 0x%llx: not aligned memory; "
                 "VMfailValid(9)", (unsigned long long)pa);
        fail_valid(v, VMXERR_VMPTRLD_BAD_ADDR);
        return;
    }
    if (pa == n->vmxon_pa) {
        fail_valid(v, VMXERR_VMPTRLD_VMXON);
        return;
    }
    guest_phys_read(pa, &rev, 4);
    if (rev != VMCS12_REVISION) {
        log_info("vmx", "L1's VMPTRLD of 0x%llx: revision 0x%x, not 0x%x; "
                 "VMfailValid(11)", (unsigned long long)pa, rev, VMCS12_REVISION);
        fail_valid(v, VMXERR_VMPTRLD_REVISION);
        return;
    }
    if (pa != n->current) {
        flush_current(n);
        guest_phys_read(pa, n->c, sizeof(*n->c));
        n->current = pa;
    }
    succeed(v);
}

static void emulate_vmptrst(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    u32 info;

    if (!l1_insn_ok(v, false))
        return;
    info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
    if (operand_access(v, operand_addr(v, info, vmx_of(v)->exit_qual),
                       &n->current, 8, true))
        succeed(v);
}

/* ---- VMREAD, VMWRITE ---------------------------------------------------- */

/* The slot of an encoding; *high for the upper half of a 64-bit field
 * (the encoding with access type 1). -1 if the field is unknown. */
static int slot_of(u32 enc, bool *high)
{
    *high = false;
    if ((enc >> 15) || ((enc & 1) && VMCS_WIDTH(enc) != VMCS_W64))
        return -1;
    if (enc & 1) {
        *high = true;
        enc &= ~1u;
    }
    for (int i = 0; i < V12_COUNT; i++)
        if (fields12[i].enc == enc)
            return i;
    return -1;
}

static u64 width_mask(u32 enc)
{
    switch (VMCS_WIDTH(enc)) {
    case VMCS_W16: return 0xffff;
    case VMCS_W32: return 0xffffffff;
    default: return ~0ULL;
    }
}

static void emulate_vmread_write(struct vcpu *v, bool write)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u64 *g = v->regs.gpr;
    u32 info;
    u64 val = 0, gla = 0;
    unsigned size;
    bool high;
    int i;

    if (!l1_insn_ok(v, false))
        return;
    n->vmrw_exits++;
    info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
    size = long_mode_64(v) ? 8 : 4;
    if (n->current == NO_VMCS) {
        fail_invalid(v);
        return;
    }
    u32 enc = (u32)g[(info >> 28) & 15];
    if (!(info & BIT(10)))
        gla = operand_addr(v, info, x->exit_qual);
    if ((i = slot_of(enc, &high)) < 0) {
        log_debug("vmx", "L1's VM%s of field 0x%x: unsupported", write ? "WRITE" : "READ",
                  enc);
        fail_valid(v, VMXERR_UNSUPPORTED_FIELD);
        return;
    }
    if (!write) {
        val = high ? n->c->f[i] >> 32 : n->c->f[i];
        if (size == 4)
            val &= 0xffffffff;
        if (info & BIT(10)) {
            u32 r = (info >> 3) & 15;
            g[r] = val; /* 32-bit: bits 63:32 cleared (and unused) */
        } else if (!operand_access(v, gla, &val, size, true)) {
            return;
        }
        succeed(v);
        return;
    }
    if (info & BIT(10))
        val = g[(info >> 3) & 15];
    else if (!operand_access(v, gla, &val, size, false))
        return;
    if (size == 4)
        val &= 0xffffffff;
    if (fields12[i].kind == 'R') {
        fail_valid(v, VMXERR_READ_ONLY_FIELD);
        return;
    }
    if (high)
        n->c->f[i] = (n->c->f[i] & 0xffffffff) | (val << 32);
    else
        n->c->f[i] = val & width_mask(enc);
    succeed(v);
}

/* ---- INVEPT, INVVPID ------------------------------------------------------- */

/* The operands both take (SDM 30.3): the type from the register the
 * instruction names (32 bits outside 64-bit mode) and the 16-byte
 * descriptor from memory. false: a fault or failure was raised. */
static bool inv_operands(struct vcpu *v, u64 *type, void *desc16)
{
    u32 info;

    if (!l1_insn_ok(v, false))
        return false;
    info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
    *type = v->regs.gpr[(info >> 28) & 15];
    if (!long_mode_64(v))
        *type &= 0xffffffff;
    return operand_access(v, operand_addr(v, info, vmx_of(v)->exit_qual),
                          desc16, 16, false);
}

/* L1's INVEPT: EPT02 is emptied for all-context, and for single-context
 * of the EPTP it shadows (it holds that one only). */
static void emulate_invept(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    u64 type;
    struct { u64 eptp, zero; } desc;

    if (!inv_operands(v, &type, &desc))
        return;
    if ((type != 1 && type != 2) || (type == 1 && !vmx_ept12_eptp_ok(desc.eptp))) {
        fail_valid(v, VMXERR_INVALID_INV);
        return;
    }
    if (n->nept_used > 1 &&
        (type == 2 || (desc.eptp & PTE_ADDR) == (n->eptp12 & PTE_ADDR)))
        vmx_nept_flush(n);
    succeed(v);
}

static void flush_l2(struct vcpu *v)
{
    struct { u64 vpid, addr; } desc = { L2_VPID(v), 0 };

    if ((vmx_of(v)->proc2 & PROC2_VPID) && vmx_caps.invvpid)
        __asm__ volatile("invvpid %0, %1" ::"m"(desc), "r"(1ULL) : "memory", "cc");
}

static void emulate_invvpid(struct vcpu *v)
{
    u64 type;
    struct { u64 vpid, addr; } desc;

    if (!(proc2_l1() & PROC2_VPID)) {
        vmx_inject_exception(v, 6, 0);
        return;
    }
    if (!inv_operands(v, &type, &desc))
        return;
    if ((type != 1 && type != 2) || (desc.vpid >> 16) || (type == 1 && !desc.vpid)) {
        fail_valid(v, VMXERR_INVALID_INV);
        return;
    }
    flush_l2(v); /* all of L1's VPIDs share L2's one: flush it */
    succeed(v);
}

/* ---- the MSR lists (SDM 26.4, 27.4, 27.6) ------------------------------- */

#define MSR_LIST_MAX 512  /* IA32_VMX_MISC bits 27:25 = 0: 512 entries */

struct msr_entry {
    u32 index, reserved;
    u64 data;
};

/* MSRs a list may not name: the x2APIC's, SMBASE (and, to load, the
 * SMM monitor control, FS/GS base and the microcode update trigger). */
static bool list_msr_ok(u32 msr, bool load)
{
    if ((msr >> 8) == 0x8 || msr == 0x9e)
        return false;
    return !load || (msr != 0x9b && msr != MSR_FS_BASE && msr != MSR_GS_BASE &&
                     msr != MSR_IA32_BIOS_UPDT_TRIG);
}

/* A WRMSR (load) or RDMSR (store) of the level that runs now, at CPL 0
 * and past the MSR bitmaps: the MSRs the VMCS holds go to its guest
 * state, the rest to Veneer's MSR policy as the guest's own WRMSR/RDMSR
 * would (EFER, the TSC, pass-through MSRs on the CPU, #GP as it gives). */
static bool list_msr_access(struct vcpu *v, u32 msr, u64 *val, bool write)
{
    struct vcpu_state *s;
    u64 *g = v->regs.gpr, rax = g[GPR_RAX], rdx = g[GPR_RDX];
    struct vcpu_exit e = { .kind = write ? EXIT_MSR_WRITE : EXIT_MSR_READ };
    enum emu_result r;

    switch (msr) {
    case MSR_IA32_SYSENTER_CS: case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP: {
        s = vcpu_state_get(v, VS_SYSENTER);
        u64 *f = msr == MSR_IA32_SYSENTER_CS ? &s->sysenter_cs
               : msr == MSR_IA32_SYSENTER_ESP ? &s->sysenter_esp : &s->sysenter_eip;
        if (!write) {
            *val = *f;
            return true;
        }
        *f = msr == MSR_IA32_SYSENTER_CS ? (u32)*val : *val;
        vcpu_state_set(v, VS_SYSENTER);
        return true;
    }
    case MSR_IA32_PAT:
        s = vcpu_state_get(v, VS_PAT);
        if (!write) {
            *val = s->pat;
            return true;
        }
        for (int i = 0; i < 64; i += 8) {
            u8 t = (u8)(*val >> i);
            if (t == 2 || t == 3 || t > 7)
                return false; /* WRMSR's #GP */
        }
        s->pat = *val;
        vcpu_state_set(v, VS_PAT);
        return true;
    case MSR_FS_BASE: case MSR_GS_BASE: /* stored only */
        s = vcpu_state_get(v, VS_FS | VS_GS);
        *val = s->seg[msr == MSR_FS_BASE ? SEG_FS : SEG_GS].base;
        return true;
    case 0x1d9: /* IA32_DEBUGCTL */
        if (write)
            vmcs_write64(GUEST_IA32_DEBUGCTL, *val);
        else
            *val = vmcs_read64(GUEST_IA32_DEBUGCTL);
        return true;
    case MSR_IA32_TSC:
        if (!write) { /* the level's TSC: its offset in the running VMCS */
            *val = rdtsc() + vmcs_read64(TSC_OFFSET);
            return true;
        }
        break;
    default:
        break;
    }
    e.msr.index = msr;
    e.msr.value = write ? *val : 0;
    r = msr_emulate(v, &e);
    if (!write && r == EMU_DONE)
        *val = (g[GPR_RDX] << 32) | (u32)g[GPR_RAX];
    g[GPR_RAX] = rax;
    g[GPR_RDX] = rdx;
    return r == EMU_DONE;
}

/* Processes a list at `pa` of `count` entries: loads (WRMSR of each
 * entry's data) or stores (RDMSR into each entry's data). Returns 0, or
 * the 1-based number of the entry that failed. */
static u32 msr_list(struct vcpu *v, u64 pa, u32 count, bool load, const char *what)
{
    for (u32 i = 0; i < count; i++) {
        struct msr_entry m;
        u64 at = pa + i * sizeof(m);
        if (guest_phys_read(at, &m, sizeof(m)) < 0) {
            log_info("vmx", "L1's %s list entry %u at 0x%llx: not memory", what, i + 1,
                     (unsigned long long)at);
            return i + 1;
        }
        if (m.reserved || !list_msr_ok(m.index, load) ||
            !list_msr_access(v, m.index, &m.data, load)) {
            log_info("vmx", "L1's %s list entry %u: MSR 0x%x refused", what, i + 1,
                     m.index);
            return i + 1;
        }
        if (!load && guest_phys_write(at + 8, &m.data, sizeof(m.data)) < 0) {
            log_info("vmx", "L1's %s list entry %u at 0x%llx: not memory", what, i + 1,
                     (unsigned long long)at);
            return i + 1;
        }
    }
    return 0;
}

/* A VMX abort (SDM 27.7): the indicator into vmcs12, and L1's CPU shuts
 * down; a shutdown is the machine's reset under Veneer (as a triple
 * fault is). */
static __noreturn void vmx_abort(struct vmx_nested *n, u32 indicator, const char *why)
{
    n->c->abort = indicator;
    flush_current(n);
    log_err("vmx", "VMX abort %u of L1's VMCS at 0x%llx (%s): L1 shuts down; "
            "resetting the machine", indicator, (unsigned long long)n->current, why);
    machine_reset();
}

/* ---- VMLAUNCH / VMRESUME: checks ---------------------------------------- */

static bool ctl_ok(u64 v, u32 default1, u32 allowed1)
{
    return (v >> 32) == 0 && ((u32)v & default1) == default1 &&
           !((u32)v & ~(default1 | allowed1));
}

/* An MSR list's address: 16-byte aligned, its 512 entries below the
 * physical-address width (SDM 26.2.1.2). */
static bool list_addr_ok(u64 pa)
{
    return !(pa & 15) && ((pa + MSR_LIST_MAX * 16 - 1) >> cpu_phys_addr_bits()) == 0;
}

/* The controls (SDM 26.2.1.1-26.2.1.3) as far as L1 is shown them. */
static const char *controls_invalid(struct vmx_nested *n)
{
    u32 proc = (u32)C12(n, PROC_BASED_CONTROLS);
    u32 pin = (u32)C12(n, PIN_BASED_CONTROLS);
    u32 proc2 = (proc & PROC_SECONDARY) ? (u32)C12(n, PROC_BASED_CONTROLS2) : 0;

    if (!ctl_ok(C12(n, PIN_BASED_CONTROLS), PIN_DEFAULT1, PIN_L1))
        return "pin-based controls";
    if (!ctl_ok(C12(n, PROC_BASED_CONTROLS), PROC_DEFAULT1, PROC_L1))
        return "processor-based controls";
    if (!ctl_ok(proc2, 0, proc2_l1()))
        return "secondary controls";
    if (!ctl_ok(C12(n, VM_EXIT_CONTROLS), EXIT_DEFAULT1, EXIT_L1))
        return "exit controls";
    if (!ctl_ok(C12(n, VM_ENTRY_CONTROLS), ENTRY_DEFAULT1, ENTRY_L1))
        return "entry controls";
    if ((pin & PIN_VIRTUAL_NMIS) && !(pin & PIN_NMI_EXITING))
        return "virtual NMIs without NMI exiting";
    if ((proc & PROC_NMI_WINDOW) && !(pin & PIN_VIRTUAL_NMIS))
        return "NMI-window exiting without virtual NMIs";
    if (C12(n, CR3_TARGET_COUNT))
        return "CR3-target count above 0";
    if ((proc & PROC_IO_BITMAPS) &&
        ((C12(n, IO_BITMAP_A) & 0xfff) || (C12(n, IO_BITMAP_B) & 0xfff)))
        return "I/O bitmap address";
    if ((proc & PROC_MSR_BITMAPS) && (C12(n, MSR_BITMAP) & 0xfff))
        return "MSR bitmap address";
    if ((proc2 & PROC2_VPID) && !C12(n, VMCS_VPID))
        return "VPID 0";
    if ((proc2 & PROC2_EPT) && !vmx_ept12_eptp_ok(C12(n, EPT_POINTER)))
        return "EPT pointer";
    if (C12(n, VM_EXIT_MSR_STORE_COUNT) > MSR_LIST_MAX ||
        C12(n, VM_EXIT_MSR_LOAD_COUNT) > MSR_LIST_MAX ||
        C12(n, VM_ENTRY_MSR_LOAD_COUNT) > MSR_LIST_MAX)
        return "MSR-list count above 512 (IA32_VMX_MISC)";
    if ((C12(n, VM_EXIT_MSR_STORE_COUNT) && !list_addr_ok(C12(n, VM_EXIT_MSR_STORE_ADDR))) ||
        (C12(n, VM_EXIT_MSR_LOAD_COUNT) && !list_addr_ok(C12(n, VM_EXIT_MSR_LOAD_ADDR))) ||
        (C12(n, VM_ENTRY_MSR_LOAD_COUNT) && !list_addr_ok(C12(n, VM_ENTRY_MSR_LOAD_ADDR))))
        return "MSR-list address";
    u32 ev = (u32)C12(n, VM_ENTRY_INTR_INFO), type = ev & INTR_TYPE_MASK;
    if ((ev & INTR_INFO_VALID) &&
        ((ev & 0x7ffff000) || type == (1u << 8) || type == (7u << 8) ||
         (type == INTR_TYPE_NMI && (u8)ev != 2) ||
         (type == INTR_TYPE_HW_EXCEPTION && (u8)ev > 31)))
        return "VM-entry interruption information";
    return NULL;
}

/* The host-state area (SDM 26.2.2), what L1 comes back to. */
static const char *host_invalid(struct vcpu *v, struct vmx_nested *n)
{
    u64 cr0 = C12(n, HOST_CR0), cr4 = C12(n, HOST_CR4);
    bool host64 = C12(n, VM_EXIT_CONTROLS) & EXIT_HOST_64;
    bool l1_64 = vcpu_state_get(v, VS_EFER)->efer & EFER_LMA;

    if ((cr0 & (CR0_PE | CR0_NE | CR0_PG)) != (CR0_PE | CR0_NE | CR0_PG) ||
        (cr0 & ~vmx_cr0_fixed1))
        return "host CR0";
    if (!(cr4 & CR4_VMXE) || (cr4 & ~(vmx_cr4_fixed1 & cr4_guest_valid())))
        return "host CR4";
    if (host64 != l1_64)
        return "host address-space size differs from L1's mode";
    if (host64 && !(cr4 & CR4_PAE))
        return "64-bit host without CR4.PAE";
    if (!host64 && (C12(n, VM_ENTRY_CONTROLS) & ENTRY_IA32E_GUEST))
        return "IA-32e mode guest under a host outside IA-32e mode";
    if (!(C12(n, HOST_CS_SEL) & ~7) || (C12(n, HOST_CS_SEL) & 7) ||
        (C12(n, HOST_TR_SEL) & 7) || !(C12(n, HOST_TR_SEL) & ~7) ||
        (!host64 && !(C12(n, HOST_SS_SEL) & ~7)))
        return "host selectors";
    return NULL;
}

/* The guest-state checks Veneer makes itself (SDM 26.3.1); the CPU makes
 * the rest on vmcs02 and its refusal goes to L1 the same way. */
static const char *guest_invalid(struct vmx_nested *n)
{
    u64 cr0 = C12(n, GUEST_CR0), cr4 = C12(n, GUEST_CR4), fl = C12(n, GUEST_RFLAGS);
    bool ia32e = C12(n, VM_ENTRY_CONTROLS) & ENTRY_IA32E_GUEST;

    if ((cr0 & (CR0_PE | CR0_NE | CR0_PG)) != (CR0_PE | CR0_NE | CR0_PG) ||
        (cr0 & ~vmx_cr0_fixed1))
        return "guest CR0";
    if (!(cr4 & CR4_VMXE) || (cr4 & ~(vmx_cr4_fixed1 & cr4_guest_valid())))
        return "guest CR4";
    if (ia32e && !(cr4 & CR4_PAE))
        return "IA-32e mode guest without CR4.PAE";
    if (!(fl & BIT(1)) || (fl & (BIT(3) | BIT(5) | BIT(15) | (~0ULL << 22))))
        return "guest RFLAGS";
    if (C12(n, GUEST_ACTIVITY_STATE) > ACTIVITY_HLT)
        return "guest activity state";
    if (C12(n, VMCS_LINK_POINTER) != ~0ULL)
        return "VMCS link pointer (no shadow VMCS for L1)";
    return NULL;
}

/* ---- switching levels --------------------------------------------------- */

/* Makes vmcs02 (l2) or vmcs01 current. The caller has written the state
 * back; RSP, which travels in the VMCS, follows. */
static void switch_level(struct vcpu *v, bool l2)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;

    vmcs_writen(GUEST_RSP, v->regs.gpr[GPR_RSP]);
    if (l2) {
        n->proc01 = x->proc;
        n->proc2_01 = x->proc2;
        n->entry01 = x->entry;
        n->launched01 = x->launched;
        n->cr0_mask01 = x->cr0_mask;
        n->cr4_mask01 = x->cr4_mask;
        vmptrld(n->vmcs02_pa);
        x->launched = n->launched02;
    } else {
        n->launched02 = x->launched;
        vmptrld(x->vmcs_pa);
        x->proc = n->proc01;
        x->proc2 = n->proc2_01;
        x->entry = n->entry01;
        x->launched = n->launched01;
        x->cr0_mask = n->cr0_mask01;
        x->cr4_mask = n->cr4_mask01;
        n->keep_proc = 0;
        vmcs_write64(TSC_OFFSET, v->tsc_offset); /* it may have moved in L2 */
    }
    n->in_l2 = l2;
    v->regs.gpr[GPR_RSP] = vmcs_readn(GUEST_RSP);
    v->state.valid = 0;
    v->state.dirty = 0;
}

/* Veneer's bitmap with L1's OR'ed in: a port or MSR exits if either wants
 * it; l2_exit sorts out whose it is. `all`: L1 takes every one (the page
 * is filled once and stays so while L1 keeps asking for all). */
static u64 merge_bitmap(u8 *dst, u64 dst_pa, const u8 *veneer, u64 veneer_pa,
                        const u64 *l1_pa, unsigned pages, bool l1_on, bool all,
                        bool *dst_all)
{
    u64 *d = (u64 *)dst;
    const u64 *m = (const u64 *)veneer;

    if (all) {
        if (!*dst_all)
            memset(dst, 0xff, pages * PAGE_SIZE);
        *dst_all = true;
        return dst_pa;
    }
    if (!l1_on)
        return veneer_pa;
    *dst_all = false;
    for (unsigned p = 0; p < pages; p++) {
        u64 pa = l1_pa[p] & ~0xfffULL;
        const u64 *l1 = phys_to_virt(pa);
        const size_t words = PAGE_SIZE / sizeof(u64);

        /* one pass, L1's page read in place (guest_phys_read's check):
         * the bitmaps are merged at every entry, since L1 may change them */
        if (!guest_mem_ok(pa, PAGE_SIZE)) {
            memset(dst + p * PAGE_SIZE, 0xff, PAGE_SIZE);
            continue;
        }
        for (size_t i = 0; i < words; i++)
            d[p * words + i] = l1[i] | m[p * words + i];
    }
    return dst_pa;
}

/* L1 asked for its external interrupts acknowledged on exit (SDM
 * 27.2.2): the vector goes into the exit interruption information. */
static bool ack_on_exit(struct vmx_nested *n)
{
    return (C12(n, PIN_BASED_CONTROLS) & PIN_EXTINT_EXITING) &&
           (C12(n, VM_EXIT_CONTROLS) & EXIT_ACK_INTR);
}

/* vmcs02 from vmcs12 and Veneer's own controls; vmcs02 is current. */
static void build_vmcs02(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u32 proc12 = (u32)C12(n, PROC_BASED_CONTROLS);
    u32 proc2_12 = (proc12 & PROC_SECONDARY) ? (u32)C12(n, PROC_BASED_CONTROLS2) : 0;
    u32 entry12 = (u32)C12(n, VM_ENTRY_CONTROLS);
    u64 io_pa[2] = { C12(n, IO_BITMAP_A), C12(n, IO_BITMAP_B) };
    u64 msr_pa[1] = { C12(n, MSR_BITMAP) };
    u64 m0 = C12(n, CR0_GUEST_HOST_MASK), m4 = C12(n, CR4_GUEST_HOST_MASK);
    struct vcpu_state *l1;

    for (u32 i = 0; i < V12_COUNT; i++)
        if (fields12[i].kind == 'G' && fields12[i].enc != VMCS_LINK_POINTER)
            vmcs_write_raw(fields12[i].enc, n->c->f[i]);
    vmcs_write64(VMCS_LINK_POINTER, ~0ULL);

    /* controls: Veneer's (vmcs01's) with L1's added */
    vmcs_write32(PIN_BASED_CONTROLS, n->pin01 | (u32)C12(n, PIN_BASED_CONTROLS));
    x->proc = (n->proc01 & ~(PROC_NMI_WINDOW | PROC_INTR_WINDOW | PROC_HLT_EXITING)) |
              (proc12 & ~(PROC_IO_BITMAPS | PROC_UNCOND_IO | PROC_MSR_BITMAPS)) |
              PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY;
    n->keep_proc = proc12 & (PROC_NMI_WINDOW | PROC_INTR_WINDOW | PROC_HLT_EXITING |
                             PROC_MWAIT_EXITING);
    vmcs_write32(PROC_BASED_CONTROLS, x->proc);
    x->proc2 = (n->proc2_01 & ~PROC2_SHADOW_VMCS) |
               (proc2_12 & (PROC2_DESC_TABLE | PROC2_WBINVD_EXITING));
    if (!(proc2_12 & PROC2_RDTSCP))
        x->proc2 &= ~PROC2_RDTSCP; /* L2's RDTSCP is #UD, as L1 asked */
    vmcs_write32(PROC_BASED_CONTROLS2, x->proc2);
    if (x->proc2 & PROC2_VPID) {
        vmcs_write16(VMCS_VPID, L2_VPID(v));
        /* without a VPID of L1's every entry flushes; with one, a new one */
        if (!(proc2_12 & PROC2_VPID) || (u16)C12(n, VMCS_VPID) != n->vpid12)
            flush_l2(v);
        n->vpid12 = (proc2_12 & PROC2_VPID) ? (u16)C12(n, VMCS_VPID) : 0;
    }
    x->entry = (n->entry01 & ~ENTRY_IA32E_GUEST) | (entry12 & ENTRY_IA32E_GUEST);
    vmcs_write32(VM_ENTRY_CONTROLS, x->entry);
    /* acknowledge interrupt on exit: every external-interrupt exit is
     * L1's when L1 has external-interrupt exiting, so the CPU acknowledges
     * the interrupt at L1's interrupt controller (which L1 owns) and puts
     * its vector in the exit information, as L1's CPU would */
    vmcs_write32(VM_EXIT_CONTROLS, n->exit01 |
                 (ack_on_exit(n) ? EXIT_ACK_INTR : 0));
    vmcs_write32(EXCEPTION_BITMAP, (u32)C12(n, EXCEPTION_BITMAP));
    vmcs_write32(PF_ERROR_MASK, (u32)C12(n, PF_ERROR_MASK));
    vmcs_write32(PF_ERROR_MATCH, (u32)C12(n, PF_ERROR_MATCH));
    vmcs_write32(CR3_TARGET_COUNT, 0);
    vmcs_write32(VM_ENTRY_INTR_INFO, 0);
    vmcs_write64(IO_BITMAP_A, merge_bitmap(n->io02, n->io02_pa, x->io_bitmaps,
                                           x->io_bitmaps_pa, io_pa, 2,
                                           proc12 & PROC_IO_BITMAPS,
                                           (proc12 & (PROC_IO_BITMAPS | PROC_UNCOND_IO)) ==
                                               PROC_UNCOND_IO, &n->io02_all));
    vmcs_write64(IO_BITMAP_B, vmcs_read64(IO_BITMAP_A) + PAGE_SIZE);
    vmcs_write64(MSR_BITMAP, merge_bitmap(n->msr02, n->msr02_pa, x->msr_bitmap,
                                          x->msr_bitmap_pa, msr_pa, 1,
                                          proc12 & PROC_MSR_BITMAPS,
                                          !(proc12 & PROC_MSR_BITMAPS), &n->msr02_all));
    vmcs_write64(TSC_OFFSET, v->tsc_offset +
                 ((proc12 & PROC_TSC_OFFSETTING) ? C12(n, TSC_OFFSET) : 0));
    if (proc2_12 & PROC2_EPT) {
        /* EPT02 (vmx_nept.c): emptied for another EPTP12 or when
         * Veneer's map changed, as the CPU's cached translations */
        u64 eptp12 = C12(n, EPT_POINTER);
        if ((n->nept_used > 1 && (eptp12 & PTE_ADDR) != (n->eptp12 & PTE_ADDR)) ||
            __atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE) != n->nept_gen)
            vmx_nept_flush(n);
        n->eptp12 = eptp12;
        n->ept12 = true;
        vmcs_write64(EPT_POINTER, vmx_nept_eptp(n));
    } else {
        n->ept12 = false;
        vmcs_write64(EPT_POINTER, vmx_eptp); /* Veneer's: L2-physical == L1-physical */
    }

    /* CR0/CR4: L1's mask and Veneer's; what L2 reads is L1's shadow for
     * L1's bits, L2's own value for bits only Veneer owns */
    x->cr0_mask = n->cr0_mask01 | m0;
    x->cr4_mask = n->cr4_mask01 | m4;
    vmcs_writen(CR0_GUEST_HOST_MASK, x->cr0_mask);
    vmcs_writen(CR4_GUEST_HOST_MASK, x->cr4_mask);
    vmcs_writen(CR0_READ_SHADOW, (C12(n, CR0_READ_SHADOW) & m0) | (C12(n, GUEST_CR0) & ~m0));
    vmcs_writen(CR4_READ_SHADOW, (C12(n, CR4_READ_SHADOW) & m4) | (C12(n, GUEST_CR4) & ~m4));
    vmcs_writen(GUEST_CR0, vmx_guest_cr0(C12(n, GUEST_CR0)));
    vmcs_writen(GUEST_CR4, vmx_guest_cr4(C12(n, GUEST_CR4)));

    /* EFER and PAT are always loaded by Veneer: L1's unless L1 loads them */
    l1 = &v->state; /* L1's, read before the switch (emulate_vmentry) */
    if (!(entry12 & ENTRY_LOAD_EFER)) {
        u64 efer = l1->efer & ~(EFER_LMA | EFER_LME);
        if (entry12 & ENTRY_IA32E_GUEST)
            efer |= EFER_LMA | EFER_LME;
        vmcs_write64(GUEST_IA32_EFER, efer);
    }
    if (!(entry12 & ENTRY_LOAD_PAT))
        vmcs_write64(GUEST_IA32_PAT, l1->pat);
    /* With EPT on, the CPU takes a PAE L2's PDPTEs from the VMCS: without
     * EPT12 load them from L2's page tables (L1-physical), as L1's CPU
     * would; with it they are vmcs12's, as L1 gave them. */
    u64 cr0 = C12(n, GUEST_CR0), cr4 = C12(n, GUEST_CR4), pdpte[4];
    if (!n->ept12 && (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(entry12 & ENTRY_IA32E_GUEST) &&
        guest_phys_read(C12(n, GUEST_CR3) & 0xffffffe0, pdpte, sizeof(pdpte)) == 0) {
        vmcs_write64(GUEST_PDPTE0, pdpte[0]);
        vmcs_write64(GUEST_PDPTE1, pdpte[1]);
        vmcs_write64(GUEST_PDPTE2, pdpte[2]);
        vmcs_write64(GUEST_PDPTE3, pdpte[3]);
    }
    /* L1's injection goes in through the VMM's event path */
    u32 ev = (u32)C12(n, VM_ENTRY_INTR_INFO);
    x->reinject_info = (ev & INTR_INFO_VALID) ? ev : 0;
    x->reinject_err = (u32)C12(n, VM_ENTRY_EXCEPTION_ERROR);
    x->reinject_len = (u32)C12(n, VM_ENTRY_INSTRUCTION_LEN);
    x->exception_info = 0;
}

/* L1's state after an exit from L2 (SDM 27.5), from vmcs12's host area. */
static void load_host_state(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    struct vcpu_state *s = vcpu_state_get(v, VS_ALL);
    bool host64 = C12(n, VM_EXIT_CONTROLS) & EXIT_HOST_64;
    u32 exit12 = (u32)C12(n, VM_EXIT_CONTROLS);
    static const u32 sel_field[] = {
        [SEG_ES] = V12_HOST_ES_SEL, [SEG_CS] = V12_HOST_CS_SEL,
        [SEG_SS] = V12_HOST_SS_SEL, [SEG_DS] = V12_HOST_DS_SEL,
        [SEG_FS] = V12_HOST_FS_SEL, [SEG_GS] = V12_HOST_GS_SEL,
    };

    s->cr0 = C12(n, HOST_CR0) | BIT(4); /* ET is fixed */
    s->cr3 = C12(n, HOST_CR3);
    s->cr4 = C12(n, HOST_CR4);
    if (exit12 & EXIT_LOAD_EFER)
        s->efer = C12(n, HOST_IA32_EFER);
    else
        s->efer = (s->efer & ~(EFER_LMA | EFER_LME)) |
                  (host64 ? EFER_LMA | EFER_LME : 0);
    if (exit12 & EXIT_LOAD_PAT)
        s->pat = C12(n, HOST_IA32_PAT);
    s->dr7 = 0x400;
    for (int i = SEG_ES; i <= SEG_GS; i++) {
        u16 sel = (u16)n->c->f[sel_field[i]];
        s->seg[i].sel = sel;
        s->seg[i].base = 0;
        s->seg[i].limit = 0xffffffff;
        s->seg[i].attr = i == SEG_CS ? (host64 ? 0xa09b : 0xc09b)
                       : sel ? 0xc093 : 0x10000; /* unusable when null */
    }
    s->seg[SEG_FS].base = C12(n, HOST_FS_BASE);
    s->seg[SEG_GS].base = C12(n, HOST_GS_BASE);
    s->seg[SEG_TR] = (struct segment){ (u16)C12(n, HOST_TR_SEL), 0x8b, 0x67,
                                       C12(n, HOST_TR_BASE) };
    s->seg[SEG_LDTR] = (struct segment){ 0, 0x10000, 0, 0 };
    s->gdtr = (struct dtable){ C12(n, HOST_GDTR_BASE), 0xffff };
    s->idtr = (struct dtable){ C12(n, HOST_IDTR_BASE), 0xffff };
    s->sysenter_cs = (u32)C12(n, HOST_SYSENTER_CS);
    s->sysenter_esp = C12(n, HOST_SYSENTER_ESP);
    s->sysenter_eip = C12(n, HOST_SYSENTER_EIP);
    s->rip = C12(n, HOST_RIP);
    s->rflags = 2;
    s->intr_state &= ~INTR_SHADOW;
    s->activity = ACT_ACTIVE;
    v->regs.gpr[GPR_RSP] = C12(n, HOST_RSP);
    vcpu_state_set(v, VS_ALL & ~(VS_CR2 | VS_KERNEL_GS));
}

/* L1's MSRs from the VM-exit MSR-load list, after its host state. */
static void exit_msr_load(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (msr_list(v, C12(n, VM_EXIT_MSR_LOAD_ADDR), (u32)C12(n, VM_EXIT_MSR_LOAD_COUNT),
                 true, "VM-exit MSR-load"))
        vmx_abort(n, 4, "loading L1's MSRs");
}

/* The emulated VM exit from L2 to L1 (SDM 27): L2's state and the exit
 * information into vmcs12, L1 back on its host state. */
static void vmexit_to_l1(struct vcpu *v, u32 reason, u64 qual, u32 intr_info,
                         u32 intr_err, bool from_cpu)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u64 m0 = C12(n, CR0_GUEST_HOST_MASK), m4 = C12(n, CR4_GUEST_HOST_MASK);

    vmx_state_write_back(v);
    vmcs_writen(GUEST_RSP, v->regs.gpr[GPR_RSP]);
    for (u32 i = 0; i < V12_COUNT; i++)
        if (fields12[i].kind == 'G' && fields12[i].enc != VMCS_LINK_POINTER)
            n->c->f[i] = vmcs_read_raw(fields12[i].enc);
    /* CR0/CR4 as L2 has them: the bits only Veneer owns from the shadow */
    u64 v0 = n->cr0_mask01 & ~m0, v4 = n->cr4_mask01 & ~m4;
    C12(n, GUEST_CR0) = (vmcs_readn(GUEST_CR0) & ~v0) | (vmcs_readn(CR0_READ_SHADOW) & v0);
    C12(n, GUEST_CR4) = (vmcs_readn(GUEST_CR4) & ~v4) | (vmcs_readn(CR4_READ_SHADOW) & v4);
    /* "IA-32e mode guest" follows L2's EFER.LMA (IA32_VMX_MISC bit 5) */
    C12(n, VM_ENTRY_CONTROLS) = (C12(n, VM_ENTRY_CONTROLS) & ~(u64)ENTRY_IA32E_GUEST) |
                                ((vmcs_read64(GUEST_IA32_EFER) & EFER_LMA)
                                     ? ENTRY_IA32E_GUEST : 0);
    C12(n, VM_EXIT_REASON) = reason;
    C12(n, EXIT_QUALIFICATION) = qual;
    C12(n, VM_EXIT_INTR_INFO) = intr_info;
    C12(n, VM_EXIT_INTR_ERROR) = intr_err;
    if (from_cpu) {
        C12(n, IDT_VECTORING_INFO) = vmcs_read32(IDT_VECTORING_INFO) & ~INTR_INFO_NMI_UNBLOCK;
        C12(n, IDT_VECTORING_ERROR) = vmcs_read32(IDT_VECTORING_ERROR);
        C12(n, VM_EXIT_INSTRUCTION_LEN) = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
        C12(n, VM_EXIT_INSTRUCTION_INFO) = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
        C12(n, GUEST_LINEAR_ADDRESS) = vmcs_readn(GUEST_LINEAR_ADDRESS);
        /* an event whose delivery the exit interrupted is L1's now */
        x->reinject_info = 0;
    } else {
        C12(n, IDT_VECTORING_INFO) = 0;
        C12(n, VM_EXIT_INSTRUCTION_LEN) = 0;
    }
    C12(n, VM_ENTRY_INTR_INFO) &= ~(u64)INTR_INFO_VALID;
    x->exception_info = 0;
    n->reflected++;
    if (msr_list(v, C12(n, VM_EXIT_MSR_STORE_ADDR), (u32)C12(n, VM_EXIT_MSR_STORE_COUNT),
                 false, "VM-exit MSR-store"))
        vmx_abort(n, 1, "storing L2's MSRs");
    switch_level(v, false);
    load_host_state(v);
    if ((reason & 0xffff) == VMX_EXIT_EXCEPTION_NMI &&
        (intr_info & (INTR_INFO_VALID | INTR_TYPE_MASK)) == (INTR_INFO_VALID | INTR_TYPE_NMI)) {
        /* "an NMI causes subsequent NMIs to be blocked, but only after
         * the VM exit completes" (SDM 26.1.2): L1's own NMI blocking,
         * until its IRET (vmcs01 has virtual NMIs: the CPU tracks it) */
        vcpu_state_get(v, VS_INTR_STATE)->intr_state |= INTR_NMI_BLOCKED;
        vcpu_state_set(v, VS_INTR_STATE);
    }
    exit_msr_load(v);
    shadow_update(v);
    log_debug("vmx", "L2 exit %u (qual 0x%llx) reflected to L1", reason & 0xffff,
              (unsigned long long)qual);
}

/* A VM-entry failure for L1 (SDM 26.8): exit reason with bit 31, L1 on
 * its host state; L2 never ran. Called in L1 (vmcs01 current). */
static void entry_fail_to_l1(struct vcpu *v, u32 reason, u64 qual)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    C12(n, VM_EXIT_REASON) = reason | BIT(31);
    C12(n, EXIT_QUALIFICATION) = qual;
    C12(n, VM_EXIT_INTR_INFO) = 0;
    C12(n, IDT_VECTORING_INFO) = 0;
    n->reflected++;
    load_host_state(v);
    exit_msr_load(v); /* as for an exit; no guest state is saved */
    shadow_update(v);
}

static void emulate_vmentry(struct vcpu *v, bool launch)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    const char *why;

    if (!l1_insn_ok(v, false))
        return;
    if (n->current == NO_VMCS) {
        fail_invalid(v);
        return;
    }
    if (vmcs_read32(GUEST_INTERRUPTIBILITY) & GI_MOV_SS) {
        fail_valid(v, VMXERR_MOV_SS);
        return;
    }
    if (launch && n->c->launched) {
        fail_valid(v, VMXERR_VMLAUNCH_NOT_CLEAR);
        return;
    }
    if (!launch && !n->c->launched) {
        fail_valid(v, VMXERR_VMRESUME_NOT_LAUNCHED);
        return;
    }
    if ((why = controls_invalid(n))) {
        log_info("vmx", "L1's VM%s of the VMCS at 0x%llx: %s; VMfailValid(7)",
                 launch ? "LAUNCH" : "RESUME", (unsigned long long)n->current, why);
        fail_valid(v, VMXERR_BAD_CONTROLS);
        return;
    }
    if ((why = host_invalid(v, n))) {
        log_info("vmx", "L1's VM%s of the VMCS at 0x%llx: %s; VMfailValid(8)",
                 launch ? "LAUNCH" : "RESUME", (unsigned long long)n->current, why);
        fail_valid(v, VMXERR_BAD_HOST);
        return;
    }
    if ((why = guest_invalid(n))) {
        log_info("vmx", "L1's VM%s of the VMCS at 0x%llx: %s; VM-entry "
                 "failure (exit 33) to L1", launch ? "LAUNCH" : "RESUME",
                 (unsigned long long)n->current, why);
        entry_fail_to_l1(v, VMX_EXIT_BAD_GUEST,
                         C12(n, VMCS_LINK_POINTER) != ~0ULL ? 4 : 0);
        return;
    }
    /* L1's state stays in vmcs01 as it is (its RIP at the instruction:
     * a VM exit resumes it at HOST_RIP, a failure after it) */
    vcpu_state_get(v, VS_EFER | VS_PAT);
    vmx_state_write_back(v);
    u64 efer = v->state.efer, pat = v->state.pat;
    n->pin01 = vmcs_read32(PIN_BASED_CONTROLS);
    n->exit01 = vmcs_read32(VM_EXIT_CONTROLS);
    if (!n->vmcs02_ready) {
        u8 fail;
        __asm__ volatile("vmclear %1; setna %0" : "=qm"(fail)
                         : "m"(n->vmcs02_pa) : "cc", "memory");
        n->launched02 = false;
    }
    switch_level(v, true);
    if (!n->vmcs02_ready) {
        vmx_setup_host_state();
        vmcs_write32(VM_EXIT_CONTROLS, n->exit01);
        vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
        vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
        vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
        if (n->proc2_01 & PROC2_XSAVES)
            vmcs_write64(XSS_EXIT_BITMAP, 0);
        n->vmcs02_ready = true;
    }
    v->state.efer = efer;
    v->state.pat = pat;
    build_vmcs02(v);
    v->regs.gpr[GPR_RSP] = C12(n, GUEST_RSP);
    if (!n->lists_seen && (C12(n, VM_ENTRY_MSR_LOAD_COUNT) ||
                           C12(n, VM_EXIT_MSR_STORE_COUNT) || C12(n, VM_EXIT_MSR_LOAD_COUNT))) {
        n->lists_seen = true;
        log_info("vmx", "vcpu %u: L1 uses MSR lists (entry load %u, exit store %u, "
                 "exit load %u entries)", v->index, (unsigned)C12(n, VM_ENTRY_MSR_LOAD_COUNT),
                 (unsigned)C12(n, VM_EXIT_MSR_STORE_COUNT),
                 (unsigned)C12(n, VM_EXIT_MSR_LOAD_COUNT));
    }
    /* L2's MSRs from the VM-entry MSR-load list, after its state; a
     * refused entry is a VM-entry failure (exit 34, the entry's number) */
    u32 bad = msr_list(v, C12(n, VM_ENTRY_MSR_LOAD_ADDR),
                       (u32)C12(n, VM_ENTRY_MSR_LOAD_COUNT), true, "VM-entry MSR-load");
    if (bad) {
        x->reinject_info = 0;
        switch_level(v, false);
        entry_fail_to_l1(v, VMX_EXIT_BAD_MSR_LOAD, bad);
        return;
    }
    n->launch_before = n->c->launched;
    n->c->launched = 1;
    n->entries++;
    log_debug("vmx", "L1 VM%s of the VMCS at 0x%llx: L2 at %04x:%llx",
              launch ? "LAUNCH" : "RESUME", (unsigned long long)n->current,
              (unsigned)C12(n, GUEST_CS_SEL), (unsigned long long)C12(n, GUEST_RIP));
}

/* ---- L2's exits: L1's or Veneer's ----------------------------------------- */

/* L1's I/O bitmaps (or unconditional I/O exiting) for the access in an
 * I/O exit's qualification; an access wrapping past 0xffff exits. */
static bool io_to_l1(struct vmx_nested *n, u64 qual)
{
    u32 proc = (u32)C12(n, PROC_BASED_CONTROLS);
    u32 port = (u32)(qual >> 16) & 0xffff, size = (u32)(qual & 7) + 1;

    if (!(proc & PROC_IO_BITMAPS))
        return proc & PROC_UNCOND_IO;
    for (u32 p = port; p < port + size; p++) {
        u8 byte;
        if (p > 0xffff)
            return true;
        u64 base = p < 0x8000 ? C12(n, IO_BITMAP_A) : C12(n, IO_BITMAP_B);
        if (guest_phys_read((base & ~0xfffULL) + (p & 0x7fff) / 8, &byte, 1) < 0 ||
            ((byte >> (p % 8)) & 1))
            return true;
    }
    return false;
}

/* L1's MSR bitmap (SDM 24.6.9); without one, every access exits. */
static bool msr_to_l1(struct vcpu *v, struct vmx_nested *n, bool write)
{
    u32 msr = (u32)v->regs.gpr[GPR_RCX], off;
    u8 byte;

    if (!(C12(n, PROC_BASED_CONTROLS) & PROC_MSR_BITMAPS))
        return true;
    if (msr <= 0x1fff)
        off = 0;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
        off = 1024, msr -= 0xc0000000;
    else
        return true;
    off += (write ? 2048 : 0) + msr / 8;
    if (guest_phys_read((C12(n, MSR_BITMAP) & ~0xfffULL) + off, &byte, 1) < 0)
        return true;
    return (byte >> (msr % 8)) & 1;
}

/* A CR access (SDM table 28-3) L1's mask, shadow or CR3/CR8 exiting asks
 * for; otherwise it exited for a bit only Veneer owns. */
static bool cr_to_l1(struct vcpu *v, struct vmx_nested *n, u64 qual)
{
    unsigned cr = qual & 15, type = (qual >> 4) & 3;
    u32 proc = (u32)C12(n, PROC_BASED_CONTROLS);
    u64 val = v->regs.gpr[(qual >> 8) & 15], mask, shadow;

    if (cr == 3)
        return proc & (type == 0 ? PROC_CR3_LOAD_EXITING : PROC_CR3_STORE_EXITING);
    if (cr == 8)
        return proc & (type == 0 ? PROC_CR8_LOAD_EXITING : PROC_CR8_STORE_EXITING);
    mask = cr == 0 ? C12(n, CR0_GUEST_HOST_MASK) : C12(n, CR4_GUEST_HOST_MASK);
    shadow = cr == 0 ? C12(n, CR0_READ_SHADOW) : C12(n, CR4_READ_SHADOW);
    switch (type) {
    case 0:
        return (val ^ shadow) & mask;
    case 2: /* CLTS */
        return mask & shadow & CR0_TS;
    case 3: { /* LMSW */
        u64 src = (qual >> 16) & 0xffff;
        return (mask & 0xe & (src ^ shadow)) ||
               ((mask & CR0_PE) && !(shadow & CR0_PE) && (src & CR0_PE));
    }
    default:
        return false;
    }
}

/* ---- L2 on L1's EPT (EPT02, vmx_nept.c) ------------------------------------ */

/* An EPT violation of L2 running on EPT02. Returns true when it is done
 * with: EPT02 got the page, or the exit is L1's (EPT12 has no such
 * translation or permission: exit 48 with the CPU's access bits and
 * EPT12's permissions; a misconfigured EPT12 entry: exit 49), as L1's CPU
 * would exit. Returns false when Veneer's map is what stops it (the VMM
 * region, an MMIO hook): the exit goes on as Veneer's own at the
 * L1-physical address (decode reads npf_l1pa). */
static bool l2_ept_violation(struct vcpu *v, u64 qual)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u64 l2pa = vmcs_read64(GUEST_PHYSICAL_ADDRESS), leaf01, bits;
    struct ept12_walk w;
    enum ept12_result r = vmx_ept12_walk(n->eptp12, l2pa, &w);

    if (r != EPT12_OK || (qual & 7 & ~w.perms)) {
        bool mis = r == EPT12_MISCONFIG;
        /* the access (bits 2:0), the linear-address bits (7, 8) and NMI
         * unblocking (12) as the CPU gave them; EPT12's RWX in 5:3 */
        u64 q12 = mis ? 0 : (qual & (7 | BIT(7) | BIT(8) | BIT(12))) | ((u64)w.perms << 3);
        C12(n, GUEST_PHYSICAL_ADDRESS) = l2pa;
        n->nept_reflected++;
        log_debug("vmx", "L2 EPT %s at 0x%llx is L1's (EPT12): qualification 0x%llx",
                  mis ? "misconfiguration" : "violation", (unsigned long long)l2pa,
                  (unsigned long long)q12);
        vmexit_to_l1(v, mis ? VMX_EXIT_EPT_MISCONFIG : VMX_EXIT_EPT_VIOLATION, q12,
                     0, 0, true);
        return true;
    }
    leaf01 = vmx_ept_leaf(w.l1pa);
    if (!leaf01) {
        n->npf_l1 = true;
        n->npf_l1pa = w.l1pa | (l2pa & 0xfff);
        log_debug("vmx", "L2 EPT violation at 0x%llx: L1-physical 0x%llx is the "
                  "VMM's to handle", (unsigned long long)l2pa,
                  (unsigned long long)n->npf_l1pa);
        return false;
    }
    if (__atomic_load_n(&slat_generation, __ATOMIC_ACQUIRE) != n->nept_gen)
        vmx_nept_flush(n);
    /* EPT12's permissions and memory type, uncacheable where Veneer's map
     * has the page so (a device, which L1 cannot make write-back) */
    bits = w.perms | (((leaf01 >> 3) & 7) == 0 ? 0 : w.bits);
    if (vmx_nept_map(n, l2pa, w.l1pa, bits) < 0) {
        vmx_nept_flush(n); /* pool used up: start again */
        vmx_nept_map(n, l2pa, w.l1pa, bits);
    }
    n->nept_fills++;
    vcpu_count_exit(v, EXIT_NPF);
    vmx_ept_nmi_unblock(qual); /* an IRET that unblocked NMIs runs again */
    return true;
}

/* L2-physical to L1-physical through EPT12 (the VMM's accesses for L2:
 * instruction bytes, page walks, string I/O). -E_FAULT if EPT12 has no
 * such translation or permission. */
int vmx_nested_phys(struct vcpu *v, u64 gpa, bool write, u64 *l1pa)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    struct ept12_walk w;

    if (!n->in_l2 || !n->ept12) {
        *l1pa = gpa;
        return 0;
    }
    if (vmx_ept12_walk(n->eptp12, gpa, &w) != EPT12_OK ||
        !(w.perms & (write ? 2 : 1)))
        return -E_FAULT;
    *l1pa = w.l1pa | (gpa & 0xfff);
    return 0;
}

/* Veneer's map changed: EPT02 may hold a page it no longer has. */
void vmx_nested_slat_changed(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (n->nept_used > 1)
        vmx_nept_flush(n);
}

bool vmx_nested_l2_exit(struct vcpu *v, u32 full, u64 qual)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u32 basic = full & 0xffff;
    u32 pin = (u32)C12(n, PIN_BASED_CONTROLS), proc = (u32)C12(n, PROC_BASED_CONTROLS);
    u32 proc2 = (proc & PROC_SECONDARY) ? (u32)C12(n, PROC_BASED_CONTROLS2) : 0;
    u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
    bool to_l1;


    if (full & BIT(31)) {
        /* the CPU refused L2's state (or MSR loading) where Veneer's
         * checks did not: L1's entry failed after all */
        log_info("vmx", "the CPU refused L2's state from L1's VMCS at 0x%llx "
                 "(exit %u, qualification %llu); VM-entry failure to L1",
                 (unsigned long long)n->current, basic, (unsigned long long)qual);
        x->reinject_info = 0;
        x->exception_info = 0;
        switch_level(v, false);
        n->c->launched = n->launch_before;
        entry_fail_to_l1(v, basic, qual);
        return true;
    }
    switch (basic) {
    case VMX_EXIT_EXCEPTION_NMI: {
        u8 vec = (u8)info;
        if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI)
            return false; /* the machine's NMI: Veneer counts it, then l2_pending */
        to_l1 = C12(n, EXCEPTION_BITMAP) & BIT(vec);
        if (vec == 14) {
            u32 err = vmcs_read32(VM_EXIT_INTR_ERROR);
            bool match = (err & C12(n, PF_ERROR_MASK)) == C12(n, PF_ERROR_MATCH);
            to_l1 = to_l1 == match;
        }
        if (to_l1)
            vcpu_count_exit(v, EXIT_EXCEPTION);
        break;
    }
    case VMX_EXIT_EXTINT:
        to_l1 = pin & PIN_EXTINT_EXITING;
        break;
    case VMX_EXIT_TRIPLE_FAULT: case VMX_EXIT_TASK_SWITCH: case VMX_EXIT_CPUID:
    case VMX_EXIT_GETSEC: case VMX_EXIT_INVD: case VMX_EXIT_VMCALL:
    case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMLAUNCH: case VMX_EXIT_VMPTRLD:
    case VMX_EXIT_VMPTRST: case VMX_EXIT_VMREAD: case VMX_EXIT_VMRESUME:
    case VMX_EXIT_VMWRITE: case VMX_EXIT_VMXOFF: case VMX_EXIT_VMXON:
    case VMX_EXIT_INVEPT: case VMX_EXIT_INVVPID: case VMX_EXIT_XSETBV:
    case VMX_EXIT_VMFUNC:
        to_l1 = true; /* exit unconditionally in VMX non-root operation */
        break;
    case VMX_EXIT_INTR_WINDOW: to_l1 = proc & PROC_INTR_WINDOW; break;
    case VMX_EXIT_NMI_WINDOW: to_l1 = proc & PROC_NMI_WINDOW; break;
    case VMX_EXIT_HLT: to_l1 = proc & PROC_HLT_EXITING; break;
    case 14: to_l1 = proc & PROC_INVLPG_EXITING; break;   /* INVLPG */
    case 15: to_l1 = proc & PROC_RDPMC_EXITING; break;    /* RDPMC */
    case 16: case 51: to_l1 = proc & PROC_RDTSC_EXITING; break; /* RDTSC(P) */
    case VMX_EXIT_CR_ACCESS: to_l1 = cr_to_l1(v, n, qual); break;
    case 29: to_l1 = proc & PROC_MOV_DR_EXITING; break;   /* MOV DR */
    case VMX_EXIT_IO: to_l1 = io_to_l1(n, qual); break;
    case VMX_EXIT_RDMSR: case VMX_EXIT_WRMSR:
        to_l1 = msr_to_l1(v, n, basic == VMX_EXIT_WRMSR);
        break;
    case VMX_EXIT_MWAIT: to_l1 = proc & PROC_MWAIT_EXITING; break;
    case 39: to_l1 = proc & PROC_MONITOR_EXITING; break;  /* MONITOR */
    case VMX_EXIT_PAUSE: to_l1 = proc & PROC_PAUSE_EXITING; break;
    case 46: case 47: to_l1 = proc2 & PROC2_DESC_TABLE; break; /* GDTR.., LDTR.. */
    case 54: to_l1 = proc2 & PROC2_WBINVD_EXITING; break; /* WBINVD */
    case VMX_EXIT_EPT_VIOLATION:
        /* on EPT02: filled, L1's, or Veneer's at the L1-physical address */
        return n->ept12 && l2_ept_violation(v, qual);
    default:
        to_l1 = false; /* Veneer's EPT violations and the rest are Veneer's */
        break;
    }
    if (!to_l1)
        return false;
    vmexit_to_l1(v, full, qual, info, vmcs_read32(VM_EXIT_INTR_ERROR), true);
    return true;
}

/* Before an entry into L2: an exception Veneer raised in L2 that L1's
 * exception bitmap asks for, an NMI or interrupt held for the machine
 * that L1's NMI / external-interrupt exiting asks for, exit to L1. */
void vmx_nested_l2_pending(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u32 pin = (u32)C12(n, PIN_BASED_CONTROLS);

    if (x->reinject_info)
        return; /* that delivery first */
    if (x->exception_info) {
        u8 vec = (u8)x->exception_info;
        if (!(C12(n, EXCEPTION_BITMAP) & BIT(vec)))
            return;
        u64 qual = vec == 14 ? vcpu_state_get(v, VS_CR2)->cr2 : 0;
        /* the fault's RF went into the image it would have pushed */
        vcpu_state_get(v, VS_RFLAGS)->rflags &= ~RFLAGS_RF;
        vcpu_state_set(v, VS_RFLAGS);
        log_debug("vmx", "exception %u raised in L2 by the VMM goes to L1", vec);
        vcpu_count_exit(v, EXIT_EXCEPTION);
        vmexit_to_l1(v, VMX_EXIT_EXCEPTION_NMI, qual, x->exception_info,
                     x->exception_err, false);
        return;
    }
    if (x->pending_nmis && (pin & PIN_NMI_EXITING)) {
        x->pending_nmis--;
        log_debug("vmx", "NMI while L2 runs: exit to L1");
        vmexit_to_l1(v, VMX_EXIT_EXCEPTION_NMI, 0,
                     2 | INTR_TYPE_NMI | INTR_INFO_VALID, 0, false);
        return;
    }
    if (x->pending_irq >= 0 && (pin & PIN_EXTINT_EXITING)) {
        u32 info = 0, vec = (u32)x->pending_irq;
        if (ack_on_exit(n)) {
            /* acknowledged: the vector is L1's now, in the exit */
            info = (u32)x->pending_irq | INTR_TYPE_EXT_INT | INTR_INFO_VALID;
            x->pending_irq = -1;
        }
        log_debug("vmx", "interrupt 0x%x while L2 runs: exit to L1%s",
                  vec, info ? " (acknowledged)" : "");
        vmexit_to_l1(v, VMX_EXIT_EXTINT, 0, info, 0, false); /* else L1 takes it on STI */
    }
}

/* The CPU refused vmcs02's controls or host state (VMfailValid): L1's
 * VMLAUNCH/VMRESUME fails with that error, after the instruction. */
void vmx_nested_entry_failed(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    struct vmx_nested *n = &x->nested;
    u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

    log_info("vmx", "the CPU refused the entry into L2 from L1's VMCS at "
             "0x%llx (error %u); VMfailValid to L1",
             (unsigned long long)n->current, err);
    x->reinject_info = 0;
    x->exception_info = 0;
    switch_level(v, false);
    n->c->launched = n->launch_before;
    fail_valid(v, err);
    shadow_update(v);
}

/* INIT: back to L1 without an exit, out of VMX operation. */
void vmx_nested_reset(struct vcpu *v)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (n->in_l2)
        switch_level(v, false);
    shadow_store(v);
    if (n->vmxon)
        flush_current(n);
    n->vmxon = false;
    n->current = NO_VMCS;
    shadow_update(v);
}

void vmx_nested_set_tsc_offset(struct vcpu *v, u64 l1_offset)
{
    struct vmx_nested *n = &vmx_of(v)->nested;
    bool own = C12(n, PROC_BASED_CONTROLS) & PROC_TSC_OFFSETTING;

    vmcs_write64(TSC_OFFSET, l1_offset + (own ? C12(n, TSC_OFFSET) : 0));
}

bool vmx_nested_l1_insn(struct vcpu *v, u32 reason)
{
    struct vmx_nested *n = &vmx_of(v)->nested;

    if (!nested_vmx_exposed())
        return false; /* common code: #UD, VMX is hidden */
    if (reason == VMX_EXIT_VMFUNC || reason < VMX_EXIT_VMCLEAR ||
        (reason > VMX_EXIT_VMXON && reason != VMX_EXIT_INVVPID &&
         reason != VMX_EXIT_INVEPT))
        return false; /* VMFUNC: #UD (not shown to L1); not VMX */
    shadow_store(v); /* what L1 wrote without exits, into the cache */
    switch (reason) {
    case VMX_EXIT_VMXON: emulate_vmxon(v); break;
    case VMX_EXIT_VMXOFF: emulate_vmxoff(v); break;
    case VMX_EXIT_VMCLEAR: emulate_vmclear(v); break;
    case VMX_EXIT_VMPTRLD: emulate_vmptrld(v); break;
    case VMX_EXIT_VMPTRST: emulate_vmptrst(v); break;
    case VMX_EXIT_VMREAD: emulate_vmread_write(v, false); break;
    case VMX_EXIT_VMWRITE: emulate_vmread_write(v, true); break;
    case VMX_EXIT_VMLAUNCH: emulate_vmentry(v, true); break;
    case VMX_EXIT_VMRESUME: emulate_vmentry(v, false); break;
    case VMX_EXIT_INVEPT: emulate_invept(v); break;
    case VMX_EXIT_INVVPID: emulate_invvpid(v); break;
    default:
        break;
    }
    if (!n->in_l2)
        shadow_update(v); /* the cache (a new current VMCS, an error) back */
    vcpu_count_exit(v, EXIT_VIRT_INSN);
    return true;
}
