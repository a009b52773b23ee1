/* A guest that moves its TSC: writes IA32_TIME_STAMP_COUNTER 2^40 ahead,
 * checks RDTSC followed, and where the CPU has IA32_TSC_ADJUST (CPUID 7
 * EBX bit 1) checks it moved by the same amount and that writing it back
 * to its old value brings the TSC back (SDM 17.17.3). Under Veneer both
 * MSRs move only the guest's TSC offset (seed 004). Prints
 *   TSC-TEST write=ok|bad adjust=ok|bad|none PASS|FAIL */
#include "boot32.inc"

        .code32
pm32:   movl    $0, %eax                /* CPUID 7: TSC_ADJUST? */
        cpuid
        cmpl    $7, %eax
        jb      1f
        movl    $7, %eax
        xorl    %ecx, %ecx
        cpuid
        andl    $2, %ebx
        movl    %ebx, has_adjust
1:      cmpl    $0, has_adjust
        je      2f
        movl    $0x3b, %ecx             /* old TSC_ADJUST */
        rdmsr
        movl    %eax, adj0
        movl    %edx, adj0 + 4
2:      rdtsc
        movl    %eax, t0
        movl    %edx, t0 + 4
        addl    $0x100, %edx            /* + 2^40 */
        movl    $0x10, %ecx
        wrmsr
        rdtsc                           /* t1 - (t0 + 2^40) in [0, 2^32) */
        subl    t0, %eax
        sbbl    t0 + 4, %edx
        subl    $0x100, %edx
        movl    $m_bad, w_res
        jnz     3f
        movl    $m_ok, w_res
3:      movl    $m_none, a_res
        cmpl    $0, has_adjust
        je      5f
        movl    $0x3b, %ecx             /* TSC_ADJUST moved by 2^40 too */
        rdmsr
        subl    adj0, %eax
        sbbl    adj0 + 4, %edx
        addl    $0x80000000, %eax       /* the write came a little after */
        adcl    $0, %edx                /* t0: accept 2^40 +- 2^31 */
        movl    $m_bad, a_res
        cmpl    $0x100, %edx
        jne     5f
        movl    adj0, %eax              /* put it back: the TSC follows */
        movl    adj0 + 4, %edx
        movl    $0x3b, %ecx
        wrmsr
        rdtsc
        subl    t0, %eax
        sbbl    t0 + 4, %edx
        jnz     5f                      /* back within 2^32 of t0 */
        movl    $m_ok, a_res
5:      movl    $m_head, %esi
        call    puts
        movl    w_res, %esi
        call    puts
        movl    $m_adj, %esi
        call    puts
        movl    a_res, %esi
        call    puts
        movl    $m_pass, %esi
        movl    w_res, %eax
        cmpl    $m_ok, %eax
        jne     6f
        movl    a_res, %eax
        cmpl    $m_bad, %eax
        jne     7f
6:      movl    $m_fail, %esi
7:      call    puts
        jmp     stop

unexpected:
        jmp     stop

#include "lib32.inc"

m_head: .asciz  "\r\nTSC-TEST write="
m_adj:  .asciz  " adjust="
m_ok:   .asciz  "ok"
m_bad:  .asciz  "bad"
m_none: .asciz  "none"
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
        .balign 4
has_adjust: .long 0
w_res:  .long   0
a_res:  .long   0
t0:     .quad   0
adj0:   .quad   0
        .org    2048
idt:
idt_desc:
