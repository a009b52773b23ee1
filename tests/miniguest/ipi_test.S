/* Fixed IPIs between two CPUs, right from the AP's start (smp-ipi
 * scenario, issue 18 item 5: an AP started by the guest that never ran).
 * ROUNDS times:
 *   1. INIT to APIC ID 1; the first round finds the AP waiting since
 *      boot, the others find it halted in its own code (cli; hlt), so a
 *      running AP is stopped too;
 *   2. odd rounds: INIT de-assert, and while the AP is between INIT and
 *      SIPI, an IPI (vector 0x42) to it; even rounds: nothing, not even
 *      an ICR poll, so that the SIPI comes while the AP applies the INIT;
 *   3. SIPI (vector 0x10: the AP runs 1000:0000, copied from ap_code,
 *      which counts its first instruction at AP_ALIVE, goes to protected
 *      mode and joins `exchange`);
 *   4. an IPI (0x43) right after the SIPI, before the AP can have run;
 *      then, as soon as the AP's first instruction ran (before it has an
 *      IDT or an enabled APIC), both CPUs run `exchange`: COUNT
 *      times, an IPI to the other CPU (vector 0x40) and one to itself
 *      (0x41, shorthand self), each time waiting until both have arrived
 *      before the next (an IPI of a vector already pending merges with
 *      it, on hardware as well). The boot CPU's first IPI reaches the AP
 *      before it is ready: it waits in the AP's IRR.
 *   5. the boot CPU waits for the AP's "done" and checks the round's
 *      counts: each CPU got COUNT of 0x40 and COUNT of 0x41, the boot CPU
 *      no 0x42 or 0x43, the AP at most one of each (bare QEMU applies INIT
 *      on the AP's own thread, after or before them, and its APIC reset
 *      wipes what came before; under Veneer the INIT never reaches the
 *      APIC and they always arrive), and no NMI on either.
 * Every wait is a bounded spin: what has not come when it ends fails the
 * test, with the round and the step named. Prints one line
 *   IPI-TEST rounds=R/64 bsp=N/N ap=N/N self=N/N early=E/32 late=L/64
 *   nmi=0 PASS|FAIL
 * (bsp: 0x40 the boot CPU got / sent to it; ap: the same for the AP; self:
 * 0x41 both got / sent; early: 0x42 the AP got / sent; late: 0x43) and
 * stops. The ICR's delivery status is polled after each send except in
 * step 2 of even rounds (QEMU's and Bochs' APICs are never busy). */
#define BOOT32_SECTORS 5
#include "boot32.inc"

#define APIC 0xfee00000
#define AP_CODE 0x10000
#define AP_ALIVE 0x11000          /* the AP's first instruction counts */
#define AP_STACK 0x6000
#define ROUNDS 64
#define COUNT 8
#define SPIN 0xc0000000         /* iterations before a wait gives up */

        .code32
pm32:
        movl    $m_start, %esi
        call    puts
        movb    $2, %al                 /* vector 2: count NMIs */
        movl    $nmi_handler, %ebx
        call    idt_init
        movl    $0x40, %eax
        movl    $ipi_handler40, %ebx
        call    set_gate
        movl    $0x41, %eax
        movl    $ipi_handler41, %ebx
        call    set_gate
        movl    $0x42, %eax
        movl    $ipi_handler42, %ebx
        call    set_gate
        movl    $0x43, %eax
        movl    $ipi_handler43, %ebx
        call    set_gate
        movl    $0xff, %eax             /* the spurious vector */
        movl    $spurious, %ebx
        call    set_gate
        movl    $ap_code, %esi
        movl    $AP_CODE, %edi
        movl    $(ap_end - ap_code), %ecx
        rep movsb
        movb    $0xff, %al              /* the PICs: no timer, no device */
        outb    %al, $0x21
        outb    %al, $0xa1
        call    apic_on
        sti

round:
        incl    rounds
        movl    $0, ap_done
        movl    $0, AP_ALIVE
        movl    $m_step_start, step + 4
        /* 1: INIT */
        movl    $0x01000000, APIC + 0x310
        movl    $0x0000c500, APIC + 0x300       /* INIT, level, assert */
        testl   $1, rounds
        jz      14f                     /* even rounds: SIPI right behind */
        call    wait_icr
        movl    $0x01000000, APIC + 0x310
        movl    $0x00008500, APIC + 0x300       /* INIT, level, de-assert */
        call    wait_icr
        /* 2: an IPI to a CPU between INIT and SIPI */
        movl    $0x01000000, APIC + 0x310
        movl    $0x00004042, APIC + 0x300       /* fixed, vector 0x42 */
        call    wait_icr
        /* 3: SIPI */
14:     movl    $0x01000000, APIC + 0x310
        movl    $0x00004600 + (AP_CODE >> 12), APIC + 0x300
        call    wait_icr
        /* 4: at once, an IPI (0x43) before the AP can have run a thing */
        movl    $0x01000000, APIC + 0x310
        movl    $0x00004043, APIC + 0x300
        call    wait_icr
        /* 5: the AP's first instruction, then the exchange */
        movl    $m_step_alive, step
        movl    $SPIN, %ecx
12:     cmpl    $0, AP_ALIVE
        jne     13f
        loop    12b
        jmp     fail
13:     movl    $1, %ebp                /* the other CPU's APIC ID */
        call    exchange
        /* 5: the AP's end of it, then the round's counts */
        movl    $m_step_done, step
        movl    $SPIN, %ecx
1:      cmpl    $0, ap_done
        jne     2f
        loop    1b
        jmp     fail
2:      movl    $m_step_counts, step
        movl    got + 0 * 16 + 0, %eax  /* CPU 0, vector 0x40 */
        addl    %eax, sum_bsp
        movl    got + 1 * 16 + 0, %eax  /* CPU 1, vector 0x40 */
        addl    %eax, sum_ap
        movl    got + 0 * 16 + 4, %eax  /* 0x41 */
        addl    got + 1 * 16 + 4, %eax
        addl    %eax, sum_self
        movl    got + 1 * 16 + 8, %eax  /* 0x42 */
        addl    %eax, sum_early
        movl    got + 1 * 16 + 12, %eax /* 0x43 */
        addl    %eax, sum_late
        cmpl    $COUNT, got + 0 * 16 + 0
        jne     fail
        cmpl    $COUNT, got + 1 * 16 + 0
        jne     fail
        cmpl    $COUNT, got + 0 * 16 + 4
        jne     fail
        cmpl    $COUNT, got + 1 * 16 + 4
        jne     fail
        cmpl    $0, got + 0 * 16 + 8
        jne     fail
        cmpl    $1, got + 1 * 16 + 8
        ja      fail
        cmpl    $0, got + 0 * 16 + 12
        jne     fail
        cmpl    $1, got + 1 * 16 + 12
        ja      fail
        cmpl    $0, nmis
        jne     fail
        /* the AP is halted with interrupts off: nothing more can come */
        movl    $got, %edi
        movl    $8, %ecx
        xorl    %eax, %eax
        rep stosl
        cmpl    $ROUNDS, rounds
        jb      round
        movl    $m_pass, %esi
        jmp     verdict

fail:   movl    $m_fail_in, %esi
        call    puts
        movl    rounds, %eax
        call    putdec
        movl    $m_colon, %esi
        call    puts
        movl    step, %esi
        call    puts
        cmpl    $0, ap_done
        jne     11f
        movl    $m_ap_at, %esi
        call    puts
        movl    step + 4, %esi
        call    puts
11:     movl    $m_nl, %esi
        call    puts
        movl    $m_fail, %esi
verdict:
        pushl   %esi
        movl    $m_head, %esi
        call    puts
        movl    rounds, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    $ROUNDS, %eax
        call    putdec
        movl    $m_bsp, %esi
        call    puts
        movl    sum_bsp, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    rounds, %eax
        imull   $COUNT, %eax
        call    putdec
        movl    $m_ap, %esi
        call    puts
        movl    sum_ap, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    rounds, %eax
        imull   $COUNT, %eax
        call    putdec
        movl    $m_self, %esi
        call    puts
        movl    sum_self, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    rounds, %eax
        imull   $2 * COUNT, %eax
        call    putdec
        movl    $m_early, %esi
        call    puts
        movl    sum_early, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    $ROUNDS / 2, %eax
        call    putdec
        movl    $m_late, %esi
        call    puts
        movl    sum_late, %eax
        call    putdec
        movl    $m_slash, %esi
        call    puts
        movl    $ROUNDS, %eax
        call    putdec
        movl    $m_nmi, %esi
        call    puts
        movl    nmis, %eax
        call    putdec
        popl    %esi
        call    puts
        jmp     stop

/* Both CPUs: EBP = the other CPU's APIC ID, EBX = our own. COUNT times: an
 * IPI to the other (0x40) and to ourselves (0x41), then wait until both
 * arrived. Jumps to `fail` (boot CPU) or stays halted (AP) when one never
 * does. */
exchange:
        call    my_id
        movl    %eax, %ebx
        xorl    %edi, %edi              /* IPIs sent so far */
3:      incl    %edi
        movl    %ebp, %eax
        shll    $24, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004040, APIC + 0x300       /* fixed 0x40 to the other */
        call    wait_icr
        movl    $0x00044041, APIC + 0x300       /* fixed 0x41, to self */
        call    wait_icr
        movl    %ebx, %eax
        shll    $4, %eax
        movl    $m_step_self, step(,%ebx,4)
        movl    $SPIN, %ecx
4:      cmpl    %edi, got + 4(%eax)     /* our 0x41 */
        jae     5f
        loop    4b
        jmp     exchange_fail
5:      movl    %ebp, %eax
        shll    $4, %eax
        movl    $m_step_other, step(,%ebx,4)
        movl    $SPIN, %ecx
6:      cmpl    %edi, got(%eax)         /* the other's 0x40 */
        jae     7f
        loop    6b
        jmp     exchange_fail
7:      cmpl    $COUNT, %edi
        jb      3b
        movl    %ebx, %eax              /* and all of the other's to us */
        shll    $4, %eax
        movl    $m_step_mine, step(,%ebx,4)
        movl    $SPIN, %ecx
8:      cmpl    $COUNT, got(%eax)
        jae     9f
        loop    8b
        jmp     exchange_fail
9:      ret
exchange_fail:
        testl   %ebx, %ebx
        jz      fail
10:     cli                             /* the AP: the boot CPU reports */
        hlt
        jmp     10b

/* EAX = this CPU's APIC ID (0 or 1) */
my_id:  movl    APIC + 0x20, %eax
        shrl    $24, %eax
        andl    $1, %eax
        ret

/* software-enable the APIC (spurious vector 0xff), accept every priority */
apic_on:
        movl    $0x1ff, APIC + 0xf0
        movl    $0, APIC + 0x80
        ret

wait_icr:
        testl   $0x1000, APIC + 0x300   /* delivery status */
        jnz     wait_icr
        ret

/* set_gate: vector EAX to the handler EBX (an interrupt gate) */
set_gate:
        movw    %bx, idt(,%eax,8)
        movw    $0x08, idt + 2(,%eax,8)
        movw    $0x8e00, idt + 4(,%eax,8)
        shrl    $16, %ebx
        movw    %bx, idt + 6(,%eax,8)
        ret

ipi_handler40:
        pushl   $0
        jmp     ipi_common
ipi_handler41:
        pushl   $4
        jmp     ipi_common
ipi_handler42:
        pushl   $8
        jmp     ipi_common
ipi_handler43:
        pushl   $12
ipi_common:                             /* got[APIC ID][vector - 0x40]++ */
        pushl   %eax
        call    my_id
        shll    $4, %eax
        addl    4(%esp), %eax
        lock incl got(%eax)
        movl    $0, APIC + 0xb0         /* EOI */
        popl    %eax
        addl    $4, %esp
        iret

nmi_handler:
        lock incl nmis
        iret

spurious:
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        movl    $m_fail, %esi
        jmp     verdict

        .code16
ap_code:                                /* at 1000:0000, real mode */
        lock incl %cs:(AP_ALIVE - AP_CODE)
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        lgdtl   gdt_desc
        movl    %cr0, %eax
        orb     $1, %al
        movl    %eax, %cr0
        ljmpl   $0x08, $ap_pm32
ap_end:
        .code32
ap_pm32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    $AP_STACK, %esp
        lidt    idt_desc
        call    apic_on
        sti
        xorl    %ebp, %ebp              /* the boot CPU's APIC ID */
        call    exchange
        cli
        movl    $1, ap_done
9:      hlt
        jmp     9b

#include "lib32.inc"

m_start: .asciz "IPI-TEST start\r\n"
m_head: .asciz  "IPI-TEST rounds="
m_bsp:  .asciz  " bsp="
m_ap:   .asciz  " ap="
m_self: .asciz  " self="
m_early: .asciz " early="
m_late: .asciz  " late="
m_nmi:  .asciz  " nmi="
m_step_alive: .asciz "the AP never ran (its first instruction)"
m_slash: .asciz "/"
m_colon: .asciz ": "
m_nl:   .asciz  "\r\n"
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
m_fail_in: .asciz "IPI-TEST failed in round "
m_unexp: .asciz "IPI-TEST unexpected exception\r\n"
m_step_self: .asciz "a self-IPI never arrived"
m_step_other: .asciz "an IPI to the other CPU never arrived"
m_step_mine: .asciz "the other CPU's IPIs never all arrived"
m_step_done: .asciz "the AP never finished"
m_step_counts: .asciz "wrong counts"
m_step_start: .asciz "its start"
m_ap_at: .asciz "; the AP at: "
        .balign 4
step:   .long   m_step_done, m_step_start  /* what each CPU waits for */
rounds: .long   0
ap_done: .long  0
nmis:   .long   0
sum_bsp: .long  0
sum_ap: .long   0
sum_self: .long 0
sum_early: .long 0
sum_late: .long 0
got:    .fill   8, 4, 0                 /* [CPU][0x40, 0x41, 0x42, -] */
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    3072
idt:                                    /* 2 KiB, not part of the image */
