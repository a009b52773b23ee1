/* A boot-sector guest that is a tiny hypervisor (L1) on VMX (issue 20,
 * scenarios a and c): it runs an even tinier guest (L2) and checks every
 * VM exit it asked for, and the VMX instructions' failures.
 *
 * When CPUID.1 shows no VMX (Veneer's default, vmm.nested=0) it checks
 * that VMX is really absent: setting CR4.VMXE raises #GP and VMXON #UD.
 * Prints "NESTED vmx=0 cr4=gp vmxon=ud PASS|FAIL".
 *
 * With VMX it turns on 32-bit paging (4 MiB identity pages: VMX wants
 * CR0.PG), CR4.VMXE, VMXON with IA32_VMX_BASIC's revision, then:
 *   fail:  the failures of the SDM, each with its VM-instruction error:
 *          VMPTRLD of an unaligned address with no current VMCS
 *          (VMfailInvalid), VMXON again (15), VMPTRLD unaligned (9), of
 *          the VMXON region (10), of a page with another revision (11),
 *          VMCLEAR unaligned (2), VMREAD of an unknown field (12),
 *          VMWRITE of the exit reason (13, unless IA32_VMX_MISC bit 29),
 *          VMRESUME of a clear VMCS (5), a pin-based control bit the CPU
 *          lacks (7), guest RFLAGS bit 1 clear (VM-entry failure: exit
 *          0x80000021 at HOST_RIP); cfg_vmm: VMPTRLD of a page in the
 *          VMM region (9);
 * then L2 (32-bit protected mode with L1's paging; L1 asks for HLT and
 * NMI exits, I/O port 0x99 in its I/O bitmap, #UD and #GP in its
 * exception bitmap) prints "L2: hello" on COM1 itself and in turn:
 *   cpuid: CPUID EAX=0x4c32 -> exit 10 at the CPUID, length 2, EAX kept;
 *   io:    IN AL,DX from 0x99 -> exit 30, qualification 0x00990008;
 *   msr:   the MSR lists on that entry and exit: the VM-entry MSR-load
 *          list gives L2 SYSENTER_ESP 0x12345678 and TSC_AUX 0x55, the
 *          VM-exit MSR-store list has them back, the VM-exit MSR-load
 *          list gives L1 0xabcd0000 and 0x66;
 *   exc:   UD2 -> exit 0, interruption info 0x80000306;
 *   vmm:   (cfg_vmm) a load from Veneer's region: L1's own load is #GP
 *          with error 0; L2's is an exit 0 with 0x80000b0d, error 0,
 *          EAX unchanged (no VMM byte);
 *   nmi:   a self-NMI through the local APIC -> exit 0 with 0x80000202;
 *   nmiblk: after that exit L1's NMIs are blocked (SDM: an NMI blocks
 *          NMIs once its VM exit completes): L1's own self-NMI is not
 *          taken until L1 executes an IRET, then once;
 *   hlt:   HLT -> exit 12 at the HLT; VMLAUNCH again -> error 4;
 * then L2 on L1's EPT (EPT12, identity but for a few pages):
 *   ept:   L2 reads and writes a page EPT12 maps elsewhere;
 *   eptinv: INVEPT of an unknown type -> error 28; L1 remaps that page
 *          and INVEPTs (single-context): L2 reads the new page;
 *   eptviol: a read of a page EPT12 leaves out -> exit 48, qualification
 *          0x181, the guest-physical address;
 *   eptro: a write to a read-only page -> exit 48, 0x18a;
 *   eptmis: a write-only entry -> exit 49 with the address;
 *   eptvmm: (cfg_vmm) EPT12 onto Veneer's region: L2's load is an exit 0
 *          with 0x80000b0d, nothing loaded.
 * Prints "NESTED vmx=1 fail=ok cpuid=ok io=ok msr=ok exc=ok vmm=ok nmi=ok nmiblk=ok hlt=ok
 * ept=ok eptinv=ok eptviol=ok eptro=ok eptmis=ok eptvmm=ok PASS|FAIL" (a check that fails prints what it got instead of ok) and
 * stops the emulator. */
#define BOOT32_SECTORS 15
#include "boot32.inc"

#define PD      0x10000                 /* L1's page directory */
#define VMXON_R 0x11000
#define VMCS    0x12000
#define BADREV  0x13000                 /* a VMCS with another revision */
#define IOBMP   0x14000                 /* 8 KiB: A and B */
#define TSS     0x16000
#define L2STACK 0x18000
#define HSTACK  0x19000                 /* L1's stack after an exit */
#define MSRL    0x1a000                 /* the MSR lists (msr) */
#define OUTBUF  0x20000
#define EPML4   0x30000                 /* L1's EPT for L2 (ept): 4 tables */
#define EPDPT   0x31000
#define EPDIR   0x32000
#define EPTAB   0x33000                 /* 4 KiB pages of 0-2 MiB */
#define EPB     0x40000                 /* L1-physical pages behind EPA */
#define EPB2    0x41000
#define EPA     0x1fe000                /* L2-physical: -> EPB, then EPB2 */
#define EPC     0x1fd000                /* not present */
#define EPRO    0x1fc000                /* read-only */
#define EPMIS   0x1fb000                /* write-only: a misconfiguration */
#define EPVMM   0x1fa000                /* -> the VMM region (cfg_vmm) */
#define APIC    0xfee00000
#define L1PORT  0x99
#define WAIT    200000
#include "vmx32_defs.inc"

        .code32
pm32:
        movb    $6, %al
        movl    $ud_handler, %ebx
        call    idt_init
        movl    $gp_handler, %eax
        movl    $13, %ecx
        call    set_gate
        movl    $nmi_handler, %eax
        movl    $2, %ecx
        call    set_gate
        lgdt    gdt2_desc
        movl    $1, ok
        movl    $1, %eax
        cpuid
        testl   $0x20, %ecx             /* VMX */
        jnz     vmx_on

        /* ---- VMX hidden: CR4.VMXE #GP, VMXON #UD ---- */
        movl    $m_off, %esi
        call    bputs
        movl    $-1, fault_vec
        movl    $3, skip
        movl    %cr4, %eax
        orl     $0x2000, %eax
        movl    %eax, %cr4              /* 0f 22 e0 */
        movl    $m_cr4, %esi
        movl    $13, %eax
        movl    $m_gp, %edi
        call    report_fault
        movl    $-1, fault_vec
        movl    $8, skip
        vmxon   vmxon_ptr               /* f3 0f c7 35 disp32 */
        movl    $m_vmxon, %esi
        movl    $6, %eax
        movl    $m_ud, %edi
        call    report_fault
        jmp     verdict

vmx_on:
        movl    $m_on, %esi
        call    bputs
        call    vmx_paging
        movl    $0x480, %ecx            /* IA32_VMX_BASIC: the revision */
        rdmsr
        andl    $0x7fffffff, %eax
        movl    %eax, VMXON_R
        movl    %eax, VMCS
        xorl    $0x55, %eax
        movl    %eax, BADREV
        movl    $0x485, %ecx            /* IA32_VMX_MISC */
        rdmsr
        movl    %eax, misc
        movl    $-1, fault_vec
        vmxon   vmxon_ptr
        call    flags
        cmpl    $0, %eax
        jne     2f
        cmpl    $-1, fault_vec
        je      3f
2:      movl    $m_setup, %esi
        call    bputs
        movl    fault_vec, %eax
        call    bputhex
        movl    $0, ok
        jmp     verdict
3:
        /* ---- fail ---- */
        movl    $m_fail, %esi
        call    bputs
        vmptrld bad_ptr                 /* unaligned, no current VMCS */
        call    flags
        cmpl    $1, %eax                /* CF: VMfailInvalid */
        je      4f
        orl     $0x100, %eax
        call    bad
4:      vmxon   vmxon_ptr
        movl    $15, %ebx
        call    expect_err_nocur
        vmclear vmcs_ptr
        vmptrld vmcs_ptr
        call    flags
        testl   %eax, %eax
        jz      5f
        orl     $0x200, %eax
        call    bad
5:      vmptrld bad_ptr
        movl    $9, %ebx
        call    expect_err
        vmptrld vmxon_ptr
        movl    $10, %ebx
        call    expect_err
        vmptrld badrev_ptr
        movl    $11, %ebx
        call    expect_err
        vmclear bad_ptr
        movl    $2, %ebx
        call    expect_err
        movl    $0x7ffe, %edx           /* no such field */
        vmread  %edx, %eax
        movl    $12, %ebx
        call    expect_err
        testl   $0x20000000, misc       /* VMWRITE to any field */
        jnz     6f
        VMW     F_REASON, $0
        movl    $13, %ebx
        call    expect_err
6:      movl    cfg_vmm, %eax
        testl   %eax, %eax
        jz      7f
        andl    $~0xfff, %eax
        movl    %eax, vmm_ptr
        vmptrld vmm_ptr
        movl    $9, %ebx
        call    expect_err
        vmptrld vmcs_ptr
7:      call    build_vmcs
        call    resume                  /* a clear VMCS */
        movl    $5, %ebx
        call    expect_err
        VMW     F_PIN, $0x80000016      /* bit 31: no CPU has it */
        call    launch
        movl    $7, %ebx
        call    expect_err
        VMW     F_PIN, pin
        VMW     F_GRFL, $0              /* RFLAGS bit 1 clear */
        call    launch
        cmpl    $1, exited              /* came back through HOST_RIP */
        jne     8f
        VMR     F_REASON
        cmpl    $0x80000021, %eax
        je      9f
8:      call    bad
9:      VMW     F_GRFL, $2
        call    say_ok

        /* ---- cpuid (L2 says hello on COM1 first) ---- */
        movl    $m_cpuid, %esi
        call    bputs
        call    launch
        movl    $10, %eax
        movl    $l2_cpuid, %ebx
        call    check_exit
        jc      10f
        VMR     F_LEN
        cmpl    $2, %eax
        jne     11f
        cmpl    $0x4c32, l2_eax
        je      10f
        movl    l2_eax, %eax
11:     call    bad
10:     call    say_ok
        call    skip_insn

        /* ---- io (with the MSR lists on its entry and exit) ---- */
        movl    $msr_lists, %esi
        movl    $MSRL, %edi
        movl    $24, %ecx
        rep movsl
        VMW     0x200a, $MSRL           /* VM-entry MSR-load */
        VMW     0x4014, $2
        VMW     0x2006, $MSRL + 0x20    /* VM-exit MSR-store */
        VMW     0x400e, $2
        VMW     0x2008, $MSRL + 0x40    /* VM-exit MSR-load */
        VMW     0x4010, $2
        movl    $m_io, %esi
        call    bputs
        call    resume
        movl    $30, %eax
        movl    $l2_in, %ebx
        call    check_exit
        jc      12f
        VMR     F_QUAL
        cmpl    $0x00990008, %eax
        je      12f
        call    bad
12:     call    say_ok
        call    skip_insn

        /* ---- msr: L2's MSRs stored at the exit as the entry loaded
         * them, L1's from the exit's load list ---- */
        movl    $m_msr, %esi
        call    bputs
        movl    MSRL + 0x28, %eax
        cmpl    $0x12345678, %eax
        jne     22f
        movl    MSRL + 0x38, %eax
        cmpl    $0x55, %eax
        jne     22f
        movl    $0x175, %ecx
        rdmsr
        cmpl    $0xabcd0000, %eax
        jne     22f
        movl    $0xc0000103, %ecx
        rdmsr
        cmpl    $0x66, %eax
        je      23f
22:     call    bad
23:     call    say_ok
        VMW     0x4014, $0
        VMW     0x400e, $0
        VMW     0x4010, $0

        /* ---- exc ---- */
        movl    $m_exc, %esi
        call    bputs
        call    resume
        xorl    %eax, %eax
        movl    $l2_ud, %ebx
        call    check_exit
        jc      13f
        VMR     F_INTR
        cmpl    $0x80000306, %eax
        je      13f
        call    bad
13:     call    say_ok
        VMW     F_GRIP, $l2_after_ud

        /* ---- vmm: L1's own load first, then L2's ---- */
        movl    $m_vmm, %esi
        call    bputs
        movl    cfg_vmm, %ebx
        testl   %ebx, %ebx
        jnz     14f
        movl    $m_skip, %esi
        call    bputs
        VMW     F_GRIP, $l2_nmi
        jmp     16f
14:     movl    $-1, fault_vec
        movl    $2, skip
        movl    $0xdeadbeef, %eax
        movl    (%ebx), %eax            /* 8b 03 */
        cmpl    $13, fault_vec
        jne     15f
        cmpl    $0xdeadbeef, %eax
        jne     15f
        cmpl    $0, fault_err
        je      17f
15:     movl    $m_l1, %esi
        call    bputs
        movl    fault_vec, %eax
        call    bad
17:     call    resume
        xorl    %eax, %eax
        movl    $l2_vmm_load, %ebx
        call    check_exit
        jc      18f
        VMR     F_INTR
        cmpl    $0x80000b0d, %eax
        jne     19f
        VMR     F_INTRERR
        testl   %eax, %eax
        jnz     19f
        cmpl    $0xdeadbeef, l2_eax
        je      18f
        movl    l2_eax, %eax
19:     call    bad
18:     call    say_ok
        VMW     F_GRIP, $l2_nmi         /* (a fault's length is undefined) */

        /* ---- nmi: L2 sends itself an NMI; L1's NMI exiting takes it ---- */
16:     movl    $m_nmi, %esi
        call    bputs
        movl    APIC + 0xf0, %eax       /* the local APIC software-enabled */
        orl     $0x100, %eax
        movl    %eax, APIC + 0xf0
        call    resume
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        call    check_exit
        jc      20f
        VMR     F_INTR
        cmpl    $0x80000202, %eax
        je      20f
        call    bad
20:     call    say_ok
        VMW     F_GRIP, $l2_hlt

        /* ---- nmiblk: after that NMI exit L1's NMIs are blocked until
         * its IRET (its own self-NMI waits for it) ---- */
        movl    $m_nmiblk, %esi
        call    bputs
        call    self_nmi
        movl    nmi_seen, %eax          /* 1: taken while blocked */
        testl   %eax, %eax
        jnz     24f
        pushfl                          /* an IRET unblocks NMIs */
        pushl   %cs
        pushl   $2f
        iret
2:      movl    $WAIT, %ecx
1:      pause
        loop    1b
        movl    nmi_seen, %eax
        cmpl    $1, %eax
        je      25f
        orl     $0x10, %eax             /* 0x10: never taken */
24:     call    bad
25:     call    say_ok

        /* ---- hlt, then VMLAUNCH of a launched VMCS ---- */
        movl    $m_hlt, %esi
        call    bputs
        call    resume
        movl    $12, %eax
        movl    $l2_hlt, %ebx
        call    check_exit
        jc      21f
        call    launch
        movl    $4, %ebx
        call    expect_err
21:     call    say_ok
        call    ept_checks
        vmxoff

verdict:
        movl    $m_pass, %esi
        cmpl    $0, ok
        jne     1f
        movl    $m_failv, %esi
1:      call    bputs
        movl    bufptr, %edi
        movb    $0, (%edi)
        movl    $OUTBUF, %esi           /* one write: no VMM log line inside */
        call    puts
        jmp     stop

/* ---- L2 on L1's EPT: ept, eptinv, eptviol, eptro, eptmis, eptvmm ---- */
ept_checks:
        movl    $m_ept, %esi
        call    bputs
        movl    $0x48b, %ecx            /* secondary controls: EPT allowed */
        rdmsr
        testl   $2, %edx
        jz      1f
        movl    $0x48c, %ecx            /* 4-level, WB, INVEPT single-context */
        rdmsr
        andl    $0x02104040, %eax
        cmpl    $0x02104040, %eax
        je      2f
        orl     $0xe0000000, %eax
        jmp     3f
1:      movl    %edx, %eax
3:      call    bad
        call    say_ok
        ret
2:      call    ept_tables
        movl    $0x11223344, EPB
        movl    $0x55667788, EPB2
        VMR     F_PROC
        orl     $0x80000000, %eax       /* secondary controls */
        VMW     F_PROC, %eax
        VMW     F_PROC2, $2             /* enable EPT */
        VMW     F_EPTP, $(EPML4 | 0x1e) /* WB, 4-level */
        VMW     F_EPTP + 1, $0
        VMW     F_GRIP, $l2_ept
        call    resume
        movl    $10, %eax
        movl    $l2_ept_c1, %ebx
        call    check_exit
        jc      4f
        movl    l2_eax, %eax            /* L2 read EPB's value at EPA */
        cmpl    $0x11223344, %eax
        jne     5f
        movl    EPB, %eax               /* and its write landed in EPB */
        cmpl    $0x5a5aa5a5, %eax
        je      4f
5:      call    bad
4:      call    say_ok
        call    skip_insn

        /* eptinv: EPA -> EPB2 and INVEPT: L2's next read sees EPB2 */
        movl    $m_eptinv, %esi
        call    bputs
        movl    $(EPB2 | 0x37), EPTAB + (EPA >> 12) * 8
        movl    $3, %eax                /* no such type: VMfailValid(28) */
        invept  eptp_desc, %eax
        movl    $28, %ebx
        call    expect_err
        movl    $1, %eax                /* single-context */
        invept  eptp_desc, %eax
        call    flags
        testl   %eax, %eax
        jz      6f
        orl     $0x100, %eax
        call    bad
6:      call    resume
        movl    $10, %eax
        movl    $l2_ept_c2, %ebx
        call    check_exit
        jc      7f
        movl    l2_eax, %eax
        cmpl    $0x55667788, %eax
        je      7f
        call    bad
7:      call    say_ok
        call    skip_insn

        /* eptviol: a read of a page EPT12 leaves out: exit 48, read,
         * linear address valid and translated, no permissions */
        movl    $m_eptviol, %esi
        call    bputs
        call    resume
        movl    $48, %eax
        movl    $l2_ept_v, %ebx
        movl    $0x181, %esi
        movl    $EPC + 0x10, %edi
        call    check_ept_exit
        call    say_ok
        VMW     F_GRIP, $l2_ept_ro

        /* eptro: a write to a read-only page: write, readable */
        movl    $m_eptro, %esi
        call    bputs
        call    resume
        movl    $48, %eax
        movl    $l2_ept_ro, %ebx
        movl    $0x18a, %esi
        movl    $EPRO + 0x20, %edi
        call    check_ept_exit
        call    say_ok
        VMW     F_GRIP, $l2_ept_mis

        /* eptmis: a write-only entry: exit 49 with the address */
        movl    $m_eptmis, %esi
        call    bputs
        call    resume
        movl    $49, %eax
        movl    $l2_ept_mis, %ebx
        movl    $-1, %esi               /* (the qualification is undefined) */
        movl    $EPMIS + 0x8, %edi
        call    check_ept_exit
        call    say_ok
        VMW     F_GRIP, $l2_ept_vmm

        /* eptvmm: (cfg_vmm) EPT12 maps EPVMM onto Veneer's region: L2's
         * load is the #GP L1's own load gets, nothing loaded */
        movl    $m_eptvmm, %esi
        call    bputs
        cmpl    $0, cfg_vmm
        jne     8f
        movl    $m_skip, %esi
        call    bputs
        VMW     F_GRIP, $l2_ept_end
        jmp     9f
8:      call    resume
        xorl    %eax, %eax
        movl    $l2_ept_vmm_load, %ebx
        call    check_exit
        jc      10f
        VMR     F_INTR
        cmpl    $0x80000b0d, %eax
        jne     11f
        cmpl    $0xdeadbeef, l2_eax
        je      10f
        movl    l2_eax, %eax
11:     call    bad
10:     call    say_ok
        VMW     F_GRIP, $l2_ept_end
9:      call    resume                  /* L2's HLT: back to L1 */
        movl    $12, %eax
        movl    $l2_ept_end, %ebx
        call    check_exit
        ret

/* An EPT exit: reason EAX at L2's RIP EBX, qualification bits 8:0 ESI
 * (-1: any), guest-physical address EDI. */
check_ept_exit:
        call    check_exit
        jc      2f
        cmpl    $-1, %esi
        je      1f
        VMR     F_QUAL
        andl    $0x1ff, %eax
        cmpl    %esi, %eax
        jne     3f
1:      VMR     F_GPA
        cmpl    %edi, %eax
        je      2f
3:      call    bad
2:      ret

/* L1's EPT: identity over 1 GiB (2 MiB pages above 2 MiB, 4 KiB below),
 * write-back, but for EPA..EPVMM (see the defines). */
ept_tables:
        movl    $EPML4, %edi
        xorl    %eax, %eax
        movl    $4096, %ecx
        rep stosl
        movl    $(EPDPT | 7), EPML4
        movl    $(EPDIR | 7), EPDPT
        movl    $(EPTAB | 7), EPDIR
        movl    $EPDIR + 8, %edi
        movl    $(0x200000 | 0xb7), %eax /* RWX, WB, 2 MiB */
        movl    $511, %ecx
1:      movl    %eax, (%edi)
        addl    $0x200000, %eax
        addl    $8, %edi
        loop    1b
        movl    $EPTAB, %edi
        movl    $0x37, %eax             /* RWX, WB */
        movl    $512, %ecx
2:      movl    %eax, (%edi)
        addl    $0x1000, %eax
        addl    $8, %edi
        loop    2b
        movl    $(EPB | 0x37), EPTAB + (EPA >> 12) * 8
        movl    $0, EPTAB + (EPC >> 12) * 8
        movl    $(EPRO | 0x31), EPTAB + (EPRO >> 12) * 8
        movl    $(EPMIS | 0x32), EPTAB + (EPMIS >> 12) * 8
        movl    cfg_vmm, %eax
        andl    $~0xfff, %eax
        orl     $0x37, %eax
        movl    %eax, EPTAB + (EPVMM >> 12) * 8
        ret

/* The last instruction failed with VMfailValid and error EBX. */
expect_err:
        call    flags
        cmpl    $2, %eax
        jne     1f
        VMR     F_ERR
        cmpl    %ebx, %eax
        je      2f
1:      shll    $8, %ebx                /* expected error, what came */
        orl     %ebx, %eax
        call    bad
2:      ret
/* VMXON in root operation: VMfailValid, but there is no current VMCS
 * yet, so VMfailInvalid (SDM: VMfail with no current VMCS) */
expect_err_nocur:
        call    flags
        cmpl    $1, %eax
        je      1f
        orl     $0xf00, %eax
        call    bad
1:      ret

/* GUEST_RIP += the exit's instruction length */
skip_insn:
        VMR     F_LEN
        movl    %eax, %ebx
        VMR     F_GRIP
        addl    %ebx, %eax
        movl    %eax, %ebx
        movl    $F_GRIP, %edx
        vmwrite %ebx, %edx
        ret

/* Checks the exit: reason EAX, at L2's RIP EBX (0: any). Prints what it
 * got and returns CF=1 on a mismatch. */
check_exit:
        pushl   %eax
        VMR     F_REASON
        movl    %eax, %ecx
        popl    %eax
        cmpl    %eax, %ecx
        jne     1f
        testl   %ebx, %ebx
        jz      2f
        VMR     F_GRIP
        cmpl    %ebx, %eax
        je      2f
        call    bad                     /* the wrong RIP */
        stc
        ret
1:      movb    $'x', %al
        call    bputc
        movl    %ecx, %eax
        call    bputhex
        movl    $0, ok
        movl    $1, printed
        stc
        ret
2:      clc
        ret

/* ---- L2 ---- */
l2_code:
        movl    $m_l2, %esi             /* COM1: not in L1's bitmap */
        call    puts
        movl    $0x4c32, %eax
l2_cpuid:
        cpuid
        movw    $L1PORT, %dx
l2_in:  inb     %dx, %al
l2_ud:  ud2
l2_after_ud:
        movl    cfg_vmm, %ebx
        movl    $0xdeadbeef, %eax
l2_vmm_load:
        movl    (%ebx), %eax            /* 8b 03 */
l2_nmi: call    self_nmi
        movl    $m_nonmi, %esi
        call    puts
l2_hlt: hlt
        jmp     l2_hlt

/* L2 on L1's EPT (ept_checks) */
l2_ept:
        movl    $EPA, %ebx
        movl    (%ebx), %eax
        movl    $0x5a5aa5a5, (%ebx)
l2_ept_c1:
        cpuid
        movl    EPA, %eax               /* (L1 gave L2 its own registers) */
l2_ept_c2:
        cpuid
l2_ept_v:
        movl    EPC + 0x10, %eax
l2_ept_ro:
        movl    %eax, EPRO + 0x20
l2_ept_mis:
        movl    EPMIS + 0x8, %eax
l2_ept_vmm:
        movl    $0xdeadbeef, %eax
l2_ept_vmm_load:
        movl    EPVMM + 0x10, %eax
l2_ept_end:
        hlt
        jmp     l2_ept_end

ud_handler:
        movl    $6, fault_vec
        pushl   %eax
        movl    skip, %eax
        addl    %eax, 4(%esp)
        popl    %eax
        iret
/* An NMI to this CPU through its local APIC, then a while to take it. */
self_nmi:
        movl    APIC + 0x20, %eax       /* ICR: to our APIC ID, NMI */
        andl    $0xff000000, %eax
        movl    %eax, APIC + 0x310
        movl    $0x00004400, APIC + 0x300
        movl    $WAIT, %ecx
1:      pause
        loop    1b
        ret
/* IDT gate ECX -> the handler at EAX (idt_init's selector and type). */
set_gate:
        movw    %ax, idt(,%ecx,8)
        shrl    $16, %eax
        movw    %ax, idt + 6(,%ecx,8)
        ret
nmi_handler:
        incl    nmi_seen
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

/* The result line is built in OUTBUF and printed at the end in one go. */
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
        pushl   %ecx
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
        popl    %ecx
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

#include "lib32.inc"
#include "vmx32.inc"

m_off:  .asciz  "NESTED vmx=0"
m_cr4:  .asciz  " cr4="
m_vmxon: .asciz " vmxon="
m_ud:   .asciz  "ud"
m_gp:   .asciz  "gp"
m_on:   .asciz  "NESTED vmx=1"
m_setup: .asciz " setup-fault="
m_fail: .asciz  " fail="
m_cpuid: .asciz " cpuid="
m_io:   .asciz  " io="
m_msr:  .asciz  " msr="
m_exc:  .asciz  " exc="
m_vmm:  .asciz  " vmm="
m_nmi:  .asciz  " nmi="
m_nmiblk: .asciz " nmiblk="
m_l1:   .asciz  "L1:"
m_skip: .asciz  "-"
m_hlt:  .asciz  " hlt="
m_ept:  .asciz  " ept="
m_eptinv: .asciz " eptinv="
m_eptviol: .asciz " eptviol="
m_eptro: .asciz " eptro="
m_eptmis: .asciz " eptmis="
m_eptvmm: .asciz " eptvmm="
m_ok:   .asciz  "ok"
m_l2:   .asciz  "L2: hello\r\n"
m_nonmi: .asciz "L2: no NMI exit\r\n"
m_pass: .asciz  " PASS\r\n"
m_failv: .asciz " FAIL\r\n"
m_unexp: .asciz "\r\nNESTED unexpected exception FAIL\r\n"
        .balign 8
/* the MSR lists (copied to MSRL): VM-entry load (L2's SYSENTER_ESP,
 * held in the VMCS, and TSC_AUX, on the CPU), VM-exit store, VM-exit
 * load (L1's) */
msr_lists:
        .long   0x175, 0, 0x12345678, 0, 0xc0000103, 0, 0x55, 0
        .long   0x175, 0, 0, 0, 0xc0000103, 0, 0, 0
        .long   0x175, 0, 0xabcd0000, 0, 0xc0000103, 0, 0x66, 0
vmxon_ptr: .quad VMXON_R
vmcs_ptr: .quad VMCS
bad_ptr: .quad  VMCS + 8
badrev_ptr: .quad BADREV
vmm_ptr: .quad  0
eptp_desc: .quad EPML4 | 0x1e, 0         /* INVEPT's descriptor */
ok:     .long   0
printed: .long  0
fault_vec: .long -1
fault_err: .long 0
nmi_seen: .long 0
skip:   .long   0
misc:   .long   0
bufptr: .long   OUTBUF
idt_desc:
        .word   256 * 8 - 1
        .long   idt
        .org    8184
cfg_vmm: .long  0                       /* set by the scenario */
        .long   0
        .org    8192
idt:                                    /* 2 KiB, not part of the image */
