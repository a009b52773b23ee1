/* e1000_evil: a guest that aims a bus master's DMA at the VMM region
 * (docs/iommu.md). QEMU's e1000 at 00:05.0 in PHY loopback (every packet
 * it sends it receives itself):
 *   tx-vmm: a packet is sent from the VMM's DMA canary page and received
 *           into guest RAM (a DMA read: the guest would see VMM memory);
 *   rx-vmm: a packet from guest RAM is received into a buffer whose
 *           address is the canary page (a DMA write).
 * Before that it writes 0 to the units' enable registers (VT-d GCMD,
 * AMD-Vi Control) and prints what it reads back ("E1000-EVIL regs ...").
 * The canary's address comes from the selftest_dma hypercall
 * (vmm.selftest=dma), which also has the VMM compare the page at the end.
 * A scenario may patch a bus/devfn into the image at byte 2044
 * (trust_sid): the guest first has the VMM move that function to the
 * trusted domain (selftest_dma 2), where mediated devices live.
 * Prints "E1000-EVIL <test> tx=<TX status> rx=<RX status>" (DD is bit 0),
 * and after each the VMM's count of changed canary bytes, tx-vmm's first
 * 8 bytes received, then "E1000-EVIL done".
 * A scenario may patch a non-zero word at byte 2040 (s3_first): the guest
 * then suspends to RAM (S3) before the attack, as an OS would: its
 * real-mode waking vector in the FACS, SLP_TYP/SLP_EN to PM1a control
 * (both found through the RSDP, RSDT and FADT), "GUEST-S3 suspending"
 * printed; the scenario wakes the machine, the guest comes back at its
 * vector, gives the e1000 its BAR back (the sleep reset its PCI
 * configuration) and attacks: the IOMMU must hold after the wake. */
#define BOOT32_SECTORS 4
#include "boot32.inc"

#define TXR   0x10000           /* 8 legacy TX descriptors */
#define RXR   0x11000           /* 8 legacy RX descriptors */
#define TXBUF 0x12000           /* the packet sent in rx-vmm */
#define RXBUF 0x13000           /* where tx-vmm's packet is received */
#define PCI_E1000 0x80002800    /* 00:05.0 */
#define PKT 64
#define VTD_REGS 0xfed90000     /* QEMU's intel-iommu */
#define AMDVI_REGS 0xfed80000   /* QEMU's amd-iommu */

        .code32
pm32:
        call    hc_init
        movl    $0x666c6573, %ebx       /* "selftest_dma" */
        movl    $0x74736574, %ecx
        movl    $0x616d645f, %edx
        call    hc_lookup
        movl    %eax, hc_dma
        xorl    %ebx, %ebx              /* 0: the canary's address */
        call    hypercall
        testl   %eax, %eax
        jnz     no_canary
        movl    %ebx, canary
        movl    trust_sid, %ecx         /* patched in: trust the e1000 first */
        testl   %ecx, %ecx
        jz      1f
        movl    hc_dma, %eax
        movl    $2, %ebx
        call    hypercall
1:

        movl    $PCI_E1000 + 0x10, %eax /* BAR0 */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        andl    $0xfffffff0, %eax
        movl    %eax, bar
        call    e1000_on
        cmpl    $0, s3_first
        je      1f
        call    s3_cycle
1:

        /* first try to turn the IOMMU off through its registers (QEMU's
         * bases; on a machine without that unit the writes go nowhere):
         * VT-d GCMD = 0 (TE off), AMD-Vi Control = 0 (IommuEn off) */
        movl    $0, VTD_REGS + 0x18
        movl    $0, AMDVI_REGS + 0x18
        movl    $0, AMDVI_REGS + 0x1c
        movl    VTD_REGS + 0x1c, %eax   /* GSTS */
        movl    %eax, gsts
        movl    AMDVI_REGS + 0x18, %eax /* Control */
        movl    %eax, control
        movl    $m_regs, %esi
        call    puts
        movl    gsts, %eax
        call    puthex32
        movl    $m_amdvi, %esi
        call    puts
        movl    control, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        movl    $TXR, %edi              /* rings and buffers zeroed */
        movl    $(0x4000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $TXBUF, %edi            /* broadcast, then "EVIL-DMA"... */
        movl    $0xffffffff, (%edi)
        movw    $0xffff, 4(%edi)
        addl    $6, %edi
        movl    $PKT - 6, %ecx
        xorl    %edx, %edx
1:      movb    evil(%edx), %al
        stosb
        incl    %edx
        andl    $7, %edx
        loop    1b

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
        movl    $0x801a, 0x100(%ebx)    /* RCTL: EN UPE MPE BAM, 2 KiB buffers */
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

        /* tx-vmm: descriptors 0 (first: the canary is as the VMM made it) */
        movl    $RXBUF, RXR
        movl    canary, %eax
        movl    %eax, TXR
        movl    $m_tx_vmm, %esi
        xorl    %ebp, %ebp
        call    send
        movl    $m_data, %esi
        call    puts
        movl    $RXBUF, %esi
        movl    $8, %ecx
        call    putn
        movl    $m_nl, %esi
        call    puts
        call    check
        /* rx-vmm: descriptors 1 */
        movl    canary, %eax
        movl    %eax, RXR + 16
        movl    $TXBUF, TXR + 16
        movl    $m_rx_vmm, %esi
        movl    $1, %ebp
        call    send
        call    check
        movl    $m_done, %esi
        call    puts
        jmp     stop

no_canary:
        movl    $m_no_canary, %esi
        call    puts
        jmp     stop

/* The VMM logs the IOMMU's faults and compares the canary; prints
 * "E1000-EVIL canary changed=<bytes>". */
check:
        pushl   %ebx
        movl    hc_dma, %eax
        movl    $1, %ebx
        call    hypercall
        pushl   %ebx
        movl    $m_changed, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        popl    %ebx
        ret

/* Sends descriptor EBP's packet (PKT bytes) and waits for descriptor
 * EBP's reception, bounded; prints "E1000-EVIL <ESI> tx=.. rx=..". */
send:
        pushl   %esi
        movl    %ebp, %edi
        shll    $4, %edi
        movw    $PKT, TXR + 8(%edi)     /* length */
        movb    $0x0b, TXR + 11(%edi)   /* cmd: EOP IFCS RS */
        leal    1(%ebp), %eax
        movl    %eax, 0x2818(%ebx)      /* RDT: one more buffer */
        movl    %eax, 0x3818(%ebx)      /* TDT: go */
        movl    $50000000, %ecx
4:      testb   $1, RXR + 12(%edi)      /* RX DD */
        jnz     5f
        loop    4b
5:      movl    $m_test, %esi
        call    puts
        popl    %esi
        call    puts
        movl    $m_tx, %esi
        call    puts
        movzbl  TXR + 12(%edi), %eax
        call    puthex32
        movl    $m_rxst, %esi
        call    puts
        movzbl  RXR + 12(%edi), %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        ret

#include "lib32.inc"

m_test:      .asciz "E1000-EVIL "
m_regs:      .asciz "E1000-EVIL regs vtd-gsts="
m_amdvi:     .asciz " amdvi-control="
m_rx_vmm:    .asciz "rx-vmm"
m_tx_vmm:    .asciz "tx-vmm"
m_tx:        .asciz " tx="
m_rxst:      .asciz " rx="
m_data:      .asciz "E1000-EVIL tx-vmm data="
m_changed:   .asciz "E1000-EVIL canary changed="
m_nl:        .asciz "\r\n"
m_done:      .asciz "E1000-EVIL done\r\n"
m_no_canary: .asciz "E1000-EVIL no canary (vmm.selftest=dma?)\r\n"
        .balign 4
bar:     .long 0
canary:  .long 0
hc_dma:  .long 0
gsts:    .long 0
control: .long 0
evil:    .ascii "EVIL-DMA"

unexpected:
        jmp     stop
        .org    2040
s3_first:  .long 0                      /* non-zero: an S3 cycle first */
trust_sid: .long 0                      /* bus << 8 | devfn, or 0 */

/* ---- the S3 cycle (sector 4) ------------------------------------------- */
s3_cycle:
        movl    $0xe0000, %esi          /* "RSD PTR " on a 16-byte boundary */
1:      cmpl    $0x20445352, (%esi)
        jne     2f
        cmpl    $0x20525450, 4(%esi)
        je      3f
2:      addl    $16, %esi
        cmpl    $0x100000, %esi
        jb      1b
        jmp     s3_fail
3:      movl    16(%esi), %esi          /* the RSDT: its entries from byte 36 */
        movl    4(%esi), %ecx
        subl    $36, %ecx
        shrl    $2, %ecx
        jz      s3_fail
        leal    36(%esi), %edi
4:      movl    (%edi), %eax
        cmpl    $0x50434146, (%eax)     /* "FACP" */
        je      5f
        addl    $4, %edi
        loop    4b
        jmp     s3_fail
5:      movl    36(%eax), %edx          /* FIRMWARE_CTRL: the FACS */
        movl    $s3_wake16, 12(%edx)    /* Firmware_Waking_Vector, real mode */
        movl    64(%eax), %edx          /* PM1a_CNT_BLK */
        movl    %edx, pm1a
        movl    %esp, s3_esp
        movl    $m_s3, %esi
        call    puts
        wbinvd
        movl    pm1a, %edx
        inw     %dx, %ax
        andw    $0xe3ff, %ax
        /* SLP_TYP 1: QEMU's \_S3 (the VMM logs it: "S3=1/1"), SLP_EN */
        orw     $(1 << 10 | 1 << 13), %ax
        outw    %ax, %dx
        movl    $200000000, %ecx        /* the sleep may take a moment */
6:      loop    6b
s3_fail:
        movl    $m_s3_fail, %esi
        call    puts
        jmp     stop

        .code16
s3_wake16:                              /* CS:IP = vector >> 4 : vector & 15 */
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        lgdtl   gdt_desc
        movl    %cr0, %eax
        orb     $1, %al
        movl    %eax, %cr0
        ljmpl   $0x08, $s3_wake32
        .code32
s3_wake32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    s3_esp, %esp
        call    uart_init               /* reset by the sleep, as the e1000 */
        movl    $m_s3_back, %esi
        call    puts
        movl    $PCI_E1000 + 0x10, %eax /* BAR0 as before the sleep */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        movl    bar, %eax
        outl    %eax, %dx
        jmp     e1000_on

/* The e1000's memory decoding and bus mastering on. */
e1000_on:
        movl    $PCI_E1000 + 0x04, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inw     %dx, %ax
        orw     $0x0006, %ax
        outw    %ax, %dx
        ret

m_s3:      .asciz "GUEST-S3 suspending\r\n"
m_s3_back: .asciz "E1000-EVIL resumed from S3\r\n"
m_s3_fail: .asciz "E1000-EVIL S3 did not happen (no FADT, or the request was dropped)\r\n"
        .balign 4
pm1a:    .long 0
s3_esp:  .long 0
        .org    2560
idt:
idt_desc:
