/* A guest that drives the NVMe controller at 00:04.0 itself with malformed
 * commands (devices/storage/nvme/ must refuse each), between well-formed reads
 * that must work. It resets the controller, gives it an admin queue of 8
 * entries, creates I/O queue pair 1 (after two malformed creations), then
 * submits each test's command and prints
 *   NVME-EVIL <name> st=XXXXXXXX
 * (the completion's status: SCT << 8 | SC; 0000ffff: no completion), and
 * for the good reads the first 16 bytes read: "data=<text>". Ends with
 * "NVME-EVIL done". The scenario patches cfg_vmm (an address in the VMM
 * region) into the image. The data: 8 sectors at LBA 1024 of namespace 1. */
#define BOOT32_SECTORS 7         /* 3.5 KiB after the boot sector */
#include "boot32.inc"

#define ASQ 0x10000
#define ACQ 0x11000
#define IOSQ 0x12000
#define IOCQ 0x13000
#define LIST 0x14000            /* a page for PRP lists */
#define CMD 0x15000             /* the command being built */
#define SQ2 0x16000             /* queue pair 2 (32 entries) for the burst */
#define CQ2 0x17000
#define BURST 20                /* reads in one doorbell: more than the
                                   mediator's 16 bounce buffers */
#define BUF 0x20000             /* the data buffer (16 KiB) */
#define OUTSIDE 0x80000000      /* no RAM there (QEMU q35 -m 1024) */
#define LBA 1024

        .code32
pm32:
        /* BAR0 of 00:04.0 (SeaBIOS left memory decoding and bus
         * mastering on: it booted us from this controller) */
        movl    $0x80002010, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        andl    $0xfffffff0, %eax
        movl    %eax, bar

        movl    $ASQ, %edi              /* queues and list zeroed */
        movl    $(0x8000 / 4), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    bar, %ebx
        movl    $0, 0x14(%ebx)          /* CC: disable (a reset) */
        xorl    %esi, %esi
        call    wait_rdy
        movl    $0x00070007, 0x24(%ebx) /* AQA: 8 + 8 entries */
        movl    $ASQ, 0x28(%ebx)
        movl    $0, 0x2c(%ebx)
        movl    $ACQ, 0x30(%ebx)
        movl    $0, 0x34(%ebx)
        movl    $0x00460001, 0x14(%ebx) /* CC: IOCQES 4, IOSQES 6, EN */
        movl    $1, %esi
        call    wait_rdy
        movl    0(%ebx), %eax           /* CAP.MQES */
        andl    $0xffff, %eax
        movl    %eax, mqes

        movl    $tests, %ebp
1:      cmpl    $0, (%ebp)
        je      2f
        movl    $CMD, %edi              /* a clean command */
        movl    $16, %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $CMD, %esi
        call    *4(%ebp)                /* builds CMD, EDI = its queue or 0 (EAX: what to print) */
        testl   %edi, %edi
        jz      3f
        call    submit
3:      pushl   %eax
        movl    $m_test, %esi
        call    puts
        movl    (%ebp), %esi
        call    puts
        movl    $m_st, %esi
        call    puts
        popl    %eax
        call    puthex32
        cmpb    $1, 8(%ebp)             /* a good read: show the data */
        jne     4f
        movl    $m_data, %esi
        call    puts
        movl    $BUF, %esi
        movl    $16, %ecx
        call    putn
4:      movl    $m_nl, %esi
        call    puts
        addl    $12, %ebp
        jmp     1b
2:      movl    $m_done, %esi
        call    puts
        jmp     stop

/* CSTS.RDY == ESI, bounded. */
wait_rdy:
        movl    $100000000, %ecx
6:      movl    0x1c(%ebx), %eax
        andl    $1, %eax
        cmpl    %esi, %eax
        je      7f
        loop    6b
7:      ret

/* Submits CMD on the queue pair at EDI (struct: SQ, CQ, SQ doorbell
 * offset, tail, head, phase; 8 entries each), waits for its completion:
 * EAX = SCT << 8 | SC, or 0xffff if none came. */
submit:
        movl    12(%edi), %eax
        movl    %eax, %edx
        shll    $16, %edx
        orl     %edx, CMD               /* command ID = the slot */
        shll    $6, %eax
        addl    (%edi), %eax
        pushl   %edi
        movl    $CMD, %esi
        movl    %eax, %edi
        movl    $16, %ecx
        rep movsl
        popl    %edi
        movl    12(%edi), %eax
        incl    %eax
        andl    $7, %eax
        movl    %eax, 12(%edi)
        movl    bar, %ebx
        addl    8(%edi), %ebx
        movl    %eax, (%ebx)            /* SQ tail doorbell */
        movl    $50000000, %ecx
8:      movl    16(%edi), %eax
        shll    $4, %eax
        addl    4(%edi), %eax
        movl    12(%eax), %edx
        shrl    $16, %edx
        andl    $1, %edx
        cmpl    20(%edi), %edx
        je      9f
        loop    8b
        movl    $0xffff, %eax
        ret
9:      movl    12(%eax), %eax
        shrl    $17, %eax
        andl    $0x7ff, %eax
        pushl   %eax
        movl    16(%edi), %eax
        incl    %eax
        andl    $7, %eax
        jnz     10f
        xorl    $1, 20(%edi)
10:     movl    %eax, 16(%edi)
        movl    bar, %ebx
        addl    8(%edi), %ebx
        movl    %eax, 4(%ebx)           /* CQ head doorbell */
        popl    %eax
        ret

/* ---- the tests' commands (ESI = CMD, zeroed; EDI = the queue) ---------- */

t_cq_vmm:                               /* Create I/O CQ 1 in the VMM region */
        call    t_cq
        movl    cfg_vmm, %eax
        movl    %eax, 24(%esi)
        ret
t_id_vmm:                               /* Identify Controller into the VMM region */
        call    t_cq_vmm
        movl    $6, (%esi)
        ret
t_cq_big:                               /* ... with MQES + 2 entries */
        call    t_cq
        movl    mqes, %eax
        incl    %eax
        shll    $16, %eax
        incl    %eax
        movl    %eax, 40(%esi)
        ret
t_cq:   movl    $5, (%esi)
        movl    $IOCQ, 24(%esi)
        movl    $0x00070001, 40(%esi)   /* 8 entries, QID 1 */
        movl    $1, 44(%esi)            /* physically contiguous */
        movl    $adminq, %edi
        ret
t_sq:   movl    $1, (%esi)
        movl    $IOSQ, 24(%esi)
        movl    $0x00070001, 40(%esi)
        movl    $0x00010001, 44(%esi)   /* CQ 1, contiguous */
        movl    $adminq, %edi
        ret

t_good: movl    $2, (%esi)              /* Read of 8 blocks at LBA into BUF */
        movl    $1, 4(%esi)             /* NSID 1 */
        movl    $BUF, 24(%esi)
        movl    $LBA, 40(%esi)
        movl    $7, 48(%esi)
        movl    $ioq, %edi
        ret
t_vmm_write:
        call    t_vmm_read
        movl    $1, (%esi)              /* Write */
        ret
t_vmm_read:
        call    t_good
        movl    cfg_vmm, %eax
        movl    %eax, 24(%esi)
        ret
t_outside:
        call    t_good
        movl    $OUTSIDE, 24(%esi)
        ret
t_rom:                                  /* into the BIOS ROM (reserved, < 1 MiB) */
        call    t_good
        movl    $0xf0000, 24(%esi)
        ret
t_prp1_odd:
        call    t_good
        movl    $BUF + 2, 24(%esi)
        ret
t_zeroes:                               /* Write Zeroes */
        call    t_good
        movl    $8, (%esi)
        ret
t_too_long:                             /* 65536 blocks */
        call    t_good
        movl    $0xffff, 48(%esi)
        ret
t_lba_wrap:                             /* LBA + count wraps 2^64 */
        call    t_good
        movl    $0xfffffffc, 40(%esi)
        movl    $0xffffffff, 44(%esi)
        ret
t_loop:                                 /* a list whose last entry points at itself */
        movl    $BUF + 0x1000, LIST + 0xff0
        movl    $LIST, LIST + 0xff8     /* the next list: this page again */
        movl    $LIST + 0xff0, %eax
        jmp     read32
t_list_vmm:
        movl    cfg_vmm, %eax
        jmp     read32
t_list_odd:
        movl    $LIST + 4, %eax
read32: call    t_good                  /* 32 blocks: PRP2 (EAX) is a list */
        movl    %eax, 32(%esi)
        movl    $31, 48(%esi)
        ret
t_doorbell:                             /* SQ 1 tail beyond the queue */
        movl    bar, %ebx
        movl    $100, 0x1008(%ebx)
        xorl    %edi, %edi
        xorl    %eax, %eax
        ret

t_cq2:  call    t_cq                    /* I/O CQ 2, 32 entries */
        movl    $CQ2, 24(%esi)
        movl    $0x001f0002, 40(%esi)
        ret
t_sq2:  call    t_sq                    /* I/O SQ 2 on CQ 2 */
        movl    $SQ2, 24(%esi)
        movl    $0x001f0002, 40(%esi)
        movl    $0x00020001, 44(%esi)
        ret

/* BURST well-formed Reads of 8 blocks (LBA, +8, +16, +24, again...) into
 * BUF + k * 4 KiB, all given to the controller by one SQ 2 tail doorbell:
 * the mediator runs out of bounce buffers and must wait for completions
 * before taking the rest. EAX = the completions with status 0, plus 0x100
 * if a buffer differs from the one read from the same LBAs 4 reads
 * earlier; BUF (zeroed first) holds the first read's data. */
t_burst:
        movl    $BUF, %edi
        movl    $(BURST * 1024), %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $SQ2, %edi
        xorl    %ecx, %ecx
11:     movl    %ecx, %eax
        shll    $16, %eax
        orl     $2, %eax                /* Read, command ID k */
        movl    %eax, (%edi)
        movl    $1, 4(%edi)             /* NSID 1 */
        movl    %ecx, %eax
        shll    $12, %eax
        addl    $BUF, %eax
        movl    %eax, 24(%edi)          /* PRP1 */
        movl    %ecx, %eax
        andl    $3, %eax
        shll    $3, %eax
        addl    $LBA, %eax
        movl    %eax, 40(%edi)          /* SLBA */
        movl    $7, 48(%edi)            /* 8 blocks */
        addl    $64, %edi
        incl    %ecx
        cmpl    $BURST, %ecx
        jb      11b
        movl    bar, %ebx
        movl    $BURST, 0x1010(%ebx)    /* SQ 2 tail doorbell */
        xorl    %edx, %edx              /* good completions */
        xorl    %ecx, %ecx
12:     movl    %ecx, %esi
        shll    $4, %esi
        addl    $CQ2, %esi
        movl    $50000000, %eax
13:     testl   $0x10000, 12(%esi)      /* phase 1: posted */
        jnz     14f
        decl    %eax
        jnz     13b
        jmp     15f
14:     movl    12(%esi), %eax
        shrl    $17, %eax               /* status */
        jnz     16f
        incl    %edx
16:     incl    %ecx
        cmpl    $BURST, %ecx
        jb      12b
15:     movl    bar, %ebx
        movl    %ecx, 0x1014(%ebx)      /* CQ 2 head doorbell */
        movl    $4, %ecx
17:     pushl   %ecx
        movl    %ecx, %esi
        shll    $12, %esi
        addl    $BUF, %esi
        leal    -0x4000(%esi), %edi
        movl    $1024, %ecx
        repe cmpsl
        popl    %ecx
        je      18f
        orl     $0x100, %edx
18:     incl    %ecx
        cmpl    $BURST, %ecx
        jb      17b
        movl    %edx, %eax
        xorl    %edi, %edi
        ret

t_fw_dl:                                /* Firmware Image Download, 4 KiB */
        movl    $0x11, (%esi)
        movl    $BUF, 24(%esi)
        movl    $0x3ff, 40(%esi)
        movl    $adminq, %edi
        ret
t_fw_commit:                            /* Firmware Commit: activate */
        movl    $0x10, (%esi)
        movl    $0x00000009, 40(%esi)   /* CA 1, slot 1 */
        movl    $adminq, %edi
        ret
/* Boot partition read into the VMM region (BPMBL, then BPRSEL), a CMB
 * and a PMR enabled: the registers must read back zero afterwards. EAX:
 * BPMBL | CMBMSC | PMRCTL | CAP's CMBS/PMRS/BPS bits, as read back. */
t_regs:
        movl    bar, %ebx
        movl    cfg_vmm, %eax
        movl    %eax, 0x48(%ebx)        /* BPMBL: the VMM region */
        movl    $0, 0x4c(%ebx)
        movl    $0x00000400, 0x44(%ebx) /* BPRSEL: 1 KiB of partition 0 */
        movl    cfg_vmm, %eax
        orl     $3, %eax                /* CMBMSC: CRE, CMSE, CBA */
        movl    %eax, 0x50(%ebx)
        movl    $1, 0xe04(%ebx)         /* PMRCTL.EN */
        movl    0x48(%ebx), %eax        /* (MOV only: the decoder's) */
        movl    0x50(%ebx), %ecx
        orl     %ecx, %eax
        movl    0xe04(%ebx), %ecx
        orl     %ecx, %eax
        movl    4(%ebx), %edx           /* CAP 63:32 */
        andl    $0x03002000, %edx
        orl     %edx, %eax
        xorl    %edi, %edi
        ret

#include "lib32.inc"

        .balign 4
adminq: .long   ASQ, ACQ, 0x1000, 0, 0, 1
ioq:    .long   IOSQ, IOCQ, 0x1008, 0, 0, 1
bar:    .long   0
mqes:   .long   0

/* name, builder, 1 = a good read (print data) */
tests:  .long   n_id_vmm, t_id_vmm, 0
        .long   n_cq_vmm, t_cq_vmm, 0
        .long   n_cq_big, t_cq_big, 0
        .long   n_cq, t_cq, 0
        .long   n_sq, t_sq, 0
        .long   n_good, t_good, 1
        .long   n_vmm_read, t_vmm_read, 0
        .long   n_vmm_write, t_vmm_write, 0
        .long   n_outside, t_outside, 0
        .long   n_rom, t_rom, 0
        .long   n_loop, t_loop, 0
        .long   n_list_vmm, t_list_vmm, 0
        .long   n_list_odd, t_list_odd, 0
        .long   n_prp1_odd, t_prp1_odd, 0
        .long   n_too_long, t_too_long, 0
        .long   n_lba_wrap, t_lba_wrap, 0
        .long   n_zeroes, t_zeroes, 0
        .long   n_doorbell, t_doorbell, 0
        .long   n_fw_dl, t_fw_dl, 0
        .long   n_fw_commit, t_fw_commit, 0
        .long   n_regs, t_regs, 0
        .long   n_again, t_good, 1
        .long   n_cq2, t_cq2, 0
        .long   n_sq2, t_sq2, 0
        .long   n_burst, t_burst, 1
        .long   0

n_id_vmm:    .asciz "id-vmm"
n_cq_vmm:    .asciz "cq-vmm"
n_cq_big:    .asciz "cq-big"
n_cq:        .asciz "cq"
n_sq:        .asciz "sq"
n_good:      .asciz "good"
n_vmm_read:  .asciz "vmm-read"
n_vmm_write: .asciz "vmm-write"
n_outside:   .asciz "outside-ram"
n_rom:       .asciz "bios-rom"
n_loop:      .asciz "list-loop"
n_list_vmm:  .asciz "list-vmm"
n_list_odd:  .asciz "list-odd"
n_prp1_odd:  .asciz "prp1-odd"
n_too_long:  .asciz "too-long"
n_lba_wrap:  .asciz "lba-wraps"
n_zeroes:    .asciz "write-zeroes"
n_doorbell:  .asciz "bad-doorbell"
n_again:     .asciz "good-again"
n_fw_dl:     .asciz "firmware-download"
n_fw_commit: .asciz "firmware-commit"
n_regs:      .asciz "bp-cmb-pmr-registers"
n_cq2:       .asciz "cq2"
n_sq2:       .asciz "sq2"
n_burst:     .asciz "burst"
m_test: .asciz  "NVME-EVIL "
m_st:   .asciz  " st="
m_data: .asciz  " data="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "NVME-EVIL done\r\n"

unexpected:
        jmp     stop

        .org    4088
cfg_vmm:   .long 0x3e000000     /* patched by the scenario */
        .org    4096
idt:
idt_desc:
