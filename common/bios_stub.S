/* Real-mode code the VMM places in guest memory for a BIOS boot (copied
 * to the top of conventional memory, which the BIOS data area is told is
 * 4 KiB smaller). Position-independent within its segment: every
 * reference is an offset from bios_stub_start, and the VMM starts it with
 * CS = its segment.
 *
 *  - int15_hook: answers INT 15h E820, E801 and 88h through a hypercall
 *    (the VMM fills the registers, the caller's buffer and the CF bit of
 *    the FLAGS the INT pushed), chains everything else to the BIOS.
 *  - boot: reads the first sector of the boot drive with INT 13h (LBA
 *    extensions if present, else CHS) to 0:7C00 and jumps to it with DL
 *    set, as the BIOS would; failures are reported by hypercall.
 *
 * Every hypercall site is 3 bytes that the VMM patches with its backend's
 * instruction (VMMCALL or VMCALL); the VMM tells the sites apart by IP. */

#define OFF(x) ((x) - bios_stub_start)
#define HYPERCALL_SITE(name) name: .byte 0x0f, 0x01, 0xd9

        .section .rodata.bios_stub, "a"
        .code16
        .globl bios_stub_start, bios_stub_end
        .globl bios_stub_orig15, bios_stub_drive, bios_stub_int15
        .globl bios_stub_boot, bios_stub_site_int15, bios_stub_site_fail
        .globl bios_stub_site_nosig, bios_stub_site_go
bios_stub_start:
        jmp     boot
        .balign 4
bios_stub_orig15:
        .long   0                       /* the BIOS's INT 15h, off:seg */
bios_stub_drive:
        .byte   0x80
        .balign 4
dap:
        .byte   0x10, 0                 /* size, reserved */
        .word   1                       /* sectors */
        .word   0x7c00, 0               /* buffer offset, segment */
        .quad   0                       /* LBA */

bios_stub_int15:
        cmpl    $0xe820, %eax
        je      1f
        cmpw    $0xe801, %ax
        je      1f
        cmpb    $0x88, %ah
        je      1f
        ljmp    *%cs:OFF(bios_stub_orig15)
1:
HYPERCALL_SITE(bios_stub_site_int15)
        iret

boot:
bios_stub_boot:
        cli
        xorw    %ax, %ax
        movw    %ax, %ss
        movw    $0x7c00, %sp
        movw    %ax, %es
        pushw   %cs
        popw    %ds
        sti
        /* Reset the drive, then prefer the LBA extensions. */
        movb    OFF(bios_stub_drive), %dl
        xorw    %ax, %ax
        int     $0x13
        movb    $0x41, %ah
        movw    $0x55aa, %bx
        movb    OFF(bios_stub_drive), %dl
        int     $0x13
        jc      chs
        cmpw    $0xaa55, %bx
        jne     chs
        testb   $1, %cl
        jz      chs
        movw    $OFF(dap), %si
        movb    $0x42, %ah
        movb    OFF(bios_stub_drive), %dl
        int     $0x13
        movb    $1, %al                 /* method for the report: LBA */
        jc      fail
        jmp     check
chs:
        movw    $0x0201, %ax            /* read 1 sector */
        movw    $0x0001, %cx            /* cylinder 0, sector 1 */
        xorb    %dh, %dh
        movb    OFF(bios_stub_drive), %dl
        movw    $0x7c00, %bx
        int     $0x13
        movb    $2, %al                 /* method: CHS */
        jc      fail
check:
        xorw    %bx, %bx
        movw    %bx, %es
        cmpw    $0xaa55, %es:0x7dfe
        jne     nosig
        movb    OFF(bios_stub_drive), %dl
HYPERCALL_SITE(bios_stub_site_go)
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movb    %cs:OFF(bios_stub_drive), %dl
        ljmp    $0, $0x7c00
fail:                                   /* AH = BIOS status, AL = method */
HYPERCALL_SITE(bios_stub_site_fail)
        jmp     halt
nosig:
HYPERCALL_SITE(bios_stub_site_nosig)
halt:
        cli
        hlt
        jmp     halt
bios_stub_end:
        .code64
