/* A guest that points string I/O at a device window (common/guest_mem.c
 * must refuse it: the VMM would make the access itself, past every hook),
 * on a q35 machine with the NVMe controller it boots from at 00:04.0 and
 * an ATAPI drive on a PIIX3 IDE controller (its data port 0x1f0 is
 * mediated: the VMM does the guest's INS/OUTS): REP INSW of one word from
 * 0x1f0 into the NVMe controller's command register in ECAM (0xb0020004).
 * Prints "MEM-EVIL ins cmd=XXXXXXXX->XXXXXXXX fault=N" (the command and
 * status dword through ports before and after; fault 1: the guest got
 * #GP), then "MEM-EVIL done". */
#include "boot32.inc"

#define NVME_CMD_ECAM 0xb0020004
#define NVME_CMD_PORT 0x80002004

        .code32
pm32:
        movb    $13, %al
        movl    $gp_skip, %ebx
        call    idt_init
        movl    $m_ins, %esi
        call    puts
        call    cmd_read
        call    puthex32
        movl    $m_arrow, %esi
        call    puts
        movl    $NVME_CMD_ECAM, %edi
        movl    $1, %ecx
        movw    $0x1f0, %dx
        rep insw                        /* 3 bytes: gp_skip skips them */
        call    cmd_read
        call    puthex32
        movl    $m_fault, %esi
        call    puts
        movl    faulted, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop

cmd_read:
        movl    $NVME_CMD_PORT, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        ret
gp_skip:
        addl    $4, %esp                /* the error code */
        addl    $3, (%esp)
        movl    $1, faulted
        iret

unexpected:
        jmp     stop

#include "lib32.inc"

faulted: .long  0
m_ins:  .asciz  "MEM-EVIL ins cmd="
m_arrow: .asciz "->"
m_fault: .asciz " fault="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "MEM-EVIL done\r\n"
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
