/* Per-CPU data, reached through the GS base. */
#ifndef VENEER_PLATFORM_PERCPU_H
#define VENEER_PLATFORM_PERCPU_H

#include <platform/types.h>

#define MAX_CPUS 64

struct tss64 {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __packed;
CHECK_SIZE(struct tss64, 104);

/* GDT selectors (the same on every CPU). */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_TSS    0x18 /* 16 bytes: entries 3 and 4 */
#define GDT_ENTRIES 6

#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3

struct pcpu {
    struct pcpu *self;   /* gs:0 */
    u32 index;           /* 0 = BSP */
    u32 apic_id;
    u64 stack_bottom, stack_top;
    u64 ist_bottom[3], ist_top[3];
    u64 nmi_count;
    bool in_panic;
    void *vcpu;          /* the backend's vcpu running on this CPU */
    u32 kick;            /* set by another CPU before it sends the NMI
                            that makes this one leave the guest */
    u32 idle;            /* halted, or about to, waiting for a signal
                            (common/smp.c smp_idle) */
    u32 wake;            /* set before the NMI that ends that halt */
    u64 gdt[GDT_ENTRIES] __aligned(16);
    struct tss64 tss __aligned(16);
};

extern struct pcpu pcpus[MAX_CPUS];
extern u32 pcpu_count;

static inline struct pcpu *this_cpu(void)
{
    struct pcpu *p;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Loads this CPU's GDT, TSS, IDT and GS base. */
void cpu_tables_load(struct pcpu *c);
void idt_init(void);

#endif
