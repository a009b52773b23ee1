/* e1000_share_evil: a guest that aims the shared e1000 (vmm.net=share,
 * docs/network.md) at the VMM region and feeds it malformed descriptors.
 * QEMU's e1000 at 00:05.0 on user networking; the guest is 10.0.2.15
 * (52:54:00:12:34:56) without DHCP and talks to slirp (10.0.2.2,
 * 52:55:0a:00:02:02) only. The canary page's address comes from the
 * selftest_dma hypercall (vmm.selftest=dma), which also has the VMM
 * compare the page ("SHARE-EVIL canary changed=N" after each test).
 * A scenario patches the host's UDP port, big-endian, at byte 3576.
 *   good:        a UDP datagram "VENEER-GOOD!..." to 10.0.2.2:PORT from two
 *                descriptors in guest RAM (the control: it reaches the host);
 *   tx-vmm:      the same header, the payload descriptor aimed at the
 *                canary (a read of VMM memory onto the wire);
 *   malformed:   descriptors of length 0, of 5000 bytes, at the local APIC
 *                (0xfee00000), above RAM (4 GiB) and of no known type;
 *   tx-ring-vmm: the TX ring's base at the canary;
 *   rx-vmm:      an ARP request to slirp, the reply's RX buffer the canary
 *                (a write into VMM memory);
 *   rx-good:     the same with a buffer in guest RAM (the control);
 *   rx-ring-vmm: the RX ring's base at the canary.
 * Each prints "SHARE-EVIL <test> ..." with the descriptor status (DD is
 * bit 0; RX errors: RXE is bit 7; the RX tests add the status of the
 * ARP request's TX descriptor), then "SHARE-EVIL done". The guest
 * reads ICR while it waits, as a driver's interrupt handler would: the
 * VMM moves frames between its rings and the guest's there. */
#define BOOT32_SECTORS 6
#include "boot32.inc"

#define TXR   0x10000           /* 16 TX descriptors */
#define RXR   0x11000           /* 8 RX descriptors */
#define HDR   0x12000           /* Ethernet + IPv4 + UDP header, 42 bytes */
#define PAY   0x12100           /* 64 bytes of payload */
#define ARP   0x12200           /* an ARP request for 10.0.2.2, 42 bytes */
#define RXBUF0 0x13000
#define RXBUF1 0x13800
#define PCI_E1000 0x80002800    /* 00:05.0 */

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

        movl    $TXR, %edi              /* rings and buffers zeroed */
        movl    $(0x4000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $hdr_tmpl, %esi         /* the frames */
        movl    $HDR, %edi
        movl    $42, %ecx
        rep movsb
        movw    udp_port, %ax
        movw    %ax, HDR + 36
        movl    $PAY, %edi
        movl    $8, %edx
1:      movl    $good_tmpl, %esi
        movl    $8, %ecx
        rep movsb
        decl    %edx
        jnz     1b
        movl    $arp_tmpl, %esi
        movl    $ARP, %edi
        movl    $42, %ecx
        rep movsb

        movl    bar, %ebx
        movl    (%ebx), %eax            /* CTRL.SLU: link up, as a driver sets it */
        orl     $0x40, %eax
        movl    %eax, (%ebx)
        movl    $RXR, 0x2800(%ebx)      /* RDBAL */
        movl    $0, 0x2804(%ebx)
        movl    $128, 0x2808(%ebx)      /* RDLEN: 8 */
        movl    $0, 0x2810(%ebx)        /* RDH */
        movl    $0, 0x2818(%ebx)        /* RDT: no buffer yet */
        movl    $0x04008002, 0x100(%ebx) /* RCTL: EN BAM SECRC, 2 KiB buffers */
        movl    $TXR, 0x3800(%ebx)      /* TDBAL */
        movl    $0, 0x3804(%ebx)
        movl    $256, 0x3808(%ebx)      /* TDLEN: 16 */
        movl    $0, 0x3810(%ebx)        /* TDH */
        movl    $0, 0x3818(%ebx)        /* TDT */
        movl    $0x0000010a, 0x400(%ebx) /* TCTL: EN PSP */
        /* QEMU's e1000 takes nothing for a while after an RCTL write and
         * the link may still be coming up: 2^33 TSC cycles */
        rdtsc
        leal    2(%edx), %esi
6:      rdtsc
        cmpl    %esi, %edx
        jb      6b

        /* good: descriptors 0 (header) and 1 (payload, EOP) */
        movl    $HDR, TXR
        movw    $42, TXR + 8
        movb    $0x0a, TXR + 11         /* IFCS RS */
        movl    $PAY, TXR + 16
        movw    $64, TXR + 16 + 8
        movb    $0x0b, TXR + 16 + 11    /* EOP IFCS RS */
        movl    $2, %eax
        movl    $TXR + 16 + 12, %esi
        call    kick_tx
        movl    $m_good, %esi
        call    report

        /* tx-vmm: descriptors 2 (header) and 3 (the canary, EOP) */
        movl    $HDR, TXR + 32
        movw    $42, TXR + 32 + 8
        movb    $0x0a, TXR + 32 + 11
        movl    canary, %eax
        movl    %eax, TXR + 48
        movw    $64, TXR + 48 + 8
        movb    $0x0b, TXR + 48 + 11
        movl    $4, %eax
        movl    $TXR + 48 + 12, %esi
        call    kick_tx
        movl    $m_tx_vmm, %esi
        call    report
        call    check

        /* malformed: descriptors 4-8, one packet each */
        movl    $PAY, TXR + 64          /* 4: length 0 */
        movw    $0, TXR + 64 + 8
        movb    $0x0b, TXR + 64 + 11
        movl    $PAY, TXR + 80          /* 5: 5000 bytes */
        movw    $5000, TXR + 80 + 8
        movb    $0x0b, TXR + 80 + 11
        movl    $0xfee00000, TXR + 96   /* 6: the local APIC */
        movw    $64, TXR + 96 + 8
        movb    $0x0b, TXR + 96 + 11
        movl    $0, TXR + 112           /* 7: 4 GiB, above RAM */
        movl    $1, TXR + 112 + 4
        movw    $64, TXR + 112 + 8
        movb    $0x0b, TXR + 112 + 11
        movl    $PAY, TXR + 128         /* 8: extended, type 15 */
        movw    $64, TXR + 128 + 8
        movb    $0xf0, TXR + 128 + 10
        movb    $0x2b, TXR + 128 + 11   /* DEXT EOP IFCS RS */
        movl    $9, %eax
        movl    $TXR + 128 + 12, %esi
        call    kick_tx
        movl    $m_malformed, %esi
        call    report
        movl    $m_statuses, %esi       /* 4-7 completed too */
        call    puts
        movl    TXR + 64 + 12, %eax
        andl    $0xff, %eax
        movzbl  TXR + 80 + 12, %ecx
        shll    $8, %ecx
        orl     %ecx, %eax
        movzbl  TXR + 96 + 12, %ecx
        shll    $16, %ecx
        orl     %ecx, %eax
        movzbl  TXR + 112 + 12, %ecx
        shll    $24, %ecx
        orl     %ecx, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        /* tx-ring-vmm: the ring at the canary, one descriptor offered */
        movl    canary, %eax
        movl    %eax, 0x3800(%ebx)
        movl    $0, 0x3810(%ebx)
        movl    $1, 0x3818(%ebx)
        call    spin_icr
        movl    $TXR, 0x3800(%ebx)      /* back, empty */
        movl    $0, 0x3810(%ebx)
        movl    $0, 0x3818(%ebx)
        movl    $m_tx_ring, %esi
        call    puts
        call    check

        /* rx-vmm: RX descriptor 0's buffer is the canary, 1's guest RAM */
        movl    canary, %eax
        movl    %eax, RXR
        movl    $RXBUF1, RXR + 16
        movl    $1, 0x2818(%ebx)        /* RDT: descriptor 0 offered */
        movl    $RXR + 12, %esi
        call    arp
        movl    $m_rx_vmm, %esi
        movl    $RXR, %edi
        call    report_rx
        call    check
        /* rx-good */
        movl    $2, 0x2818(%ebx)        /* RDT: descriptor 1 offered */
        movl    $RXR + 16 + 12, %esi
        call    arp
        movl    $m_rx_good, %esi
        movl    $RXR + 16, %edi
        call    report_rx
        movl    $m_type, %esi
        call    puts
        movzwl  RXBUF1 + 12, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        /* rx-ring-vmm: the RX ring at the canary, two descriptors offered */
        movl    canary, %eax
        movl    %eax, 0x2800(%ebx)
        movl    $0, 0x2810(%ebx)
        movl    $2, 0x2818(%ebx)
        movl    $RXR + 32 + 12, %esi    /* never set: the wait runs out */
        call    arp
        movl    $m_rx_ring, %esi
        call    puts
        call    check
        movl    $m_done, %esi
        call    puts
        jmp     stop

no_canary:
        movl    $m_no_canary, %esi
        call    puts
        jmp     stop

/* TDT = EAX, then waits (reading ICR) for bit 0 of the byte at ESI. */
kick_tx:
        andl    $15, %eax
        movl    %eax, 0x3818(%ebx)
        jmp     wait_dd

/* An ARP request from the next TX descriptor (kept in arp_next), then
 * waits for bit 0 of the byte at ESI. */
arp:
        pushl   %esi
        movl    arp_next, %eax
        movl    %eax, %edi
        shll    $4, %edi
        movl    $ARP, TXR(%edi)
        movl    $0, TXR + 4(%edi)
        movw    $42, TXR + 8(%edi)
        movb    $0, TXR + 10(%edi)
        movb    $0x0b, TXR + 11(%edi)
        movb    $0, TXR + 12(%edi)
        incl    %eax
        movl    %eax, arp_next
        movl    %eax, 0x3818(%ebx)
        popl    %esi
        /* fall through */

/* Reads ICR until bit 0 of the byte at ESI is set or 2^32 TSC cycles
 * pass; EAX = that byte. */
wait_dd:
        rdtsc
        leal    1(%edx), %edi
1:      movl    0xc0(%ebx), %eax        /* ICR */
        testb   $1, (%esi)
        jnz     2f
        rdtsc
        cmpl    %edi, %edx
        jb      1b
2:      movzbl  (%esi), %eax
        ret

/* Reads ICR for 2^32 TSC cycles. */
spin_icr:
        rdtsc
        leal    1(%edx), %edi
1:      movl    0xc0(%ebx), %ecx
        rdtsc
        cmpl    %edi, %edx
        jb      1b
        ret

/* "SHARE-EVIL <ESI> tx=<EAX>" */
report:
        pushl   %eax
        pushl   %esi
        movl    $m_test, %esi
        call    puts
        popl    %esi
        call    puts
        movl    $m_tx, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        ret

/* "SHARE-EVIL <ESI> rx=<status> err=<errors> len=<length>" of the RX
 * descriptor at EDI */
report_rx:
        pushl   %esi
        movl    $m_test, %esi
        call    puts
        popl    %esi
        call    puts
        movl    $m_rx, %esi
        call    puts
        movzbl  12(%edi), %eax
        call    puthex32
        movl    $m_err, %esi
        call    puts
        movzbl  13(%edi), %eax
        call    puthex32
        movl    $m_len, %esi
        call    puts
        movzwl  8(%edi), %eax
        call    puthex32
        movl    $m_arp, %esi            /* the ARP request's TX status */
        call    puts
        movl    arp_next, %eax
        decl    %eax
        shll    $4, %eax
        movzbl  TXR + 12(%eax), %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        ret

/* The VMM compares the canary: "SHARE-EVIL canary changed=<bytes>". */
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

#include "lib32.inc"

hdr_tmpl:
        .byte   0x52, 0x55, 0x0a, 0x00, 0x02, 0x02   /* slirp */
        .byte   0x52, 0x54, 0x00, 0x12, 0x34, 0x56   /* the guest */
        .byte   0x08, 0x00
        .byte   0x45, 0x00, 0x00, 92, 0x12, 0x34, 0x00, 0x00
        .byte   64, 17, 0x50, 0x4d                   /* UDP, header checksum */
        .byte   10, 0, 2, 15, 10, 0, 2, 2
        .byte   0x30, 0x39, 0, 0, 0x00, 72, 0x00, 0x00 /* ports, length, no checksum */
arp_tmpl:
        .byte   0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        .byte   0x52, 0x54, 0x00, 0x12, 0x34, 0x56
        .byte   0x08, 0x06
        .byte   0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01
        .byte   0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 2, 15
        .byte   0, 0, 0, 0, 0, 0, 10, 0, 2, 2
good_tmpl:   .ascii "VENEER-G"
m_test:      .asciz "SHARE-EVIL "
m_good:      .asciz "good"
m_tx_vmm:    .asciz "tx-vmm"
m_malformed: .asciz "malformed"
m_statuses:  .asciz "SHARE-EVIL malformed 4-7 statuses="
m_tx_ring:   .asciz "SHARE-EVIL tx-ring-vmm offered\r\n"
m_rx_vmm:    .asciz "rx-vmm"
m_rx_good:   .asciz "rx-good"
m_rx_ring:   .asciz "SHARE-EVIL rx-ring-vmm offered\r\n"
m_tx:        .asciz " tx="
m_rx:        .asciz " rx="
m_err:       .asciz " err="
m_len:       .asciz " len="
m_arp:       .asciz " arp-tx="
m_type:      .asciz "SHARE-EVIL rx-good ethertype="
m_changed:   .asciz "SHARE-EVIL canary changed="
m_nl:        .asciz "\r\n"
m_done:      .asciz "SHARE-EVIL done\r\n"
m_no_canary: .asciz "SHARE-EVIL no canary (vmm.selftest=dma?)\r\n"
        .balign 4
bar:      .long 0
canary:   .long 0
hc_dma:   .long 0
arp_next: .long 0

unexpected:
        jmp     stop
        .org    3576
udp_port: .byte 0x9c, 0x55              /* 40021 unless patched */
        .org    3584
idt:
idt_desc:
