/* conf1_race: two guest CPUs with different 0xcf8 latches (conf1-race
 * scenario; QEMU q35, SVM, 2 CPUs, an e1000 at 00:03.0 the VMM passes
 * through, the chipset's AHCI at 00:1f.2 the VMM mediates; docs/pci.md).
 * The BSP points its latch at the e1000's interrupt line (00:03.0 offset
 * 0x3c, not watched: its data ports pass through), then starts the AP,
 * which points its latch at the AHCI's ABAR (00:1f.2 offset 0x24,
 * watched) and counts itself. The BSP then writes 0x5a through 0xcfc: on
 * hardware with one shared latch, or a VMM that wrote a watched latch to
 * the hardware, that write would land on the mediated AHCI's ABAR behind
 * the VMM's back. The AP then reads 0xcfc (its own latch: the ABAR).
 * Prints
 *   "CONF1-RACE before abar=XXXXXXXX line=XXXXXXXX"
 *   "CONF1-RACE after abar=XXXXXXXX line=XXXXXXXX ap=XXXXXXXX latch=XXXXXXXX off=XXXXXXXX"
 * (the ABAR and the e1000's dword 0x3c read before and after; what the
 * AP read; the BSP's 0xcf8 read back; 0xcfc read with the enable bit
 * clear), then "CONF1-RACE done". */
#include "boot32.inc"

#define AP_CODE 0x20000
#define AP_COUNT 0x21000
#define AP_GO 0x21004
#define AP_READ 0x21008
#define APIC 0xfee00000
#define ABAR_LATCH 0x8000fa24    /* 00:1f.2 offset 0x24 */
#define LINE_LATCH 0x8000183c    /* 00:03.0 offset 0x3c */

        .code32
pm32:
        movl    $0, AP_COUNT
        movl    $0, AP_GO
        movl    $0xdeadbeef, AP_READ
        movl    $ap_code, %esi
        movl    $AP_CODE, %edi
        movl    $(ap_end - ap_code), %ecx
        rep movsb
        movl    APIC + 0xf0, %eax       /* software-enable the APIC */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0

        movl    $m_before, %esi
        call    puts
        movl    $ABAR_LATCH, %eax
        call    cfg_read
        call    puthex32
        movl    $m_line, %esi
        call    puts
        movl    $LINE_LATCH, %eax
        call    cfg_read
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        movl    $LINE_LATCH, %eax       /* the BSP's latch: the e1000 */
        movw    $0xcf8, %dx
        outl    %eax, %dx

        /* the AP: INIT-SIPI; it sets its latch to the ABAR */
        call    start_ap1               /* ap32.inc */
        movl    $400000000, %ecx
1:      cmpl    $1, AP_COUNT
        jae     2f
        pause
        loop    1b
2:
        movw    $0xcfc, %dx             /* through the BSP's own latch */
        movl    $0x0000005a, %eax
        outl    %eax, %dx
        movw    $0xcf8, %dx
        inl     %dx, %eax
        movl    %eax, latch_back
        movl    $1, AP_GO
        movl    $400000000, %ecx
3:      cmpl    $2, AP_COUNT
        jae     4f
        pause
        loop    3b
4:
        movl    $0x0000183c, %eax       /* enable bit clear */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        movl    %eax, off_read

        movl    $m_after, %esi
        call    puts
        movl    $ABAR_LATCH, %eax
        call    cfg_read
        call    puthex32
        movl    $m_line, %esi
        call    puts
        movl    $LINE_LATCH, %eax
        call    cfg_read
        call    puthex32
        movl    $m_ap, %esi
        call    puts
        movl    AP_READ, %eax
        call    puthex32
        movl    $m_latch, %esi
        call    puts
        movl    latch_back, %eax
        call    puthex32
        movl    $m_off, %esi
        call    puts
        movl    off_read, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop

cfg_read:                               /* config dword EAX -> EAX */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        ret

#include "ap32.inc"

unexpected:
        movl    $m_exc, %esi
        call    puts
        jmp     stop

        .code16
ap_code:                                /* at 2000:0000 */
        movl    $ABAR_LATCH, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        lock incl %cs:(AP_COUNT - AP_CODE)
1:      cmpl    $0, %cs:(AP_GO - AP_CODE)
        je      1b
        movw    $0xcfc, %dx
        inl     %dx, %eax
        movl    %eax, %cs:(AP_READ - AP_CODE)
        lock incl %cs:(AP_COUNT - AP_CODE)
2:      cli
        hlt
        jmp     2b
ap_end:
        .code32

#include "lib32.inc"

m_before: .asciz "CONF1-RACE before abar="
m_after: .asciz "CONF1-RACE after abar="
m_line:  .asciz " line="
m_ap:    .asciz " ap="
m_latch: .asciz " latch="
m_off:   .asciz " off="
m_nl:    .asciz "\r\n"
m_done:  .asciz "CONF1-RACE done\r\n"
m_exc:   .asciz "CONF1-RACE unexpected exception\r\n"
        .balign 4
latch_back: .long 0
off_read: .long 0
        .org    2048
idt:
idt_desc:
