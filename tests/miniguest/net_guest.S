/* net_guest: the guest of the net-shell scenario. It scans bus 0
 * (functions 0 of devices 0-31, through ports 0xcf8/0xcfc) for an
 * 82540EM (8086:100e) or an 82574L (8086:10d3) and prints
 * "NET-GUEST e1000s=N" (0 while the VMM keeps its NIC concealed). A scenario may patch the NIC's BAR0 address
 * into the image at byte 2044 (bar_addr): the guest then reads the NIC's
 * STATUS register there and prints "NET-GUEST bar status=XXXXXXXX"
 * (ffffffff while the VMM hides the registers), and writes 0 to RCTL and
 * TCTL and a guest address to RDBAL, which would stop the VMM's network
 * and aim the NIC's DMA at guest memory if they reached it, then prints
 * "NET-GUEST bar written". Then "NET-GUEST looping" and CPUID in a loop
 * for ever: a guest that keeps making exits, where the VMM polls its NIC
 * (devices/net/net.c). With 1 patched at byte 2040 (idle_flag) it prints
 * "NET-GUEST halting with interrupts off" instead and runs CLI; HLT for
 * ever: no exit at all unless the VMM brings one (net-idle). With 2 it
 * masks both PICs (no timer tick: the firmware's PIT interrupt goes
 * nowhere; the IOAPIC's pins and the local APIC timer are left as the
 * firmware left them, masked), prints "NET-GUEST halting with interrupts
 * on" and runs STI; HLT for ever: an idle OS with no interrupt due. */
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
        je      6f
        cmpl    $0x10d38086, %eax
        jne     2f
6:      incl    %ebp
2:      incl    %edi
        cmpl    $32, %edi
        jb      1b
        movl    $m_count, %esi
        call    puts
        movl    %ebp, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        movl    bar_addr, %ebx
        testl   %ebx, %ebx
        jz      5f
        movl    $m_bar, %esi
        call    puts
        movl    0x8(%ebx), %eax         /* STATUS */
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $0, 0x100(%ebx)         /* RCTL: receiver off */
        movl    $0, 0x400(%ebx)         /* TCTL: transmitter off */
        movl    $0x20000, 0x2800(%ebx)  /* RDBAL: guest memory */
        movl    $m_written, %esi
        call    puts
5:      cmpb    $0, idle_flag
        je      8f
        cmpb    $2, idle_flag
        je      9f
        movl    $m_idle, %esi
        call    puts
        cli
7:      hlt
        jmp     7b
9:      movb    $0xff, %al              /* OCW1: every IRQ masked */
        outb    %al, $0x21
        outb    %al, $0xa1
        movl    $m_idle_sti, %esi
        call    puts
        sti
10:     hlt
        jmp     10b
8:      movl    $m_loop, %esi
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
m_bar:   .asciz "NET-GUEST bar status="
m_written: .asciz "NET-GUEST bar written\r\n"
m_idle:  .asciz "NET-GUEST halting with interrupts off\r\n"
m_idle_sti: .asciz "NET-GUEST halting with interrupts on\r\n"
        .org    2040
idle_flag: .byte 0
        .org    2044
bar_addr: .long 0
        .org    2048
idt:
idt_desc:
