/* A guest that tries to take PCI config space out of the VMM's sight on
 * a q35 machine with e1000s the VMM conceals at 00:03.0 and 01:01.0
 * (behind a PCI bridge at 00:06.0, secondary bus 1):
 *   bridge:    renumbers the bridge's buses to 5 and reads 05:01.0's ID;
 *   pciexbar:  moves ECAM to 0xd0000000 (the host bridge's PCIEXBAR,
 *              00:00.0 offset 0x60) and reads 00:03.0's ID through it.
 * Prints "PCI-EVIL bridge buses=XXXXXXXX id=XXXXXXXX" and "PCI-EVIL
 * pciexbar bar=XXXXXXXX id=XXXXXXXX" (the register read back after the
 * write, then the concealed device's ID: ffffffff while it stays
 * concealed; 0bad0bad: the read faulted), then "PCI-EVIL done". */
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

        movl    $m_done, %esi
        call    puts
        jmp     stop

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
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
