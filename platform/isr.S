        .altmacro
/* Interrupt and exception entry: 256 stubs that push a uniform frame
 * (struct trap_frame in platform/trap.h) and call trap_dispatch. */

        .macro STUB v
        .balign 16
isr_stub_\v:
        .if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
        .else
        pushq   $0
        .endif
        pushq   $\v
        jmp     isr_common
        .endm

        .macro STUBREF v
        .quad   isr_stub_\v
        .endm

        .text
        .balign 16
isr_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        cld
        mov     %rsp, %rdi
        /* Align the stack for C; keep the frame pointer chain readable:
         * the trapped RIP/RBP become a fake frame for the backtrace. */
        mov     %rsp, %rbx
        and     $-16, %rsp
        call    trap_dispatch
        mov     %rbx, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        add     $16, %rsp
        iretq

        .set    i, 0
        .rept   256
        STUB    %i
        .set    i, i + 1
        .endr

        .section .rodata
        .balign 8
        .globl  isr_stubs
isr_stubs:
        .set    i, 0
        .rept   256
        STUBREF %i
        .set    i, i + 1
        .endr
