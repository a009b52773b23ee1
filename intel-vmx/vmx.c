/* The VMX backend's operations (common/vcpu.h): VMXON, the VMCS, bitmaps. */
#include <intel-vmx/vmx.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/paging.h>
#include <platform/percpu.h>
#include <platform/trap.h>
#include <string.h>

extern char vmx_exit_point[];

void vmcs_read_failed(u32 field)
{
    panic("vmx: VMREAD of field 0x%x failed", field);
}

void vmcs_write_failed(u32 field, u64 value)
{
    panic("vmx: VMWRITE of 0x%llx to field 0x%x failed (error %llu)",
          (unsigned long long)value, field,
          (unsigned long long)vmcs_read_raw(VM_INSTRUCTION_ERROR));
}

/* The real instructions behind intel-vmx/vmx_cpu.c. */
static u64 hw_read_cr0(void) { return read_cr0(); }
static void hw_write_cr0(u64 v) { write_cr0(v); }
static u64 hw_read_cr4(void) { return read_cr4(); }
static void hw_write_cr4(u64 v) { write_cr4(v); }

static bool hw_vmxon(u64 pa)
{
    u8 fail;

    __asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static bool hw_vmclear(u64 pa)
{
    u8 fail;

    __asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static bool hw_vmptrld(u64 pa)
{
    u8 fail;

    __asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static bool hw_vmxoff(void)
{
    u8 fail;

    __asm__ volatile("vmxoff; setna %0" : "=qm"(fail) :: "cc", "memory");
    return !fail;
}

static void hw_set_revision(u64 pa, u32 revision)
{
    *(volatile u32 *)phys_to_virt(pa) = revision;
}

static const struct vmx_cpu_hw vmx_hw = {
    .rdmsr = rdmsr_safe,
    .wrmsr = wrmsr_safe,
    .read_cr0 = hw_read_cr0,
    .write_cr0 = hw_write_cr0,
    .read_cr4 = hw_read_cr4,
    .write_cr4 = hw_write_cr4,
    .vmxon = hw_vmxon,
    .vmclear = hw_vmclear,
    .vmptrld = hw_vmptrld,
    .vmxoff = hw_vmxoff,
    .set_revision = hw_set_revision,
};

/* Each CPU's VMXON region, kept for the VMXON after an S3 wake. */
static u64 vmxon_pa[MAX_CPUS];

static int vmx_cpu_enable(void)
{
    u32 me = this_cpu()->index;
    u64 region = vmxon_pa[me];
    int r;

    if (!region && !(region = alloc_pages(1)))
        return -E_NOMEM;
    vmxon_pa[me] = region;
    if ((r = vmx_cpu_on(&vmx_hw, me, region, vmx_caps.revision)) < 0)
        return r;
    vmx_nmi_hook_init();
    log_info("vmx", "CPU %u: VMX operation entered (VMXON region %llx)", me,
             (unsigned long long)region);
    return 0;
}

static int vmx_memory_init(u64 top, u64 hide_base, u64 hide_size)
{
    return vmx_ept_init(top, hide_base, hide_size);
}

/* A control value: what we want, forced by allowed-0 (low dword must be
 * 1) and allowed-1 (high dword may be 1). Fails if a required bit is not
 * allowed. */
static int adjust(u64 cap, u32 want, u32 required, u32 *out, const char *name)
{
    u32 v = (want | (u32)cap) & (u32)(cap >> 32);

    if ((v & required) != required) {
        log_err("vmx", "%s: required bits 0x%x not allowed (allowed-1 0x%x)",
                name, required & ~v, (u32)(cap >> 32));
        return -E_NOTSUP;
    }
    *out = v;
    return 0;
}

static int setup_controls(struct vcpu *v, struct vmx_vcpu *x)
{
    struct vmx_caps *c = &vmx_caps;
    u32 pin, exit, want2;

    /* Interrupts go straight to the guest (no external-interrupt exiting);
     * NMIs exit so that none is lost (seed 004). */
    if (adjust(c->pin, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS,
               PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, &pin, "pin-based") < 0)
        return -E_NOTSUP;
    if (pin & PIN_EXTINT_EXITING)
        log_warn("vmx", "external-interrupt exiting is forced on by this CPU");
    u32 proc_want = PROC_TSC_OFFSETTING | PROC_IO_BITMAPS | PROC_MSR_BITMAPS |
                    PROC_SECONDARY;
    /* True controls let CR3 accesses and friends run without exits. */
    if (adjust(c->proc, proc_want, proc_want, &x->proc, "processor-based") < 0)
        return -E_NOTSUP;
    want2 = PROC2_EPT | PROC2_UNRESTRICTED;
    if (c->vpid)
        want2 |= PROC2_VPID;
    if (c->rdtscp)
        want2 |= PROC2_RDTSCP;
    if (c->invpcid)
        want2 |= PROC2_INVPCID; /* with EPT and unrestricted guest (seed 004) */
    if (c->xsaves)
        want2 |= PROC2_XSAVES;
    if (adjust(c->proc2, want2, PROC2_EPT | PROC2_UNRESTRICTED, &x->proc2,
               "secondary") < 0)
        return -E_NOTSUP;
    if (adjust(c->exit, EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
               EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG,
               EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER, &exit, "exit") < 0)
        return -E_NOTSUP;
    if (adjust(c->entry, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG,
               ENTRY_LOAD_EFER, &x->entry, "entry") < 0)
        return -E_NOTSUP;
    x->entry &= ~ENTRY_IA32E_GUEST; /* follows the guest's EFER.LMA */

    vmcs_write32(PIN_BASED_CONTROLS, pin);
    vmcs_write32(PROC_BASED_CONTROLS, x->proc);
    vmcs_write32(PROC_BASED_CONTROLS2, x->proc2);
    vmcs_write32(VM_EXIT_CONTROLS, exit);
    vmcs_write32(VM_ENTRY_CONTROLS, x->entry);
    vmcs_write32(EXCEPTION_BITMAP, 0);
    vmcs_write32(PF_ERROR_MASK, 0);
    vmcs_write32(PF_ERROR_MATCH, 0);
    vmcs_write32(CR3_TARGET_COUNT, 0);
    vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VM_ENTRY_INTR_INFO, 0);
    vmcs_write64(IO_BITMAP_A, x->io_bitmaps_pa);
    vmcs_write64(IO_BITMAP_B, x->io_bitmaps_pa + PAGE_SIZE);
    vmcs_write64(MSR_BITMAP, x->msr_bitmap_pa);
    vmcs_write64(TSC_OFFSET, 0);
    vmcs_write64(EPT_POINTER, vmx_eptp);
    if (x->proc2 & PROC2_VPID)
        vmcs_write16(VMCS_VPID, v->index + 1);
    if (x->proc2 & PROC2_XSAVES)
        vmcs_write64(XSS_EXIT_BITMAP, 0); /* seed 004: left unset, XSAVES exited */
    vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
    /* CR0/CR4 bits VMX fixes are the host's; the guest sees its own
     * values in the read shadows (CR4.VMXE hidden, CR0.NE in real mode). */
    x->cr0_mask = (vmx_cr0_fixed0 | ~vmx_cr0_fixed1) & ~(CR0_PE | CR0_PG) & 0xffffffff;
    x->cr4_mask = (vmx_cr4_fixed0 | ~vmx_cr4_fixed1) & 0xffffffff;
    vmcs_writen(CR0_GUEST_HOST_MASK, x->cr0_mask);
    vmcs_writen(CR4_GUEST_HOST_MASK, x->cr4_mask);
    return 0;
}

void vmx_setup_host_state(void)
{
    struct pcpu *c = this_cpu();
    struct { u16 limit; u64 base; } __packed idtr;

    __asm__ volatile("sidt %0" : "=m"(idtr));
    vmcs_writen(HOST_CR0, read_cr0());
    vmcs_writen(HOST_CR3, vmm_cr3);
    vmcs_writen(HOST_CR4, read_cr4());
    vmcs_write16(HOST_CS_SEL, SEL_CODE64);
    vmcs_write16(HOST_SS_SEL, SEL_DATA);
    vmcs_write16(HOST_DS_SEL, SEL_DATA);
    vmcs_write16(HOST_ES_SEL, SEL_DATA);
    vmcs_write16(HOST_FS_SEL, 0);
    vmcs_write16(HOST_GS_SEL, 0);
    vmcs_write16(HOST_TR_SEL, SEL_TSS); /* must not be 0 (TESTING.md) */
    vmcs_writen(HOST_FS_BASE, 0);
    vmcs_writen(HOST_GS_BASE, (u64)c);
    vmcs_writen(HOST_TR_BASE, (u64)&c->tss);
    vmcs_writen(HOST_GDTR_BASE, (u64)c->gdt);
    vmcs_writen(HOST_IDTR_BASE, idtr.base);
    vmcs_write32(HOST_SYSENTER_CS, 0);
    vmcs_writen(HOST_SYSENTER_ESP, 0);
    vmcs_writen(HOST_SYSENTER_EIP, 0);
    vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
    vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_writen(HOST_RIP, (u64)vmx_exit_point);
}

static int vmx_vcpu_create(struct vcpu *v)
{
    struct vmx_vcpu *x = kzalloc(sizeof(*x));
    u64 vmcs;

    if (!x)
        return -E_NOMEM;
    vmcs = alloc_pages(1);
    x->msr_bitmap_pa = alloc_pages(1);
    x->io_bitmaps_pa = alloc_pages(2);
    if (!vmcs || !x->msr_bitmap_pa || !x->io_bitmaps_pa)
        return -E_NOMEM;
    x->msr_bitmap = phys_to_virt(x->msr_bitmap_pa);
    x->io_bitmaps = phys_to_virt(x->io_bitmaps_pa);
    *(u32 *)phys_to_virt(vmcs) = vmx_caps.revision;
    x->vmcs_pa = vmcs;
    x->pending_irq = -1;
    x->exit_rsp = ~0ULL; /* GUEST_RSP not written yet: the first entry does */
    v->arch = x;
    if (vmx_vmcs_load(&vmx_hw, this_cpu()->index, vmcs) < 0)
        return -E_IO;
    if (setup_controls(v, x) < 0)
        return -E_NOTSUP;
    vmx_setup_host_state();
    vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    vmcs_writen(GUEST_PENDING_DBG, 0);
    vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
    v->state.valid = 0;
    v->state.dirty = 0;
    return vmx_nested_create(v);
}

/* MSR bitmap (SDM 24.6.9): read low, read high, write low, write high,
 * 1 KiB each, for MSRs 0-1fff and c0000000-c0001fff; others always exit. */
static void set_bit_to(u8 *map, u32 bit, bool on)
{
    if (on)
        map[bit / 8] |= (u8)(1u << (bit % 8));
    else
        map[bit / 8] &= (u8)~(1u << (bit % 8));
}

static void vmx_msr_intercept(struct vcpu *v, u32 msr, bool read, bool write)
{
    u32 base;

    if (msr <= 0x1fff)
        base = 0;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
        base = 1024 * 8, msr -= 0xc0000000;
    else
        return;
    set_bit_to(vmx_of(v)->msr_bitmap, base + msr, read);
    set_bit_to(vmx_of(v)->msr_bitmap, base + 2048 * 8 + msr, write);
}

static void vmx_io_intercept(struct vcpu *v, u16 port, u16 count, bool on)
{
    struct vmx_vcpu *x = vmx_of(v);

    /* L2's merged copy (if in use) takes a new intercept now; one dropped
     * stays there until the next entry to L2 merges again (the exit, not
     * L1's, is handled by the VMM as before) */
    for (u32 p = port; p < (u32)port + count && p <= 0xffff; p++) {
        set_bit_to(x->io_bitmaps, p, on);
        if (on && x->nested.in_l2 && x->nested.io02)
            set_bit_to(x->nested.io02, p, true);
    }
}

static void vmx_set_tsc_offset(struct vcpu *v, u64 offset)
{
    if (vmx_of(v)->nested.in_l2)
        vmx_nested_set_tsc_offset(v, offset);
    else
        vmcs_write64(TSC_OFFSET, offset);
}

static void vmx_flush_guest_tlb(struct vcpu *v)
{
    struct { u64 vpid, addr; } desc = { v->index + 1, 0 };

    if ((vmx_of(v)->proc2 & PROC2_VPID) && vmx_caps.invvpid)
        __asm__ volatile("invvpid %0, %1" ::"m"(desc), "r"(1ULL) : "memory", "cc");
}

static int vmx_memory_protect(u64 gpa, u64 len, bool present)
{
    return vmx_ept_protect(gpa, len, present);
}

static void vmx_wait_for_sipi(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);

    vmx_nested_reset(v); /* INIT: back to L1, out of VMX operation */
    /* INIT drops whatever was waiting for delivery. */
    x->exception_info = 0;
    x->reinject_info = 0;
    x->pending_nmis = 0;
    x->pending_irq = -1;
    vmcs_write32(VM_ENTRY_INTR_INFO, 0);
    vmcs_write32(GUEST_INTERRUPTIBILITY, 0); /* Bochs: see start_at_sipi */
    vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_WAIT_SIPI);
    __atomic_store_n(&v->wait_for_sipi, true, __ATOMIC_RELEASE);
}

static void vmx_start_at_sipi(struct vcpu *v, u8 vector)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_ALL);

    s->seg[SEG_CS] = (struct segment){ (u16)(vector << 8), 0x9b, 0xffff,
                                       (u64)vector << 12 };
    s->rip = 0;
    s->activity = ACT_ACTIVE;
    vcpu_state_set(v, VS_CS | VS_RIP | VS_ACTIVITY);
    /* Nothing blocks a CPU that just started: Bochs leaves "blocking by
     * SMI" set in the SIPI exit's state, and an entry outside SMM with it
     * fails (SDM 26.3.1.5). */
    vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
    __atomic_store_n(&v->wait_for_sipi, false, __ATOMIC_RELEASE);
}

/* S3 (common/sleep.c): v's VMCS written back to memory and VMX operation
 * left, on the CPU that runs v, before the sleep (or before a parked CPU
 * returns to its guest when the sleep is given up). */
static int vmx_s3_suspend(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    int r = vmx_cpu_off(&vmx_hw, this_cpu()->index, x->vmcs_pa);

    x->launched = false; /* VMCLEAR made the launch state "clear" */
    return r;
}

/* After the wake (or a sleep given up): VMX operation again on the same
 * VMXON region (IA32_FEATURE_CONTROL as the firmware's resume path left
 * it, locked again if open), v's VMCS current with the next entry a
 * VMLAUNCH, and the host state written again from this CPU's tables (the
 * same ones: bsp_wake64 and the AP start load them). v->state stays as it
 * is: the VMCS in memory holds what its valid fields were read from, and
 * its dirty fields are written at the next entry as always. */
static int vmx_s3_resume(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    u32 me = this_cpu()->index;
    int r;

    if (!vmxon_pa[me]) {
        log_err("vmx", "CPU %u has no VMXON region to resume with", me);
        return -E_INVAL;
    }
    if ((r = vmx_cpu_enable()) < 0)
        return r;
    if ((r = vmx_vmcs_load(&vmx_hw, me, x->vmcs_pa)) < 0)
        return r;
    x->launched = false;
    vmx_setup_host_state();
    log_info("vmx", "CPU %u: VMCS %llx current again (next entry VMLAUNCH)",
             me, (unsigned long long)x->vmcs_pa);
    return 0;
}

const struct vcpu_ops vmx_ops = {
    .cpu_enable = vmx_cpu_enable,
    .memory_init = vmx_memory_init,
    .vcpu_create = vmx_vcpu_create,
    .run = vmx_run,
    .state_load = vmx_state_load,
    .skip_instruction = vmx_skip_instruction,
    .inject_exception = vmx_inject_exception,
    .inject_nmi = vmx_inject_nmi,
    .inject_interrupt = vmx_inject_interrupt,
    .msr_intercept = vmx_msr_intercept,
    .io_intercept = vmx_io_intercept,
    .set_tsc_offset = vmx_set_tsc_offset,
    .memory_protect = vmx_memory_protect,
    .flush_guest_tlb = vmx_flush_guest_tlb,
    .wait_for_sipi = vmx_wait_for_sipi,
    .start_at_sipi = vmx_start_at_sipi,
    .idle = vmx_idle,
    .periodic_exit = vmx_periodic_exit,
    .dump = vmx_dump,
    .s3_suspend = vmx_s3_suspend,
    .s3_resume = vmx_s3_resume,
    .hypercall_insn = { 0x0f, 0x01, 0xc1 }, /* VMCALL */
    .sipi_exits = true,
    .nested_vmx = true,
    .nested_msr_read = vmx_nested_msr_read,
    .nested_phys = vmx_nested_phys,
};
