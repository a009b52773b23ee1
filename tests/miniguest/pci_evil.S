/* A guest that tries to take PCI config space out of the VMM's sight on
 * a q35 machine with e1000s the VMM conceals at 00:03.0 and 01:01.0
 * (behind a PCI bridge at 00:06.0, secondary bus 1):
 *   bridge:    renumbers the bridge's buses to 5 and reads 05:01.0's ID;
 *   pciexbar:  moves ECAM to 0xd0000000 (the host bridge's PCIEXBAR,
 *              00:00.0 offset 0x60) and reads 00:03.0's ID through it,
 *              then puts it back;
 * Prints "PCI-EVIL bridge buses=XXXXXXXX id=XXXXXXXX" and "PCI-EVIL
 * pciexbar bar=XXXXXXXX id=XXXXXXXX" (the register read back after the
 * write, then the concealed device's ID: ffffffff while it stays
 * concealed; 0bad0bad: the read faulted), then, in long mode, one 8-byte
 * load from 00:03.0's ECAM dword 0: "PCI-EVIL qword ecam=XXXXXXXXXXXXXXXX"
 * (all ones while the e1000 stays concealed), then "PCI-EVIL done".
 * Before the long mode part: "PCI-EVIL straddle=XXXXXXXX", a dword IN
 * at 0xcf7 that reaches into the VMM's address port (all ones). */
#include "boot32.inc"

#define BRIDGE_BUSES 0x80003018
#define BEHIND_ID 0x80050800     /* 05:01.0 offset 0 */
#define PCIEXBAR 0x80000060
#define NEW_ECAM 0xd0000000

        .code32
pm32:
        movb    $13, %al
        movl    $gp_skip, %ebx
        call    idt_init

        movl    $m_bridge, %esi
        call    puts
        movl    $BRIDGE_BUSES, %eax
        call    cfg_read
        andl    $0xff0000ff, %eax       /* keep primary and latency */
        orl     $0x00050500, %eax       /* secondary 5, subordinate 5 */
        movl    %eax, %ecx
        movl    $BRIDGE_BUSES, %eax
        call    cfg_write
        movl    $BRIDGE_BUSES, %eax
        call    cfg_read
        call    puthex32
        movl    $m_id, %esi
        call    puts
        movl    $BEHIND_ID, %eax
        call    cfg_read
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        movl    $m_pciexbar, %esi
        call    puts
        movl    $PCIEXBAR, %eax
        call    cfg_read
        movl    %eax, pciexbar_old
        movl    $PCIEXBAR, %eax         /* 256 MiB (length 0), enabled */
        movl    $(NEW_ECAM | 1), %ecx
        call    cfg_write
        movl    $PCIEXBAR, %eax
        call    cfg_read
        call    puthex32
        movl    $m_id, %esi
        call    puts
        movl    $(NEW_ECAM + (3 << 15)), %ebx
        movl    (%ebx), %eax            /* 2 bytes: gp_skip skips them */
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $PCIEXBAR, %eax         /* ECAM back where it was */
        movl    pciexbar_old, %ecx
        call    cfg_write

        /* straddle: a dword IN at 0xcf7 covers 0xcf7 (no owner) and
         * 0xcf8-0xcfa (the VMM's address port): all ones, with the
         * latch just set to the bridge's register */
        movl    $BRIDGE_BUSES, %eax
        call    cfg_read
        movl    $m_straddle, %esi
        call    puts
        movw    $0xcf7, %dx
        inl     %dx, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        /* qword: long mode (2 MiB pages: the first 2 MiB and the ECAM
         * window's first 2 MiB), then one 8-byte load from 00:03.0's
         * ECAM dword 0 */
        movl    $0x10000, %edi
        movl    $(0x4000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $0x11003, 0x10000       /* PML4[0] -> PDPT */
        movl    $0x12003, 0x11000       /* PDPT[0] -> PD for 0-1 GiB */
        movl    $0x13003, 0x11010       /* PDPT[2] -> PD for 2-3 GiB */
        movl    $0x83, 0x12000          /* 0-2 MiB */
        movl    $(0xb0000000 | 0x9b), 0x13000 + 0x180 * 8 /* ECAM, PCD PWT */
        movl    %cr4, %eax
        orl     $0x20, %eax             /* PAE */
        movl    %eax, %cr4
        movl    $0x10000, %eax
        movl    %eax, %cr3
        movl    $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        orl     $0x100, %eax
        wrmsr
        lgdt    gdt64_desc
        movl    %cr0, %eax
        orl     $0x80000000, %eax
        movl    %eax, %cr0
        ljmp    $0x18, $lm64
        .code64
lm64:
        movl    $m_qword, %esi
        call    puts
        movl    $0xb0018000, %ebx
        movq    (%rbx), %rax            /* REX.W 8b 03 */
        movq    %rax, %rbp
        shrq    $32, %rax
        call    puthex32
        movl    %ebp, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop
        .code32

gp_skip:
        addl    $4, %esp                /* the error code */
        addl    $2, (%esp)
        movl    $0x0bad0bad, %eax
        iret
cfg_read:                               /* config dword EAX -> EAX */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        ret
cfg_write:                              /* config dword EAX <- ECX */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        movl    %ecx, %eax
        outl    %eax, %dx
        ret

unexpected:
        jmp     stop

#include "lib32.inc"

m_bridge: .asciz "PCI-EVIL bridge buses="
m_pciexbar: .asciz "PCI-EVIL pciexbar bar="
m_id:   .asciz  " id="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "PCI-EVIL done\r\n"
pciexbar_old: .long 0
m_qword: .asciz "PCI-EVIL qword ecam="
m_straddle: .asciz "PCI-EVIL straddle="
        .balign 8
gdt64:  .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08 flat code */
        .quad   0x00cf92000000ffff      /* 0x10 flat data */
        .quad   0x00af9a000000ffff      /* 0x18 64-bit code */
gdt64_desc:
        .word   gdt64_desc - gdt64 - 1
        .long   gdt64
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
