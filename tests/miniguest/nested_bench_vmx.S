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
 *   base:    the same loop without the read;
 *   fill:    (when EPT is shown to L1) one VMRESUME of an L2 on L1's EPT
 *            (identity, 2 MiB pages) that reads N pages it has not
 *            touched, then HLT (under Veneer: each read an EPT violation
 *            Veneer handles itself, filling EPT02 from L1's EPT);
 *   warm:    the same again (the pages in EPT02 now).
 * Prints "NESTED-BENCH-VMX n=N refl=D handled=D l1=D base=D fill=D
 * warm=D" (hex) and
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
#define EPML4   0x30000                 /* L1's EPT (fill, warm) */
#define EPDPT   0x31000
#define EPDIR   0x32000
#define PAGES   0x800000                /* the N pages L2 reads */
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

        /* fill, warm (EPT shown to L1) */
        movl    $0x48b, %ecx
        rdmsr
        testl   $2, %edx
        jz      7f
        call    ept_identity
        VMR     F_PROC
        orl     $0x80000000, %eax       /* secondary controls */
        VMW     F_PROC, %eax
        VMW     F_PROC2, $2             /* enable EPT */
        VMW     F_EPTP, $(EPML4 | 0x1e)
        VMW     F_EPTP + 1, $0
        VMW     F_GRIP, $l2_pages
        rdtsc
        movl    %eax, t0
        call    resume
        rdtsc
        subl    t0, %eax
        movl    %eax, d_fill
        VMW     F_GRIP, $l2_pages
        rdtsc
        movl    %eax, t0
        call    resume
        rdtsc
        subl    t0, %eax
        movl    %eax, d_warm
7:
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
        movl    $m_fill, %esi
        call    puts
        movl    d_fill, %eax
        call    puthex32
        movl    $m_warm, %esi
        call    puts
        movl    d_warm, %eax
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
l2_pages:
        movl    $PAGES, %ebx
        movl    $N, %edi
6:      movl    (%ebx), %eax
        addl    $0x1000, %ebx
        decl    %edi
        jnz     6b
        hlt

/* L1's EPT: identity over 1 GiB in 2 MiB pages, RWX, write-back. */
ept_identity:
        movl    $EPML4, %edi
        xorl    %eax, %eax
        movl    $3072, %ecx
        rep stosl
        movl    $(EPDPT | 7), EPML4
        movl    $(EPDIR | 7), EPDPT
        movl    $EPDIR, %edi
        movl    $0xb7, %eax
        movl    $512, %ecx
1:      movl    %eax, (%edi)
        addl    $0x200000, %eax
        addl    $8, %edi
        loop    1b
        ret

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
m_fill: .asciz  " fill="
m_warm: .asciz  " warm="
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
d_fill: .long   0
d_warm: .long   0
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    4096
idt:                                    /* 2 KiB, not part of the image */
