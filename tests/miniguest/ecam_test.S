/* A guest that reads each function 00:0D.0 (D = 0-7) of a q35 machine's
 * PCI configuration space both ways: through ports 0xcf8/0xcfc and through
 * ECAM (QEMU q35: 0xb0000000), and prints
 *   ECAM-TEST dev=D port=VVVVVVVV ecam=VVVVVVVV
 * for each, then "ECAM-TEST done". Under Veneer both ways are mediated: a
 * concealed device must read as ffffffff on both, a visible one the same
 * on both. */
#include "boot32.inc"

#define ECAM 0xb0000000

        .code32
pm32:
        xorl    %edi, %edi              /* device number */
1:      movl    $m_dev, %esi
        call    puts
        movl    %edi, %eax
        call    putdec
        movl    $m_port, %esi
        call    puts
        movl    %edi, %eax              /* port read of 00:DD.0 offset 0 */
        shll    $11, %eax
        orl     $0x80000000, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        call    puthex32
        movl    $m_ecam, %esi
        call    puts
        movl    %edi, %ebx              /* ECAM read of the same */
        shll    $15, %ebx
        movl    ECAM(%ebx), %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        incl    %edi
        cmpl    $8, %edi
        jb      1b
        movl    $m_done, %esi
        call    puts
        jmp     stop

unexpected:
        jmp     stop

#include "lib32.inc"

m_dev:  .asciz  "ECAM-TEST dev="
m_port: .asciz  " port="
m_ecam: .asciz  " ecam="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "ECAM-TEST done\r\n"
        .org    2048
idt:
idt_desc:
