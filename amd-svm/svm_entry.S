/* void svm_vmrun(u64 guest_vmcb_pa, struct guest_regs *regs,
 *                u64 host_vmcb_pa, u64 host_if)
 *
 * Loads the guest's general-purpose registers (RAX and RSP travel in the
 * VMCB), VMLOADs the guest's FS/GS/TR/LDTR and syscall MSRs, VMRUNs, and on
 * #VMEXIT VMSAVEs them again, stores the guest's registers and VMLOADs the
 * host's (its GS base is the per-CPU pointer). GIF stays 0 throughout:
 * no interrupt or NMI handler can run between the two VMLOADs. host_if:
 * RFLAGS.IF is 1 across the VMRUN (the host's IF, which a VMCB with
 * V_INTR_MASKING makes the gate of physical interrupts while the guest
 * runs: nested SVM, svm_nested.c), restored after. With GIF 0 the host
 * itself never takes an interrupt. */
#define R(n) (8 * (n))

        .text
        .globl svm_vmrun
svm_vmrun:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        pushfq
        test    %rcx, %rcx
        jz      1f
        sti
1:      push    %rdx                    /* host VMCB */
        push    %rsi                    /* the register frame */
        mov     %rdi, %rax
        mov     R(1)(%rsi), %rcx
        mov     R(2)(%rsi), %rdx
        mov     R(3)(%rsi), %rbx
        mov     R(5)(%rsi), %rbp
        mov     R(7)(%rsi), %rdi
        mov     R(8)(%rsi), %r8
        mov     R(9)(%rsi), %r9
        mov     R(10)(%rsi), %r10
        mov     R(11)(%rsi), %r11
        mov     R(12)(%rsi), %r12
        mov     R(13)(%rsi), %r13
        mov     R(14)(%rsi), %r14
        mov     R(15)(%rsi), %r15
        mov     R(6)(%rsi), %rsi
        vmload  %rax
        vmrun   %rax
        vmsave  %rax
        push    %rsi
        mov     8(%rsp), %rsi
        mov     %rcx, R(1)(%rsi)
        mov     %rdx, R(2)(%rsi)
        mov     %rbx, R(3)(%rsi)
        mov     %rbp, R(5)(%rsi)
        mov     %rdi, R(7)(%rsi)
        mov     %r8, R(8)(%rsi)
        mov     %r9, R(9)(%rsi)
        mov     %r10, R(10)(%rsi)
        mov     %r11, R(11)(%rsi)
        mov     %r12, R(12)(%rsi)
        mov     %r13, R(13)(%rsi)
        mov     %r14, R(14)(%rsi)
        mov     %r15, R(15)(%rsi)
        popq    R(6)(%rsi)
        add     $8, %rsp
        pop     %rax
        vmload  %rax
        popfq
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

/* void svm_idle(volatile u32 *wake)
 *
 * Halts until an NMI, unless *wake is already set. GIF is 0 in the host,
 * and a CPU with GIF 0 holds NMIs instead of waking: GIF is 1 only from
 * here to the HLT's end. An NMI taken before the HLT has run (inside
 * [svm_idle_check, svm_idle_hlt]) is sent past it by the NMI hook
 * (svm_run.c), so a wake-up is never slept through. */
        .globl svm_idle, svm_idle_check, svm_idle_hlt, svm_idle_done
svm_idle:
        stgi
svm_idle_check:
        cmpl    $0, (%rdi)
        jne     svm_idle_done
svm_idle_hlt:
        hlt
svm_idle_done:
        clgi
        ret
