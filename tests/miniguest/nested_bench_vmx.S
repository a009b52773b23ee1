/* A boot-sector guest that measures nested VMX round trips (issue 20,
 * item 6), for tools/bench-nested.sh: in Bochs the TSC counts retired
 * instructions, so each delta is an exact instruction count, the VMM's
 * included. A tiny L1 (vmx32.inc) times, over N rounds each:
 *   refl:    L1's VMWRITE of GUEST_RIP and VMRESUME of an L2 that runs
 *            CPUID (which exits to L1 unconditionally), the exit back to
 *            L1 (under Veneer: the VMWRITE, VMRESUME emulation, L2's
 *            CPUID exit reflected to L1 as an emulated VM exit);
 *   handled: one VMRESUME of an L2 that reads port 0xcf8 N times (not in
 *            L1's I/O bitmap: under Veneer, which owns the PCI
 *            configuration ports, each one an exit Veneer answers for L2
 *            itself), then HLT, which L1 asks for;
 *   l1:      N reads of port 0xcf8 in L1 itself;
 *   base:    the same loop without the read.
 * Prints "NESTED-BENCH-VMX n=N refl=D handled=D l1=D base=D" (hex) and
 * stops the emulator; "NESTED-BENCH-VMX no VMX" if CPUID shows none. A
 * measurement only: nothing here is judged. */
#define BOOT32_SECTORS 7
#include "boot32.inc"

#define PD      0x10000
#define VMXON_R 0x11000
#define VMCS    0x12000
#define IOBMP   0x14000
#define TSS     0x16000
#define L2STACK 0x18000
#define HSTACK  0x19000
#define L1PORT  0x99
#define N       0x400
#include "vmx32_defs.inc"

        .code32
pm32:
        movb    $6, %al
        movl    $unexpected, %ebx
        call    idt_init
        lgdt    gdt2_desc
        movl    $1, %eax
        cpuid
        testl   $0x20, %ecx
        jnz     1f
        movl    $m_novmx, %esi
        call    puts
        jmp     stop
1:      call    vmx_paging
        movl    $0x480, %ecx            /* IA32_VMX_BASIC: the revision */
        rdmsr
        andl    $0x7fffffff, %eax
        movl    %eax, VMXON_R
        movl    %eax, VMCS
        vmxon   vmxon_ptr
        vmclear vmcs_ptr
        vmptrld vmcs_ptr
        call    build_vmcs
        andb    $~(1 << (L1PORT % 8)), IOBMP + L1PORT / 8 /* no port L1's */
        VMW     F_GRIP, $l2_cpuid
        call    launch                  /* the first entry, not counted */

        /* refl */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
2:      VMW     F_GRIP, $l2_cpuid
        call    resume
        decl    %esi
        jnz     2b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_refl

        /* handled */
        VMW     F_GRIP, $l2_many
        rdtsc
        movl    %eax, t0
        call    resume
        rdtsc
        subl    t0, %eax
        movl    %eax, d_handled

        /* l1 */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
        movw    $0xcf8, %dx
3:      inl     %dx, %eax
        decl    %esi
        jnz     3b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_l1

        /* base */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
        movw    $0xcf8, %dx
4:      movl    %edx, %eax
        decl    %esi
        jnz     4b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_base

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
        movl    $m_nl, %esi
        call    puts
        jmp     stop

l2_code:
l2_cpuid:
        xorl    %eax, %eax
        cpuid
        hlt
l2_many:
        movl    $N, %edi
        movw    $0xcf8, %dx
5:      inl     %dx, %eax
        decl    %edi
        jnz     5b
        hlt

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"
#include "vmx32.inc"

m_novmx: .asciz "\r\nNESTED-BENCH-VMX no VMX\r\n"
m_n:    .asciz  "\r\nNESTED-BENCH-VMX n="
m_refl: .asciz  " refl="
m_handled: .asciz " handled="
m_l1:   .asciz  " l1="
m_base: .asciz  " base="
m_nl:   .asciz  "\r\n"
m_unexp: .asciz "\r\nNESTED-BENCH-VMX unexpected exception\r\n"
        .balign 8
vmxon_ptr: .quad VMXON_R
vmcs_ptr: .quad VMCS
t0:     .long   0
d_refl: .long   0
d_handled: .long 0
d_l1:   .long   0
d_base: .long   0
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    4096
idt:                                    /* 2 KiB, not part of the image */
