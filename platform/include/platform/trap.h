/* Exceptions and interrupts taken in the VMM, and panics. */
#ifndef VENEER_PLATFORM_TRAP_H
#define VENEER_PLATFORM_TRAP_H

#include <platform/types.h>

struct trap_frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;
};
CHECK_OFFSET(struct trap_frame, vector, 15 * 8);
CHECK_OFFSET(struct trap_frame, rip, 17 * 8);

/* A fault at `insn` resumes at `fixup` (rdmsr_safe and friends). */
struct extable_entry {
    u64 insn;
    u64 fixup;
};

/* Hooks a backend installs: an NMI taken in the VMM (must not lock), and
 * extra lines for a panic report (the last exits). */
extern void (*nmi_hook)(struct trap_frame *f);

/* Set when a CPU panics: the others halt (their NMI handler, and the run
 * loops that see NMIs as exits check it). */
extern volatile u32 vmm_stopping;
extern void (*panic_report_hook)(void);

void trap_dispatch(struct trap_frame *f);

__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Prints "backtrace: #n 0xADDR" lines from a frame-pointer chain. */
void print_backtrace(u64 rip, u64 rbp);

const char *exception_name(u64 vector);

#endif
