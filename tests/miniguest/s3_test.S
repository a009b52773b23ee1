/* S3 sleep and wake from a guest with two CPUs (s3-bochs-vmx scenario):
 * finds the FADT (RSDP in the BIOS area, RSDT, "FACP"): its PM1a control
 * port and FACS; starts the AP (INIT-SIPI, vector 0x10: real-mode code
 * at 0x10000 that makes Veneer's "version" lookup hypercall and counts
 * itself); fills 64 KiB at 3 MiB with a pattern; then CYCLES times:
 * points the FACS's waking vector at `wake16`, writes SLP_TYP=1 (the
 * Bochs DSDT's \_S3) with SLP_EN to PM1a control; on the wake (real mode,
 * at the vector) back to protected mode, checks the pattern, the
 * hypercall on this CPU (a CPU outside the VMM would take #UD: -1) and
 * the AP started again the same way. Prints
 *   S3-TEST boot vmm=yes ap=1
 *   S3-TEST wake N ram=ok vmm=yes ap=1
 *   S3-TEST PASS N cycles            (or S3-TEST FAIL <what>)
 * and stops. A sleep that does not happen (the write dropped) is a FAIL:
 * "the machine did not sleep". */
#define BOOT32_SECTORS 4
#include "boot32.inc"

#define APIC 0xfee00000
#define AP_CODE 0x10000
#define AP_COUNT 0x11000
#define AP_RESULT 0x11004
#define PATTERN 0x300000
#define PATTERN_WORDS 16384
#define CYCLES 2
        .set    idt, 0x30000

        .code32
pm32:
        call    hc_init
        movb    $6, %al
        movl    $ud_skip, %ebx
        call    idt_init
        call    find_fadt
        movl    $m_boot, line_head
        call    check_cpu
        movl    $PATTERN, %edi          /* RAM the sleep must keep */
        movl    $0x12345678, %eax
        movl    $PATTERN_WORDS, %ecx
1:      movl    %eax, (%edi)
        addl    $0x9e3779b9, %eax
        addl    $4, %edi
        loop    1b
        jmp     do_sleep

/* The checks on each CPU, then one line's end: " vmm=yes|no ap=N\r\n"
 * (N: the AP's count), printed after the AP ran, so that the VMM's line
 * about the AP's start does not land inside it. */
check_cpu:
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
        incl    good
1:      call    start_ap
        cmpl    $1, AP_COUNT
        jne     2f
        cmpl    $0xffffffff, AP_RESULT  /* the AP's hypercall answered */
        je      2f
        cmpl    $0, AP_RESULT
        je      2f
        incl    good
2:      movl    line_head, %esi
        call    puts
        cmpl    $0, cycle
        je      3f
        movl    cycle, %eax
        call    putdec
        movl    ram_msg, %esi
        call    puts
3:      movl    vmm_msg, %esi
        call    puts
        movl    $m_ap, %esi
        call    puts
        movl    AP_COUNT, %eax
        call    putdec
        movl    $m_nl, %esi
        jmp     puts

start_ap:
        movl    $0, AP_COUNT
        movl    $0xffffffff, AP_RESULT
        movl    $ap_code, %esi
        movl    $AP_CODE, %edi
        movl    $(ap_end - ap_code), %ecx
        rep movsb
        movl    APIC + 0xf0, %eax       /* software-enable the APIC */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0
        call    start_ap1               /* ap32.inc */
        movl    $400000000, %ecx
1:      cmpl    $0, AP_COUNT
        jne     2f
        pause
        loop    1b
2:      ret

#include "ap32.inc"

#include "fadt32.inc"

do_sleep:
        movl    $m_sleep, %esi
        call    puts
        movl    cycle, %eax
        incl    %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        movl    facs, %ebx
        movl    $wake16, 12(%ebx)       /* Firmware_Waking_Vector */
        cmpb    $1, 32(%ebx)            /* version >= 1: X_ vector too */
        jb      1f
        movl    $0, 24(%ebx)
        movl    $0, 28(%ebx)
1:      movw    pm1a_cnt, %dx
        inw     %dx, %ax
        andw    $0xc3ff, %ax            /* SLP_TYP (12:10), SLP_EN (13) */
        orw     $((1 << 10) | (1 << 13)), %ax
        outw    %ax, %dx
        movl    $200000000, %ecx        /* the sleep takes the CPU here */
2:      loop    2b
        movl    $m_no_sleep, %esi
        jmp     fail

        .code16
wake16:                                 /* the waking vector, real mode */
        cli
        ljmp    $0, $1f
1:      xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        lgdt    gdt_desc
        movl    %cr0, %eax
        orb     $1, %al
        movl    %eax, %cr0
        ljmp    $0x08, $wake32
        .code32
wake32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    $0x7c00, %esp
        call    uart_init
        lidt    idt_desc
        incl    cycle
        movl    $0, good
        movl    $m_wake, line_head
        movl    $PATTERN, %edi
        movl    $0x12345678, %eax
        movl    $PATTERN_WORDS, %ecx
        movl    $m_ram_ok, %esi
1:      cmpl    %eax, (%edi)
        jne     2f
        addl    $0x9e3779b9, %eax
        addl    $4, %edi
        loop    1b
        incl    good
        jmp     3f
2:      movl    $m_ram_bad, %esi
3:      movl    %esi, ram_msg
        call    check_cpu
        cmpl    $3, good
        je      4f
        movl    $m_bad_wake, %esi
        jmp     fail
4:      cmpl    $CYCLES, cycle
        jb      do_sleep
        movl    $m_pass, %esi
        call    puts
        movl    cycle, %eax
        call    putdec
        movl    $m_cycles, %esi
        call    puts
        jmp     stop

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
ap_code:                                /* at 1000:0000, real mode */
        movl    $0x56454e00, %eax       /* lookup "version" */
        movl    $0x73726576, %ebx
        movl    $0x006e6f69, %ecx
        xorl    %edx, %edx
        vmcall
        movl    %eax, %cs:(AP_RESULT - AP_CODE)
        lock incl %cs:(AP_COUNT - AP_CODE)
1:      cli
        hlt
        jmp     1b
ap_end:
        .code32

#include "lib32.inc"

m_boot:     .asciz "S3-TEST boot"
m_sleep:    .asciz "S3-TEST sleep "
m_wake:     .asciz "S3-TEST wake "
m_ram_ok:   .asciz " ram=ok"
m_ram_bad:  .asciz " ram=changed"
m_vmm_yes:  .asciz " vmm=yes"
m_vmm_no:   .asciz " vmm=no"
m_ap:       .asciz " ap="
m_nl:       .asciz "\r\n"
m_pass:     .asciz "S3-TEST PASS "
m_cycles:   .asciz " cycles\r\n"
m_fail:     .asciz "S3-TEST FAIL "
m_no_acpi:  .asciz "no RSDP"
m_no_fadt:  .asciz "no FADT or no PM1a control"
m_no_sleep: .asciz "the machine did not sleep"
m_bad_wake: .asciz "a check after the wake"
m_exc:      .asciz "unexpected exception"
        .balign 4
idt_desc:   .word 256 * 8 - 1
            .long idt
facs:       .long 0
pm1a_cnt:   .long 0
cycle:      .long 0
good:       .long 0
line_head:  .long 0
ram_msg:    .long 0
vmm_msg:    .long 0
        .balign 512
