/* A boot-sector guest that checks what a CPU test suite checks and a
 * careless hypervisor gets wrong (issue 18). Each probe's expectation
 * comes from the CPU itself (CPUID), so the same image passes bare and
 * under Veneer:
 *   cr4: MOV to CR4 of reserved bit 15 faults #GP; of PKE, LA57 and VMXE
 *        too when CPUID says the CPU has no PKU / 5-level paging / VMX
 *        (and sticks when it has them; Veneer hides VMX).
 *   rf:  every fault above, and the #UD below, is pushed with RFLAGS.RF=1.
 *   ud:  VMCALL (Intel) / VMMCALL (AMD) with RAX=0 raises #UD.
 *   hv:  the same instruction with Veneer's magic in RAX is answered
 *        (prints "veneer") or raises #UD (prints "none").
 * The word at image offset 2044 (cfg_skip_cr4): bit 0 skips the cr4
 * probes (prints "---"): QEMU 7.2's TCG hangs on a reserved CR4 bit
 * outside SVM guest mode, so its bare control cannot run them; bit 1
 * prints rf= without judging it: QEMU's TCG pushes RF=0 for faults
 * (Bochs and hardware push 1), so its bare control shows 0.
 *   nmi: an NMI sent from inside the NMI handler arrives right at the
 *        handler's IRET: the first instruction after it, with IF=0, sees
 *        both handler runs.
 * Prints "TRANSP cr4=... rf=... ud=... hv=... nmi=... PASS|FAIL" and
 * stops the emulator. */
#define APIC 0xfee00000
#define WAIT 2000000            /* spin iterations before giving up */

#include "boot32.inc"

        .code32
pm32:
        movb    $2, %al
        movl    $nmi_handler, %ebx
        call    idt_init
        movl    $ud_handler, %eax
        movw    %ax, idt + 6 * 8
        shrl    $16, %eax
        movw    %ax, idt + 6 * 8 + 6
        movl    $gp_handler, %eax
        movw    %ax, idt + 13 * 8
        shrl    $16, %eax
        movw    %ax, idt + 13 * 8 + 6
        call    hc_init
        movl    $1, ok

        /* ---- cr4: bit 15 (reserved everywhere), PKE, LA57 ---- */
        testl   $1, cfg_skip_cr4
        jnz     1f
        movl    $0x8000, %eax
        movl    $0, %ebx                /* never supported */
        call    cr4_probe
        movl    $0, %eax                /* CPUID.7.0:ECX[3] PKU */
        cpuid
        xorl    %ebx, %ebx
        cmpl    $7, %eax
        jb      18f
        movl    $7, %eax
        xorl    %ecx, %ecx
        cpuid
        movl    %ecx, %ebx
18:     movl    %ebx, leaf7_ecx
        andl    $0x8, %ebx
        movl    $0x400000, %eax         /* CR4.PKE */
        call    cr4_probe
        movl    leaf7_ecx, %ebx
        andl    $0x10000, %ebx
        movl    $0x1000, %eax           /* CR4.LA57 */
        call    cr4_probe
        movl    $1, %eax                /* CPUID.1:ECX[5] VMX */
        cpuid
        movl    %ecx, %ebx
        andl    $0x20, %ebx
        movl    $0x2000, %eax           /* CR4.VMXE */
        call    cr4_probe
1:

        /* ---- ud: the hypercall instruction without the magic ---- */
        movl    $-1, fault_vec
        movl    $3, skip
        xorl    %eax, %eax
        call    hc_raw
        cmpl    $6, fault_vec
        je      2f
        movl    $0, ok
        movl    $'x', res_ud
        jmp     3f
2:      movl    $'6', res_ud
        call    check_rf
3:
        /* ---- hv: with the magic, a lookup of "version" ---- */
        movl    $-1, fault_vec
        movl    $0x73726576, %ebx       /* "vers" */
        movl    $0x6e6f69, %ecx         /* "ion" */
        xorl    %edx, %edx
        movl    $0x56454e00, %eax
        call    hc_raw
        movl    $m_none, res_hv
        cmpl    $6, fault_vec
        je      4f
        movl    $m_veneer, res_hv
        testl   %eax, %eax              /* a call number, > 0 */
        jz      5f
        cmpl    $0xffffffff, %eax
        jne     4f
5:      movl    $0, ok
4:
        /* ---- nmi: one sent inside the handler arrives at its IRET ---- */
        movl    APIC + 0xf0, %eax
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0
        movl    APIC + 0x20, %eax
        andl    $0xff000000, %eax
        movl    %eax, apic_id
        cli
        movl    count, %esi
        movl    %esi, base
        movl    $1, nested
        call    send_nmi
        addl    $2, %esi
        movl    $WAIT, %ecx
6:      cmpl    %esi, count
        jae     7f
        pause
        loop    6b
7:      movl    seen, %eax
        subl    base, %eax
        movl    %eax, res_nmi
        cmpl    $2, %eax
        je      8f
        movl    $0, ok
8:
        /* ---- the verdict ---- */
        movl    $m_head, %esi
        call    puts
        movl    $res_cr4, %esi
        call    puts
        movl    $m_rf, %esi
        call    puts
        movl    $'1', %eax
        cmpl    $0, rf_bad
        je      9f
        movl    $'0', %eax
9:      call    putc
        movl    $m_ud, %esi
        call    puts
        movl    res_ud, %eax
        call    putc
        movl    $m_hv, %esi
        call    puts
        movl    res_hv, %esi
        call    puts
        movl    $m_nmi, %esi
        call    puts
        movl    res_nmi, %eax
        call    putdec
        movl    $m_pass, %esi
        cmpl    $0, ok
        jne     10f
        movl    $m_fail, %esi
10:     call    puts
        jmp     stop

/* MOV to CR4 of CR4|EAX; EBX non-zero: the CPU has the bit (the write
 * must stick; CR4 is put back), zero: it must fault #GP with RF=1.
 * Appends 'g' (faulted), 's' (stuck) or 'x' (wrong) to res_cr4. */
cr4_probe:
        movl    %cr4, %edx
        movl    %edx, cr4_saved
        orl     %edx, %eax
        movl    $-1, fault_vec
        movl    $3, skip
        movl    %eax, %cr4              /* 0f 22 e0: 3 bytes */
        movl    cr4_res_at, %edi
        incl    cr4_res_at
        testl   %ebx, %ebx
        jnz     11f
        cmpl    $13, fault_vec
        jne     12f
        movb    $'g', (%edi)
        call    check_rf
        ret
11:     cmpl    $-1, fault_vec
        jne     12f
        movl    %cr4, %ecx
        andl    %eax, %ecx
        cmpl    %eax, %ecx
        jne     12f
        movl    cr4_saved, %edx
        movl    %edx, %cr4
        movb    $'s', (%edi)
        ret
12:     movb    $'x', (%edi)
        movl    $0, ok
        ret

/* The last fault's pushed RFLAGS must have RF (bit 16). */
check_rf:
        testl   $0x10000, fault_flags
        jnz     13f
        testl   $2, cfg_skip_cr4        /* a control that lacks RF */
        jz      19f
        incl    rf_bad
        ret
19:     testl   $0x10000, fault_flags
        jnz     13f
        incl    rf_bad
        movl    $0, ok
13:     ret

/* The hypercall instruction of this vendor, registers as they are. */
hc_raw:
        cmpb    $0, hc_amd
        je      14f
        vmmcall
        ret
14:     vmcall
        ret

/* ICR: destination = our APIC ID, delivery mode NMI (100b), assert */
send_nmi:
        movl    apic_id, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004400, APIC + 0x300
15:     testl   $0x1000, APIC + 0x300   /* delivery status */
        jnz     15b
        ret

/* First run (nested=1): sends one more NMI, which stays blocked until
 * this IRET, and returns to after_iret instead, which reads the count as
 * its first instruction, then goes on where the NMI came. */
nmi_handler:
        pushl   %eax
        pushl   %ecx
        incl    count
        cmpl    $0, nested
        je      16f
        movl    $0, nested
        call    send_nmi
        movl    $20000, %ecx
17:     pause
        loop    17b
        movl    8(%esp), %eax
        movl    %eax, resume
        movl    $after_iret, 8(%esp)
16:     popl    %ecx
        popl    %eax
        iret
after_iret:
        pushl   count
        popl    seen
        jmp     *resume

gp_handler:                             /* error code, EIP, CS, EFLAGS */
        movl    $13, fault_vec
        pushl   %eax
        movl    16(%esp), %eax
        movl    %eax, fault_flags
        movl    skip, %eax
        addl    %eax, 8(%esp)
        popl    %eax
        addl    $4, %esp
        iret

ud_handler:                             /* EIP, CS, EFLAGS */
        movl    $6, fault_vec
        pushl   %eax
        movl    12(%esp), %eax
        movl    %eax, fault_flags
        movl    skip, %eax
        addl    %eax, 4(%esp)
        popl    %eax
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_head: .asciz  "\r\nTRANSP cr4="
m_rf:   .asciz  " rf="
m_ud:   .asciz  " ud="
m_hv:   .asciz  " hv="
m_nmi:  .asciz  " nmi="
m_none: .asciz  "none"
m_veneer: .asciz "veneer"
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
m_unexp: .asciz "\r\nTRANSP unexpected exception FAIL\r\n"
        .balign 4
res_cr4: .asciz "----"
        .balign 4
cr4_res_at: .long res_cr4
ok:     .long   0
rf_bad: .long   0
fault_vec: .long -1
fault_flags: .long 0
skip:   .long   0
cr4_saved: .long 0
leaf7_ecx: .long 0
res_ud: .long   '-'
res_hv: .long   m_none
res_nmi: .long  0
count:  .long   0
base:   .long   0
seen:   .long   0
resume: .long   0
nested: .long   0
apic_id: .long  0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2044
cfg_skip_cr4: .long 0                   /* set by the scenario */
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
