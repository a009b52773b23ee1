/* The seam between Veneer's vendor-neutral core and its two backends.
 *
 * Start here if you are writing a backend. Three rules (DESIGN.md):
 *
 * 1. The backend decodes, common handles. Each VM exit is decoded by the
 *    backend into a `struct vcpu_exit` (a neutral kind and payload); common
 *    code (common/exit.c) handles it through a table of small handlers and
 *    calls back through `struct vcpu_ops` only for what only the backend
 *    can do.
 * 2. One register frame. Both entry stubs save and restore the guest's
 *    general-purpose registers in the same `struct guest_regs`, so common
 *    code reads and writes GPRs directly. (SVM keeps RAX and RSP in the
 *    VMCB: its stub copies them in and out.)
 * 3. Mechanisms stay private. Common code asks for an effect ("inject an
 *    NMI", "deliver vector V when the guest can take it", "skip this
 *    instruction"); the backend picks the mechanism (NMI-window exiting or
 *    IRET interception, interrupt-window exiting or V_IRQ, NRIP or
 *    decoding). Exits that only serve a mechanism (NMI, IRET, VINTR,
 *    interrupt and NMI windows) never reach common code; the backend counts
 *    them with vcpu_count_exit() and handles them itself.
 *
 * All other guest state (RIP, RFLAGS, control registers, segments, ...)
 * moves through `struct vcpu_state`: common code asks for the fields it
 * needs with vcpu_state_get(), changes them with vcpu_state_set(), and the
 * backend writes back only the dirty fields before the next entry.
 */
#ifndef VENEER_COMMON_VCPU_H
#define VENEER_COMMON_VCPU_H

#include <platform/types.h>

/* ---- general-purpose registers --------------------------------------- */

/* In x86 encoding order, so an instruction's register number indexes it. */
enum gpr {
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
    GPR_COUNT
};

struct guest_regs {
    u64 gpr[GPR_COUNT];
};
CHECK_SIZE(struct guest_regs, 16 * 8);

/* ---- other guest state ------------------------------------------------ */

/* A segment register. `attr` uses the VMX access-rights layout (SDM
 * 24.4.1): type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15],
 * unusable[16]; the SVM backend converts to and from its packed form. */
struct segment {
    u16 sel;
    u32 attr;
    u32 limit;
    u64 base;
};

#define SEG_ATTR_UNUSABLE BIT(16)

struct dtable {
    u64 base;
    u32 limit;
};

/* Fields of struct vcpu_state, one bit each in `valid` and `dirty`. */
#define VCPU_STATE_FIELDS(X)                                              \
    X(RIP) X(RFLAGS) X(CR0) X(CR2) X(CR3) X(CR4) X(EFER) X(PAT) X(DR7)    \
    X(CS) X(DS) X(ES) X(FS) X(GS) X(SS) X(TR) X(LDTR) X(GDTR) X(IDTR)     \
    X(SYSENTER) X(KERNEL_GS) X(INTR_STATE) X(ACTIVITY)

enum vcpu_state_bit {
#define X(n) VS_BIT_##n,
    VCPU_STATE_FIELDS(X)
#undef X
    VS_BIT_COUNT
};

enum vcpu_state_mask {
#define X(n) VS_##n = 1u << VS_BIT_##n,
    VCPU_STATE_FIELDS(X)
#undef X
    VS_SEGMENTS = VS_CS | VS_DS | VS_ES | VS_FS | VS_GS | VS_SS | VS_TR | VS_LDTR,
    VS_CONTROL = VS_CR0 | VS_CR3 | VS_CR4 | VS_EFER,
    VS_ALL = (1u << VS_BIT_COUNT) - 1,
};

enum seg_index { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* The segment of the lowest VS_SEGMENTS bit set in `mask` (nonzero):
 * loops over the segments a mask names, not over all eight. */
static inline int seg_of_bit(u32 mask)
{
    static const u8 segs[] = {
        [VS_BIT_CS - VS_BIT_CS] = SEG_CS, [VS_BIT_DS - VS_BIT_CS] = SEG_DS,
        [VS_BIT_ES - VS_BIT_CS] = SEG_ES, [VS_BIT_FS - VS_BIT_CS] = SEG_FS,
        [VS_BIT_GS - VS_BIT_CS] = SEG_GS, [VS_BIT_SS - VS_BIT_CS] = SEG_SS,
        [VS_BIT_TR - VS_BIT_CS] = SEG_TR, [VS_BIT_LDTR - VS_BIT_CS] = SEG_LDTR,
    };
    _Static_assert(VS_BIT_LDTR - VS_BIT_CS == 7, "the segment bits are contiguous");

    return segs[__builtin_ctz(mask & VS_SEGMENTS) - VS_BIT_CS];
}

/* Interruptibility (VS_INTR_STATE). */
#define INTR_SHADOW   BIT(0) /* blocking by STI or MOV SS */
#define INTR_NMI_BLOCKED BIT(1)

/* Activity (VS_ACTIVITY). */
enum vcpu_activity { ACT_ACTIVE, ACT_HLT, ACT_WAIT_SIPI, ACT_SHUTDOWN };

struct vcpu_state {
    u32 valid;  /* fields read from the hardware since the last exit */
    u32 dirty;  /* fields to write back before the next entry */
    u64 rip, rflags;
    u64 cr0, cr2, cr3, cr4, efer, pat, dr7;
    struct segment seg[SEG_COUNT];
    struct dtable gdtr, idtr;
    u64 sysenter_cs, sysenter_esp, sysenter_eip, kernel_gs_base;
    u32 intr_state;
    u32 activity;
};

/* ---- decoded exits ----------------------------------------------------- */

#define VCPU_EXIT_KINDS(X)                                                \
    X(NONE, "none")                                                       \
    X(CPUID, "cpuid")                                                     \
    X(MSR_READ, "msr-read")                                               \
    X(MSR_WRITE, "msr-write")                                             \
    X(IO, "io")                                                           \
    X(HYPERCALL, "hypercall")                                             \
    X(HLT, "hlt")                                                         \
    X(XSETBV, "xsetbv")                                                   \
    X(NPF, "npt-fault")                                                   \
    X(EXCEPTION, "exception")                                             \
    X(VIRT_INSN, "virt-insn")                                             \
    X(CR_ACCESS, "cr-access")                                             \
    X(TASK_SWITCH, "task-switch")                                         \
    X(TRIPLE_FAULT, "triple-fault")                                       \
    X(INIT, "init")                                                       \
    X(SIPI, "sipi")                                                       \
    X(ENTRY_FAILED, "entry-failed")                                       \
    X(UNKNOWN, "unknown")                                                 \
    /* handled inside the backend, counted only: */                       \
    X(NMI, "nmi")                                                         \
    X(INTR, "interrupt")                                                  \
    X(IRET, "iret")                                                       \
    X(WINDOW, "window")                                                   \
    X(PAUSE, "pause")

enum vcpu_exit_kind {
#define X(k, s) EXIT_##k,
    VCPU_EXIT_KINDS(X)
#undef X
    EXIT_KIND_COUNT
};

struct vcpu_exit {
    enum vcpu_exit_kind kind;
    u64 raw_code;      /* the backend's own exit code, for logs */
    u8 insn_len;       /* length of the exiting instruction, 0 if unknown */
    union {
        struct { u32 leaf, subleaf; } cpuid;
        struct { u32 index; u64 value; } msr; /* value: for writes */
        struct {
            u16 port;
            u8 size;        /* 1, 2 or 4 */
            bool in;
            bool string, rep;
            u8 addr_size;   /* string: 2, 4 or 8 */
            u8 seg;         /* string: enum seg_index of the source */
            u64 next_rip;   /* 0 if the backend does not know it */
        } io;
        struct { u64 gpa; u64 gva; bool read, write, exec, present, gva_valid; } npf;
        struct { u8 vector; bool has_error; u32 error; u64 cr2; } exception;
        struct { u8 cr; u8 op; u8 gpr; u16 lmsw; } cr; /* writes: enum cr_op */
        struct { const char *name; } virt_insn;  /* "VMRUN", "VMXON", ... */
        struct {
            u16 tss_sel;     /* the TSS the guest switches to */
            u8 source;       /* enum task_source */
            u8 event;        /* TASK_GATE: enum task_event */
            u8 vector;       /* TASK_GATE: the vector delivered */
            bool has_error;  /* TASK_GATE: an exception with an error code */
            u32 error;
        } task;              /* insn_len: CALL/JMP/IRET/software INT */
        struct { u8 vector; } sipi;
        struct { u32 reason; u64 qualification; } failed;
    };
};

/* A control-register write that exited: MOV to CRn from a GPR, CLTS, or
 * LMSW of a 16-bit source (the backend reads it for LMSW). */
enum cr_op { CR_MOV_TO, CR_CLTS, CR_LMSW };

/* What started a hardware task switch (the encoding of the VMX exit
 * qualification's bits 31:30, SDM table 28-2). */
enum task_source { TASK_CALL, TASK_IRET, TASK_JMP, TASK_GATE };

/* What a task gate in the IDT delivered (TASK_GATE). A switch started by
 * software (INT n, INT3, INTO, INT1) saves the EIP after the instruction;
 * one started by an exception, NMI or external interrupt saves the EIP of
 * the interrupted instruction (seed 004). */
enum task_event { TASK_EV_SOFTWARE, TASK_EV_EXCEPTION, TASK_EV_NMI, TASK_EV_EXTINT };

/* ---- the vcpu --------------------------------------------------------- */

struct vcpu {
    struct guest_regs regs;  /* first: the entry stubs use offset 0 */
    struct vcpu_state state;
    u32 index;               /* 0 = BSP */
    void *arch;              /* the backend's per-vcpu data */
    u64 exit_counts[EXIT_KIND_COUNT];
    u64 tsc_offset;          /* added to the TSC the guest reads */
    u64 tsc_adjust;          /* the guest's IA32_TSC_ADJUST */
    bool has_tsc_adjust;
    u64 xcr0;                /* the guest's XCR0 (XSETBV) */
    bool wait_for_sipi;
    u32 apic_id;             /* the physical CPU's local APIC ID */
    u32 sipis;               /* SIPIs that started it */
    u64 idle_halts;          /* smp_idle calls while it waited for a SIPI */
    u32 pending_init;        /* posted by another CPU (common/smp.c) */
    u32 pending_sipi;        /* 0x100 | vector, posted by another CPU */
    u64 sipi_stamp;          /* exits counted when the last SIPI started it */
    u16 sipi_cs;             /* the CS that SIPI gave it */
    u32 apic_ldr, apic_dfr;  /* intercepted APIC: the logical destination */
    u32 apic_icr_hi;         /* intercepted APIC: the guest's ICR high */
    u64 slat_gen;            /* second-level map generation last flushed */
};
CHECK_OFFSET(struct vcpu, regs, 0);

/* Counts an exit of `kind` (for the exit_counters hypercall). */
static inline void vcpu_count_exit(struct vcpu *v, enum vcpu_exit_kind kind)
{
    v->exit_counts[kind]++;
}

const char *vcpu_exit_kind_name(enum vcpu_exit_kind kind);

/* Whether delivering exception `vector` pushes an error code (SDM table
 * 6-1), and whether it may here: real mode pushes none. */
static inline bool exception_pushes_error(u8 vector, u64 guest_cr0)
{
    bool has = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
               vector == 21 || vector == 29 || vector == 30;

    return has && (guest_cr0 & 1 /* CR0.PE */);
}

/* Whether exception `vector` is a fault (SDM 6.5, table 6-1): delivered
 * with RFLAGS.RF=1 in the pushed image (SDM 17.3.1.1), so that the
 * restarted instruction does not hit an instruction breakpoint again.
 * #DB (as the VMM injects it: a single-step trap), #BP and #OF are traps;
 * NMI is not an exception; #DF and #MC are aborts. */
static inline bool exception_is_fault(u8 vector)
{
    return vector < 32 && vector != 1 && vector != 2 && vector != 3 &&
           vector != 4 && vector != 8 && vector != 18;
}

/* ---- the operations a backend provides -------------------------------- *
 *
 * X(return type, name, parameters, contract). One list generates the
 * table type and (tests/unit/test_vcpu_ops.c) the check that every backend
 * fills every operation.
 */
#define VCPU_OPS(X)                                                       \
    /* Enables virtualization on the calling physical CPU (EFER.SVME +    \
     * host save area, or VMXON) and sets up whatever it needs per CPU.   \
     * Returns < 0 with a logged reason if the CPU refuses. Runs once per \
     * CPU, before any vcpu_create on it. */                              \
    X(int, cpu_enable, (void))                                            \
    /* Builds the second-level address translation shared by all vcpus:  \
     * guest-physical == host-physical for all RAM and MMIO up to `top`,  \
     * with 1 GiB / 2 MiB pages, except [hide_base, hide_base+hide_size)  \
     * (the VMM region), which is not present. Once, on the BSP. */       \
    X(int, memory_init, (u64 top, u64 hide_base, u64 hide_size))          \
    /* Allocates the backend's control block for `v` on the calling CPU   \
     * and sets the fixed controls and intercepts. The guest state starts \
     * as after INIT (real mode, CS:IP F000:FFF0) until common code sets  \
     * it through vcpu_state. */                                          \
    X(int, vcpu_create, (struct vcpu *v))                                 \
    /* Enters the guest (writing back dirty state first, taking pending   \
     * NMIs into account just before entry) and returns when an exit      \
     * needs common code, decoded into *exit. State fields are invalid    \
     * after it returns. */                                               \
    X(void, run, (struct vcpu *v, struct vcpu_exit *exit))                \
    /* Makes the fields in `mask` valid in v->state (reading the VMCB or  \
     * VMCS lazily). Never discards dirty fields. */                      \
    X(void, state_load, (struct vcpu *v, u32 mask))                       \
    /* Advances RIP past the instruction that caused the current exit     \
     * (NRIP, the VMCS length, or decoding), clears the interrupt shadow  \
     * and handles RFLAGS.TF like the instruction would. */               \
    X(void, skip_instruction, (struct vcpu *v, const struct vcpu_exit *e))\
    /* Queues an exception for delivery at the next entry (a second one   \
     * before entry combines as the CPU would: #DF, or a triple fault).   \
     * `error` is used when the vector has an error code. */              \
    X(void, inject_exception, (struct vcpu *v, u8 vector, u32 error))     \
    /* Delivers an NMI to the guest as soon as it is not blocking NMIs;   \
     * NMIs are counted, never lost, never delivered twice. */            \
    X(void, inject_nmi, (struct vcpu *v))                                 \
    /* Delivers external interrupt `vector` as soon as the guest can take \
     * it (RFLAGS.IF=1, no interrupt shadow), requesting an exit at that  \
     * moment if needed. One pending vector; a second call replaces it. */\
    X(void, inject_interrupt, (struct vcpu *v, u8 vector))                \
    /* Intercepts (or passes through) guest reads and writes of an MSR.   \
     * MSRs outside the backend's bitmap ranges are always intercepted. */\
    X(void, msr_intercept, (struct vcpu *v, u32 msr, bool read, bool write))\
    /* Intercepts (or passes through) I/O ports [port, port+count). */    \
    X(void, io_intercept, (struct vcpu *v, u16 port, u16 count, bool on)) \
    /* Sets the offset added to the TSC the guest reads. */               \
    X(void, set_tsc_offset, (struct vcpu *v, u64 offset))                 \
    /* Makes guest-physical [gpa, gpa+len) not present (an MMIO hook) or  \
     * present again, splitting large pages as needed, and flushes the    \
     * translations on every CPU. */                                      \
    X(int, memory_protect, (u64 gpa, u64 len, bool present))              \
    /* Flushes the guest's TLB entries (its ASID / VPID) before the next  \
     * entry on this vcpu. */                                             \
    X(void, flush_guest_tlb, (struct vcpu *v))                            \
    /* Puts the vcpu in wait-for-SIPI (after an INIT). */                 \
    X(void, wait_for_sipi, (struct vcpu *v))                              \
    /* Starts a vcpu waiting for SIPI at vector:0000 in real mode. */     \
    X(void, start_at_sipi, (struct vcpu *v, u8 vector))                   \
    /* Halts this CPU, outside the guest, until an NMI arrives (another  \
     * CPU's kick); returns at once if *wake is set. An NMI that comes    \
     * after the caller's last look and before the halt ends it too.      \
     * Returns with the host's event masking as before. */                \
    X(void, idle, (volatile u32 *wake))                                   \
    /* Asks for an exit (EXIT_NONE) on every vcpu at least every `us`     \
     * microseconds while the guest runs, even halted, so that the exit   \
     * path's poller runs (0: no more). -E_NOTSUP if the backend has no   \
     * timer of its own (SVM: every timer is the guest's). Once, at init. */\
    X(int, periodic_exit, (u32 us))                                       \
    /* Writes the backend's view of the vcpu (control block, pending      \
     * events, last exit) to the console, for panics. */                  \
    X(void, dump, (struct vcpu *v))                                       \
    /* S3 (common/sleep.c), on the CPU that runs v, outside the guest:    \
     * before the sleep, whatever the CPU holds of v's control block is   \
     * written back to memory and virtualization may be left (VMX:        \
     * VMCLEAR, VMXOFF; SVM: nothing, the VMCB is memory the CPU reads at \
     * each VMRUN). No op on v's state may follow until s3_resume. */     \
    X(int, s3_suspend, (struct vcpu *v))                                  \
    /* After the wake (virtualization off, CR4/EFER as bsp_wake64 or the  \
     * AP start left them), or when the sleep is given up after           \
     * s3_suspend: cpu_enable's work again with the same per-CPU areas,   \
     * and v's control block usable again with the guest state it held   \
     * (VMX: VMXON on the same region, IA32_FEATURE_CONTROL locked again  \
     * if the firmware left it open, VMCLEAR + VMPTRLD, next entry a      \
     * VMLAUNCH, host state rewritten; SVM: EFER.SVME, the same host save \
     * area, VMCB clean bits cleared). < 0 with a logged reason. */       \
    X(int, s3_resume, (struct vcpu *v))

struct vcpu_ops {
#define X(ret, name, params) ret (*name) params;
    VCPU_OPS(X)
#undef X
    /* The 3-byte hypercall instruction (VMMCALL 0f 01 d9 / VMCALL 0f 01 c1),
     * for code the VMM places in guest memory. */
    u8 hypercall_insn[3];
    /* The guest's INIT and SIPI reach this backend as INIT/SIPI exits of
     * the target vcpu (VMX's wait-for-SIPI state). SVM has none: the VMM
     * intercepts the local APIC and delivers them (common/smp.c). */
    bool sipi_exits;
    /* The backend emulates SVM for its guest (VMRUN, VMLOAD/VMSAVE,
     * STGI/CLGI, #VMEXIT reflection) once the guest sets EFER.SVME, which
     * common code allows only with vmm.nested=1 (nested_svm_exposed).
     * The nesting levels stay inside the backend: every op acts on the
     * level that runs now (L1, or its guest L2), except msr_intercept,
     * io_intercept and set_tsc_offset, which act on L1's view and are
     * merged into L2's by the backend (an I/O intercept turned on while
     * L2 runs takes effect for L2 at once). */
    bool nested_svm;
    /* Optional (NULL: L2 never has nested paging of its own): when L2 runs
     * on its L1's nested page tables (NPT12, EPT12), turns an address of
     * the running level's guest-physical space into L1's, or -E_FAULT
     * when L1's tables have no such translation (identity while L1 runs).
     * guest_mem.c's linear accesses (instruction bytes, page walks, string
     * I/O, TSS) go through it: the VMM's accesses for L2 then land where
     * L2's own would, and every check stays on L1-physical addresses. */
    int (*nested_phys)(struct vcpu *v, u64 gpa, bool write, u64 *l1pa);
    /* The same for VMX (VMXON and the other VMX instructions, VM exits
     * from L2 reflected to L1), once the guest sets CR4.VMXE, which
     * common code allows only with vmm.nested=1 (nested_vmx_exposed).
     * nested_msr_read answers the guest's reads of the IA32_VMX_*
     * capability MSRs (0x480-0x491) for what the backend emulates. */
    bool nested_vmx;
    int (*nested_msr_read)(struct vcpu *v, u32 msr, u64 *val); /* enum emu_result */
};

/* Common code's calls into the chosen backend. */
extern const struct vcpu_ops *vcpu_ops;

/* Fields of v->state for reading; loads them from the backend if needed. */
static inline struct vcpu_state *vcpu_state_get(struct vcpu *v, u32 mask)
{
    if ((v->state.valid & mask) != mask)
        vcpu_ops->state_load(v, mask & ~v->state.valid);
    return &v->state;
}

/* Marks fields changed by common code (they must be valid). */
static inline void vcpu_state_set(struct vcpu *v, u32 mask)
{
    v->state.dirty |= mask;
}

/* The vcpu running on this physical CPU. */
struct vcpu *current_vcpu(void);

/* Every vcpu, by index (0 = the BSP); entries appear as CPUs come up and
 * never go away. */
extern struct vcpu *vcpus[];
extern u32 vcpu_count;
void vcpu_register(struct vcpu *v);

/* The guest-physical address space the second-level map covers: what the
 * CPU can address (CPUID 0x80000008), capped at 2^46. */
u64 guest_space_top(void);

/* The state a CPU has after INIT (SDM 9.1.1, APM 14.1.3): real mode at
 * F000:FFF0, caches off, RDX the CPUID signature; every field dirty.
 * wait_sipi: an AP then waits for a SIPI. */
void vcpu_set_init_state(struct vcpu *v, bool wait_sipi);

/* The second-level map changed (a page hidden or shown): every vcpu
 * flushes its guest translations before its next entry, and the CPUs
 * running a guest are made to exit now (common/smp.c). */
extern u64 slat_generation;
void slat_changed(void);

#endif
