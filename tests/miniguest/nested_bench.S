/* A boot-sector guest that measures nested SVM round trips (issue 20,
 * item 6), for tools/bench-nested.sh: in Bochs the TSC counts retired
 * instructions, so each delta is an exact instruction count, the VMM's
 * included. A tiny L1 (svm32.inc) times, over N rounds each:
 *   refl:    VMRUN of an L2 whose CPUID L1 intercepts, the exit back to L1
 *            (a reflected exit: under Veneer, VMRUN emulation, L2's CPUID
 *            exit, the #VMEXIT written to L1);
 *   handled: one VMRUN of an L2 that runs N CPUIDs L1 does not intercept
 *            (under Veneer each one exits to Veneer, which answers it for
 *            L2 itself), then HLT, which L1 intercepts;
 *   l1:      N CPUIDs in L1 itself;
 *   base:    the same loop without CPUID;
 *   nrefl:   refl again with nested paging for L2 (NP_ENABLE; L1 pages
 *            with a 4 MiB-page identity directory, which is NPT12 too):
 *            under Veneer, L2 on NPT02, filled in the first round.
 * Prints "NESTED-BENCH n=N refl=D handled=D l1=D base=D nrefl=D" (hex) and stops
 * the emulator; "NESTED-BENCH no SVM" if CPUID shows none. A measurement
 * only: nothing here is judged. */
#include "boot32.inc"

#define HSAVE   0x10000
#define VMCB    0x11000
#define L2STACK 0x18000
#define N       0x400
#define PD      0x1e000                 /* L1's paging and NPT12 */
#include "svm32.inc"

        .code32
pm32:
        movb    $6, %al
        movl    $unexpected, %ebx
        call    idt_init
        movl    $0x80000001, %eax
        cpuid
        testl   $4, %ecx
        jnz     1f
        movl    $m_nosvm, %esi
        call    puts
        jmp     stop
1:      movl    $0xc0000080, %ecx       /* EFER.SVME */
        rdmsr
        orl     $0x1000, %eax
        wrmsr
        movl    $0xc0010117, %ecx       /* VM_HSAVE_PA */
        movl    $HSAVE, %eax
        xorl    %edx, %edx
        wrmsr
        movl    $l2_cpuid, %ebx
        call    vmcb_init
        movl    $(1 << 18) | (1 << 24), VMCB + C_INT1  /* CPUID, HLT */

        /* refl */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi                /* L2 leaves ESI alone */
2:      movl    $l2_cpuid, VMCB + S_RIP
        call    run_l2
        decl    %esi
        jnz     2b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_refl

        /* handled */
        movl    $1 << 24, VMCB + C_INT1 /* HLT only */
        movl    $l2_many, VMCB + S_RIP
        rdtsc
        movl    %eax, t0
        call    run_l2
        rdtsc
        subl    t0, %eax
        movl    %eax, d_handled

        /* l1 */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
3:      xorl    %eax, %eax
        cpuid
        decl    %esi
        jnz     3b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_l1

        /* base */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
4:      xorl    %eax, %eax
        xorl    %ebx, %ebx
        decl    %esi
        jnz     4b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_base

        /* nrefl */
        movl    $PD, %edi
        movl    $0x87, %eax             /* P, W, U, PS: 4 GiB identity */
6:      stosl
        addl    $0x400000, %eax
        jnc     6b
        movl    %cr4, %eax
        orl     $0x10, %eax             /* PSE */
        movl    %eax, %cr4
        movl    $PD, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $0x80000000, %eax
        movl    %eax, %cr0
        movl    $(1 << 18) | (1 << 24), VMCB + C_INT1
        movl    $1, VMCB + 0x090        /* NP_ENABLE */
        movl    $PD, VMCB + 0x0b0       /* nCR3 */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
7:      movl    $l2_cpuid, VMCB + S_RIP
        call    run_l2
        decl    %esi
        jnz     7b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_nrefl

        movl    $m_n, %esi
        call    puts
        movl    $N, %eax
        call    puthex32
        movl    $m_refl, %esi
        call    puts
        movl    d_refl, %eax
        call    puthex32
        movl    $m_handled, %esi
        call    puts
        movl    d_handled, %eax
        call    puthex32
        movl    $m_l1, %esi
        call    puts
        movl    d_l1, %eax
        call    puthex32
        movl    $m_base, %esi
        call    puts
        movl    d_base, %eax
        call    puthex32
        movl    $m_nrefl, %esi
        call    puts
        movl    d_nrefl, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        jmp     stop

l2_cpuid:
        xorl    %eax, %eax
        cpuid
        hlt
l2_many:
        movl    $N, %edi
5:      xorl    %eax, %eax
        cpuid
        decl    %edi
        jnz     5b
        hlt

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_nosvm: .asciz "\r\nNESTED-BENCH no SVM\r\n"
m_n:    .asciz  "\r\nNESTED-BENCH n="
m_refl: .asciz  " refl="
m_handled: .asciz " handled="
m_l1:   .asciz  " l1="
m_base: .asciz  " base="
m_nrefl: .asciz " nrefl="
m_nl:   .asciz  "\r\n"
m_unexp: .asciz "\r\nNESTED-BENCH unexpected exception\r\n"
        .balign 4
t0:     .long   0
d_refl: .long   0
d_handled: .long 0
d_l1:   .long   0
d_base: .long   0
d_nrefl: .long  0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
