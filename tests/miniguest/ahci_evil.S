/* A guest that drives a port of an AHCI HBA itself with malformed command
 * lists, tables and PRDTs (devices/storage/ahci/ahci_slot.c must refuse each), between
 * well-formed reads that must work (the last after an HBA reset and a
 * COMRESET). It finds the first HBA (class
 * 01:06:01 on bus 0) with a device on port 0. Each test restarts the port
 * (ST and FRE off, PxCLB/PxFB set, PxIS/PxSERR cleared, FRE and ST on),
 * builds slot 0 (READ DMA EXT 0x25, WRITE DMA EXT 0x35 or WRITE FPDMA
 * QUEUED 0x61 with tag 0, of 8 sectors at LBA 1024), issues it and polls PxCI and PxIS.TFES, then prints
 *   AHCI-EVIL <name> is=XXXXXXXX tfd=XXXXXXXX sact=XXXXXXXX
 * and for the good reads the first 16 bytes read: "data=<text>"; four
 * of them ("big-read") read 1 MiB (2048 sectors, one PRDT entry) at a
 * time. Ends with "AHCI-EVIL done" and an S5 power-off (q35's PM1a
 * control at 0x604). Four tests go around the cipher: a WRITE FPDMA
 * QUEUED whose FIS tag (5) is not its slot (0), a WRITE DMA of marker data
 * ("VENEER-AHCI-EVLW") with a CHS address that is LBA 1024 but reads as
 * 273 (outside the encrypted range) as an LBA, a TRIM of LBA 1024 and an
 * SCT Write Same over it. Last, "fis-area-quiet": with no command, the
 * guest's FIS area is left as the guest wrote it (is= the bytes changed).
 * The scenario patches cfg_vmm (an address in the
 * VMM region, at byte 4088) and cfg_port (the port, at byte 4087: 0 for the
 * disk, 2 for the CD of q35's ICH9) into the image. First it tries to move the
 * ABAR (BAR5) and prints what BAR5 reads after. */
#define BOOT32_SECTORS 7         /* 3.5 KiB after the boot sector */
#include "boot32.inc"

#define CLB 0x30000             /* command list (1 KiB) */
#define FB 0x30400              /* FIS receive area */
#define TABLE 0x31000           /* command table; PRDT at +0x80 */
#define BUF 0x40000             /* the data buffer */
#define BIG 0x100000            /* a 1 MiB data buffer */
#define OUTSIDE 0x80000000      /* no RAM there (QEMU -m 1024) */
#define LBA 1024

        .code32
pm32:
        movl    $0x80000008, %ebx       /* bus 0, class dword */
1:      movl    %ebx, %eax
        call    cfg_read
        shrl    $8, %eax
        cmpl    $0x010601, %eax
        jne     2f
        leal    0x1c(%ebx), %eax        /* BAR5 */
        call    cfg_read
        andl    $0xfffffff0, %eax
        movl    %eax, %ebp
        movzbl  cfg_port, %eax          /* PxSSTS.DET: a device */
        shll    $7, %eax
        movl    0x128(%ebp, %eax), %eax
        andl    $0xf, %eax
        cmpl    $3, %eax
        je      3f
2:      addl    $0x100, %ebx            /* next function */
        cmpl    $0x80010008, %ebx
        jb      1b
        movl    $m_nohba, %esi
        call    puts
        jmp     stop
3:      leal    -4(%ebx), %eax          /* command: memory + bus master */
        call    cfg_read
        orl     $6, %eax
        movl    %eax, %ecx
        leal    -4(%ebx), %eax
        call    cfg_write
        leal    0x18(%ebx), %eax        /* BAR4: the index-data pair */
        call    cfg_read
        andl    $0xfffc, %eax
        movl    %eax, idp
        leal    0x1c(%ebx), %eax        /* moving the ABAR 64 KiB up: */
        leal    0x10000(%ebp), %ecx     /* the VMM must keep it */
        call    cfg_write
        leal    0x1c(%ebx), %eax
        call    cfg_read
        pushl   %eax
        movl    $m_bar, %esi
        call    puts
        popl    %eax
        call    puthex32
        movl    $m_nl, %esi
        call    puts
        movzbl  cfg_port, %eax          /* the port's registers */
        shll    $7, %eax
        leal    0x100(%ebp, %eax), %ebp

        movl    $tests, %edi
4:      cmpl    $0, (%edi)
        je      5f
        movl    $CLB, t_clb             /* defaults, then the builder */
        movl    $TABLE, t_ctba
        movl    $0x25, t_cmd
        movl    $1, t_prdtl
        movl    $(0x40000000 | LBA), t_fis1
        movl    $8, t_fis3
        movl    $0, t_feat
        movl    $0, t_w
        movl    $0, t_ncqtag
        movl    $BUF, %ebx
        movl    $4096, %ecx
        call    *4(%edi)
        cmpl    $0, t_cmd               /* 0: the builder ran it */
        je      23f
        pushl   %edi
        call    run_cmd
        popl    %edi
23:
        movl    $m_test, %esi
        call    puts
        movl    (%edi), %esi
        call    puts
        movl    $m_is, %esi
        call    puts
        movl    st_is, %eax
        call    puthex32
        movl    $m_tfd, %esi
        call    puts
        movl    st_tfd, %eax
        call    puthex32
        movl    $m_sact, %esi
        call    puts
        movl    st_sact, %eax
        call    puthex32
        cmpl    $0, 8(%edi)             /* a good read: show the data */
        je      6f
        movl    $m_data, %esi
        call    puts
        movl    $BUF, %esi
        cmpl    $2, 8(%edi)             /* (a 1 MiB read: from BIG) */
        jne     7f
        movl    $BIG, %esi
7:      movl    $16, %ecx
        call    putn
6:      movl    $m_nl, %esi
        call    puts
        addl    $12, %edi
        jmp     4b
5:      movl    $m_done, %esi
        call    puts
        movw    $0x604, %dx             /* S5 through q35's PM1a control
                                         * (SLP_TYP 0, SLP_EN): the VMM's
                                         * power-off summary */
        movw    $0x2000, %ax
        outw    %ax, %dx
        jmp     stop

/* PCI config dword at address EAX (0x80000000 | bus/dev/fn/reg) */
cfg_read:
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        ret
cfg_write:                              /* ECX to address EAX */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        movl    %ecx, %eax
        outl    %eax, %dx
        ret

/* One PRDT entry of the default table: EBX address, ECX byte count,
 * EDX the high dword. */
entry0: xorl    %edx, %edx
entry0_hi:
        movl    %ebx, TABLE + 0x80
        movl    %edx, TABLE + 0x84
        decl    %ecx
        movl    %ecx, TABLE + 0x8c
        ret

t_good:                                 /* 4 KiB at BUF, cleared first */
        pushl   %edi
        movl    $BUF, %edi
        movl    $1024, %ecx
        xorl    %eax, %eax
        rep stosl
        popl    %edi
        movl    $4096, %ecx
        jmp     entry0
t_big:                                  /* 1 MiB (2048 sectors) at BIG,
                                         * its first 4 KiB cleared first */
        pushl   %edi
        movl    $BIG, %edi
        movl    $1024, %ecx
        xorl    %eax, %eax
        rep stosl
        popl    %edi
        movl    $2048, t_fis3
        movl    $BIG, %ebx
        movl    $0x100000, %ecx
        jmp     entry0
t_reset_good:                           /* HBA reset (GHC.HR), COMRESET,
                                         * then a good read */
        movl    %ebp, %edx              /* GHC */
        andl    $~0xfff, %edx
        movl    $0x80000001, 4(%edx)
        movl    $10000000, %ecx
15:     movl    4(%edx), %eax
        testl   $1, %eax
        jz      16f
        loop    15b
16:     movl    $1, 0x2c(%ebp)          /* PxSCTL.DET = 1: COMRESET */
        movl    $100000, %ecx
17:     loop    17b
        movl    $0, 0x2c(%ebp)
        movl    $10000000, %ecx
18:     movl    0x28(%ebp), %eax        /* until PxSSTS.DET = 3 */
        andl    $0xf, %eax
        cmpl    $3, %eax
        je      19f
        loop    18b
19:     movl    $BUF, %ebx
        movl    $4096, %ecx
        jmp     t_good

t_vmm_write:
        movl    $0x35, t_cmd
t_vmm:                                  /* into the VMM region */
        movl    cfg_vmm, %ebx
        jmp     entry0
t_outside:                              /* where there is no RAM */
        movl    $OUTSIDE, %ebx
        jmp     entry0
t_wrap:                                 /* address + count past 2^64 */
        movl    $0xfffff000, %ebx
        movl    $0xffffffff, %edx
        movl    $0x2000, %ecx
        jmp     entry0_hi
t_odd:                                  /* an odd byte count */
        movl    $4095, %ecx
        jmp     entry0
t_short:                                /* 1 KiB for a 4 KiB command */
        movl    $1024, %ecx
        jmp     entry0
t_many:                                 /* 300 entries of 512 bytes */
        movl    $300, t_prdtl
        movl    $TABLE + 0x80, %edx
        movl    $BUF, %ebx
8:      movl    %ebx, (%edx)
        movl    $0, 4(%edx)
        movl    $511, 12(%edx)
        addl    $512, %ebx
        addl    $16, %edx
        cmpl    $TABLE + 0x80 + 300 * 16, %edx
        jb      8b
        ret
t_table_vmm:                            /* the command table in the VMM's */
        movl    $0x35, t_cmd
        call    entry0
        movl    cfg_vmm, %eax
        movl    %eax, t_ctba
        ret
t_clb_vmm:                              /* the command list in the VMM's */
        movl    $0x35, t_cmd
        call    entry0
        movl    cfg_vmm, %eax
        movl    %eax, t_clb
        ret
t_ncq_vmm:                              /* WRITE FPDMA QUEUED into the
                                         * VMM region */
        movl    $0x61, t_cmd
        movl    cfg_vmm, %ebx
        jmp     entry0
t_ncq_tag:                              /* WRITE FPDMA QUEUED of marker
                                         * data in slot 0 with tag 5 */
        movl    $0x61, t_cmd
        movl    $(5 << 3), t_ncqtag
        jmp     marker_entry
t_chs:                                  /* WRITE DMA of marker data, the
                                         * LBA bit clear: C 1 H 0 S 17 is
                                         * LBA 1024 with 16 heads of 63
                                         * sectors; read as an LBA, 273 */
        movl    $0xca, t_cmd
        movl    $1, t_w
        movl    $0xa0000111, t_fis1
        jmp     marker_entry
t_trim:                                 /* DATA SET MANAGEMENT, TRIM:
                                         * one range, LBA 1024, 8 sectors */
        movl    $0x06, t_cmd
        movl    $1, t_feat
        movl    $1, t_w
        movl    $0x40000000, t_fis1
        movl    $1, t_fis3
        call    zero_block
        movl    $LBA, BUF
        movl    $0x00080000, BUF + 4
        jmp     block_entry
t_sct:                                  /* WRITE LOG DMA EXT to log 0xe0:
                                         * SCT Write Same (action 2,
                                         * function 1: repeat a pattern)
                                         * at LBA 1024, 8 sectors */
        movl    $0x57, t_cmd
        movl    $1, t_w
        movl    $0x400000e0, t_fis1
        movl    $1, t_fis3
        call    zero_block
        movl    $0x00010002, BUF
        movl    $LBA, BUF + 4
        movl    $8, BUF + 12
        movl    $0x454e4556, BUF + 20   /* "VENE" */
        jmp     block_entry
zero_block:                             /* 512 bytes at BUF cleared */
        pushl   %edi
        movl    $BUF, %edi
        movl    $128, %ecx
        xorl    %eax, %eax
        rep stosl
        popl    %edi
        ret
block_entry:
        movl    $BUF, %ebx
        movl    $512, %ecx
        jmp     entry0
marker_entry:                           /* BUF: 4 KiB of marker, one entry */
        pushl   %edi
        movl    $BUF, %edi
        movl    $256, %edx
22:     movl    $marker, %esi
        movl    $4, %ecx
        rep movsl
        decl    %edx
        jnz     22b
        popl    %edi
        movl    $BUF, %ebx
        movl    $4096, %ecx
        jmp     entry0
/* Through the index-data pair only (BAR4 I/O): the port stopped, PxCLB
 * set to a command list of the guest's own (CLB2: WRITE DMA EXT of 4 KiB
 * of marker data at LBA 1040, in the encrypted range), the port started,
 * PxCI set. Mediated, the write is encrypted like any other. */
#define CLB2 0x32000
#define TABLE2 0x33000
t_idp:
        pushl   %edi
        call    idp_run
        popl    %edi
        ret
idp_run:
        call    marker_entry            /* BUF: marker data */
        movl    $0x00010045, CLB2       /* CFL 5, W, 1 PRDT entry */
        movl    $0, CLB2 + 4
        movl    $TABLE2, CLB2 + 8
        movl    $0, CLB2 + 12
        movl    $0x00358027, TABLE2     /* WRITE DMA EXT */
        movl    $(0x40000000 | (LBA + 16)), TABLE2 + 4
        movl    $0, TABLE2 + 8
        movl    $8, TABLE2 + 12
        movl    $0, TABLE2 + 16
        movl    $BUF, TABLE2 + 0x80
        movl    $0, TABLE2 + 0x84
        movl    $4095, TABLE2 + 0x8c
        movl    $0, t_cmd               /* this builder runs it */
        movzbl  cfg_port, %esi          /* ESI: the port's ABAR offset */
        shll    $7, %esi
        addl    $0x100, %esi
        leal    0x18(%esi), %eax        /* PxCMD: ST off, until CR clears */
        call    idp_read
        movl    %eax, %ebx
        andl    $~1, %eax
        movl    %eax, %ecx
        leal    0x18(%esi), %eax
        call    idp_write
        movl    $100000, %edi
24:     leal    0x18(%esi), %eax
        call    idp_read
        testl   $0x8000, %eax
        jz      25f
        decl    %edi
        jnz     24b
25:     movl    $CLB2, %ecx             /* PxCLB, PxCLBU */
        leal    0x00(%esi), %eax
        call    idp_write
        xorl    %ecx, %ecx
        leal    0x04(%esi), %eax
        call    idp_write
        movl    $0xffffffff, %ecx       /* PxIS cleared */
        leal    0x10(%esi), %eax
        call    idp_write
        movl    %ebx, %ecx              /* FRE and ST on */
        orl     $0x11, %ecx
        leal    0x18(%esi), %eax
        call    idp_write
        movl    $1, %ecx                /* PxCI: slot 0 */
        leal    0x38(%esi), %eax
        call    idp_write
        movl    $1000000, %edi
26:     leal    0x10(%esi), %eax        /* until TFES or CI clears */
        call    idp_read
        testl   $0x40000000, %eax
        jnz     27f
        leal    0x38(%esi), %eax
        call    idp_read
        testl   $1, %eax
        jz      27f
        decl    %edi
        jnz     26b
27:     leal    0x10(%esi), %eax
        call    idp_read
        movl    %eax, st_is
        leal    0x20(%esi), %eax
        call    idp_read
        movl    %eax, st_tfd
        movl    $0, st_sact
        ret
idp_write:                              /* ECX to ABAR register EAX */
        movw    idp, %dx
        addw    $0x10, %dx
        outl    %eax, %dx
        addw    $4, %dx
        movl    %ecx, %eax
        outl    %eax, %dx
        ret
idp_read:                               /* EAX = ABAR register EAX */
        movw    idp, %dx
        addw    $0x10, %dx
        outl    %eax, %dx
        addw    $4, %dx
        inl     %dx, %eax
        ret
t_long:                                 /* READ LONG: not shadowed */
        movl    $0x22, t_cmd
        jmp     entry0

/* Restarts port 0 with t_clb, builds slot 0 and runs it. */
run_cmd:
        movl    $~1, %ebx               /* ST off, until CR clears */
        movl    $0x15, %eax
        call    cmd_off
        movl    $~0x10, %ebx            /* FRE off, until FR clears */
        movl    $0x14, %eax
        call    cmd_off
        movl    t_clb, %eax
        movl    %eax, 0x00(%ebp)
        movl    $0, 0x04(%ebp)
        movl    $FB, 0x08(%ebp)
        movl    $0, 0x0c(%ebp)
        movl    $0xffffffff, 0x30(%ebp) /* SERR, IS */
        movl    $0xffffffff, 0x10(%ebp)
        movl    0x18(%ebp), %eax        /* FRE, then ST */
        orl     $0x10, %eax
        movl    %eax, 0x18(%ebp)
        orl     $0x01, %eax
        movl    %eax, 0x18(%ebp)
        movl    t_prdtl, %eax           /* the header: CFL 5, W, PRDTL */
        shll    $16, %eax
        orl     $5, %eax
        cmpl    $0, t_w                 /* writes: W */
        jne     20f
        cmpl    $0x35, t_cmd
        je      20f
        cmpl    $0x61, t_cmd
        jne     9f
20:     orl     $0x40, %eax
9:      cmpl    $CLB, t_clb
        jne     10f
        movl    %eax, CLB
        movl    $0, CLB + 4
        movl    t_ctba, %eax
        movl    %eax, CLB + 8
        movl    $0, CLB + 12
10:     movl    $TABLE, %edx            /* the command FIS */
        movl    t_cmd, %eax
        shll    $16, %eax
        orl     $0x8027, %eax
        movl    t_feat, %ecx
        shll    $24, %ecx
        orl     %ecx, %eax
        movl    %eax, (%edx)
        movl    t_fis1, %eax            /* LBA 7:0..23:0, device */
        movl    %eax, 4(%edx)
        movl    $0, 8(%edx)
        movl    t_fis3, %eax            /* count */
        movl    %eax, 12(%edx)
        movl    $0, 16(%edx)
        cmpl    $0x61, t_cmd            /* NCQ: count in the features, */
        jne     21f                     /* the tag, PxSACT before PxCI */
        orl     $0x08000000, (%edx)
        movl    t_ncqtag, %eax
        movl    %eax, 12(%edx)
        movl    $1, 0x34(%ebp)
21:     movl    $1, 0x38(%ebp)          /* PxCI: slot 0 */
        movl    $20000000, %ecx
11:     movl    0x10(%ebp), %eax        /* until TFES or CI clears */
        testl   $0x40000000, %eax
        jnz     12f
        movl    0x38(%ebp), %eax
        testl   $1, %eax
        jz      12f
        loop    11b
12:     movl    0x10(%ebp), %eax
        movl    %eax, st_is
        movl    0x34(%ebp), %eax
        movl    %eax, st_sact
        movl    0x20(%ebp), %eax
        movl    %eax, st_tfd
        ret

cmd_off:                                /* PxCMD &= EBX, then until bit
                                         * EAX of PxCMD is clear */
        movl    0x18(%ebp), %edx
        andl    %ebx, %edx
        movl    %edx, 0x18(%ebp)
        movl    $10000000, %ecx
13:     movl    0x18(%ebp), %edx
        btl     %eax, %edx
        jnc     14f
        loop    13b
14:     ret

/* After the last good read, with FRE on: the guest's FIS area filled
 * with 0xaa, then PxIS and PxCI read 100 times and no command issued; no
 * FIS came, so nothing may write the area (the HBA would not). st_is = the
 * bytes changed. */
t_fis_quiet:
        movl    $0, t_cmd               /* no command: it runs itself */
        pushl   %edi
        movl    $FB, %edi
        movl    $256, %ecx
        movb    $0xaa, %al
        rep stosb
        movl    $100, %ecx
31:     movl    0x10(%ebp), %eax
        movl    0x38(%ebp), %eax
        loop    31b
        xorl    %edx, %edx
        movl    $FB, %esi
        movl    $256, %ecx
32:     cmpb    $0xaa, (%esi)
        je      33f
        incl    %edx
33:     incl    %esi
        loop    32b
        movl    %edx, st_is
        movl    $0, st_tfd
        movl    $0, st_sact
        popl    %edi
        ret

unexpected:
        jmp     stop

#include "lib32.inc"

        .balign 4
/* name, builder, 1 = a good read (print data) */
tests:  .long   n_good, t_good, 1
        .long   n_big, t_big, 2
        .long   n_big, t_big, 2
        .long   n_big, t_big, 2
        .long   n_big, t_big, 2
        .long   n_vmm, t_vmm, 0
        .long   n_vmmw, t_vmm_write, 0
        .long   n_outside, t_outside, 0
        .long   n_wrap, t_wrap, 0
        .long   n_odd, t_odd, 0
        .long   n_short, t_short, 0
        .long   n_many, t_many, 0
        .long   n_table, t_table_vmm, 0
        .long   n_clb, t_clb_vmm, 0
        .long   n_long, t_long, 0
        .long   n_ncq, t_ncq_vmm, 0
        .long   n_tag, t_ncq_tag, 0
        .long   n_chs, t_chs, 0
        .long   n_trim, t_trim, 0
        .long   n_sct, t_sct, 0
        .long   n_idp, t_idp, 0
        .long   n_again, t_good, 1
        .long   n_reset, t_reset_good, 1
        .long   n_quiet, t_fis_quiet, 0
        .long   0

t_clb:   .long  0
t_ctba:  .long  0
t_cmd:   .long  0
t_prdtl: .long  0
idp:     .long  0
t_fis1:  .long  0
t_fis3:  .long  0
t_feat:  .long  0
t_w:     .long  0
t_ncqtag: .long 0
st_is:   .long  0
st_tfd:  .long  0
st_sact: .long  0

n_good:    .asciz "good-read"
n_big:     .asciz "big-read"
n_vmm:     .asciz "vmm-region-read"
n_vmmw:    .asciz "vmm-region-write"
n_outside: .asciz "outside-ram"
n_wrap:    .asciz "wraps"
n_odd:     .asciz "odd-count"
n_short:   .asciz "prdt-too-short"
n_many:    .asciz "too-many-entries"
n_table:   .asciz "table-in-vmm-write"
n_clb:     .asciz "clb-in-vmm-write"
n_long:    .asciz "read-long"
n_ncq:     .asciz "ncq-vmm-region-write"
n_idp:     .asciz "idp-write"
n_tag:     .asciz "ncq-tag-not-slot"
n_chs:     .asciz "chs-write"
n_trim:    .asciz "trim-encrypted"
n_sct:     .asciz "sct-write-same"
marker:    .ascii "VENEER-AHCI-EVLW"
n_again:   .asciz "good-read-again"
n_reset:   .asciz "good-read-after-hba-reset"
n_quiet:   .asciz "fis-area-quiet"
m_test: .asciz  "AHCI-EVIL "
m_is:   .asciz  " is="
m_tfd:  .asciz  " tfd="
m_sact: .asciz  " sact="
m_data: .asciz  " data="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "AHCI-EVIL done\r\n"
m_bar:  .asciz  "AHCI-EVIL bar5-after-move="
m_nohba: .asciz "AHCI-EVIL no HBA with a device on the port\r\n"

        .org    4087
cfg_port:  .byte 0              /* patched by the scenario */
cfg_vmm:   .long 0x3e000000     /* patched by the scenario */
        .org    4096
idt:
idt_desc:
