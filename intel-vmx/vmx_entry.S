/* int vmx_enter(struct guest_regs *regs, u64 launched, volatile u32 *nmis)
 *
 * Returns 0 after a VM exit (guest registers saved in *regs), 1 if an NMI
 * for the guest was pending (no entry attempted: the caller injects it),
 * 2 if VMLAUNCH/VMRESUME failed (the error is in the VMCS).
 *
 * Seed 004: an NMI taken in root mode between the caller's last look and
 * VMRESUME would otherwise wait in the VMM until the next exit. The range
 * [vmx_critical_start, vmx_critical_end) checks *nmis itself, and the NMI
 * handler (vmx_run.c) sends an NMI that lands inside it to vmx_nmi_abort,
 * so every NMI is either seen by this check or delivered after entry. */
#define R(n) (8 * (n))
#define HOST_RSP 0x6c14

        .text
        .globl vmx_enter, vmx_exit_point, vmx_nmi_abort
        .globl vmx_critical_start, vmx_critical_end
vmx_enter:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdi                    /* 8(%rsp): the register frame */
        push    %rsi                    /* (%rsp): launched */
        mov     $HOST_RSP, %eax
        vmwrite %rsp, %rax
vmx_critical_start:
        cmpq    $0, (%rdx)              /* NMIs for the guest, or a kick */
        jne     vmx_nmi_abort
        cmpq    $0, (%rsp)              /* flags survive the loads below */
        mov     R(0)(%rdi), %rax
        mov     R(1)(%rdi), %rcx
        mov     R(2)(%rdi), %rdx
        mov     R(3)(%rdi), %rbx
        mov     R(5)(%rdi), %rbp
        mov     R(6)(%rdi), %rsi
        mov     R(8)(%rdi), %r8
        mov     R(9)(%rdi), %r9
        mov     R(10)(%rdi), %r10
        mov     R(11)(%rdi), %r11
        mov     R(12)(%rdi), %r12
        mov     R(13)(%rdi), %r13
        mov     R(14)(%rdi), %r14
        mov     R(15)(%rdi), %r15
        mov     R(7)(%rdi), %rdi
        jne     1f
        vmlaunch
        jmp     vmx_entry_failed
1:      vmresume
vmx_critical_end:
vmx_entry_failed:
        add     $16, %rsp
        mov     $2, %eax
        jmp     2f
vmx_nmi_abort:
        add     $16, %rsp
        mov     $1, %eax
        jmp     2f

vmx_exit_point:                         /* HOST_RIP; RSP = HOST_RSP */
        push    %rdi
        mov     16(%rsp), %rdi
        mov     %rax, R(0)(%rdi)
        mov     %rcx, R(1)(%rdi)
        mov     %rdx, R(2)(%rdi)
        mov     %rbx, R(3)(%rdi)
        mov     %rbp, R(5)(%rdi)
        mov     %rsi, R(6)(%rdi)
        mov     %r8, R(8)(%rdi)
        mov     %r9, R(9)(%rdi)
        mov     %r10, R(10)(%rdi)
        mov     %r11, R(11)(%rdi)
        mov     %r12, R(12)(%rdi)
        mov     %r13, R(13)(%rdi)
        mov     %r14, R(14)(%rdi)
        mov     %r15, R(15)(%rdi)
        popq    R(7)(%rdi)
        add     $16, %rsp
        xor     %eax, %eax
2:      pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

/* void vmx_idle(volatile u32 *wake)
 *
 * Halts until an NMI, unless *wake is already set. An NMI taken before the
 * HLT has run (inside [vmx_idle, vmx_idle_hlt]) is sent past it by the NMI
 * hook (vmx_run.c), so a wake-up is never slept through. */
        .globl vmx_idle, vmx_idle_hlt, vmx_idle_done
vmx_idle:
        cmpl    $0, (%rdi)
        jne     vmx_idle_done
vmx_idle_hlt:
        hlt
vmx_idle_done:
        ret
