/* The VMCB (AMD APM vol. 2, appendix B) as packed structs with their
 * offsets asserted, and the bits the backend uses. Fields the CPU may
 * cache are written through setters that clear their clean bit. */
#ifndef VENEER_AMD_SVM_VMCB_H
#define VENEER_AMD_SVM_VMCB_H

#include <platform/types.h>

struct vmcb_seg {
    u16 sel;
    u16 attr;   /* descriptor bits 40-47 in 7:0, bits 52-55 in 11:8 */
    u32 limit;
    u64 base;
} __packed;
CHECK_SIZE(struct vmcb_seg, 16);

struct vmcb_control {
    u16 intercept_cr_read;       /* 0x000 */
    u16 intercept_cr_write;      /* 0x002 */
    u16 intercept_dr_read;       /* 0x004 */
    u16 intercept_dr_write;      /* 0x006 */
    u32 intercept_exceptions;    /* 0x008 */
    u32 intercept1;              /* 0x00c */
    u32 intercept2;              /* 0x010 */
    u32 intercept3;              /* 0x014 */
    u8 reserved1[0x03c - 0x018];
    u16 pause_filter_threshold;  /* 0x03c */
    u16 pause_filter_count;      /* 0x03e */
    u64 iopm_base_pa;            /* 0x040 */
    u64 msrpm_base_pa;           /* 0x048 */
    u64 tsc_offset;              /* 0x050 */
    u32 guest_asid;              /* 0x058 */
    u8 tlb_control;              /* 0x05c */
    u8 reserved2[3];
    u64 vintr;                   /* 0x060 */
    u64 interrupt_shadow;        /* 0x068 */
    u64 exitcode;                /* 0x070 */
    u64 exitinfo1;               /* 0x078 */
    u64 exitinfo2;               /* 0x080 */
    u64 exitintinfo;             /* 0x088 */
    u64 np_control;              /* 0x090 */
    u64 avic_apic_bar;           /* 0x098 */
    u64 ghcb_pa;                 /* 0x0a0 */
    u64 eventinj;                /* 0x0a8 */
    u64 n_cr3;                   /* 0x0b0 */
    u64 virt_ext;                /* 0x0b8 */
    u32 clean;                   /* 0x0c0 */
    u32 reserved3;
    u64 next_rip;                /* 0x0c8 */
    u8 insn_len;                 /* 0x0d0 */
    u8 insn_bytes[15];
    u8 reserved4[0x400 - 0x0e0];
} __packed;
CHECK_SIZE(struct vmcb_control, 0x400);
CHECK_OFFSET(struct vmcb_control, intercept1, 0x00c);
CHECK_OFFSET(struct vmcb_control, intercept2, 0x010);
CHECK_OFFSET(struct vmcb_control, iopm_base_pa, 0x040);
CHECK_OFFSET(struct vmcb_control, guest_asid, 0x058);
CHECK_OFFSET(struct vmcb_control, vintr, 0x060);
CHECK_OFFSET(struct vmcb_control, exitcode, 0x070);
CHECK_OFFSET(struct vmcb_control, np_control, 0x090);
CHECK_OFFSET(struct vmcb_control, eventinj, 0x0a8);
CHECK_OFFSET(struct vmcb_control, n_cr3, 0x0b0);
CHECK_OFFSET(struct vmcb_control, clean, 0x0c0);
CHECK_OFFSET(struct vmcb_control, next_rip, 0x0c8);
CHECK_OFFSET(struct vmcb_control, insn_bytes, 0x0d1);

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
    u8 reserved1[0x4cb - 0x4a0];
    u8 cpl;                      /* 0x4cb */
    u32 reserved2;
    u64 efer;                    /* 0x4d0 */
    u8 reserved3[0x548 - 0x4d8];
    u64 cr4;                     /* 0x548 */
    u64 cr3;                     /* 0x550 */
    u64 cr0;                     /* 0x558 */
    u64 dr7;                     /* 0x560 */
    u64 dr6;                     /* 0x568 */
    u64 rflags;                  /* 0x570 */
    u64 rip;                     /* 0x578 */
    u8 reserved4[0x5d8 - 0x580];
    u64 rsp;                     /* 0x5d8 */
    u64 s_cet, ssp, isst_addr;   /* 0x5e0 */
    u64 rax;                     /* 0x5f8 */
    u64 star;                    /* 0x600 */
    u64 lstar;                   /* 0x608 */
    u64 cstar;                   /* 0x610 */
    u64 sfmask;                  /* 0x618 */
    u64 kernel_gs_base;          /* 0x620 */
    u64 sysenter_cs;             /* 0x628 */
    u64 sysenter_esp;            /* 0x630 */
    u64 sysenter_eip;            /* 0x638 */
    u64 cr2;                     /* 0x640 */
    u8 reserved5[0x668 - 0x648];
    u64 g_pat;                   /* 0x668 */
    u64 dbgctl;                  /* 0x670 */
    u64 br_from, br_to, lastexcpfrom, lastexcpto; /* 0x678 */
    u8 reserved6[0x1000 - 0x698];
} __packed;

struct vmcb {
    struct vmcb_control ctl;
    struct vmcb_save save;
} __packed;
CHECK_SIZE(struct vmcb, 4096);
#define VMCB_SAVE_OFFSET(f) (0x400 + offsetof(struct vmcb_save, f))
_Static_assert(VMCB_SAVE_OFFSET(cs) == 0x410, "vmcb cs");
_Static_assert(VMCB_SAVE_OFFSET(tr) == 0x490, "vmcb tr");
_Static_assert(VMCB_SAVE_OFFSET(cpl) == 0x4cb, "vmcb cpl");
_Static_assert(VMCB_SAVE_OFFSET(efer) == 0x4d0, "vmcb efer");
_Static_assert(VMCB_SAVE_OFFSET(cr4) == 0x548, "vmcb cr4");
_Static_assert(VMCB_SAVE_OFFSET(rflags) == 0x570, "vmcb rflags");
_Static_assert(VMCB_SAVE_OFFSET(rip) == 0x578, "vmcb rip");
_Static_assert(VMCB_SAVE_OFFSET(rsp) == 0x5d8, "vmcb rsp");
_Static_assert(VMCB_SAVE_OFFSET(rax) == 0x5f8, "vmcb rax");
_Static_assert(VMCB_SAVE_OFFSET(kernel_gs_base) == 0x620, "vmcb kgsbase");
_Static_assert(VMCB_SAVE_OFFSET(cr2) == 0x640, "vmcb cr2");
_Static_assert(VMCB_SAVE_OFFSET(g_pat) == 0x668, "vmcb g_pat");

/* intercept1 (offset 0x00c) */
#define SVM_INTERCEPT_INTR        BIT(0)
#define SVM_INTERCEPT_NMI         BIT(1)
#define SVM_INTERCEPT_SMI         BIT(2)
#define SVM_INTERCEPT_INIT        BIT(3)
#define SVM_INTERCEPT_VINTR       BIT(4)
#define SVM_INTERCEPT_CPUID       BIT(18)
#define SVM_INTERCEPT_IRET        BIT(20)
#define SVM_INTERCEPT_INVD        BIT(22)
#define SVM_INTERCEPT_PAUSE       BIT(23)
#define SVM_INTERCEPT_HLT         BIT(24)
#define SVM_INTERCEPT_INVLPGA     BIT(26)
#define SVM_INTERCEPT_IOIO        BIT(27)
#define SVM_INTERCEPT_MSR         BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH BIT(29)
#define SVM_INTERCEPT_SHUTDOWN    BIT(31)
/* intercept2 (offset 0x010) */
#define SVM_INTERCEPT_VMRUN       BIT(0)
#define SVM_INTERCEPT_VMMCALL     BIT(1)
#define SVM_INTERCEPT_VMLOAD      BIT(2)
#define SVM_INTERCEPT_VMSAVE      BIT(3)
#define SVM_INTERCEPT_STGI        BIT(4)
#define SVM_INTERCEPT_CLGI        BIT(5)
#define SVM_INTERCEPT_SKINIT      BIT(6)
#define SVM_INTERCEPT_MWAIT       BIT(11)
#define SVM_INTERCEPT_XSETBV      BIT(13)

/* vintr (offset 0x060) */
#define SVM_VINTR_TPR_MASK        0xffULL
#define SVM_VINTR_V_IRQ           BIT(8)
#define SVM_VINTR_PRIO_SHIFT      16
#define SVM_VINTR_IGN_TPR         BIT(20)
#define SVM_VINTR_MASKING         BIT(24)
#define SVM_VINTR_VECTOR_SHIFT    32

#define SVM_INTERRUPT_SHADOW      BIT(0)

/* eventinj / exitintinfo */
#define SVM_EVT_VALID             BIT(31)
#define SVM_EVT_ERR_VALID         BIT(11)
#define SVM_EVT_TYPE_INTR         (0ULL << 8)
#define SVM_EVT_TYPE_NMI          (2ULL << 8)
#define SVM_EVT_TYPE_EXCEPTION    (3ULL << 8)
#define SVM_EVT_TYPE_SOFT_INT     (4ULL << 8)
#define SVM_EVT_TYPE_MASK         (7ULL << 8)

/* np_control */
#define SVM_NP_ENABLE             BIT(0)

/* tlb_control */
#define SVM_TLB_FLUSH_NOTHING     0
#define SVM_TLB_FLUSH_ALL         1
#define SVM_TLB_FLUSH_GUEST       3

/* Clean bits (APM 15.15.3): which cached fields have not changed. */
#define VMCB_CLEAN_I       BIT(0)  /* intercepts, TSC offset, pause filter */
#define VMCB_CLEAN_IOPM    BIT(1)  /* IOPM and MSRPM bases */
#define VMCB_CLEAN_ASID    BIT(2)
#define VMCB_CLEAN_TPR     BIT(3)  /* V_TPR, V_IRQ, V_INTR_* */
#define VMCB_CLEAN_NP      BIT(4)  /* NP enable, N_CR3, G_PAT */
#define VMCB_CLEAN_CRX     BIT(5)  /* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX     BIT(6)  /* DR6, DR7 */
#define VMCB_CLEAN_DT      BIT(7)  /* GDTR, IDTR */
#define VMCB_CLEAN_SEG     BIT(8)  /* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2     BIT(9)
#define VMCB_CLEAN_LBR     BIT(10)
#define VMCB_CLEAN_AVIC    BIT(11)
#define VMCB_CLEAN_ALL     0xfffu

/* Exit codes (APM appendix C). */
#define SVM_EXIT_CR0_WRITE     0x010
#define SVM_EXIT_CR4_WRITE     0x014
#define SVM_EXIT_EXCP_BASE     0x040
#define SVM_EXIT_INTR          0x060
#define SVM_EXIT_NMI           0x061
#define SVM_EXIT_SMI           0x062
#define SVM_EXIT_INIT          0x063
#define SVM_EXIT_VINTR         0x064
#define SVM_EXIT_CPUID         0x072
#define SVM_EXIT_IRET          0x074
#define SVM_EXIT_INVD          0x076
#define SVM_EXIT_PAUSE         0x077
#define SVM_EXIT_HLT           0x078
#define SVM_EXIT_INVLPGA       0x07a
#define SVM_EXIT_IOIO          0x07b
#define SVM_EXIT_MSR           0x07c
#define SVM_EXIT_TASK_SWITCH   0x07d
#define SVM_EXIT_SHUTDOWN      0x07f
#define SVM_EXIT_VMRUN         0x080
#define SVM_EXIT_VMMCALL       0x081
#define SVM_EXIT_VMLOAD        0x082
#define SVM_EXIT_VMSAVE        0x083
#define SVM_EXIT_STGI          0x084
#define SVM_EXIT_CLGI          0x085
#define SVM_EXIT_SKINIT        0x086
#define SVM_EXIT_MWAIT         0x08b
#define SVM_EXIT_XSETBV        0x08d
#define SVM_EXIT_NPF           0x400
#define SVM_EXIT_INVALID       0xffffffffu

/* CR write exitinfo1 with decode assists (APM 15.8.1): MOV CRn, GPR */
#define SVM_CR_INFO_MOV        BIT(63)

/* IOIO exitinfo1 */
#define SVM_IOIO_IN            BIT(0)
#define SVM_IOIO_STR           BIT(2)
#define SVM_IOIO_REP           BIT(3)
#define SVM_IOIO_SIZE_SHIFT    4
#define SVM_IOIO_ASIZE_SHIFT   7
#define SVM_IOIO_SEG_SHIFT     10

#endif
