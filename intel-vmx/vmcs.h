/* VMCS field encodings (SDM vol. 3, appendix B) and width-checked access.
 *
 * An encoding carries its width in bits 14:13 (0: 16-bit, 1: 64-bit,
 * 2: 32-bit, 3: natural width). vmcs_read16/32/64/nat and their write
 * forms check, at compile time, that the field has that width. */
#ifndef VENEER_INTEL_VMX_VMCS_H
#define VENEER_INTEL_VMX_VMCS_H

#include <platform/types.h>

enum vmcs_field {
    /* 16-bit */
    VMCS_VPID = 0x0000,
    GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804,
    GUEST_DS_SEL = 0x0806, GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a,
    GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
    HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04,
    HOST_DS_SEL = 0x0c06, HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a,
    HOST_TR_SEL = 0x0c0c,
    /* 64-bit */
    IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
    VM_EXIT_MSR_STORE_ADDR = 0x2006, VM_EXIT_MSR_LOAD_ADDR = 0x2008,
    VM_ENTRY_MSR_LOAD_ADDR = 0x200a, TSC_OFFSET = 0x2010,
    EPT_POINTER = 0x201a, VMREAD_BITMAP = 0x2026, VMWRITE_BITMAP = 0x2028,
    XSS_EXIT_BITMAP = 0x202c,
    GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_DEBUGCTL = 0x2802,
    GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806,
    GUEST_PDPTE0 = 0x280a, GUEST_PDPTE1 = 0x280c, GUEST_PDPTE2 = 0x280e,
    GUEST_PDPTE3 = 0x2810,
    HOST_IA32_PAT = 0x2c00, HOST_IA32_EFER = 0x2c02,
    /* 32-bit */
    PIN_BASED_CONTROLS = 0x4000, PROC_BASED_CONTROLS = 0x4002,
    EXCEPTION_BITMAP = 0x4004, PF_ERROR_MASK = 0x4006,
    PF_ERROR_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a,
    VM_EXIT_CONTROLS = 0x400c, VM_EXIT_MSR_STORE_COUNT = 0x400e,
    VM_EXIT_MSR_LOAD_COUNT = 0x4010, VM_ENTRY_CONTROLS = 0x4012,
    VM_ENTRY_MSR_LOAD_COUNT = 0x4014, VM_ENTRY_INTR_INFO = 0x4016,
    VM_ENTRY_EXCEPTION_ERROR = 0x4018, VM_ENTRY_INSTRUCTION_LEN = 0x401a,
    TPR_THRESHOLD = 0x401c, PROC_BASED_CONTROLS2 = 0x401e,
    VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402,
    VM_EXIT_INTR_INFO = 0x4404, VM_EXIT_INTR_ERROR = 0x4406,
    IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_ERROR = 0x440a,
    VM_EXIT_INSTRUCTION_LEN = 0x440c, VM_EXIT_INSTRUCTION_INFO = 0x440e,
    GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
    GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
    GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e,
    GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818,
    GUEST_DS_AR = 0x481a, GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e,
    GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
    GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
    GUEST_SYSENTER_CS = 0x482a, GUEST_PREEMPTION_TIMER = 0x482e,
    HOST_SYSENTER_CS = 0x4c00,
    /* natural width */
    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002,
    CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
    CR3_TARGET_VALUE0 = 0x6008, CR3_TARGET_VALUE1 = 0x600a,
    CR3_TARGET_VALUE2 = 0x600c, CR3_TARGET_VALUE3 = 0x600e,
    EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640a,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
    GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a,
    GUEST_DS_BASE = 0x680c, GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810,
    GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
    GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
    GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c, GUEST_RIP = 0x681e,
    GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
    GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04,
    HOST_FS_BASE = 0x6c06, HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a,
    HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e,
    HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
    HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

#define VMCS_WIDTH(f) (((unsigned)(f) >> 13) & 3)
#define VMCS_W16 0
#define VMCS_W64 1
#define VMCS_W32 2
#define VMCS_WNAT 3

/* Returns the field, or panics with the VM-instruction error: a failing
 * VMREAD/VMWRITE is a VMM bug (wrong field, no current VMCS). Inline: the
 * exit path's fixed cost is mostly these (issue 23); the panic is out of
 * line (vmx.c). */
__attribute__((noreturn, cold)) void vmcs_read_failed(u32 field);
__attribute__((noreturn, cold)) void vmcs_write_failed(u32 field, u64 value);

static inline u64 vmcs_read_raw(u32 field)
{
    u64 v;

    __asm__ goto("vmread %1, %0; jbe %l[fail]" : "=r"(v) : "r"((u64)field)
                 : "cc" : fail);
    return v;
fail:
    vmcs_read_failed(field);
}

static inline void vmcs_write_raw(u32 field, u64 value)
{
    __asm__ goto("vmwrite %0, %1; jbe %l[fail]" : : "rm"(value), "r"((u64)field)
                 : "cc", "memory" : fail);
    return;
fail:
    vmcs_write_failed(field, value);
}

#define VMCS_CHECK(f, w) \
    _Static_assert(VMCS_WIDTH(f) == (w), #f " has another width")
#define vmcs_read16(f) ({ VMCS_CHECK(f, VMCS_W16); (u16)vmcs_read_raw(f); })
#define vmcs_read32(f) ({ VMCS_CHECK(f, VMCS_W32); (u32)vmcs_read_raw(f); })
#define vmcs_read64(f) ({ VMCS_CHECK(f, VMCS_W64); vmcs_read_raw(f); })
#define vmcs_readn(f) ({ VMCS_CHECK(f, VMCS_WNAT); vmcs_read_raw(f); })
#define vmcs_write16(f, v) ({ VMCS_CHECK(f, VMCS_W16); vmcs_write_raw(f, (u16)(v)); })
#define vmcs_write32(f, v) ({ VMCS_CHECK(f, VMCS_W32); vmcs_write_raw(f, (u32)(v)); })
#define vmcs_write64(f, v) ({ VMCS_CHECK(f, VMCS_W64); vmcs_write_raw(f, (u64)(v)); })
#define vmcs_writen(f, v) ({ VMCS_CHECK(f, VMCS_WNAT); vmcs_write_raw(f, (u64)(v)); })

/* Controls (SDM 24.6). */
#define PIN_EXTINT_EXITING      BIT(0)
#define PIN_NMI_EXITING         BIT(3)
#define PIN_VIRTUAL_NMIS        BIT(5)
#define PIN_PREEMPTION_TIMER    BIT(6) /* SDM 25.5.1 */
#define PROC_INTR_WINDOW        BIT(2)
#define PROC_INVLPG_EXITING     BIT(9)
#define PROC_MWAIT_EXITING      BIT(10)
#define PROC_RDPMC_EXITING      BIT(11)
#define PROC_RDTSC_EXITING      BIT(12)
#define PROC_CR8_LOAD_EXITING   BIT(19)
#define PROC_CR8_STORE_EXITING  BIT(20)
#define PROC_MOV_DR_EXITING     BIT(23)
#define PROC_UNCOND_IO          BIT(24)
#define PROC_MONITOR_EXITING    BIT(29)
#define PROC_PAUSE_EXITING      BIT(30)
#define PROC_TSC_OFFSETTING     BIT(3)
#define PROC_HLT_EXITING        BIT(7)
#define PROC_CR3_LOAD_EXITING   BIT(15)
#define PROC_CR3_STORE_EXITING  BIT(16)
#define PROC_NMI_WINDOW         BIT(22)
#define PROC_IO_BITMAPS         BIT(25)
#define PROC_MSR_BITMAPS        BIT(28)
#define PROC_SECONDARY          BIT(31)
#define PROC2_EPT               BIT(1)
#define PROC2_DESC_TABLE        BIT(2)
#define PROC2_RDTSCP            BIT(3)
#define PROC2_VPID              BIT(5)
#define PROC2_UNRESTRICTED      BIT(7)
#define PROC2_WBINVD_EXITING    BIT(6)
#define PROC2_INVPCID           BIT(12)
#define PROC2_SHADOW_VMCS       BIT(14)
#define PROC2_XSAVES            BIT(20)
#define EXIT_SAVE_DEBUG         BIT(2)
#define EXIT_HOST_64            BIT(9)
#define EXIT_ACK_INTR           BIT(15)
#define EXIT_SAVE_PAT           BIT(18)
#define EXIT_LOAD_PAT           BIT(19)
#define EXIT_SAVE_EFER          BIT(20)
#define EXIT_LOAD_EFER          BIT(21)
#define ENTRY_LOAD_DEBUG        BIT(2)
#define ENTRY_IA32E_GUEST       BIT(9)
#define ENTRY_LOAD_PAT          BIT(14)
#define ENTRY_LOAD_EFER         BIT(15)

/* Interruption information (entry, exit, IDT vectoring). */
#define INTR_INFO_VALID         BIT(31)
#define INTR_INFO_ERR_VALID     BIT(11)
#define INTR_INFO_NMI_UNBLOCK   BIT(12)
#define INTR_TYPE_EXT_INT       (0u << 8)
#define INTR_TYPE_NMI           (2u << 8)
#define INTR_TYPE_HW_EXCEPTION  (3u << 8)
#define INTR_TYPE_SW_INT        (4u << 8)
#define INTR_TYPE_PRIV_SW_EXC   (5u << 8)
#define INTR_TYPE_SW_EXCEPTION  (6u << 8)
#define INTR_TYPE_MASK          (7u << 8)

/* Guest interruptibility (SDM 24.4.2). */
#define GI_STI                  BIT(0)
#define GI_MOV_SS               BIT(1)
#define GI_SMI                  BIT(2)
#define GI_NMI                  BIT(3)

#define ACTIVITY_ACTIVE         0
#define ACTIVITY_HLT            1
#define ACTIVITY_WAIT_SIPI      3

/* Basic exit reasons (SDM appendix C). */
enum vmx_exit_reason {
    VMX_EXIT_EXCEPTION_NMI = 0, VMX_EXIT_EXTINT = 1, VMX_EXIT_TRIPLE_FAULT = 2,
    VMX_EXIT_INIT = 3, VMX_EXIT_SIPI = 4, VMX_EXIT_INTR_WINDOW = 7,
    VMX_EXIT_NMI_WINDOW = 8, VMX_EXIT_TASK_SWITCH = 9, VMX_EXIT_CPUID = 10,
    VMX_EXIT_GETSEC = 11, VMX_EXIT_HLT = 12, VMX_EXIT_INVD = 13,
    VMX_EXIT_VMCALL = 18, VMX_EXIT_VMCLEAR = 19, VMX_EXIT_VMLAUNCH = 20,
    VMX_EXIT_VMPTRLD = 21, VMX_EXIT_VMPTRST = 22, VMX_EXIT_VMREAD = 23,
    VMX_EXIT_VMRESUME = 24, VMX_EXIT_VMWRITE = 25, VMX_EXIT_VMXOFF = 26,
    VMX_EXIT_VMXON = 27, VMX_EXIT_CR_ACCESS = 28, VMX_EXIT_IO = 30,
    VMX_EXIT_RDMSR = 31, VMX_EXIT_WRMSR = 32, VMX_EXIT_BAD_GUEST = 33,
    VMX_EXIT_BAD_MSR_LOAD = 34, VMX_EXIT_MWAIT = 36, VMX_EXIT_PAUSE = 40,
    VMX_EXIT_MCE_ENTRY = 41, VMX_EXIT_EPT_VIOLATION = 48,
    VMX_EXIT_EPT_MISCONFIG = 49, VMX_EXIT_INVEPT = 50,
    VMX_EXIT_PREEMPTION_TIMER = 52, VMX_EXIT_INVVPID = 53, VMX_EXIT_XSETBV = 55, VMX_EXIT_VMFUNC = 59,
};

#endif
