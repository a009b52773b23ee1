/* The guest's wake in 32-bit protected mode and in 64-bit mode after S3
 * (s3-modes-qemu-svm and s3-modes-bochs-vmx scenarios).
 *
 * No emulator here has a FACS with X_Firmware_Waking_Vector (QEMU's and
 * the Bochs BIOS's are ACPI 1.0 tables, version 0, 64 bytes long: the
 * fields are there, unused). So this guest plays the part of a newer
 * firmware's table itself: it rewrites the FACS in RAM to version 1, then
 * version 2 with 64BIT_WAKE_SUPPORTED_F in its flags, as an ACPI 4.0+
 * firmware would publish it, and then does what the OS does: sets
 * X_Firmware_Waking_Vector (and, the second time, 64BIT_WAKE_F in the
 * OSPM flags). The real-mode Firmware_Waking_Vector points at code that
 * reports a wake in the wrong mode.
 *
 * Two cycles: FACS version 1, X vector WAKE32 (3 MiB + 0x1230, beyond
 * real mode's reach), then version 2 with the 64-bit flags, X vector
 * WAKE64 (4 MiB + 0x1230). Each prints "GUEST-S3 suspending" (the QEMU
 * scenario then wakes it with system_wakeup; Bochs wakes at once) and
 * writes SLP_TYP=1 (the \_S3 of both emulators' DSDTs) with SLP_EN.
 *
 * At WAKE32 (a copy of wake32, position-independent) it records, before
 * anything else changes them: where it runs (CALL/POP), CR0, CR4, EFER,
 * how the CPU decodes a MOV with a 32-bit immediate (16-bit code would
 * take it apart), a stack at 3.5 MiB and a read at 0xfffffff0 (a 64 KiB
 * segment limit would fault: no IDT yet, a triple fault). At WAKE64 (a
 * copy of wake64): RIP, an INC that is REX.W INC RAX only in 64-bit mode
 * (in 32-bit code 0x48 is DEC EAX), CR0, CR3, CR4, EFER, RFLAGS, and
 * Veneer's hypercall made from 64-bit mode; then back to 32-bit
 * protected mode (compatibility mode, paging off, LME off). The checks
 * and the page-table walk (CR3's tables must map the vector's page to
 * itself) run there, with Veneer's hypercall (a CPU outside the VMM takes
 * #UD: -1). Prints
 *   S3-MODES boot facs=<addr> version=<n> vmm=yes
 *   S3-MODES wake32 eip=<e> cr0=<c> cr4=<c> efer=<e> imm=12345678 flat=yes vmm=yes
 *   S3-MODES wake32 PASS
 *   S3-MODES wake64 rip=<r> lm=1 cr0=<c> cr3=<c> cr4=<c> efer=<e> rflags=<f> map=<pa> vmm64=yes vmm=yes
 *   S3-MODES wake64 PASS
 *   S3-MODES PASS 2 wakes            (or S3-MODES FAIL <what>)
 * and stops. A request the VMM drops is "S3-MODES FAIL the machine did
 * not sleep". */
#define BOOT32_SECTORS 8
#include "boot32.inc"

#define WAKE32 0x301230
#define WAKE64 0x401230
#define WAKE_STACK 0x380000
#define MSR_EFER 0xc0000080
/* wake64's results at `w64` */
#define W64_RIP 0
#define W64_LM 8
#define W64_CR0 16
#define W64_CR3 24
#define W64_CR4 32
#define W64_EFER 40
#define W64_RFLAGS 48
#define W64_HC 56
        .set    idt, 0x30000

        .code32
pm32:
        call    hc_init
        movb    $6, %al
        movl    $ud_skip, %ebx
        call    idt_init
        call    find_fadt
        movl    $wake32, %esi           /* the vectors' code where they go */
        movl    $WAKE32, %edi
        movl    $(wake32_end - wake32), %ecx
        rep movsb
        movl    $wake64, %esi
        movl    $WAKE64, %edi
        movl    $(wake64_end - wake64), %ecx
        rep movsb
        movl    $m_boot, %esi
        call    puts
        movl    facs, %eax
        call    puthex32
        movl    $m_version, %esi
        call    puts
        movl    facs, %ebx
        movzbl  32(%ebx), %eax
        call    putdec
        call    check_vmm
        movl    vmm_msg, %esi
        call    puts
        movl    $m_nl, %esi
        call    puts
        cmpl    $m_vmm_yes, vmm_msg
        je      1f
        movl    $m_no_vmm, %esi
        jmp     fail
1:      movl    facs, %ebx              /* room for the version >= 1 fields */
        cmpl    $64, 4(%ebx)
        jae     do_sleep
        movl    $m_short, %esi
        jmp     fail

/* Veneer's "version" lookup on this CPU: vmm_msg = m_vmm_yes / m_vmm_no. */
check_vmm:
        movl    $0x73726576, %ebx       /* "version" */
        movl    $0x006e6f69, %ecx
        xorl    %edx, %edx
        call    hc_lookup
        movl    $m_vmm_no, vmm_msg
        cmpl    $0xffffffff, %eax
        je      1f
        testl   %eax, %eax
        jz      1f
        movl    $m_vmm_yes, vmm_msg
1:      ret

#include "fadt32.inc"

/* The FACS as the next cycle's firmware and OS leave it, then the sleep. */
do_sleep:
        movl    facs, %ebx
        movl    $wake16, 12(%ebx)       /* Firmware_Waking_Vector: the wrong mode */
        cmpl    $0, cycle
        jne     1f
        movb    $1, 32(%ebx)            /* version 1: the X_ vector, 32-bit */
        andl    $~2, 20(%ebx)           /* no 64BIT_WAKE_SUPPORTED_F */
        andl    $~1, 36(%ebx)           /* no 64BIT_WAKE_F */
        movl    $WAKE32, 24(%ebx)
        jmp     2f
1:      movb    $2, 32(%ebx)            /* version 2 ... */
        orl     $2, 20(%ebx)            /* ... 64BIT_WAKE_SUPPORTED_F (firmware) */
        orl     $1, 36(%ebx)            /* 64BIT_WAKE_F (the OS) */
        movl    $WAKE64, 24(%ebx)
2:      movl    $0, 28(%ebx)
        movl    $m_sleep, %esi
        call    puts
        movl    cycle, %eax
        incl    %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        movl    $m_suspending, %esi
        call    puts
        movw    pm1a_cnt, %dx
        inw     %dx, %ax
        andw    $0xc3ff, %ax            /* SLP_TYP (12:10), SLP_EN (13) */
        orw     $((1 << 10) | (1 << 13)), %ax
        outw    %ax, %dx
        movl    $200000000, %ecx        /* the sleep takes the CPU here */
3:      loop    3b
        movl    $m_no_sleep, %esi
        jmp     fail

/* Back in the guest's own 32-bit protected mode after either vector: its
 * segments, stack, COM1 and IDT, then Veneer's hypercall (check_vmm). */
restore32:
        popl    %edi                    /* the return address, off the wake's stack */
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0x7c00, %esp
        pushl   %edi
        call    uart_init
        lidt    idt_desc
        incl    cycle
        jmp     check_vmm

/* ---- the 32-bit wake ---------------------------------------------------- */
        .code32
wake32:                                 /* copied to WAKE32 */
        movl    $WAKE_STACK, %esp       /* a flat SS: a push at 3.5 MiB */
        call    1f
1:      popl    %eax
        subl    $(1b - wake32), %eax
        movl    %eax, w32_eip
        movl    %cr0, %eax
        movl    %eax, w32_cr0
        movl    %cr4, %eax
        movl    %eax, w32_cr4
        movl    $MSR_EFER, %ecx
        rdmsr
        movl    %eax, w32_efer
        movl    $0x12345678, %eax       /* B8 imm32: 16-bit code would split it */
        movl    %eax, w32_imm
        movl    0xfffffff0, %eax        /* a flat DS: the reset vector's bytes */
        movl    $1, w32_flat
        lgdt    gdt_desc
        movl    $after32, %eax
        pushl   $0x08
        pushl   %eax
        lret
wake32_end:

after32:
        call    restore32
        movl    $m_wake32, %esi
        call    puts
        movl    w32_eip, %eax
        call    puthex32
        movl    $m_cr0, %esi
        call    puts
        movl    w32_cr0, %eax
        call    puthex32
        movl    $m_cr4, %esi
        call    puts
        movl    w32_cr4, %eax
        call    puthex32
        movl    $m_efer, %esi
        call    puts
        movl    w32_efer, %eax
        call    puthex32
        movl    $m_imm, %esi
        call    puts
        movl    w32_imm, %eax
        call    puthex32
        movl    $m_flat, %esi
        call    puts
        movl    vmm_msg, %esi
        call    puts
        movl    $m_nl, %esi
        call    puts
        movl    $m_w32_eip, %esi
        cmpl    $WAKE32, w32_eip
        jne     fail
        movl    $m_w32_mode, %esi       /* PE on, PG off, not long mode */
        movl    w32_cr0, %eax
        andl    $0x80000001, %eax
        cmpl    $1, %eax
        jne     fail
        testl   $(1 << 10), w32_efer
        jnz     fail
        movl    $m_w32_imm, %esi
        cmpl    $0x12345678, w32_imm
        jne     fail
        movl    $m_no_vmm, %esi
        cmpl    $m_vmm_yes, vmm_msg
        jne     fail
        movl    $m_w32_pass, %esi
        call    puts
        jmp     do_sleep

/* ---- the 64-bit wake ---------------------------------------------------- */
        .code64
wake64:                                 /* copied to WAKE64 */
        movl    $WAKE_STACK, %esp
        movl    $w64, %ebp              /* its results (absolute, by register) */
        leaq    wake64(%rip), %rax
        movq    %rax, W64_RIP(%rbp)
        xorl    %eax, %eax
        .byte   0x48, 0xff, 0xc0        /* 64-bit: INC RAX; 32-bit: DEC, INC */
        movl    %eax, W64_LM(%rbp)
        movq    %cr0, %rax
        movq    %rax, W64_CR0(%rbp)
        movq    %cr3, %rax
        movq    %rax, W64_CR3(%rbp)
        movq    %cr4, %rax
        movq    %rax, W64_CR4(%rbp)
        movl    $MSR_EFER, %ecx
        rdmsr
        movl    %eax, W64_EFER(%rbp)
        pushfq
        popq    %rax
        movq    %rax, W64_RFLAGS(%rbp)
        movl    $hc_amd, %esi
        movl    $0x56454e00, %eax       /* Veneer's "version" lookup: from */
        movabsq $0x006e6f6973726576, %rbx /* 64-bit mode, 8 name bytes a register */
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        cmpb    $0, (%rsi)
        je      1f
        vmmcall
        jmp     2f
1:      vmcall
2:      movl    %eax, W64_HC(%rbp)
        movl    $gdt_desc64, %eax
        lgdt    (%rax)
        movl    $far_compat, %eax
        ljmpl   *(%rax)                 /* to 32-bit code: compatibility mode */
wake64_end:

        .code32
compat32:                               /* leave long mode (SDM 10.8.5.4) */
        movl    %cr0, %eax
        andl    $0x7fffffff, %eax       /* paging off: LMA clears */
        movl    %eax, %cr0
        movl    $MSR_EFER, %ecx
        rdmsr
        andl    $~(1 << 8), %eax        /* LME off */
        wrmsr
        movl    %cr4, %eax
        andl    $~(1 << 5), %eax
        movl    %eax, %cr4
        call    restore32
        movl    $m_wake64, %esi
        call    puts
        movl    w64_rip, %eax
        call    puthex32
        movl    $m_lm, %esi
        call    puts
        movl    w64_lm, %eax
        call    putdec
        movl    $m_cr0, %esi
        call    puts
        movl    w64_cr0, %eax
        call    puthex32
        movl    $m_cr3, %esi
        call    puts
        movl    w64_cr3, %eax
        call    puthex32
        movl    $m_cr4, %esi
        call    puts
        movl    w64_cr4, %eax
        call    puthex32
        movl    $m_efer, %esi
        call    puts
        movl    w64_efer, %eax
        call    puthex32
        movl    $m_rflags, %esi
        call    puts
        movl    w64_rflags, %eax
        call    puthex32
        movl    $m_map, %esi
        call    puts
        movl    $WAKE64, %eax
        call    walk
        movl    %eax, w64_map
        call    puthex32
        movl    $m_vmm64_no, %esi
        cmpl    $0xffffffff, w64_hc
        je      1f
        cmpl    $0, w64_hc
        je      1f
        movl    $m_vmm64_yes, %esi
        incl    vmm64
1:      call    puts
        movl    vmm_msg, %esi
        call    puts
        movl    $m_nl, %esi
        call    puts
        movl    $m_w64_rip, %esi
        cmpl    $WAKE64, w64_rip
        jne     fail
        cmpl    $0, w64_rip + 4
        jne     fail
        movl    $m_w64_mode, %esi
        cmpl    $1, w64_lm              /* the CPU decoded 64-bit code */
        jne     fail
        movl    w64_cr0, %eax
        andl    $0x80000001, %eax       /* PG and PE */
        cmpl    $0x80000001, %eax
        jne     fail
        testl   $(1 << 5), w64_cr4      /* PAE */
        jz      fail
        movl    w64_efer, %eax
        andl    $0x500, %eax            /* LME and LMA */
        cmpl    $0x500, %eax
        jne     fail
        testl   $(1 << 9), w64_rflags   /* IF off */
        jnz     fail
        movl    $m_w64_map, %esi
        cmpl    $(WAKE64 & ~0xfff), w64_map
        jne     fail
        movl    $m_no_vmm, %esi
        cmpl    $0, vmm64
        je      fail
        cmpl    $m_vmm_yes, vmm_msg
        jne     fail
        movl    $m_w64_pass, %esi
        call    puts
        movl    $m_pass, %esi
        call    puts
        jmp     stop

/* walk: the physical page CR3's 4-level tables (w64_cr3) map the page of
 * EAX to (both below 4 GiB, as are the tables here), or 0xffffffff if
 * they do not map it (an entry not present, or pointing above 4 GiB). */
walk:
        pushl   %ebx
        pushl   %esi
        movl    %eax, %esi
        movl    w64_cr3, %ebx
        andl    $~0xfff, %ebx
        xorl    %ecx, %ecx              /* PML4[0] */
        call    entry
        jc      9f
        movl    %eax, %ebx
        movl    %esi, %ecx              /* PDPT[va >> 30] */
        shrl    $30, %ecx
        call    entry
        jc      9f
        movl    $0x3fffffff, %edx       /* a 1 GiB page */
        testl   $0x80, %eax
        jnz     8f
        movl    %eax, %ebx
        movl    %esi, %ecx              /* PD[(va >> 21) & 511] */
        shrl    $21, %ecx
        andl    $511, %ecx
        call    entry
        jc      9f
        movl    $0x1fffff, %edx         /* a 2 MiB page */
        testl   $0x80, %eax
        jnz     8f
        movl    %eax, %ebx
        movl    %esi, %ecx              /* PT[(va >> 12) & 511] */
        shrl    $12, %ecx
        andl    $511, %ecx
        call    entry
        jc      9f
        movl    $0xfff, %edx
8:      movl    %edx, %ecx              /* EDX: the page's offset mask */
        notl    %ecx
        andl    %ecx, %eax              /* the page's base ... */
        andl    %esi, %edx
        orl     %edx, %eax              /* ... + the offset */
        andl    $~0xfff, %eax
        popl    %esi
        popl    %ebx
        ret
9:      movl    $0xffffffff, %eax
        popl    %esi
        popl    %ebx
        ret
/* entry: table EBX's entry ECX in EAX with bits 11:0 kept only for PS
 * (bit 7), CF set if not present or pointing above 4 GiB. */
entry:
        movl    (%ebx,%ecx,8), %eax
        cmpl    $0, 4(%ebx,%ecx,8)
        jne     1f
        testl   $1, %eax
        jz      1f
        andl    $~0xf7f, %eax           /* the address and PS */
        clc
        ret
1:      stc
        ret

fail:   pushl   %esi
        movl    $m_fail, %esi
        call    puts
        popl    %esi
        call    puts
        movl    $m_nl, %esi
        call    puts
        jmp     stop

unexpected:
        movl    $m_exc, %esi
        jmp     fail

        .code16
wake16:                                 /* the real-mode vector: the wrong mode */
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    $m_wake16, %si
        movw    $0x3f8, %dx
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      movb    $0, %al
        outb    %al, $0xf4
3:      hlt
        jmp     3b
        .code32

#include "lib32.inc"

m_boot:      .asciz "S3-MODES boot facs="
m_version:   .asciz " version="
m_sleep:     .asciz "S3-MODES sleep "
m_suspending: .asciz "GUEST-S3 suspending\r\n"
m_wake32:    .asciz "S3-MODES wake32 eip="
m_wake64:    .asciz "S3-MODES wake64 rip="
m_cr0:       .asciz " cr0="
m_cr3:       .asciz " cr3="
m_cr4:       .asciz " cr4="
m_efer:      .asciz " efer="
m_imm:       .asciz " imm="
m_flat:      .asciz " flat=yes"
m_lm:        .asciz " lm="
m_rflags:    .asciz " rflags="
m_map:       .asciz " map="
m_vmm_yes:   .asciz " vmm=yes"
m_vmm_no:    .asciz " vmm=no"
m_vmm64_yes: .asciz " vmm64=yes"
m_vmm64_no:  .asciz " vmm64=no"
m_nl:        .asciz "\r\n"
m_w32_pass:  .asciz "S3-MODES wake32 PASS\r\n"
m_w64_pass:  .asciz "S3-MODES wake64 PASS\r\n"
m_pass:      .asciz "S3-MODES PASS 2 wakes\r\n"
m_fail:      .asciz "S3-MODES FAIL "
m_no_acpi:   .asciz "no RSDP"
m_no_fadt:   .asciz "no FADT or no PM1a control"
m_short:     .asciz "the FACS is shorter than 64 bytes"
m_no_vmm:    .asciz "the hypercall went unanswered (not under the VMM)"
m_no_sleep:  .asciz "the machine did not sleep"
m_w32_eip:   .asciz "wake32: not running at the 32-bit vector"
m_w32_mode:  .asciz "wake32: not 32-bit protected mode with paging off"
m_w32_imm:   .asciz "wake32: the CPU did not decode 32-bit code"
m_w64_rip:   .asciz "wake64: not running at the 64-bit vector"
m_w64_mode:  .asciz "wake64: not 64-bit mode (CS.L, CR0.PG/PE, CR4.PAE, EFER.LMA) or interrupts on"
m_w64_map:   .asciz "wake64: CR3's tables do not map the vector's page to itself"
m_exc:       .asciz "unexpected exception"
m_wake16:    .asciz "S3-MODES FAIL woke in real mode at Firmware_Waking_Vector\r\n"
        .balign 8
gdt_desc64: .word 23                    /* boot32.inc's GDT, 64-bit form */
            .long gdt, 0
far_compat: .long compat32
            .word 0x08
        .balign 8
idt_desc:   .word 256 * 8 - 1
            .long idt
facs:       .long 0
pm1a_cnt:   .long 0
cycle:      .long 0
vmm_msg:    .long 0
vmm64:      .long 0
w32_eip:    .long 0
w32_cr0:    .long 0
w32_cr4:    .long 0
w32_efer:   .long 0
w32_imm:    .long 0
w32_flat:   .long 0
        .balign 8
w64:                                    /* what wake64 found, at these offsets */
        .fill   64
        .set    w64_rip, w64 + W64_RIP
        .set    w64_lm, w64 + W64_LM
        .set    w64_cr0, w64 + W64_CR0
        .set    w64_cr3, w64 + W64_CR3
        .set    w64_cr4, w64 + W64_CR4
        .set    w64_efer, w64 + W64_EFER
        .set    w64_rflags, w64 + W64_RFLAGS
        .set    w64_hc, w64 + W64_HC
w64_map:    .long 0
        .balign 512
