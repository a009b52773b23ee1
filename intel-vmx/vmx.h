/* The VMX backend's private declarations. */
#ifndef VENEER_INTEL_VMX_VMX_H
#define VENEER_INTEL_VMX_VMX_H

#include <platform/types.h>

#define MSR_IA32_VMX_PINBASED_CTLS      0x481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482
#define MSR_IA32_VMX_EXIT_CTLS          0x483
#define MSR_IA32_VMX_ENTRY_CTLS         0x484
#define MSR_IA32_VMX_BASIC_NESTED       0x480
#define MSR_IA32_VMX_MISC               0x485
#define MSR_IA32_VMX_CR0_FIXED0         0x486
#define MSR_IA32_VMX_CR0_FIXED1         0x487
#define MSR_IA32_VMX_CR4_FIXED0         0x488
#define MSR_IA32_VMX_CR4_FIXED1         0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490

struct vmx_caps {
    u64 basic;
    u32 revision;
    bool true_ctls;
    u64 pin, proc, proc2, exit, entry; /* allowed-0 low, allowed-1 high */
    u64 ept_vpid;
    u64 feature_control;
    bool ept, unrestricted, vpid, vmcs_shadowing, virtual_nmis;
    bool ept_2m, ept_1g, ept_wb, ept_4level, invept, invvpid, ept_ad;
    bool preemption_timer, xsaves, invpcid, rdtscp;
};

extern struct vmx_caps vmx_caps;

#include <common/vcpu.h>
#include <intel-vmx/vmcs.h>
#include <intel-vmx/vmx_cpu.h>

#define VMX_EXIT_HISTORY 16

struct vmx_exit_record {
    u32 reason;
    u64 qual, rip;
};

struct vmcs12;

/* Nested VMX (vmx_nested.c): L1's VMX operation and its guest L2. */
struct vmx_nested {
    bool vmxon;            /* L1 in VMX (root) operation */
    bool in_l2;            /* vmcs02 is the running VMCS */
    bool vmcs02_ready, launched02;
    u32 launch_before;     /* vmcs12's launch state before this entry */
    u64 vmxon_pa;          /* L1's VMXON region */
    u64 current;           /* L1's current-VMCS pointer; ~0: none */
    struct vmcs12 *c;      /* the cache of the current vmcs12 */
    u64 vmcs02_pa, io02_pa, msr02_pa;
    u8 *io02, *msr02;
    bool io02_all, msr02_all;  /* the page is all ones (L1 takes every one) */
    u16 vpid12;            /* L1's VPID for L2 at the last entry */
    /* vmcs01's values while vmcs02 runs */
    u32 pin01, proc01, proc2_01, entry01, exit01;
    bool launched01;
    u64 cr0_mask01, cr4_mask01;
    u32 keep_proc;         /* L1's exiting controls vmx_set_proc keeps */
    u64 entries, reflected, vmrw_exits;
    /* VMCS shadowing (where the CPU has it): L1's VMREAD/VMWRITE of the
     * known fields go to `shadow` (a copy of the cache) without exits */
    u64 shadow_pa, vmread_bitmap_pa, vmwrite_bitmap_pa;
    bool shadow_on;
    bool lists_seen;       /* L1's MSR lists logged once */
    /* EPT for L1 (vmx_nept.c): L2 on EPT02, EPT12 composed with Veneer's */
    bool ept12;            /* vmcs02 runs on EPT02 (L1 enabled EPT) */
    u64 eptp12;            /* L1's EPTP that EPT02 shadows */
    u64 nept_pool;         /* NEPT_PAGES pages; the first is EPT02's root */
    u32 nept_used;         /* pages handed out (the root included) */
    u64 nept_gen;          /* slat_generation when EPT02 was last emptied */
    u64 nept_fills, nept_flushes, nept_reflected;
    bool npf_l1;           /* this EPT violation is Veneer's, at npf_l1pa */
    u64 npf_l1pa;          /* (L2's access translated through EPT12) */
};

#define NEPT_PAGES 64

/* A walk of L1's EPT (vmx_nept.c). */
enum ept12_result { EPT12_OK, EPT12_VIOLATION, EPT12_MISCONFIG };
struct ept12_walk {
    u32 perms;             /* RWX: the AND over the entries walked */
    u64 l1pa;              /* EPT12_OK: the L1-physical 4 KiB page */
    u64 bits;              /* EPT12_OK: the leaf's memory type, ignore-PAT */
};

/* Per-vcpu state of the backend (v->arch). */
struct vmx_vcpu {
    u64 vmcs_pa;
    u8 *msr_bitmap, *io_bitmaps;
    u64 msr_bitmap_pa, io_bitmaps_pa;
    bool launched;
    bool preempt_on;          /* the preemption timer is active in this VMCS */
    u32 proc, proc2, entry;   /* current control values */
    u64 cr0_mask, cr4_mask;
    /* Events. */
    u32 reinject_info, reinject_err, reinject_len;
    u32 exception_info, exception_err;
    u32 pending_nmis;
    int pending_irq;
    /* Diagnostics. */
    struct vmx_exit_record history[VMX_EXIT_HISTORY];
    u32 history_next;
    u64 entries;
    u32 exit_reason;
    u64 exit_qual;
    u64 exit_rsp;             /* GUEST_RSP as the last exit left it */
    bool exit_in_l2;          /* ... in vmcs02 */
    struct vmx_nested nested;
};

static inline struct vmx_vcpu *vmx_of(struct vcpu *v)
{
    return v->arch;
}


int vmx_ept_init(u64 top, u64 hide_base, u64 hide_size);
int vmx_ept_protect(u64 gpa, u64 len, bool present);
/* INVEPT for the shared EPT on this CPU. */
void vmx_ept_flush(void);
extern u64 vmx_eptp;
u64 vmx_ept_leaf(u64 gpa);
void vmx_ept_nmi_unblock(u64 qual);

/* vmx_nept.c: EPT02, the shadow of L1's EPT for L2 */
int vmx_nept_create(struct vmx_nested *n);
u64 vmx_nept_eptp(const struct vmx_nested *n);
void vmx_nept_flush(struct vmx_nested *n);
int vmx_nept_map(struct vmx_nested *n, u64 l2pa, u64 l1pa, u64 bits);
bool vmx_ept12_eptp_ok(u64 eptp);
enum ept12_result vmx_ept12_walk(u64 eptp, u64 l2pa, struct ept12_walk *w);

void vmx_state_load(struct vcpu *v, u32 mask);
void vmx_state_write_back(struct vcpu *v);
u64 vmx_guest_cr0(u64 requested);
u64 vmx_guest_cr4(u64 requested);

void vmx_run(struct vcpu *v, struct vcpu_exit *e);
void vmx_skip_instruction(struct vcpu *v, const struct vcpu_exit *e);
void vmx_inject_exception(struct vcpu *v, u8 vector, u32 error);
void vmx_inject_nmi(struct vcpu *v);
void vmx_inject_interrupt(struct vcpu *v, u8 vector);
void vmx_dump(struct vcpu *v);
void vmx_nmi_hook_init(void);
void vmx_set_proc(struct vmx_vcpu *x, u32 bits, bool on);

void vmx_setup_host_state(void);

/* vmx_nested.c */
int vmx_nested_create(struct vcpu *v);
bool vmx_nested_l1_insn(struct vcpu *v, u32 reason);
bool vmx_nested_l2_exit(struct vcpu *v, u32 reason, u64 qual);
void vmx_nested_l2_pending(struct vcpu *v);
void vmx_nested_entry_failed(struct vcpu *v);
void vmx_nested_reset(struct vcpu *v);
int vmx_nested_msr_read(struct vcpu *v, u32 msr, u64 *val);
void vmx_nested_set_tsc_offset(struct vcpu *v, u64 l1_offset);
int vmx_nested_phys(struct vcpu *v, u64 gpa, bool write, u64 *l1pa);
void vmx_nested_slat_changed(struct vcpu *v);

int vmx_enter(struct guest_regs *regs, u64 launched, volatile u32 *nmis);
/* vmx_entry.S: the vcpu op idle (HLT unless *wake). */
void vmx_idle(volatile u32 *wake);
int vmx_periodic_exit(u32 us);
extern char vmx_idle_hlt[], vmx_idle_done[];

#endif
