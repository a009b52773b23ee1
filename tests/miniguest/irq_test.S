/* A guest that checks interrupt injection windows from inside: it asks
 * Veneer (hypercall selftest_irq, needs vmm.selftest=events) for vector 0x40
 * while RFLAGS.IF=0, checks nothing arrives, then sets IF and checks the
 * vector arrives exactly once; then once more with IF=1 from the start
 * and one STI; HLT (the interrupt must end the HLT).
 * Prints "IRQ-TEST masked=N delivered=N hlt=N PASS|FAIL" and stops. The
 * hypercall goes through lib32.inc's hc_lookup/hypercall. */
#include "boot32.inc"

        .code32
pm32:
        movb    $0x40, %al
        movl    $irq_handler, %ebx
        call    idt_init
        movb    $0xff, %al              /* mask the PICs: the BIOS timer */
        outb    %al, $0x21              /* would arrive as vector 8 */
        outb    %al, $0xa1
        call    hc_init
        movl    $0x666c6573, %ebx       /* "self" */
        movl    $0x74736574, %ecx       /* "test" */
        movl    $0x7172695f, %edx       /* "_irq" */
        call    hc_lookup
        cmpl    $0xffffffff, %eax
        je      nocall
        movl    %eax, hc_nr

        /* masked: IF=0, nothing may arrive */
        cli
        call    inject
        call    spin
        movl    count, %eax
        movl    %eax, res_masked
        sti                             /* now it must come, once */
        call    spin
        cli
        movl    count, %eax
        subl    res_masked, %eax
        movl    %eax, res_delivered
        /* HLT with IF=1: the injected interrupt wakes it */
        movl    count, %esi
        call    inject
        sti
        hlt
        cli
        movl    count, %eax
        subl    %esi, %eax
        movl    %eax, res_hlt

        movl    $m_head, %esi
        call    puts
        movl    res_masked, %eax
        call    putdec
        movl    $m_d, %esi
        call    puts
        movl    res_delivered, %eax
        call    putdec
        movl    $m_h, %esi
        call    puts
        movl    res_hlt, %eax
        call    putdec
        movl    $m_pass, %esi
        cmpl    $0, res_masked
        jne     2f
        cmpl    $1, res_delivered
        jne     2f
        cmpl    $1, res_hlt
        je      3f
2:      movl    $m_fail, %esi
3:      call    puts
        jmp     stop
nocall: movl    $m_nocall, %esi
        call    puts
        jmp     stop

inject: movl    hc_nr, %eax
        movl    $0x40, %ebx
        call    hypercall
        testl   %eax, %eax
        jnz     refused
        ret
refused:
        movl    $m_refused, %esi
        call    puts
        jmp     stop

spin:   movl    $200000, %ecx
5:      pause
        loop    5b
        ret

irq_handler:
        incl    count
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_head: .asciz  "\r\nIRQ-TEST masked="
m_d:    .asciz  " delivered="
m_h:    .asciz  " hlt="
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
m_refused: .asciz "\r\nIRQ-TEST injection refused by the VMM\r\n"
m_nocall: .asciz "\r\nIRQ-TEST no selftest_irq hypercall FAIL\r\n"
m_unexp: .asciz "\r\nIRQ-TEST unexpected exception FAIL\r\n"
        .balign 4
hc_nr:  .long   0
count:  .long   0
res_masked: .long 0
res_delivered: .long 0
res_hlt: .long  0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:
