/* Thin wrappers around privileged x86 instructions. */
#ifndef VENEER_PLATFORM_CPU_H
#define VENEER_PLATFORM_CPU_H

#include <platform/types.h>

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

#define CR4_VME BIT(0)
#define CR4_PVI BIT(1)
#define CR4_TSD BIT(2)
#define CR4_DE BIT(3)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_MCE BIT(6)
#define CR4_PGE BIT(7)
#define CR4_PCE BIT(8)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_VMXE BIT(13)
#define CR4_SMXE BIT(14)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_CET BIT(23)
#define CR4_PKS BIT(24)
#define CR4_UINTR BIT(25)
#define CR4_KL BIT(19)

#define RFLAGS_CF BIT(0)
#define RFLAGS_FIXED BIT(1)
#define RFLAGS_PF BIT(2)
#define RFLAGS_AF BIT(4)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_SF BIT(7)
#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_DF BIT(10)
#define RFLAGS_OF BIT(11)
#define RFLAGS_IOPL (3ULL << 12)
#define RFLAGS_NT BIT(14)
#define RFLAGS_RF BIT(16)
#define RFLAGS_VM BIT(17)

#define MSR_IA32_APIC_BASE        0x0000001b
#define MSR_IA32_FEATURE_CONTROL  0x0000003a
#define MSR_IA32_TSC_ADJUST       0x0000003b
#define MSR_IA32_BIOS_UPDT_TRIG   0x00000079
#define MSR_IA32_BIOS_SIGN_ID     0x0000008b
#define MSR_IA32_MTRRCAP          0x000000fe
#define MSR_IA32_SYSENTER_CS      0x00000174
#define MSR_IA32_SYSENTER_ESP     0x00000175
#define MSR_IA32_SYSENTER_EIP     0x00000176
#define MSR_IA32_PAT              0x00000277
#define MSR_IA32_MTRR_DEF_TYPE    0x000002ff
#define MSR_IA32_VMX_BASIC        0x00000480
#define MSR_IA32_XSS              0x00000da0
#define MSR_IA32_TSC              0x00000010
#define MSR_EFER                  0xc0000080
#define MSR_STAR                  0xc0000081
#define MSR_LSTAR                 0xc0000082
#define MSR_CSTAR                 0xc0000083
#define MSR_SFMASK                0xc0000084
#define MSR_FS_BASE               0xc0000100
#define MSR_GS_BASE               0xc0000101
#define MSR_KERNEL_GS_BASE        0xc0000102
#define MSR_TSC_AUX               0xc0000103
#define MSR_AMD_SYSCFG            0xc0010010
#define MSR_AMD_VM_CR             0xc0010114
#define MSR_AMD_VM_HSAVE_PA       0xc0010117
#define MSR_AMD_PATCH_LOADER      0xc0010020
#define MSR_AMD_PATCH_LEVEL       0x0000008b

#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

struct cpuid_regs {
    u32 eax, ebx, ecx, edx;
};

static inline void cpuid_count(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    __asm__ volatile("cpuid"
                     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                     : "a"(leaf), "c"(sub));
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
    struct cpuid_regs r;
    cpuid_count(leaf, 0, &r);
    return r;
}

/* The physical-address width (CPUID 8000_0008 EAX[7:0]; 36 without it). */
static inline u32 cpu_phys_addr_bits(void)
{
    return cpuid(0x80000000).eax >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
                     : "memory");
}

/* rdmsr/wrmsr that return -E_FAULT instead of dying on #GP: for MSRs whose
 * presence cannot be known from CPUID (seed 000: SYSCFG under KVM). */
int rdmsr_safe(u32 msr, u64 *val);
int wrmsr_safe(u32 msr, u64 val);

#define DEFINE_CR(n)                                                      \
    static inline u64 read_cr##n(void)                                    \
    {                                                                     \
        u64 v;                                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                 \
        return v;                                                         \
    }                                                                     \
    static inline void write_cr##n(u64 v)                                 \
    {                                                                     \
        __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");          \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 read_rflags(void)
{
    u64 f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

static inline u64 xgetbv(u32 idx)
{
    u32 lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
    return ((u64)hi << 32) | lo;
}

static inline void xsetbv(u32 idx, u64 v)
{
    __asm__ volatile("xsetbv" ::"c"(idx), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline void invlpg(const void *va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

static inline __noreturn void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Resets the machine: keyboard controller, then the 0xCF9 reset register,
 * then a triple fault. */
__noreturn void machine_reset(void);

#endif
