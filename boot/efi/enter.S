/* veneer_enter(entry, params, cr3, cpu) (System V ABI): saves what the
 * caller expects preserved (callee-saved registers, the FPU/SSE state) on
 * this stack, records RSP, RIP (the resume point below) and RFLAGS in the
 * CPU block, turns interrupts off, switches to the loader's page tables
 * and jumps to the VMM's UEFI entry with RDI = params. The VMM resumes
 * the loader at veneer_resume as its guest, with this RSP and every other
 * register zero; it returns 0 (EFI_SUCCESS) from veneer_enter. */
#define CPU_RIP    24   /* struct uefi_param_cpu (platform/uefi_params.h) */
#define CPU_RSP    32
#define CPU_RFLAGS 40

        .text
        .globl veneer_enter
veneer_enter:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rax
        sub     $528, %rsp
        and     $-16, %rsp
        mov     %rax, 512(%rsp)
        fxsave  (%rsp)
        mov     %rsp, CPU_RSP(%rcx)
        lea     veneer_resume(%rip), %rax
        mov     %rax, CPU_RIP(%rcx)
        pushfq
        pop     %rax
        mov     %rax, CPU_RFLAGS(%rcx)
        cli
        mov     %rdx, %cr3
        mov     %rdi, %rax
        mov     %rsi, %rdi
        jmp     *%rax

veneer_resume:
        fxrstor (%rsp)
        mov     512(%rsp), %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        xor     %eax, %eax
        ret
        .section .note.GNU-stack, "", @progbits
