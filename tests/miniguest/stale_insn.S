/* stale_insn: the bytes of an intercepted instruction change under its
 * exit, deterministically on one CPU (the stale-insn scenario, QEMU SVM
 * without NRIPS, where the VMM finds the length of a CPUID by decoding
 * it). With 32-bit paging, linear page L maps P1 (0f a2 c3: CPUID; RET);
 * a RET run at L+2 puts that translation in the TLB; then L's PTE is
 * changed to P2 (90 90 c3: NOP; NOP; RET) without INVLPG, and CALL L
 * runs P1's CPUID through the stale TLB entry (the SDM allows it until
 * the guest invalidates). The exit's page walk finds P2: no CPUID at RIP.
 * The VMM must give the guest #UD at L (and log it), not panic. Tried up
 * to 16 times (an exit between the RET and the CALL flushes the TLB: the
 * CPU then runs P2's NOPs and nothing happens). Prints "STALE-INSN ud=N
 * eip=XXXXXXXX tries=N", then a CPUID through the VMM ("STALE-INSN after
 * ebx=68747541") and "STALE-INSN done". */
#include "boot32.inc"

#define PD 0x20000
#define PT 0x21000
#define P1 0x22000
#define P2 0x23000
#define L  0x40000000           /* PD entry 256: the page table PT */

        .code32
pm32:
        movb    $6, %al
        movl    $ud_handler, %ebx
        call    idt_init
        movl    $m_start, %esi
        call    puts

        movl    $PD, %edi               /* PD, PT, P1, P2 zeroed */
        movl    $(0x4000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $PD, %edi               /* 0-1 GiB identity, 4 MiB pages */
        movl    $0x83, %eax             /* P RW PS */
        movl    $256, %ecx
1:      stosl
        addl    $0x400000, %eax
        loop    1b
        movl    $(PT | 3), PD + 256 * 4
        movl    $0x00c3a20f, P1         /* cpuid; ret */
        movl    $0x00c39090, P2         /* nop; nop; ret */
        movl    %cr4, %eax
        orl     $0x10, %eax             /* PSE */
        movl    %eax, %cr4
        movl    $PD, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $0x80000000, %eax       /* PG */
        movl    %eax, %cr0
        jmp     try

try:    incl    tries
        movl    $(P1 | 3), PT
        invlpg  L
        call    L + 2                   /* the TLB now holds L -> P1 */
        movl    $(P2 | 3), PT           /* no INVLPG */
        xorl    %eax, %eax
        movl    $0x11111111, %ebx
        call    L                       /* P1's CPUID, through the TLB */
        cmpl    $0, ud_count
        jne     report
        cmpl    $0x11111111, %ebx
        jne     report                  /* the CPUID ran and was stepped over */
        cmpl    $16, tries
        jb      try

report: movl    $m_ud, %esi
        call    puts
        movl    ud_count, %eax
        call    putdec
        movl    $m_eip, %esi
        call    puts
        movl    ud_eip, %eax
        call    puthex32
        movl    $m_tries, %esi
        call    puts
        movl    tries, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        xorl    %eax, %eax
        cpuid
        pushl   %ebx
        movl    $m_after, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop

/* #UD (no error code): counted, its EIP kept, resumed at the RET after
 * the 2-byte CPUID. */
ud_handler:
        incl    ud_count
        pushl   %eax
        movl    4(%esp), %eax
        movl    %eax, ud_eip
        popl    %eax
        addl    $2, (%esp)
        iret

unexpected:
        movl    $m_exc, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_start: .asciz "STALE-INSN start\r\n"
m_ud:    .asciz "STALE-INSN ud="
m_eip:   .asciz " eip="
m_tries: .asciz " tries="
m_after: .asciz "STALE-INSN after ebx="
m_nl:    .asciz "\r\n"
m_done:  .asciz "STALE-INSN done\r\n"
m_exc:   .asciz "STALE-INSN unexpected exception\r\n"
        .balign 4
tries:    .long 0
ud_count: .long 0
ud_eip:   .long 0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
