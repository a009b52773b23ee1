/* GDT, TSS and IDT: one GDT and TSS per CPU, one shared IDT. */
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/percpu.h>
#include <string.h>

struct pcpu pcpus[MAX_CPUS];
u32 pcpu_count = 1;

struct idt_gate {
    u16 off0;
    u16 sel;
    u8 ist;
    u8 attr;
    u16 off1;
    u32 off2;
    u32 reserved;
} __packed;
CHECK_SIZE(struct idt_gate, 16);

struct desc_ptr {
    u16 limit;
    u64 base;
} __packed;

static struct idt_gate idt[256] __aligned(16);
extern const u64 isr_stubs[256];

/* The BSP's IST stacks live in the image; APs get theirs from the pool. */
static u8 bsp_ist_stacks[3][IST_STACK_SIZE] __aligned(16);
extern char bsp_stack_bottom[], bsp_stack_top[];

void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        u64 a = isr_stubs[v];
        idt[v] = (struct idt_gate){
            .off0 = (u16)a,
            .sel = SEL_CODE64,
            .ist = v == 2 ? IST_NMI : v == 8 ? IST_DF : v == 18 ? IST_MC : 0,
            .attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
            .off1 = (u16)(a >> 16),
            .off2 = (u32)(a >> 32),
        };
    }
}

static void gdt_fill(struct pcpu *c)
{
    u64 t = (u64)&c->tss;

    c->gdt[0] = 0;
    c->gdt[1] = 0x00af9a000000ffffULL; /* code: L=1, DPL 0 */
    c->gdt[2] = 0x00cf92000000ffffULL; /* data */
    /* 64-bit available TSS (type 9), limit 103 (SDM 7.2.3). */
    c->gdt[3] = (sizeof(struct tss64) - 1) | ((t & 0xffffff) << 16) |
                (0x89ULL << 40) | (((t >> 24) & 0xff) << 56);
    c->gdt[4] = t >> 32;
    c->gdt[5] = 0;
}

void cpu_tables_load(struct pcpu *c)
{
    struct desc_ptr gdtr = { sizeof(c->gdt) - 1, (u64)c->gdt };
    struct desc_ptr idtr = { sizeof(idt) - 1, (u64)idt };

    c->self = c;
    if (c->index == 0) {
        c->stack_bottom = (u64)bsp_stack_bottom;
        c->stack_top = (u64)bsp_stack_top;
        for (int i = 0; i < 3; i++) {
            c->ist_bottom[i] = (u64)bsp_ist_stacks[i];
            c->ist_top[i] = (u64)bsp_ist_stacks[i] + IST_STACK_SIZE;
        }
    }
    memset(&c->tss, 0, sizeof(c->tss));
    for (int i = 0; i < 3; i++)
        c->tss.ist[i] = c->ist_top[i];
    c->tss.rsp[0] = c->stack_top;
    c->tss.iomap_base = sizeof(struct tss64); /* no I/O bitmap */
    gdt_fill(c);

    __asm__ volatile("lgdt %0" ::"m"(gdtr));
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     ::"i"(SEL_CODE64), "r"((u64)SEL_DATA)
                     : "rax", "memory");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    __asm__ volatile("lidt %0" ::"m"(idtr));
    wrmsr(MSR_GS_BASE, (u64)c);
}
