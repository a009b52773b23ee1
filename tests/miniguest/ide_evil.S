/* A guest that drives the primary IDE channel's bus master itself with
 * malformed PRD tables (devices/storage/ide/ide_dma.c must refuse each), between two
 * well-formed reads that must work. Each test soft-resets the channel,
 * programs the bus master (table address, direction), issues READ DMA
 * (0xc8) or WRITE DMA (0xca) of 8 sectors at LBA 1024 of the drive in
 * `cfg_drive`, starts the engine and polls its status, then prints
 *   IDE-EVIL <name> bm=SS ata=SS
 * (bus-master status after the transfer, ATA status), and for the good
 * reads the first 16 bytes read: "data=<text>". Ends with
 * "IDE-EVIL done". Two tests write 4 KiB of "VENEER-IDE-EVILW" marker
 * data around the mediator: restart-after-refusal (a refused WRITE DMA,
 * then the engine restarted over a good table without a reset) and
 * started-other-drive (the engine started with the other drive selected,
 * then WRITE DMA issued to the disk); the marker must never reach the
 * disk. The scenario patches cfg_vmm (an address in the VMM
 * region) and cfg_drive (0 master, 1 slave) into the image. */
#include "boot32.inc"

#define ATA 0x1f0
#define ATA_CTL 0x3f6
#define TABLE 0x10000           /* a well-placed PRD table */
#define EDGE_TABLE 0x1ff00      /* 32 entries before a 64 KiB boundary */
#define BUF 0x20000             /* the data buffer */
#define OUTSIDE 0x80000000      /* no RAM there (QEMU -m 1024, Bochs 512) */
#define LBA 1024

        .code32
pm32:
        /* the bus master: BAR4 of 00:01.1 (PIIX), I/O space; enable
         * bus mastering and I/O decoding in its command register */
        movl    $0x80000920, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        andl    $0xfffc, %eax
        movw    %ax, bm
        movl    $0x80000904, %eax
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inw     %dx, %ax
        orw     $5, %ax
        outw    %ax, %dx

        movl    $tests, %ebp
1:      cmpl    $0, (%ebp)
        je      2f
        call    *4(%ebp)                /* builds the table: EAX = its address */
        movb    8(%ebp), %bl            /* the ATA command (0: the builder */
        testb   %bl, %bl                /* ran the test itself) */
        jz      13f
        call    run_dma
13:
        movl    $m_test, %esi
        call    puts
        movl    (%ebp), %esi
        call    puts
        movl    $m_bm, %esi
        call    puts
        movb    st_bm, %al
        call    puthex8
        movl    $m_ata, %esi
        call    puts
        movb    st_ata, %al
        call    puthex8
        cmpb    $1, 9(%ebp)             /* a good read: show the data */
        jne     3f
        movl    $m_data, %esi
        call    puts
        movl    $BUF, %esi
        movl    $16, %ecx
        call    putn
3:      movl    $m_nl, %esi
        call    puts
        addl    $12, %ebp
        jmp     1b
2:      movl    $m_done, %esi
        call    puts
        jmp     stop

/* One entry at TABLE: EBX address, ECX count (low 16 bits), EOT. */
one_entry:
        movl    %ebx, TABLE
        orl     $0x80000000, %ecx
        movl    %ecx, TABLE + 4
        movl    $TABLE, %eax
        ret

t_good:                                 /* 4 KiB at BUF, cleared first */
        movl    $BUF, %edi
        movl    $1024, %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $BUF, %ebx
        movl    $4096, %ecx
        jmp     one_entry
t_vmm:                                  /* into the VMM region */
        movl    cfg_vmm, %ebx
        movl    $4096, %ecx
        jmp     one_entry
t_outside:                              /* where there is no RAM */
        movl    $OUTSIDE, %ebx
        movl    $4096, %ecx
        jmp     one_entry
t_wrap:                                 /* address + count past 4 GiB */
        movl    $0xfffff000, %ebx
        movl    $0x2000, %ecx
        jmp     one_entry
t_odd:                                  /* an odd address */
        movl    $BUF + 1, %ebx
        movl    $4096, %ecx
        jmp     one_entry
t_short:                                /* 1 KiB for a 4 KiB command */
        movl    $BUF, %ebx
        movl    $1024, %ecx
        jmp     one_entry
t_noeot:                                /* 32 entries, none with EOT, up
                                         * to a 64 KiB boundary */
        movl    $EDGE_TABLE, %edi
        movl    $32, %ecx
5:      movl    $BUF, (%edi)
        movl    $512, 4(%edi)
        addl    $8, %edi
        loop    5b
        movl    $EDGE_TABLE, %eax
        ret
t_table_out:                            /* the table itself outside RAM */
        movl    $OUTSIDE, %eax
        ret

/* A WRITE DMA refused (a VMM-region entry), then, with no reset, the
 * engine restarted over a good table of marker data: the drive still
 * waits for the refused command's data. */
t_restart:
        call    t_vmm
        movb    $0xca, %bl
        call    run_dma
        call    fill_marker
        movw    bm, %dx                 /* ERR/INTR cleared, the good table */
        addw    $2, %dx
        movb    $0x06, %al
        outb    %al, %dx
        addw    $2, %dx
        movl    $TABLE, %eax
        outl    %eax, %dx
        movb    $0, bm_dir
        call    start_poll
        ret

/* The engine started over a table of marker data while the other drive
 * is selected, then WRITE DMA issued to the disk. */
t_other:
        call    t_good                  /* first a good read: QEMU keeps the */
        movb    $0xc8, %bl              /* callback of a refused DMA command */
        call    run_dma                 /* across SRST and would run it on the */
        call    reset_channel           /* other drive (an assertion) */
        call    fill_marker
        movw    bm, %dx
        xorb    %al, %al
        outb    %al, %dx
        addw    $2, %dx
        movb    $0x06, %al
        outb    %al, %dx
        addw    $2, %dx
        movl    $TABLE, %eax
        outl    %eax, %dx
        movb    $0, bm_dir
        movb    cfg_drive, %al          /* the other drive */
        xorb    $1, %al
        shlb    $4, %al
        orb     $0xe0, %al
        movw    $ATA + 6, %dx
        outb    %al, %dx
        movw    bm, %dx                 /* start, to the device */
        movb    $0x01, %al
        outb    %al, %dx
        movb    cfg_drive, %al          /* the disk */
        shlb    $4, %al
        orb     $0xe0, %al
        movw    $ATA + 6, %dx
        outb    %al, %dx
        call    wait_ready
        movb    $0xca, %bl
        call    issue
        call    poll_stop
        ret

/* BUF: 4 KiB of "VENEER-IDE-EVILW", one entry over it at TABLE. */
fill_marker:
        movl    $BUF, %edi
        movl    $256, %edx
14:     movl    $marker, %esi
        movl    $4, %ecx
        rep movsl
        decl    %edx
        jnz     14b
        movl    $BUF, %ebx
        movl    $4096, %ecx
        jmp     one_entry

/* Soft reset of the channel (SRST, nIEN), until BSY clears. */
reset_channel:
        movw    $ATA_CTL, %dx
        movb    $0x06, %al
        outb    %al, %dx
        movl    $1000, %ecx
6:      inb     %dx, %al
        loop    6b
        movb    $0x02, %al
        outb    %al, %dx
        jmp     wait_ready

/* Soft reset of the channel, then the transfer: table EAX, command BL. */
run_dma:
        pushl   %eax
        call    reset_channel
15:     movw    bm, %dx                 /* engine stopped, ERR/INTR cleared */
        xorb    %al, %al
        outb    %al, %dx
        addw    $2, %dx
        movb    $0x06, %al
        outb    %al, %dx
        addw    $2, %dx
        popl    %eax
        outl    %eax, %dx
        movb    $0x08, %al              /* direction: to memory for a read */
        cmpb    $0xc8, %bl
        je      7f
        xorb    %al, %al
7:      movb    %al, bm_dir
        movw    bm, %dx
        outb    %al, %dx
        movb    cfg_drive, %al          /* LBA 1024, 8 sectors */
        shlb    $4, %al
        orb     $0xe0, %al
        movw    $ATA + 6, %dx
        outb    %al, %dx
        call    wait_ready
        call    issue
        jmp     start_poll

/* 8 sectors at LBA 1024, command BL, to the drive selected. */
issue:
        movw    $ATA + 2, %dx
        movb    $8, %al
        outb    %al, %dx
        incw    %dx
        movb    $(LBA & 0xff), %al
        outb    %al, %dx
        incw    %dx
        movb    $((LBA >> 8) & 0xff), %al
        outb    %al, %dx
        incw    %dx
        movb    $((LBA >> 16) & 0xff), %al
        outb    %al, %dx
        movw    $ATA + 7, %dx
        movb    %bl, %al
        outb    %al, %dx
        ret

/* Start the engine in direction bm_dir, then poll_stop. */
start_poll:
        movw    bm, %dx                 /* start */
        movb    bm_dir, %al
        orb     $1, %al
        outb    %al, %dx
/* Poll the bus-master status, stop the engine, read the ATA status. */
poll_stop:
        movw    bm, %dx
        addw    $2, %dx
        movl    $20000000, %ecx
8:      inb     %dx, %al                /* until INTR or ERROR, or stopped */
        testb   $0x06, %al
        jnz     9f
        testb   $0x01, %al
        jz      9f
        loop    8b
9:      movb    %al, st_bm
        movw    bm, %dx                 /* stop */
        movb    bm_dir, %al
        outb    %al, %dx
        movw    $ATA + 7, %dx
        inb     %dx, %al
        movb    %al, st_ata
        ret

wait_ready:                             /* until BSY clears (bounded) */
        movw    $ATA_CTL, %dx
        movl    $10000000, %ecx
10:     inb     %dx, %al
        testb   $0x80, %al
        jz      11f
        loop    10b
11:     ret

puthex8:                                /* AL as 2 hex digits */
        pushl   %eax
        shrb    $4, %al
        call    hexdigit
        popl    %eax
hexdigit:
        andb    $0xf, %al
        addb    $'0', %al
        cmpb    $'9', %al
        jbe     12f
        addb    $('a' - '0' - 10), %al
12:     jmp     putc

unexpected:
        jmp     stop

#include "lib32.inc"

        .balign 4
/* name, table builder, ATA command, 1 = a good read (print data) */
tests:  .long   n_good, t_good
        .byte   0xc8, 1, 0, 0
        .long   n_vmm, t_vmm
        .byte   0xc8, 0, 0, 0
        .long   n_vmmw, t_vmm
        .byte   0xca, 0, 0, 0
        .long   n_outside, t_outside
        .byte   0xc8, 0, 0, 0
        .long   n_wrap, t_wrap
        .byte   0xc8, 0, 0, 0
        .long   n_odd, t_odd
        .byte   0xc8, 0, 0, 0
        .long   n_short, t_short
        .byte   0xc8, 0, 0, 0
        .long   n_noeot, t_noeot
        .byte   0xc8, 0, 0, 0
        .long   n_tabout, t_table_out
        .byte   0xca, 0, 0, 0
        .long   n_restart, t_restart
        .byte   0, 0, 0, 0
        .long   n_other, t_other
        .byte   0, 0, 0, 0
        .long   n_again, t_good
        .byte   0xc8, 1, 0, 0
        .long   0

bm:     .word   0
bm_dir: .byte   0
st_bm:  .byte   0
st_ata: .byte   0

n_good:    .asciz "good-read"
n_vmm:     .asciz "vmm-region-read"
n_vmmw:    .asciz "vmm-region-write"
n_outside: .asciz "outside-ram"
n_wrap:    .asciz "wraps-4g"
n_odd:     .asciz "odd-address"
n_short:   .asciz "table-too-short"
n_noeot:   .asciz "no-eot"
n_tabout:  .asciz "table-outside-ram-write"
n_again:   .asciz "good-read-again"
n_restart: .asciz "restart-after-refusal"
n_other:   .asciz "started-other-drive"
marker:    .ascii "VENEER-IDE-EVILW"
m_test: .asciz  "IDE-EVIL "
m_bm:   .asciz  " bm="
m_ata:  .asciz  " ata="
m_data: .asciz  " data="
m_nl:   .asciz  "\r\n"
m_done: .asciz  "IDE-EVIL done\r\n"

        .org    2040
cfg_vmm:   .long 0x3e000000     /* patched by the scenario */
cfg_drive: .byte 0
        .org    2048
idt:
idt_desc:
