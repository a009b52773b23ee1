/* msi_init: a device interrupt message with INIT delivery aimed at an AP
 * that waits in the VMM for its start-up (msi-init scenario; QEMU q35,
 * SVM, 2 CPUs, amd-iommu, an e1000 at 00:05.0; docs/security.md).
 *   dma: the e1000 in PHY loopback receives a packet whose every dword is
 *        0x00000500 (MSI data: INIT, vector 0) into a buffer at
 *        0xfee01000 (MSI address: physical destination APIC ID 1): a DMA
 *        write into the interrupt window is a run of interrupt messages,
 *        one per dword. Prints "MSI-INIT dma tx=.. rx=.." (DD is bit 0).
 *   ap:  then INIT-SIPI to APIC ID 1 through the local APIC (intercepted
 *        by the VMM): the AP, started at 2000:0000, makes a hypercall
 *        (lookup of "version"), stores what it returned and counts itself.
 *        Prints "MSI-INIT ap=<count> hc=<EAX>": under the VMM 1 and the
 *        number of "version"; an AP the INIT took out of the VMM never
 *        runs the guest's code (0, deadbeef).
 * Ends with "MSI-INIT done". */
#define BOOT32_SECTORS 3
#include "boot32.inc"

#define APIC 0xfee00000
#define TXR   0x10000           /* 8 legacy TX descriptors */
#define RXR   0x11000           /* 8 legacy RX descriptors */
#define TXBUF 0x12000           /* the packet of INIT messages */
#define AP_CODE 0x20000
#define AP_COUNT 0x21000
#define AP_HC 0x21004
#define PCI_E1000 0x80002800    /* 00:05.0 */
#define PKT 64
#define MSI_TO_AP1 0xfee01000   /* MSI address: physical, APIC ID 1 */
#define MSI_INIT 0x00000500     /* MSI data: delivery mode INIT (101b) */

        .code32
pm32:
        movl    $m_start, %esi
        call    puts
        movl    $0, AP_COUNT
        movl    $0xdeadbeef, AP_HC
        movl    $ap_code, %esi
        movl    $AP_CODE, %edi
        movl    $(ap_end - ap_code), %ecx
        rep movsb
        movl    APIC + 0xf0, %eax       /* software-enable the APIC */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0

        movl    $PCI_E1000 + 0x10, %eax /* BAR0 */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        andl    $0xfffffff0, %eax
        movl    %eax, bar
        movl    $PCI_E1000 + 0x04, %eax /* memory decoding, bus master */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inw     %dx, %ax
        orw     $0x0006, %ax
        outw    %ax, %dx

        movl    $TXR, %edi              /* rings zeroed */
        movl    $(0x2000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $TXBUF, %edi            /* the packet: INIT messages only */
        movl    $(PKT / 4), %ecx
        movl    $MSI_INIT, %eax
        rep stosl

        movl    bar, %ebx
        movl    $0x04204140, 0x20(%ebx) /* MDIC: PHY 1 reg 0 (BMCR) = loopback, 1000 FD */
        movl    $1000000, %ecx
2:      testl   $0x10000000, 0x20(%ebx) /* MDIC.R */
        jnz     3f
        loop    2b
3:      movl    $RXR, 0x2800(%ebx)      /* RDBAL */
        movl    $0, 0x2804(%ebx)
        movl    $128, 0x2808(%ebx)      /* RDLEN */
        movl    $0, 0x2810(%ebx)        /* RDH */
        movl    $0, 0x2818(%ebx)        /* RDT */
        /* RCTL: EN UPE MPE BAM, 2 KiB buffers, SECRC (no CRC dword: only
         * the packet's INIT dwords are written) */
        movl    $0x0400801a, 0x100(%ebx)
        movl    $TXR, 0x3800(%ebx)      /* TDBAL */
        movl    $0, 0x3804(%ebx)
        movl    $128, 0x3808(%ebx)      /* TDLEN */
        movl    $0, 0x3810(%ebx)        /* TDH */
        movl    $0, 0x3818(%ebx)        /* TDT */
        movl    $0x0000010a, 0x400(%ebx) /* TCTL: EN PSP */
        /* QEMU's e1000 takes nothing for 1 s (virtual time) after an RCTL
         * write: wait 2^33 TSC cycles (a few seconds here) */
        rdtsc
        leal    2(%edx), %esi
6:      rdtsc
        cmpl    %esi, %edx
        jb      6b

        /* dma: descriptor 0 */
        movl    $TXBUF, TXR
        movl    $MSI_TO_AP1, RXR
        movw    $PKT, TXR + 8           /* length */
        movb    $0x0b, TXR + 11         /* cmd: EOP IFCS RS */
        movl    $1, 0x2818(%ebx)        /* RDT: one buffer */
        movl    $1, 0x3818(%ebx)        /* TDT: go */
        movl    $50000000, %ecx
4:      testb   $1, RXR + 12            /* RX DD */
        jnz     5f
        loop    4b
5:      movl    $50000000, %ecx         /* the INIT has reached the AP */
7:      loop    7b
        movl    $m_dma, %esi
        call    puts
        movzbl  TXR + 12, %eax
        call    puthex32
        movl    $m_rxst, %esi
        call    puts
        movzbl  RXR + 12, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        /* ap: INIT-SIPI through the local APIC */
        call    start_ap1               /* ap32.inc */
        movl    $200000000, %ecx
1:      cmpl    $0, AP_COUNT
        jne     2f
        pause
        loop    1b
2:      movl    $m_ap, %esi
        call    puts
        movl    AP_COUNT, %eax
        call    putdec
        movl    $m_hc, %esi
        call    puts
        movl    AP_HC, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movl    $m_done, %esi
        call    puts
        jmp     stop

#include "ap32.inc"

unexpected:
        movl    $m_exc, %esi
        call    puts
        jmp     stop

        .code16
ap_code:                                /* at 2000:0000 */
        movl    $0x56454e00, %eax       /* Veneer's hypercall 0: lookup */
        movl    $0x73726576, %ebx       /* "version" */
        movl    $0x006e6f69, %ecx
        xorl    %edx, %edx
        vmmcall
        movl    %eax, %cs:(AP_HC - AP_CODE)
        lock incl %cs:(AP_COUNT - AP_CODE)
1:      cli
        hlt
        jmp     1b
ap_end:
        .code32

#include "lib32.inc"

m_start: .asciz "MSI-INIT start\r\n"
m_dma:   .asciz "MSI-INIT dma tx="
m_rxst:  .asciz " rx="
m_ap:    .asciz "MSI-INIT ap="
m_hc:    .asciz " hc="
m_nl:    .asciz "\r\n"
m_done:  .asciz "MSI-INIT done\r\n"
m_exc:   .asciz "MSI-INIT unexpected exception\r\n"
        .balign 4
bar:     .long 0
        .org    2048
idt:
idt_desc:
