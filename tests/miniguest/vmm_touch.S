/* vmm_touch: a guest that touches the VMM region over and over (the
 * vmm-touch scenario, QEMU q35 with 1 GiB, where the region starts at
 * VMM_REGION): 5000 reads and 5000 writes, each a #GP the handler counts
 * and steps over. The VMM logs them rate-limited (platform/log.h): a
 * bounded number of lines, not one per access. Prints "VMM-TOUCH
 * faults=N" (10000 expected), then a CPUID through the VMM ("VMM-TOUCH
 * after ebx=XXXXXXXX", the vendor string's first dword), "VMM-TOUCH done".
 * The dword at image offset 2044 (cfg_region) is the region's base: the
 * scenario patches it for Bochs (512 MiB, the region at 0x1de00000). */
#include "boot32.inc"

#define VMM_REGION 0x3de00000
#define ROUNDS 5000

        .code32
pm32:
        movb    $13, %al
        movl    $gp_count, %ebx
        call    idt_init
        movl    $m_start, %esi
        call    puts
        movl    $ROUNDS, %ecx
        movl    cfg_region, %ebx
1:      movl    (%ebx), %eax            /* 2 bytes: gp_count skips them */
        movl    %eax, 64(%ebx)          /* 3 bytes */
        addl    $128, %ebx              /* a new line of the region each time */
        loop    1b
        movl    $m_faults, %esi
        call    puts
        movl    faults, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        xorl    %eax, %eax
        cpuid
        movl    %ebx, %eax
        pushl   %eax
        movl    $m_after, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop

/* #GP (error code pushed): count it, step over the 2-byte load or the
 * 3-byte store (opcode 0x8b or 0x89). */
gp_count:
        addl    $4, %esp
        incl    faults
        pushl   %eax
        movl    4(%esp), %eax           /* the faulting EIP */
        cmpb    $0x8b, (%eax)
        popl    %eax
        je      2f
        addl    $1, (%esp)
2:      addl    $2, (%esp)
        iret

unexpected:
        movl    $m_exc, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_start:  .asciz "VMM-TOUCH start\r\n"
m_faults: .asciz "VMM-TOUCH faults="
m_after:  .asciz "VMM-TOUCH after ebx="
m_nl:     .asciz "\r\n"
m_done:   .asciz "VMM-TOUCH done\r\n"
m_exc:    .asciz "VMM-TOUCH unexpected exception\r\n"
        .balign 4
faults:   .long 0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2044
cfg_region: .long VMM_REGION            /* patched by the scenario */
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
