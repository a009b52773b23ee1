/* A guest that makes a hardware task switch (JMP to a 32-bit TSS), as
 * 32-bit OSes do through task gates. SVM runs it natively; VMX always
 * exits on it, and Veneer, which does not emulate task switches yet,
 * must stop the guest with a message, not panic. Prints
 * "TS-TEST switched PASS" from the new task. */
#include "boot32.inc"

        .code32
pm32:   /* TSS descriptors for tss1 (current) and tss2 (target) */
        movl    $tss1, %eax
        movw    %ax, gdt2 + 0x18 + 2
        shrl    $16, %eax
        movb    %al, gdt2 + 0x18 + 4
        movb    %ah, gdt2 + 0x18 + 7
        movl    $tss2, %eax
        movw    %ax, gdt2 + 0x20 + 2
        shrl    $16, %eax
        movb    %al, gdt2 + 0x20 + 4
        movb    %ah, gdt2 + 0x20 + 7
        movl    $task2, tss2 + 0x20     /* EIP */
        movl    $2, tss2 + 0x24         /* EFLAGS */
        movl    $0x7000, tss2 + 0x38    /* ESP */
        movl    $0x10, tss2 + 0x48      /* ES */
        movl    $0x08, tss2 + 0x4c      /* CS */
        movl    $0x10, tss2 + 0x50      /* SS */
        movl    $0x10, tss2 + 0x54      /* DS */
        movl    $0x10, tss2 + 0x58      /* FS */
        movl    $0x10, tss2 + 0x5c      /* GS */
        lgdt    gdt2_desc
        movw    $0x18, %ax
        ltr     %ax
        ljmp    $0x20, $0

task2:  movl    $m_ok, %esi
        call    puts
        jmp     stop

unexpected:
        jmp     stop

#include "lib32.inc"

m_ok:   .asciz  "\r\nTS-TEST switched PASS\r\n"
        .balign 8
gdt2:   .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08 flat code */
        .quad   0x00cf92000000ffff      /* 0x10 flat data */
        .quad   0x0000890000000067      /* 0x18 TSS 1 (base filled in) */
        .quad   0x0000890000000067      /* 0x20 TSS 2 */
gdt2_desc:
        .word   gdt2_desc - gdt2 - 1
        .long   gdt2
        .balign 16
tss1:   .fill   104, 1, 0
tss2:   .fill   104, 1, 0
        .org    2048
idt:
idt_desc:
