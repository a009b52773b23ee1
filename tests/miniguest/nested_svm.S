/* A boot-sector guest that is a tiny hypervisor (L1) on SVM (issue 20,
 * scenario a and c): it runs an even tinier guest (L2) and checks every
 * #VMEXIT it asked for.
 *
 * When CPUID 8000_0001 shows no SVM (Veneer's default, vmm.nested=0) it
 * checks that SVM is really absent: VMRUN raises #UD and setting
 * EFER.SVME raises #GP. Prints "NESTED svm=0 vmrun=ud efer=gp PASS|FAIL".
 *
 * With SVM it sets EFER.SVME and VM_HSAVE_PA, builds a VMCB (32-bit flat
 * protected mode, no paging) intercepting CPUID, I/O port 0x99 (through
 * its I/O bitmap), #UD and #GP, HLT, and runs L2, which prints "L2:
 * hello" on COM1 itself (ports L1 does not intercept are L2's), then in
 * turn:
 *   cpuid:   CPUID with EAX=0x4c32 -> exit 0x72 at the CPUID, L2's RAX in
 *            the VMCB;
 *   io:      IN AL,DX from port 0x99 -> exit 0x7b, EXITINFO1 0x00990011
 *            (port, 8-bit, IN; the address-size and segment bits, which
 *            QEMU leaves 0 for IN, not judged), EXITINFO2 the next RIP;
 *   exc:     UD2 -> exit 0x46 at the UD2;
 *   vmm:     a load from the address at image offset 8184 (cfg_vmm; 0:
 *            skipped, prints "-"): an address in Veneer's region. L1
 *            reads it first, with its own IDT: #GP, nothing loaded. L2's
 *            load must give L1 the same, as an exit 0x4d with error code
 *            0 and L2's EAX unchanged (no VMM bytes);
 *   hlt:     HLT -> exit 0x78 at the HLT.
 * Then own: with CPUID no longer intercepted, L2's CPUID leaves 1 and
 * 8000_0001 (ECX) and its read of PCI 00:00.0's IDs through 0xcf8/0xcfc
 * (ports Veneer owns) answer as L1's do, and L2's VMMCALL with Veneer's
 * magic is a #UD (exit 0x46 at it: Veneer's hypercalls are not L2's).
 * Then inj: L1 injects vector 0x40 into L2 through EVENTINJ; L2's
 * handler's HLT exits, EVENTINJ.V cleared. Then lm: L2 in long mode (EFER.LMA, its own 4-level paging) runs a
 * CPUID L1 intercepts (64-bit RAX 0x123456789a in the VMCB, at its RIP)
 * and one it does not (8000_0001 ECX as L1's), then HLT.
 * Then invalid: VMRUN of the VMCB with the VMRUN intercept clear, with
 * EFER.SVME clear, with ASID 0, with CR0.NW set and CD clear, and with CR0
 * bit 32 set, each giving VMEXIT_INVALID (the low 32 bits of
 * EXITCODE all ones: QEMU writes 0x00000000ffffffff) and L1 going on
 * after the VMRUN; then with CR3 bit 63 (no paging in L2): either L2
 * runs to its HLT, or VMEXIT_INVALID with a VMCB RIP of L1's or L2's
 * (never the VMM's: QEMU stores its host's state at a failed entry); gif: an NMI L1 sends itself through its local APIC
 * between CLGI and STGI does not arrive (after WAIT PAUSEs) before the
 * STGI and arrives right after it; addr: VMRUN of an address that is not 4 KiB aligned,
 * and (cfg_vmm) VMRUN and VMSAVE of a page in the VMM region, are #GP in
 * L1; vmsave: VMSAVE stores STAR and FS as L1 set them,
 * VMLOAD loads a changed STAR back; npt: L1 pages (4 MiB pages) and
 * runs L2 on its own nested page tables (2-level, NP_ENABLE), identity
 * but for L2-physical 0x300000 (-> an L1 page with a marker), 0x301000
 * (-> cfg_vmm's page: the VMM region) and 0x302000 (not present); L2,
 * paging on the same directory, loads 0x300000 (the marker), then
 * 0x302000: #NPF exit 0x400, EXITINFO2 0x302000, P=0; L1 maps it, sets
 * TLB_CONTROL and runs L2 again: the second marker, then (cfg_vmm) the
 * load from the VMM region is L1's #GP (exit 0x4d, L2's EDX unchanged) as
 * L1's own load is; bare: page 0, HLT; vintr: V_INTR_MASKING and the INTR
 * intercept; L1 sends itself a fixed IPI between CLGI and VMRUN with
 * IF=1; L2 spins with IF=0: exit 0x60 (INTR), and L1's handler runs
 * right after its STGI, not before.
 * Events across levels (NMIs sent through the local APIC's ICR by APIC
 * ID): nmi: L1 intercepts NMI; L2's self-NMI is exit 0x61, the NMI held
 * (GIF=0) until L1's STGI, then L1's handler, whose own self-NMI waits
 * for its IRET; nmil2: no NMI intercept; L2's handler (L2's IDT, IDT2)
 * takes it and halts (exit 0x78 before its IRET); resumed, L2's second
 * self-NMI is taken after that IRET; nmiiret: the same with L1
 * intercepting IRET (exit 0x74, L1 resumes L2 at the IRET); intinfo
 * (cfg_vmm; "-" without): L1's EVENTINJ of 0x40 into an L2 whose stack
 * is in the VMM region: exit 0x4d with the event in EXITINTINFO, never
 * delivered to L1 (its own vector 0x40 counts strays); virq: L1's V_IRQ
 * (0x42) for an L2 with IF=0 that takes two NMIs, then STI: exit 0x78 in
 * L2's 0x42 handler, V_IRQ clear.
 * L1 brackets each VMRUN with CLGI and STGI as a real hypervisor does.
 * Prints "NESTED svm=1 feat=XXXXXXXX cpuid=ok io=ok exc=ok vmm=ok hlt=ok
 * own=ok inj=ok lm=ok invalid=ok gif=ok addr=ok vmsave=ok npt=ok vintr=ok
 * nmi=ok nmil2=ok nmiiret=ok intinfo=ok virq=ok PASS|FAIL" (feat: CPUID
 * 8000_000A EDX; a check
 * that fails prints what it got instead of ok) and stops the emulator. */
#define BOOT32_SECTORS 15
#include "boot32.inc"

#define HSAVE   0x10000
#define VMCB    0x11000
#define IOPM    0x12000                 /* 12 KiB */
#define SAVEPG  0x15000
#define L2STACK 0x18000
#define L1PORT  0x99
#define OUTBUF  0xa800                  /* after the IDT */
#define APIC    0xfee00000
#define PT      0x1a000                 /* L2's long-mode page tables */
#define WAIT    200000                  /* PAUSEs while an NMI is held */
#define NPD     0x1e000                 /* NPT12: page directory, */
#define NPTAB   0x1f000                 /* its one table (0-4 MiB), */
#define NDATA   0x20000                 /* two pages L2 finds through it */
#define L1PD    0x22000                 /* L1's paging for the npt test */
#define IDT2    0x23000                 /* L2's IDT for the nmil2 test */
#define L2NPT   0x300000                /* L2-physical: -> NDATA, */
                                        /* +4K -> cfg_vmm's page, +8K -> NDATA+4K */
#define C_TLBCTL 0x05c
#define C_VINTR 0x060
#define C_NP    0x090
#define C_NCR3  0x0b0
#define C_EXITINTINFO 0x088
#include "svm32.inc"


        .code32
pm32:
        movb    $6, %al
        movl    $ud_handler, %ebx
        call    idt_init
        movl    $gp_handler, %eax
        movw    %ax, idt + 13 * 8
        shrl    $16, %eax
        movw    %ax, idt + 13 * 8 + 6
        movl    $1, ok
        movl    $0x80000001, %eax
        cpuid
        testl   $4, %ecx                /* SVM */
        jnz     svm_on

        /* ---- SVM hidden: VMRUN #UD, EFER.SVME #GP ---- */
        movl    $m_off, %esi
        call    bputs
        movl    $-1, fault_vec
        movl    $3, skip
        movl    $VMCB, %eax
        vmrun
        movl    $m_vmrun, %esi
        movl    $6, %eax
        movl    $m_ud, %edi
        call    report_fault
        movl    $-1, fault_vec
        movl    $2, skip
        movl    $0xc0000080, %ecx
        rdmsr
        orl     $0x1000, %eax
        wrmsr
        movl    $m_efer, %esi
        movl    $13, %eax
        movl    $m_gp, %edi
        call    report_fault
        jmp     verdict

svm_on:
        movl    $0x8000000a, %eax
        cpuid
        movl    %edx, feat
        movl    $-1, fault_vec
        movl    $0xc0000080, %ecx       /* EFER.SVME */
        rdmsr
        orl     $0x1000, %eax
        wrmsr
        movl    $0xc0010117, %ecx       /* VM_HSAVE_PA */
        movl    $HSAVE, %eax
        xorl    %edx, %edx
        wrmsr
        cmpl    $-1, fault_vec
        je      1f
        call    header
        movl    $m_setup, %esi
        call    bputs
        movl    fault_vec, %eax
        call    bputhex
        movl    $0, ok
        jmp     verdict
1:      call    build_vmcb

        /* ---- cpuid (L2 says hello on COM1 first) ---- */
        call    run_l2
        call    header
        movl    $m_cpuid, %esi
        call    bputs
        movl    $0x72, %eax
        movl    $l2_cpuid, %ebx
        call    check_exit
        jc      2f
        cmpl    $0x4c32, VMCB + S_RAX
        je      2f
        movl    VMCB + S_RAX, %eax
        call    bad
2:      call    say_ok
        addl    $2, VMCB + S_RIP

        /* ---- io ---- */
        call    run_l2
        movl    $m_io, %esi
        call    bputs
        movl    $0x7b, %eax
        movl    $l2_in, %ebx
        call    check_exit
        jc      3f
        movl    VMCB + C_INFO1, %eax
        movl    %eax, %edx
        andl    $~0x1f80, %edx          /* address size, segment: string I/O */
        cmpl    $0x00990011, %edx
        je      31f
        call    bad
        jmp     3f
31:     movl    VMCB + C_INFO2, %eax
        cmpl    $l2_in + 1, %eax
        je      3f
        call    bad
3:      call    say_ok
        movl    $l2_in + 1, VMCB + S_RIP

        /* ---- exc ---- */
        call    run_l2
        movl    $m_exc, %esi
        call    bputs
        movl    $0x46, %eax
        movl    $l2_ud, %ebx
        call    check_exit
        call    say_ok
        addl    $2, VMCB + S_RIP

        /* ---- vmm: L1's own load first, then L2's ---- */
        movl    $m_vmm, %esi
        call    bputs
        movl    cfg_vmm, %ebx
        testl   %ebx, %ebx
        jnz     4f
        movl    $m_skip, %esi
        call    bputs
        jmp     5f
4:      movl    $-1, fault_vec
        movl    $2, skip
        movl    $0xdeadbeef, %eax
        movl    (%ebx), %eax            /* 8b 03 */
        cmpl    $13, fault_vec
        jne     41f
        cmpl    $0xdeadbeef, %eax
        jne     41f
        cmpl    $0, fault_err
        je      42f
41:     movl    $m_l1, %esi             /* "L1:" and what it got */
        call    bputs
        movl    %eax, %edx
        movl    fault_vec, %eax
        call    bad
42:     call    run_l2
        movl    $0x4d, %eax
        movl    $l2_vmm_load, %ebx
        call    check_exit
        jc      43f
        movl    VMCB + C_INFO1, %eax    /* the error code */
        testl   %eax, %eax
        jz      44f
        call    bad
        jmp     43f
44:     movl    VMCB + S_RAX, %eax
        cmpl    $0xdeadbeef, %eax
        je      43f
        call    bad
43:     call    say_ok
        addl    $2, VMCB + S_RIP
        jmp     6f
5:      movl    $l2_hlt, VMCB + S_RIP   /* bare: no VMM region to load */
6:

        /* ---- hlt ---- */
        call    run_l2
        movl    $m_hlt, %esi
        call    bputs
        movl    $0x78, %eax
        movl    $l2_hlt, %ebx
        call    check_exit
        call    say_ok

        /* ---- own: what L1 leaves to L2 (CPUID no longer intercepted)
         * or cannot have (VMMCALL, Veneer's hypercall) ---- */
        movl    $m_own, %esi
        call    bputs
        andl    $~(1 << 18), VMCB + C_INT1
        movl    $l2_own, VMCB + S_RIP
        call    run_l2
        movl    $0x46, %eax             /* #UD at the VMMCALL */
        movl    $l2_vmmcall, %ebx
        call    check_exit
        jc      10f
        movl    $1, %eax                /* L1's own answers */
        cpuid
        cmpl    %ecx, l2_res
        jne     11f
        movl    $0x80000001, %eax
        cpuid
        cmpl    %ecx, l2_res + 4
        jne     11f
        call    pci_id
        cmpl    %eax, l2_res + 8
        je      10f
11:     movl    $l2_res, %esi           /* which one differs: its L2 value */
        movl    (%esi), %eax
        call    bad
10:     call    say_ok
        orl     $1 << 18, VMCB + C_INT1

        /* ---- inj: L1 injects vector 0x40 into L2 (EVENTINJ); L2's
         * handler (L1's IDT) halts; the injection is consumed ---- */
        movl    $m_inj, %esi
        call    bputs
        movl    $l2_inj_handler, %eax
        movw    %ax, idt + 0x40 * 8
        shrl    $16, %eax
        movw    %ax, idt + 0x40 * 8 + 6
        movl    $l2_hlt, VMCB + S_RIP
        movl    $0x80000040, VMCB + C_EVENTINJ /* valid, INTR, 0x40 */
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_inj_handler, %ebx
        call    check_exit
        jc      20f
        movl    VMCB + C_EVENTINJ, %eax
        testl   $0x80000000, %eax
        jz      20f
        call    bad
20:     call    say_ok
        movl    $0, VMCB + C_EVENTINJ

        /* ---- lm: L2 in long mode, with its own 4-level paging (2 MiB
         * identity), a CPUID L1 intercepts (64-bit RAX in the VMCB) and
         * one it does not (Veneer steps over it in 64-bit code) ---- */
        movl    $m_lm, %esi
        call    bputs
        xorl    %eax, %eax
        movl    $PT, %edi
        movl    $3 * 1024, %ecx
        rep stosl
        movl    $PT + 0x1003, PT        /* PML4[0] -> PDPT */
        movl    $PT + 0x2003, PT + 0x1000 /* PDPT[0] -> PD */
        movl    $0x83, PT + 0x2000      /* 0-2 MiB */
        movl    $VMCB + S_CS, %edi
        movl    $0x0a9b0018, %eax       /* 64-bit code: L=1, D=0 */
        call    set_seg
        movl    $0x1500, VMCB + S_EFER  /* SVME, LMA, LME */
        movl    $0x80000011, VMCB + S_CR0
        movl    $0x20, VMCB + S_CR4     /* PAE */
        movl    $PT, VMCB + S_CR3
        movl    $l2_lm, VMCB + S_RIP
        call    run_l2
        movl    $0x72, %eax
        movl    $l2_lm_cpuid, %ebx
        call    check_exit
        jc      17f
        cmpl    $0x3456789a, VMCB + S_RAX
        jne     18f
        cmpl    $0x12, VMCB + S_RAX + 4
        je      19f
18:     movl    VMCB + S_RAX + 4, %eax
        call    bad
        jmp     17f
19:     addl    $2, VMCB + S_RIP
        andl    $~(1 << 18), VMCB + C_INT1
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_lm_hlt, %ebx
        call    check_exit
        jc      17f
        movl    $0x80000001, %eax
        cpuid
        cmpl    %ecx, l2_res + 12
        je      17f
        movl    l2_res + 12, %eax
        call    bad
17:     call    say_ok
        call    build_vmcb              /* back to the 32-bit L2 */

        /* ---- invalid: no VMRUN intercept; EFER.SVME clear ---- */
        movl    $m_invalid, %esi
        call    bputs
        andl    $~1, VMCB + C_INT2
        call    run_l2
        movl    $-1, %eax
        xorl    %ebx, %ebx
        call    check_exit
        orl     $1, VMCB + C_INT2
        andl    $~0x1000, VMCB + S_EFER
        call    run_l2
        movl    $-1, %eax
        xorl    %ebx, %ebx
        call    check_exit
        orl     $0x1000, VMCB + S_EFER
        movl    $l2_hlt, VMCB + S_RIP   /* a VMRUN that works ends at once */
        movl    $0, VMCB + C_ASID       /* ASID 0 is the host's */
        call    run_l2
        movl    $-1, %eax
        xorl    %ebx, %ebx
        call    check_exit
        movl    $1, VMCB + C_ASID
        movl    $0x20000011, VMCB + S_CR0 /* NW without CD */
        call    run_l2
        movl    $-1, %eax
        xorl    %ebx, %ebx
        call    check_exit
        movl    $0x11, VMCB + S_CR0
        movl    $1, VMCB + S_CR0 + 4    /* CR0 bit 32 */
        call    run_l2
        movl    $-1, %eax
        xorl    %ebx, %ebx
        call    check_exit
        movl    $0, VMCB + S_CR0 + 4
        /* CR3 bit 63 for this L2 without paging: a CPU may run it (it
         * halts at once) or refuse it (QEMU does when its host is in long
         * mode, as under Veneer). A refusal leaves the VMCB's state area
         * as L1 wrote it, or (QEMU, Bochs) L1's own state at its VMRUN:
         * a RIP in this image, never one from above (the VMM's) */
        movl    $l2_hlt, VMCB + S_RIP   /* the refusals above may store L1's */
        movl    $0x80000000, VMCB + S_CR3 + 4
        call    run_l2
        movl    $0, VMCB + S_CR3 + 4
        cmpl    $-1, VMCB + C_EXITCODE
        je      19f
        movl    $0x78, %eax
        movl    $l2_hlt, %ebx
        call    check_exit
        jmp     20f
19:     cmpl    $0, VMCB + S_RIP + 4
        jne     21f
        cmpl    $0x100000, VMCB + S_RIP
        jb      20f
21:     movl    VMCB + S_RIP + 4, %eax  /* the state the failed entry left */
        call    bad
20:     call    say_ok

        /* ---- gif: a self-NMI sent while L1's GIF is 0 waits for its
         * STGI and arrives right after it ---- */
        movl    $m_gif, %esi
        call    bputs
        movl    $nmi_handler, %eax
        movw    %ax, idt + 2 * 8
        shrl    $16, %eax
        movw    %ax, idt + 2 * 8 + 6
        movl    APIC + 0xf0, %eax       /* the local APIC software-enabled */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0
        clgi
        movl    $0, nmis
        movl    APIC + 0x20, %eax       /* ICR: to our APIC ID, NMI */
        andl    $0xff000000, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004400, APIC + 0x300
14:     testl   $0x1000, APIC + 0x300   /* delivery status */
        jnz     14b
        movl    $WAIT, %ecx             /* long enough for it to show */
15:     pause
        loop    15b
        movl    nmis, %edx              /* 0: held by GIF */
        stgi
        movl    nmis, %eax              /* 1: taken right after STGI */
        shll    $4, %edx
        orl     %edx, %eax
        cmpl    $1, %eax
        je      16f
        call    bad                     /* 0x10 * held + after */
16:     call    say_ok

        /* ---- addr: a VMCB address that is not 4 KiB aligned, or in
         * the VMM region, is L1's #GP (VMRUN, VMSAVE) ---- */
        movl    $m_addr, %esi
        call    bputs
        movl    $3, skip
        movl    $-1, fault_vec
        movl    $VMCB + 8, %eax
        vmrun
        cmpl    $13, fault_vec
        jne     12f
        movl    cfg_vmm, %eax
        testl   %eax, %eax
        jz      13f
        andl    $~0xfff, %eax
        movl    $-1, fault_vec
        vmrun
        cmpl    $13, fault_vec
        jne     12f
        movl    cfg_vmm, %eax
        andl    $~0xfff, %eax
        movl    $-1, fault_vec
        vmsave
        cmpl    $13, fault_vec
        je      13f
12:     movl    fault_vec, %eax
        call    bad
13:     call    say_ok

        /* ---- vmsave / vmload ---- */
        movl    $m_vmsave, %esi
        call    bputs
        movw    $0x10, %ax
        movw    %ax, %fs
        movl    $0xc0000081, %ecx       /* STAR */
        movl    $0x11223344, %eax
        movl    $0x00100008, %edx
        wrmsr
        movl    $SAVEPG, %eax
        vmsave
        movl    SAVEPG + S_STAR, %eax
        cmpl    $0x11223344, %eax
        jne     7f
        movl    SAVEPG + S_STAR + 4, %eax
        cmpl    $0x00100008, %eax
        jne     7f
        movzwl  SAVEPG + S_FS, %eax
        cmpl    $0x10, %eax
        jne     7f
        movl    $0x55667788, SAVEPG + S_STAR
        movl    $SAVEPG, %eax
        vmload
        movl    $0xc0000081, %ecx
        rdmsr
        cmpl    $0x55667788, %eax
        je      8f
7:      call    bad
8:      call    say_ok

        /* ---- npt: L2 on L1's nested page tables, identity but for
         * three pages; 2-level: L1 pages with 4 MiB pages (PSE), and so
         * does L2 on the same directory (through NPT12) ---- */
        movl    $m_npt, %esi
        call    bputs
        call    build_vmcb
        movl    $L1PD, %edi
        movl    $0x83, %eax             /* P, W, PS: 4 GiB identity */
2:      stosl
        addl    $0x400000, %eax
        jnc     2b
        movl    %cr4, %eax              /* L1's paging is L2's too */
        orl     $0x10, %eax             /* PSE */
        movl    %eax, %cr4
        movl    %eax, VMCB + S_CR4
        movl    $L1PD, %eax
        movl    %eax, %cr3
        movl    %eax, VMCB + S_CR3
        movl    %cr0, %eax
        orl     $0x80000000, %eax
        movl    %eax, %cr0
        movl    %eax, VMCB + S_CR0
        xorl    %eax, %eax
        movl    $NPD, %edi
        movl    $1024, %ecx
        rep stosl
        movl    $NPTAB + 7, NPD         /* P, W, U */
        movl    $7, %eax
1:      stosl
        addl    $0x1000, %eax
        cmpl    $NPTAB + 4096, %edi
        jb      1b
        movl    $NDATA + 7, NPTAB + (L2NPT >> 10)
        movl    cfg_vmm, %eax           /* bare: 0, page 0 */
        andl    $~0xfff, %eax
        orl     $7, %eax
        movl    %eax, NPTAB + (L2NPT >> 10) + 4
        movl    $0, NPTAB + (L2NPT >> 10) + 8 /* not present */
        movl    $0x4e505431, NDATA
        movl    $0x4e505432, NDATA + 0x1000
        movl    $1, VMCB + C_NP
        movl    $NPD, VMCB + C_NCR3
        movl    $l2_npt, VMCB + S_RIP
        call    run_l2                  /* #NPF: the page L1 left out */
        movl    $0x400, %eax
        movl    $l2_npt_nf, %ebx
        call    check_exit
        jc      21f
        movl    VMCB + C_INFO2, %eax
        cmpl    $L2NPT + 0x2000, %eax
        jne     22f
        movl    VMCB + C_INFO1, %eax    /* P=0: not present */
        testl   $1, %eax
        jnz     22f
        movl    VMCB + S_RAX, %eax      /* the first load, through NPT12 */
        cmpl    $0x4e505431, %eax
        jne     22f
        movl    $NDATA + 0x1000 + 7, NPTAB + (L2NPT >> 10) + 8
        movb    $1, VMCB + C_TLBCTL     /* L1 changed NPT12: flush */
        call    run_l2                  /* the load again, then the VMM's page */
        cmpl    $0x4e505432, %ebx
        jne     23f
        movl    $0x78, %eax             /* bare: page 0, HLT */
        xorl    %ebx, %ebx
        cmpl    $0, cfg_vmm
        je      24f
        movl    $0x4d, %eax             /* L1's #GP, as its own load */
        movl    $l2_npt_vmm, %ebx
        cmpl    $0xdeadbeef, %edx
        jne     23f
24:     call    check_exit
        jmp     21f
23:     movl    %ebx, %eax
22:     call    bad
21:     call    say_ok
        movl    $0, VMCB + C_NP

        /* ---- vintr: with V_INTR_MASKING, a physical interrupt while L2
         * runs with IF=0 is an INTR exit (L1 ran VMRUN with IF=1), and
         * L1 takes it once it sets GIF again ---- */
        movl    $m_vintr, %esi
        call    bputs
        call    build_vmcb
        orl     $1, VMCB + C_INT1       /* INTR */
        orb     $1, VMCB + C_VINTR + 3  /* V_INTR_MASKING */
        movl    $l2_spin, VMCB + S_RIP
        movl    $irq_handler, %eax
        movw    %ax, idt + 0x41 * 8
        shrl    $16, %eax
        movw    %ax, idt + 0x41 * 8 + 6
        movb    $0xff, %al              /* the PICs masked: only the IPI */
        outb    %al, $0x21
        outb    %al, $0xa1
        clgi
        sti
        movl    $0x00040041, APIC + 0x300 /* self IPI, fixed, 0x41: held */
        movl    $VMCB, %eax
        vmrun
        movl    irqs, %edx              /* 0: none taken in L2 or before */
        stgi                            /* L1 takes it now */
        nop
        cli
        movl    $0x60, %eax
        xorl    %ebx, %ebx
        call    check_exit
        jc      25f
        movl    irqs, %eax              /* 1, taken after the STGI */
        shll    $4, %edx
        orl     %edx, %eax
        cmpl    $1, %eax
        je      25f
        call    bad                     /* 0x10 * before + after */
25:     call    say_ok

        /* ---- nmi: L1 intercepts NMI; L2's self-NMI (its ICR write) is
         * exit 0x61, the NMI held by L1's GIF=0 until its STGI, then
         * taken by L1's handler, which sends itself another: held until
         * the handler's IRET (not taken inside it) ---- */
        movl    $m_nmi, %esi
        call    bputs
        call    build_vmcb
        orl     $2, VMCB + C_INT1       /* NMI */
        movl    $l2_nmi, VMCB + S_RIP
        movl    $0, nmis
        movl    $1, nmi_again
        movl    $-1, nmi_inner
        clgi
        movl    $VMCB, %eax
        vmrun
        movl    nmis, %edx              /* 0: held by GIF */
        stgi                            /* L1's handler, twice */
        movl    $0x61, %eax
        xorl    %ebx, %ebx
        call    check_exit
        jc      26f
        movl    nmis, %eax              /* 2: both, after the STGI */
        shll    $8, %edx
        orl     %edx, %eax
        movl    nmi_inner, %edx         /* 1: the second not inside the first */
        shll    $4, %edx
        orl     %edx, %eax
        cmpl    $0x12, %eax
        je      26f
        call    bad                     /* 0x100 * held + 0x10 * inner + after */
26:     call    say_ok

        /* ---- nmil2: L1 leaves NMIs to L2: L2's self-NMI is taken by
         * L2's own handler (its IDT), which halts (exit 0x78 in the
         * handler; L1 takes none); resumed, the handler's IRET ends L2's
         * NMI blocking, and L2's second self-NMI is taken too ---- */
        movl    $m_nmil2, %esi
        call    bputs
        call    build_vmcb
        movl    $idt, %esi              /* L2's IDT: L1's but vector 2 */
        movl    $IDT2, %edi
        movl    $512, %ecx
        rep movsl
        movl    $l2_nmi_handler, %eax
        movw    %ax, IDT2 + 2 * 8
        shrl    $16, %eax
        movw    %ax, IDT2 + 2 * 8 + 6
        movl    $IDT2, VMCB + S_IDTR + 8
        movl    $l2_nmi2, VMCB + S_RIP
        movl    $0, nmis
        movl    $0, l2nmis
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_nmi_hlt, %ebx
        call    check_exit
        jc      27f
        incl    VMCB + S_RIP            /* after the HLT: the IRET */
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_nmi_done, %ebx
        call    check_exit
        jc      27f
        movl    l2nmis, %eax            /* 2 in L2 */
        movl    nmis, %edx              /* 0 in L1 */
        shll    $4, %edx
        orl     %edx, %eax
        cmpl    $2, %eax
        je      27f
        call    bad                     /* 0x10 * L1's + L2's */
27:     call    say_ok

        /* ---- nmiiret: as nmil2, but L1 intercepts IRET (as a
         * hypervisor tracking L2's NMI does): L2's handler's IRET is exit
         * 0x74 (QEMU 7.2's SVM gives the RIP of the byte before the IRET:
         * not judged; L1 resumes L2 at the IRET); L1 drops the intercept:
         * the IRET runs, and L2's second self-NMI is taken ---- */
        movl    $m_nmiiret, %esi
        call    bputs
        call    build_vmcb
        movl    $IDT2, VMCB + S_IDTR + 8
        orl     $1 << 20, VMCB + C_INT1 /* IRET */
        movl    $l2_nmi2, VMCB + S_RIP
        movl    $-2, l2nmis             /* the handler's HLT: not this time */
        call    run_l2
        movl    $0x74, %eax
        xorl    %ebx, %ebx              /* QEMU 7.2: RIP one byte early */
        call    check_exit
        jc      28f
        andl    $~(1 << 20), VMCB + C_INT1
        movl    $l2_nmi_iret, VMCB + S_RIP
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_nmi_done, %ebx
        call    check_exit
        jc      28f
        movl    l2nmis, %eax            /* 0: -2 and two NMIs in L2 */
        testl   %eax, %eax
        je      28f
        call    bad
28:     call    say_ok

        /* ---- intinfo: L1 injects vector 0x40 (EVENTINJ) into an L2
         * whose stack is in the VMM region (cfg_vmm; bare: skipped, "-"):
         * the delivery's push is L1's #GP exit (0x4d) with the event in
         * EXITINTINFO, and the event never reaches L1 itself ---- */
        movl    $m_intinfo, %esi
        call    bputs
        cmpl    $0, cfg_vmm
        jne     1f
        movl    $m_skip, %esi
        call    bputs
        jmp     30f
1:      movl    $stray_handler, %eax    /* L1's vector 0x40 now counts */
        movw    %ax, idt + 0x40 * 8
        shrl    $16, %eax
        movw    %ax, idt + 0x40 * 8 + 6
        call    build_vmcb
        movl    $IDT2, VMCB + S_IDTR + 8 /* L2's 0x40: l2_inj_handler */
        movl    cfg_vmm, %eax
        andl    $~0xfff, %eax
        addl    $0x800, %eax
        movl    %eax, VMCB + S_RSP
        movl    $l2_hlt, VMCB + S_RIP
        movl    $0x80000040, VMCB + C_EVENTINJ /* valid, INTR, 0x40 */
        movl    $0, strays
        call    run_l2
        movl    $0x4d, %eax
        xorl    %ebx, %ebx
        call    check_exit
        jc      29f
        movl    VMCB + C_EXITINTINFO, %eax /* the event, not delivered */
        cmpl    $0x80000040, %eax
        jne     2f
        movl    strays, %eax            /* 0: not delivered to L1 */
        testl   %eax, %eax
        jz      29f
2:      call    bad
29:     call    say_ok
30:

        /* ---- virq: L1 requests a virtual interrupt (V_IRQ, vector 0x42)
         * for L2, which runs with IF=0 and, in its NMI handler, sends
         * itself a second NMI (held until that IRET: the VMM's window
         * while L2 waits); after both, L2's STI takes 0x42 in its own
         * handler (exit 0x78 there), V_IRQ cleared in the VMCB ---- */
        movl    $m_virq, %esi
        call    bputs
        call    build_vmcb
        movl    $l2_virq_handler, %eax
        movw    %ax, IDT2 + 0x42 * 8
        shrl    $16, %eax
        movw    %ax, IDT2 + 0x42 * 8 + 6
        movl    $IDT2, VMCB + S_IDTR + 8
        movl    $0x001f0100, VMCB + C_VINTR /* V_IRQ, priority 15, IGN_TPR */
        movl    $0x42, VMCB + C_VINTR + 4   /* its vector */
        movl    $l2_virq, VMCB + S_RIP
        movl    $-5, l2nmis             /* the handler's HLT: not this time */
        movl    $1, l2_again
        call    run_l2
        movl    $0x78, %eax
        movl    $l2_virq_handler, %ebx
        call    check_exit
        jc      31f
        movl    VMCB + C_VINTR, %eax    /* V_IRQ: taken */
        testl   $0x100, %eax
        jnz     32f
        movl    l2nmis, %eax            /* -3: both NMIs in L2 */
        cmpl    $-3, %eax
        je      31f
32:     call    bad
31:     call    say_ok

verdict:
        movl    $m_pass, %esi
        cmpl    $0, ok
        jne     9f
        movl    $m_fail, %esi
9:      call    bputs
        movl    bufptr, %edi
        movb    $0, (%edi)
        movl    $OUTBUF, %esi           /* one write: no VMM log line inside */
        call    puts
        jmp     stop

/* The result line is built in OUTBUF and printed at the end in one go,
 * so that the VMM's own log lines (at exits) never split it. */
bputc:  pushl   %edi
        movl    bufptr, %edi
        stosb
        movl    %edi, bufptr
        popl    %edi
        ret
bputs:  lodsb
        testb   %al, %al
        jz      1f
        call    bputc
        jmp     bputs
1:      ret
bputhex:                                /* EAX as 8 hex digits */
        movl    $8, %ecx
1:      roll    $4, %eax
        pushl   %eax
        andb    $0xf, %al
        addb    $'0', %al
        cmpb    $'9', %al
        jbe     2f
        addb    $('a' - '0' - 10), %al
2:      call    bputc
        popl    %eax
        loop    1b
        ret

header:
        movl    $m_on, %esi
        call    bputs
        movl    feat, %eax
        jmp     bputhex

/* Checks the exit: code EAX (low 32 bits), at L2's RIP EBX (0: any).
 * Prints what it got and returns CF=1 on a mismatch. */
check_exit:
        cmpl    %eax, VMCB + C_EXITCODE
        jne     1f
        testl   %ebx, %ebx
        jz      2f
        cmpl    %ebx, VMCB + S_RIP
        je      2f
        movl    VMCB + S_RIP, %eax      /* the wrong RIP */
        call    bad
        stc
        ret
1:      movb    $'x', %al
        call    bputc
        movl    VMCB + C_EXITCODE, %eax
        call    bputhex
        movl    $0, ok
        movl    $1, printed
        stc
        ret
2:      clc
        ret

/* A check failed: print EAX in hex (once per field). */
bad:    cmpl    $0, printed
        jne     1f
        call    bputhex
        movl    $1, printed
1:      movl    $0, ok
        ret

/* "ok" unless the field printed what went wrong. */
say_ok: cmpl    $0, printed
        jne     1f
        movl    $m_ok, %esi
        call    bputs
1:      movl    $0, printed
        ret

/* " NAME=" (ESI) then EDI if the fault was vector EAX, else the vector. */
report_fault:
        pushl   %eax
        call    bputs
        popl    %eax
        cmpl    %eax, fault_vec
        jne     1f
        movl    %edi, %esi
        jmp     bputs
1:      movl    $0, ok
        movl    fault_vec, %eax
        jmp     bputhex

build_vmcb:
        movl    $l2_code, %ebx
        call    vmcb_init
        xorl    %eax, %eax
        movl    $IOPM, %edi
        movl    $3072, %ecx
        rep stosl
        orb     $(1 << (L1PORT % 8)), IOPM + L1PORT / 8
        /* intercepts: CPUID (18), HLT (24), IOIO (27), SHUTDOWN (31);
         * VMRUN; #UD and #GP */
        movl    $0x89040000, VMCB + C_INT1
        movl    $(1 << 6) | (1 << 13), VMCB + C_EXC
        movl    $IOPM, VMCB + C_IOPM
        ret

/* ---- L2 ---- */
l2_code:
        movl    $m_l2, %esi             /* COM1: not intercepted by L1 */
        call    puts
        movl    $0x4c32, %eax
l2_cpuid:
        cpuid
        movw    $L1PORT, %dx
l2_in:  inb     %dx, %al
l2_ud:  ud2
        movl    cfg_vmm, %ebx
        movl    $0xdeadbeef, %eax
l2_vmm_load:
        movl    (%ebx), %eax            /* 8b 03 */
l2_hlt: hlt
        jmp     l2_hlt
l2_npt: movl    L2NPT, %eax             /* NPT12 -> NDATA */
l2_npt_nf:
        movl    L2NPT + 0x2000, %ebx    /* #NPF to L1, then NDATA+4K */
        movl    cfg_vmm, %ecx
        andl    $0xfff, %ecx
        movl    $0xdeadbeef, %edx
l2_npt_vmm:
        movl    L2NPT + 0x1000(%ecx), %edx /* NPT12 -> the VMM region */
        hlt
l2_spin:                                /* IF=0 (L2's RFLAGS from the VMCB) */
        movl    $WAIT, %ecx
1:      pause
        loop    1b
        hlt
l2_inj_handler:
        hlt
l2_nmi: call    self_nmi
        movl    $WAIT, %ecx
1:      pause
        loop    1b
        hlt                             /* no NMI exit: x00000078 */
l2_nmi2:
        call    self_nmi                /* L2's handler takes it */
        movl    $WAIT, %ecx
1:      pause
        loop    1b
        call    self_nmi                /* again, after its IRET */
        movl    $WAIT, %ecx
1:      pause
        loop    1b
l2_nmi_done:
        hlt
l2_virq:                                /* IF=0 */
        call    self_nmi                /* L2's handler sends a second */
        movl    $WAIT, %ecx
1:      pause
        loop    1b
        sti                             /* V_IRQ 0x42 taken here */
        nop
        nop
        hlt                             /* not taken: exit 0x78 here */
l2_virq_handler:
        hlt
l2_nmi_handler:                         /* L2's IDT; the first one halts */
        incl    l2nmis
        cmpl    $0, l2_again
        je      2f
        movl    $0, l2_again            /* once: another NMI from inside */
        call    self_nmi
        pushl   %ecx
        movl    $WAIT, %ecx
3:      pause
        loop    3b
        popl    %ecx
2:      cmpl    $1, l2nmis
        jne     1f
l2_nmi_hlt:
        hlt
1:
l2_nmi_iret:
        iret
l2_own: movl    $1, %eax                /* Veneer's CPUID policy, for L2 */
        cpuid
        movl    %ecx, l2_res
        movl    $0x80000001, %eax
        cpuid
        movl    %ecx, l2_res + 4
        call    pci_id                  /* ports Veneer owns */
        movl    %eax, l2_res + 8
        movl    $0x56454e00, %eax       /* Veneer's magic: still #UD */
        xorl    %ebx, %ebx
l2_vmmcall:
        vmmcall
        hlt

        .code64
l2_lm:  movabsq $0x123456789a, %rax
l2_lm_cpuid:
        cpuid
        movl    $0x80000001, %eax       /* Veneer's, for L2 */
        cpuid
        movl    $l2_res + 12, %edi      /* an imm32: no 32S relocation */
        movl    %ecx, (%rdi)
l2_lm_hlt:
        hlt
        .code32

/* EAX: the vendor and device of PCI 00:00.0 through 0xcf8/0xcfc. */
pci_id: movl    $0x80000000, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        ret

/* An NMI to this CPU through the local APIC's ICR (by its APIC ID: the
 * self shorthand is for fixed interrupts only, SDM 10.6.1; Bochs drops an
 * NMI sent with it). Either level may call it. */
self_nmi:
        pushl   %eax
        movl    APIC + 0x20, %eax
        andl    $0xff000000, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004400, APIC + 0x300
        popl    %eax
        ret

stray_handler:
        incl    strays
        iret

nmi_handler:
        incl    nmis
        cmpl    $0, nmi_again
        je      1f
        movl    $0, nmi_again           /* once: another NMI from inside */
        pushl   %ecx
        call    self_nmi
        movl    $WAIT, %ecx
2:      pause
        loop    2b
        movl    nmis, %ecx              /* 1 unless it nested */
        movl    %ecx, nmi_inner
        popl    %ecx
1:      iret
irq_handler:
        incl    irqs
        movl    $0, APIC + 0xb0         /* EOI */
        iret
ud_handler:
        movl    $6, fault_vec
        pushl   %eax
        movl    skip, %eax
        addl    %eax, 4(%esp)
        popl    %eax
        iret
gp_handler:
        popl    fault_err
        movl    $13, fault_vec
        pushl   %eax
        movl    skip, %eax
        addl    %eax, 4(%esp)
        popl    %eax
        iret

unexpected:
        movl    $m_unexp, %esi
        call    puts
        jmp     stop

#include "lib32.inc"

m_off:  .asciz  "NESTED svm=0"
m_vmrun: .asciz " vmrun="
m_efer: .asciz  " efer="
m_ud:   .asciz  "ud"
m_gp:   .asciz  "gp"
m_on:   .asciz  "NESTED svm=1 feat="
m_setup: .asciz " setup-fault="
m_cpuid: .asciz " cpuid="
m_io:   .asciz  " io="
m_exc:  .asciz  " exc="
m_vmm:  .asciz  " vmm="
m_l1:   .asciz  "L1:"
m_skip: .asciz  "-"
m_hlt:  .asciz  " hlt="
m_own:  .asciz  " own="
m_invalid: .asciz " invalid="
m_inj:  .asciz  " inj="
m_lm:   .asciz  " lm="
m_gif:  .asciz  " gif="
m_addr: .asciz  " addr="
m_vmsave: .asciz " vmsave="
m_npt:  .asciz  " npt="
m_vintr: .asciz " vintr="
m_nmi:  .asciz  " nmi="
m_nmil2: .asciz " nmil2="
m_nmiiret: .asciz " nmiiret="
m_intinfo: .asciz " intinfo="
m_virq: .asciz  " virq="
m_ok:   .asciz  "ok"
m_l2:   .asciz  "L2: hello\r\n"
m_pass: .asciz  " PASS\r\n"
m_fail: .asciz  " FAIL\r\n"
m_unexp: .asciz "\r\nNESTED unexpected exception FAIL\r\n"
        .balign 4
ok:     .long   0
printed: .long  0
fault_vec: .long -1
fault_err: .long 0
nmis:   .long   0
irqs:   .long   0
l2nmis: .long   0
strays: .long   0
l2_again: .long 0
nmi_again: .long 0
nmi_inner: .long 0
skip:   .long   0
feat:   .long   0
bufptr: .long   OUTBUF
l2_res: .long   0, 0, 0, 0
        .balign 8
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    8184
cfg_vmm: .long  0                       /* set by the scenario */
        .long   0
        .org    8192
idt:                                    /* 2 KiB, not part of the image */
