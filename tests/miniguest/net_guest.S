/* net_guest: the guest of the net-shell scenario. It scans bus 0
 * (functions 0 of devices 0-31, through ports 0xcf8/0xcfc) for an
 * 82540EM (8086:100e) and prints "NET-GUEST e1000s=N" (0 while the VMM
 * keeps its NIC concealed), then "NET-GUEST looping" and runs CPUID in a
 * loop for ever: a guest that keeps making exits, where the VMM polls
 * its NIC (devices/net/net.c). */
#include "boot32.inc"

        .code32
pm32:
        xorl    %edi, %edi              /* device number */
        xorl    %ebp, %ebp              /* e1000s seen */
1:      movl    %edi, %eax
        shll    $11, %eax
        orl     $0x80000000, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        cmpl    $0x100e8086, %eax
        jne     2f
        incl    %ebp
2:      incl    %edi
        cmpl    $32, %edi
        jb      1b
        movl    $m_count, %esi
        call    puts
        movl    %ebp, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        movl    $m_loop, %esi
        call    puts
3:      xorl    %eax, %eax
        cpuid
        movl    $200, %ecx
4:      pause
        loop    4b
        jmp     3b

unexpected:
        jmp     stop

#include "lib32.inc"

m_count: .asciz "NET-GUEST e1000s="
m_nl:    .asciz "\r\n"
m_loop:  .asciz "NET-GUEST looping\r\n"
        .org    2048
idt:
idt_desc:
