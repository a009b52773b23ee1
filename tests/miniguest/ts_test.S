/* A guest that makes hardware task switches of every kind, as 32-bit OSes
 * do (task gates for #DF/NMI, Windows' NMI handler), and checks the EIP
 * the CPU saved in the old task's TSS, the rule seed 004 names: past the
 * instruction for a switch by JMP, CALL, IRET or a software INT; at the
 * instruction for a fault; where the task was for an external interrupt.
 * VMX always exits on a task switch and Veneer emulates it
 * (common/task_switch.c); SVM and bare hardware do it themselves. Task 1
 * (TSS 0x18) runs the tests; each switches to task 2 (TSS 0x20) at a
 * handler that checks and returns:
 *   jmp   JMP to TSS 0x20; the handler JMPs back
 *   call  CALL to TSS 0x20 (NT set, back link 0x18); the handler IRETs
 *   iret  that IRET saved task 2's EIP past itself
 *   int   INT 0x40 through a task gate
 *   ud    #UD (UD2) through a task gate: EIP at the UD2
 *   gp    #GP(0x1230) through a task gate, error code on task 2's stack
 *   irq   the PIT's IRQ 0 through a task gate while task 1 spins on a
 *         JMP to itself: EIP at that JMP
 * Prints "TS-TEST <name> PASS" (or "FAIL got=XXXXXXXX") for each, then
 * "TS-TEST done". */
#include "boot32.inc"

#define TSS1_EIP (tss1 + 0x20)
#define TSS2_EIP (tss2 + 0x20)

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
        lgdt    gdt2_desc
        movw    $0x18, %ax
        ltr     %ax
        movb    $0, %al                 /* IDT: unexpected, then task gates */
        movl    $unexpected, %ebx
        call    idt_init
        movl    $6, %eax
        call    task_gate
        movl    $13, %eax
        call    task_gate
        movl    $0x40, %eax
        call    task_gate
        movl    $0x20, %eax
        call    task_gate

        movl    $h_jmp, %eax            /* jmp */
        call    prep
        ljmp    $0x20, $0
after_jmp:
        movl    $h_call, %eax           /* call, then iret */
        call    prep
        lcall   $0x20, $0
after_call:
        movl    TSS2_EIP, %eax
        movl    $after_iret, %ebx
        movl    $n_iret, %esi
        call    check
        movl    $h_int, %eax            /* int */
        call    prep
        int     $0x40
after_int:
        movl    $h_ud, %eax             /* ud */
        call    prep
ud_at:  ud2
after_ud:
        movl    $h_gp, %eax             /* gp */
        call    prep
        movw    $0x1230, %ax
gp_at:  movw    %ax, %ds
after_gp:
        movl    $h_irq, %eax            /* irq: PIC base 0x20, IRQ 0 only */
        call    prep
        movb    $0x11, %al
        outb    %al, $0x20
        movb    $0x20, %al
        outb    %al, $0x21
        movb    $0x04, %al
        outb    %al, $0x21
        movb    $0x01, %al
        outb    %al, $0x21
        movb    $0xfe, %al
        outb    %al, $0x21
        sti
spin:   jmp     spin
after_spin:
        cli
        movl    $m_done, %esi
        call    puts
        jmp     stop

/* Task 2 starts at EAX with a fresh stack and flags. */
prep:   movl    %eax, TSS2_EIP
        movl    $2, tss2 + 0x24         /* EFLAGS */
        movl    $0x7000, tss2 + 0x38    /* ESP */
        movl    $0x10, tss2 + 0x48      /* ES */
        movl    $0x08, tss2 + 0x4c      /* CS */
        movl    $0x10, tss2 + 0x50      /* SS */
        movl    $0x10, tss2 + 0x54      /* DS */
        movl    $0x10, tss2 + 0x58      /* FS */
        movl    $0x10, tss2 + 0x5c      /* GS */
        ret

/* IDT vector EAX: a task gate to TSS 0x20. */
task_gate:
        movl    $0x00200000, idt(,%eax,8)
        movl    $0x00008500, idt + 4(,%eax,8)
        ret

/* "TS-TEST <ESI> PASS" if EAX == EBX, else FAIL with EAX. */
check:  pushl   %eax
        pushl   %esi
        movl    $m_test, %esi
        call    puts
        popl    %esi
        call    puts
        popl    %eax
        cmpl    %ebx, %eax
        jne     1f
        movl    $m_pass, %esi
        jmp     puts
1:      pushl   %eax
        movl    $m_fail, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        jmp     puts

/* ---- task 2's handlers ---- */
h_jmp:  movl    TSS1_EIP, %eax
        movl    $after_jmp, %ebx
        movl    $n_jmp, %esi
        call    check
        ljmp    $0x18, $0

h_call: movl    TSS1_EIP, %eax          /* saved past the CALL */
        movl    $after_call, %ebx
        movl    $n_call, %esi
        call    check
        movzwl  tss2, %eax              /* back link to task 1, NT set */
        pushfl
        popl    %ecx
        andl    $0x4000, %ecx
        orl     %ecx, %eax
        movl    $0x4018, %ebx
        movl    $n_link, %esi
        call    check
        iret
after_iret:
        jmp     unexpected

h_int:  movl    TSS1_EIP, %eax
        movl    $after_int, %ebx
        movl    $n_int, %esi
        call    check
        iret

h_ud:   movl    TSS1_EIP, %eax          /* a fault: at the instruction */
        movl    $ud_at, %ebx
        movl    $n_ud, %esi
        call    check
        movl    $after_ud, TSS1_EIP
        iret

h_gp:   popl    %eax                    /* the error code */
        movl    $0x1230, %ebx
        movl    $n_gperr, %esi
        call    check
        movl    TSS1_EIP, %eax
        movl    $gp_at, %ebx
        movl    $n_gp, %esi
        call    check
        movl    $after_gp, TSS1_EIP
        iret

h_irq:  movl    TSS1_EIP, %eax          /* where task 1 was: the JMP */
        movl    $spin, %ebx
        movl    $n_irq, %esi
        call    check
        movb    $0xff, %al              /* mask it, end of interrupt */
        outb    %al, $0x21
        movb    $0x20, %al
        outb    %al, $0x20
        movl    $after_spin, TSS1_EIP
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

n_jmp:  .asciz  "jmp"
n_call: .asciz  "call"
n_link: .asciz  "call-link-nt"
n_iret: .asciz  "iret"
n_int:  .asciz  "int"
n_ud:   .asciz  "ud"
n_gp:   .asciz  "gp"
n_gperr: .asciz "gp-error-code"
n_irq:  .asciz  "irq"
m_test: .asciz  "TS-TEST "
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL got="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "TS-TEST done\r\n"
m_unexp: .asciz "TS-TEST unexpected exception\r\n"
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
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
