/* Start-up signals from a guest with two CPUs (smp-init scenario):
 *   A: INIT + SIPI (vector 0x10) to APIC ID 1: the AP runs the code at
 *      0x10000 (past this guest), which counts itself at 0x11000 and halts;
 *      prints "SMPI-TEST ap=N" (N: the count, 1 expected);
 *   B: INIT to APIC ID 9, which no CPU has: "SMPI-TEST absent done";
 *   D: writes its APIC ID, an LVT (LINT0) and the IOAPIC's pin 20 with
 *      delivery mode INIT and prints what reads back: "SMPI-TEST
 *      id=XXXXXXXX lint0=XXXXXXXX rte20=XXXXXXXX" (under Veneer: the ID
 *      unchanged, LINT0 and the pin masked);
 *   C: INIT to APIC ID 0, the boot CPU itself: under Veneer the machine
 *      resets; "SMPI-TEST after-init" must never be printed.
 * The xAPIC's ICR is polled with TEST (an instruction Veneer's MMIO
 * decoder has to know). */
#include "boot32.inc"

#define APIC 0xfee00000
#define IOAPIC 0xfec00000
#define AP_CODE 0x10000
#define AP_COUNT 0x11000

        .code32
pm32:
        movl    $m_start, %esi
        call    puts
        movl    $0, AP_COUNT
        movl    $ap_code, %esi
        movl    $AP_CODE, %edi
        movl    $(ap_end - ap_code), %ecx
        rep movsb
        movl    APIC + 0xf0, %eax       /* software-enable the APIC */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0

        /* A */
        call    start_ap1               /* ap32.inc */
        movl    $200000000, %ecx
1:      cmpl    $0, AP_COUNT
        jne     2f
        pause
        loop    1b
2:      movl    $50000000, %ecx         /* a late second start would show */
3:      loop    3b
        movl    $m_ap, %esi
        call    puts
        movl    AP_COUNT, %eax
        call    putdec
        movl    $m_nl, %esi
        call    puts

        /* B */
        movl    $0x09000000, APIC + 0x310
        movl    $0x0000c500, APIC + 0x300
        call    wait_icr
        movl    $m_absent, %esi
        call    puts

        /* D: the APIC ID and an LVT with delivery mode INIT (LINT0) */
        movl    APIC + 0x20, %eax
        xorl    $0x05000000, %eax
        movl    %eax, APIC + 0x20
        movl    APIC + 0x20, %eax
        movl    %eax, id_read
        movl    APIC + 0x350, %eax
        movl    %eax, lint0_saved
        movl    $0x00000500, APIC + 0x350       /* INIT, not masked */
        movl    APIC + 0x350, %eax
        movl    %eax, lint0_read
        movl    lint0_saved, %eax
        movl    %eax, APIC + 0x350
        movl    $0x10 + 2 * 20, IOAPIC          /* pin 20, low dword */
        movl    IOAPIC + 0x10, %eax
        movl    %eax, rte_saved
        movl    $0x00000500, IOAPIC + 0x10      /* INIT, not masked */
        movl    IOAPIC + 0x10, %eax
        movl    %eax, rte_read
        movl    rte_saved, %eax
        movl    %eax, IOAPIC + 0x10
        movl    $m_id, %esi
        call    puts
        movl    id_read, %eax
        call    puthex32
        movl    $m_lint0, %esi
        call    puts
        movl    lint0_read, %eax
        call    puthex32
        movl    $m_rte, %esi
        call    puts
        movl    rte_read, %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts

        /* C */
        movl    APIC + 0x20, %eax       /* our own APIC ID */
        andl    $0xff000000, %eax
        movl    %eax, APIC + 0x310
        movl    $0x0000c500, APIC + 0x300
        call    wait_icr
        movl    $100000000, %ecx
4:      loop    4b
        movl    $m_after, %esi
        call    puts
        jmp     stop

#include "ap32.inc"

unexpected:
        movl    $m_exc, %esi
        call    puts
        jmp     stop

        .code16
ap_code:                                /* at 1000:0000 */
        lock incl %cs:(AP_COUNT - AP_CODE)
1:      cli
        hlt
        jmp     1b
ap_end:
        .code32

#include "lib32.inc"

m_start:  .asciz "SMPI-TEST start\r\n"
m_ap:     .asciz "SMPI-TEST ap="
m_nl:     .asciz "\r\n"
m_id:   .asciz  "SMPI-TEST id="
m_lint0: .asciz " lint0="
m_rte:  .asciz " rte20="
        .balign 4
lint0_saved: .long 0
rte_saved: .long 0
rte_read: .long 0
lint0_read: .long 0
id_read: .long 0
m_absent: .asciz "SMPI-TEST absent done\r\n"
m_after:  .asciz "SMPI-TEST after-init\r\n"
m_exc:    .asciz "SMPI-TEST unexpected exception\r\n"
        .org    2048
idt:
idt_desc:
