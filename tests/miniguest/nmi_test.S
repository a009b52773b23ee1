/* A boot-sector guest that checks NMI delivery from inside: it sends
 * itself NMIs through its local APIC (fixed destination = its own APIC ID,
 * delivery mode NMI) and counts what its NMI handler sees.
 *   A: five NMIs, one at a time: five handler runs.
 *   B: an NMI sent from inside the handler (NMIs are blocked there): it
 *      must arrive after the handler's IRET, not be lost — two runs.
 *   C: two NMIs sent back to back: the second is held while the first is
 *      handled — two runs.
 * Prints "NMI-TEST a=N b=N c=N PASS|FAIL" on COM1 and stops the emulator
 * (Bochs: "Shutdown" to 0x8900; QEMU: isa-debug-exit at 0xf4).
 * Sector 0 loads sectors 1-3 (the 32-bit part) with INT 13h. */
#define APIC 0xfee00000
#define WAIT 2000000            /* spin iterations before giving up */

#include "boot32.inc"

        .code32
pm32:
        /* IDT: every vector to `unexpected`, vector 2 to the NMI handler */
        movb    $2, %al
        movl    $nmi_handler, %ebx
        call    idt_init
        movl    $ud_skip, %eax          /* vector 6: bare, no hypercall */
        movw    %ax, idt + 6 * 8
        shrl    $16, %eax
        movw    %ax, idt + 6 * 8 + 6
        call    hc_init
        /* the local APIC: software-enabled, our APIC ID */
        movl    APIC + 0xf0, %eax
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0
        movl    APIC + 0x20, %eax
        andl    $0xff000000, %eax
        movl    %eax, apic_id

        /* A: five, one at a time */
        movl    $5, %ebx
3:      movl    count, %esi
        call    send_nmi
        incl    %esi
        call    wait_count
        decl    %ebx
        jnz     3b
        movl    count, %eax
        movl    %eax, res_a

        /* B: the handler sends one more from inside (nested flag) */
        movl    count, %esi
        movl    $1, nested
        call    send_nmi
        addl    $2, %esi
        call    wait_count
        movl    count, %eax
        subl    res_a, %eax
        movl    %eax, res_b

        /* C: two back to back */
        movl    count, %esi
        call    send_nmi
        call    send_nmi
        addl    $2, %esi
        call    wait_count
        call    settle
        movl    count, %eax
        subl    res_a, %eax
        subl    res_b, %eax
        movl    %eax, res_c

        /* D: an NMI the VMM takes itself (selftest_nmi, with
         * vmm.selftest=events) must reach us on the return from the call,
         * without another exit of ours */
        movl    $0x666c6573, %ebx       /* "self" */
        movl    $0x74736574, %ecx       /* "test" */
        movl    $0x696d6e5f, %edx       /* "_nmi" */
        call    hc_lookup
        movl    $-1, res_d
        cmpl    $0xffffffff, %eax
        je      20f
        movl    count, %esi
        call    hypercall
        incl    %esi
        call    wait_count
        movl    count, %eax
        subl    %esi, %eax
        incl    %eax
        movl    %eax, res_d
20:
        movl    $m_head, %esi
        call    puts
        movl    res_a, %eax
        call    putdec
        movl    $m_b, %esi
        call    puts
        movl    res_b, %eax
        call    putdec
        movl    $m_c, %esi
        call    puts
        movl    res_c, %eax
        call    putdec
        movl    $m_d, %esi
        call    puts
        movl    res_d, %eax
        cmpl    $-1, %eax
        jne     21f
        movl    $m_none, %esi
        call    puts
        jmp     22f
21:     call    putdec
22:     movl    $m_pass, %esi
        cmpl    $-1, res_d
        je      23f
        cmpl    $1, res_d
        jne     4f
23:
        cmpl    $5, res_a
        jne     4f
        cmpl    $2, res_b
        jne     4f
        cmpl    $2, res_c
        je      5f
4:      movl    $m_fail, %esi
5:      call    puts
        jmp     stop

/* ICR: destination = our APIC ID, delivery mode NMI (100b), assert */
send_nmi:
        movl    apic_id, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004400, APIC + 0x300
6:      testl   $0x1000, APIC + 0x300   /* delivery status */
        jnz     6b
        ret

/* Spins until count >= ESI (or gives up), then a little longer so that a
 * duplicate would show. */
wait_count:
        movl    $WAIT, %ecx
7:      cmpl    %esi, count
        jae     settle
        pause
        loop    7b
        ret
settle: movl    $20000, %ecx
8:      pause
        loop    8b
        ret

nmi_handler:
        pushl   %eax
        pushl   %ecx
        incl    count
        cmpl    $0, nested
        je      9f
        movl    $0, nested
        call    send_nmi                /* blocked until our IRET */
        movl    $20000, %ecx
10:     pause
        loop    10b
9:      popl    %ecx
        popl    %eax
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_head: .asciz  "\r\nNMI-TEST a="
m_b:    .asciz  " b="
m_c:    .asciz  " c="
m_d:    .asciz  " d="
m_none: .asciz  "-"
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
m_unexp: .asciz "\r\nNMI-TEST unexpected exception FAIL\r\n"
        .balign 4
count:  .long   0
nested: .long   0
apic_id: .long  0
res_a:  .long   0
res_b:  .long   0
res_c:  .long   0
res_d:  .long   0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
