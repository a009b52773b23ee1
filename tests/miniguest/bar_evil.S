/* A guest that moves mediated devices' BARs where they must not go, on a
 * q35 machine with the NVMe controller it boots from at 00:04.0, a PIIX3
 * IDE controller at 00:05.0 and an e1000 at 00:03.0 that the VMM conceals:
 *   vmm:  NVMe BAR0 into the VMM region (vmm_addr, patched in by the
 *         scenario at byte 2044: the VMM image's start), then a read there
 *         through the moved registers, BAR0 back, and a read there again;
 *   ecam: NVMe BAR0 onto the e1000's ECAM page and back, then that page
 *         read (the ECAM hook must still hold: ffffffff);
 *   apic: NVMe BAR0 onto the local APIC page and back;
 *   cf8:  IDE BAR4 (bus master, 16 ports) onto 0xcf0-0xcff and back, then
 *         the e1000's ID read through ports 0xcf8/0xcfc (ffffffff);
 *   abar:  the chipset AHCI's BAR5 sized (all ones) with decoding off,
 *         then decoding turned on without writing the address back.
 * For each it prints "BAR-EVIL <name> bar=XXXXXXXX" (the BAR read back
 * just after the bad write) and the reads; a read that faults (#GP)
 * prints 0bad0bad. Ends with "BAR-EVIL done". */
#include "boot32.inc"

#define ECAM_E1000 0xb0018000   /* ECAM page of 00:03.0 */
#define APIC 0xfee00000
#define NVME_BAR0 0x80002010
#define IDE_BAR4 0x80002820
#define E1000_ID 0x80001800
#define AHCI_CMD 0x8000fa04     /* the chipset's AHCI, 00:1f.2 */
#define AHCI_ABAR 0x8000fa24

        .code32
pm32:
        movb    $13, %al
        movl    $gp_skip, %ebx
        call    idt_init
        movl    $NVME_BAR0, %eax
        call    cfg_read
        movl    %eax, nvme_old
        movl    $IDE_BAR4, %eax
        call    cfg_read
        movl    %eax, ide_old

        movl    $m_vmm, %esi            /* vmm */
        movl    vmm_addr, %ecx
        call    nvme_try
        movl    $m_read, %esi
        call    puts
        movl    vmm_addr, %ebx
        call    probe
        call    nvme_back
        movl    $m_again, %esi
        call    puts
        movl    vmm_addr, %ebx
        call    probe
        movl    $m_nl, %esi
        call    puts

        movl    $m_ecam, %esi           /* ecam */
        movl    $ECAM_E1000, %ecx
        call    nvme_try
        call    nvme_back
        movl    $m_read, %esi
        call    puts
        movl    $ECAM_E1000, %ebx
        call    probe
        movl    $m_nl, %esi
        call    puts

        movl    $m_apic, %esi           /* apic */
        movl    $APIC, %ecx
        call    nvme_try
        call    nvme_back
        movl    $m_nl, %esi
        call    puts

        movl    $m_cf8, %esi            /* cf8 */
        call    puts
        movl    $IDE_BAR4, %eax
        movl    $0xcf1, %ecx
        call    cfg_write
        movl    $IDE_BAR4, %eax
        call    cfg_read
        call    puthex32
        movl    $IDE_BAR4, %eax
        movl    ide_old, %ecx
        call    cfg_write
        movl    $m_read, %esi
        call    puts
        movl    $E1000_ID, %eax
        call    cfg_read
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        movl    $m_abar, %esi           /* abar */
        call    puts
        movl    $AHCI_CMD, %eax
        call    cfg_read
        movl    %eax, ahci_cmd
        movl    %eax, %ecx
        andl    $0xfffd, %ecx           /* memory decoding off */
        movl    $AHCI_CMD, %eax
        call    cfg_write
        movl    $AHCI_ABAR, %eax
        call    cfg_read
        movl    %eax, ahci_old
        movl    $AHCI_ABAR, %eax        /* size it */
        movl    $0xffffffff, %ecx
        call    cfg_write
        movl    $AHCI_CMD, %eax         /* decoding back on, BAR5 not restored */
        movl    ahci_cmd, %ecx
        call    cfg_write
        movl    $AHCI_ABAR, %eax
        call    cfg_read
        call    puthex32
        movl    $AHCI_ABAR, %eax        /* as a guest that forgot nothing */
        movl    ahci_old, %ecx
        call    cfg_write
        movl    $m_nl, %esi
        call    puts

        movl    $m_done, %esi
        call    puts
        jmp     stop

/* Prints "BAR-EVIL <ESI> bar=", writes ECX to NVMe BAR0, prints it back. */
nvme_try:
        call    puts
        movl    $NVME_BAR0, %eax
        call    cfg_write
        movl    $NVME_BAR0, %eax
        call    cfg_read
        jmp     puthex32
nvme_back:
        movl    $NVME_BAR0, %eax
        movl    nvme_old, %ecx
        jmp     cfg_write

/* The dword at EBX, printed (0bad0bad if the read faults). */
probe:  movl    (%ebx), %eax            /* 2 bytes: gp_skip skips them */
        jmp     puthex32
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

nvme_old: .long 0
ide_old: .long  0
ahci_cmd: .long 0
ahci_old: .long 0
m_abar: .asciz  "BAR-EVIL abar bar="
m_vmm:  .asciz  "BAR-EVIL vmm bar="
m_ecam: .asciz  "BAR-EVIL ecam bar="
m_apic: .asciz  "BAR-EVIL apic bar="
m_cf8:  .asciz  "BAR-EVIL cf8 bar="
m_read: .asciz  " read="
m_again: .asciz " again="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "BAR-EVIL done\r\n"
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    2044
vmm_addr: .long 0x3de00000
        .org    2048
idt:                                    /* 2 KiB, not part of the image */
