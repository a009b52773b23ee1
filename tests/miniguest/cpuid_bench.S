/* A boot-sector guest that measures the CPUID exit round trip: with the
 * VMM running it, CPUID exits; in Bochs the TSC counts retired
 * instructions, so (TSC across N CPUIDs - TSC across the same loop without
 * CPUID) / N is the VMM's instructions per exit, exactly. Prints
 *   CPUID-BENCH n=<N hex> cpuid=<delta hex> base=<delta hex>
 *   ICR-BENCH n=<M hex> icr=<delta hex> base=<delta hex>
 * on COM1 (the second: xAPIC ICR-high writes, an MMIO exit each), then asks the emulator to stop (Bochs: "Shutdown" to port
 * 0x8900; QEMU: isa-debug-exit at 0xf4). */
#define N 0x10000
#define M 0x1000        /* xAPIC ICR-high writes */
#define ICR_HI 0xfee00310
#define COM1 0x3f8

        .code16
        .section .text
        .globl _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        ljmp    $0, $1f
1:      /* COM1: 115200 8N1 (bare, nobody has set it up) */
        movw    $COM1 + 3, %dx
        movb    $0x80, %al
        outb    %al, %dx
        movw    $COM1, %dx
        movb    $1, %al
        outb    %al, %dx
        incw    %dx
        xorb    %al, %al
        outb    %al, %dx
        movw    $COM1 + 3, %dx
        movb    $3, %al
        outb    %al, %dx
        /* the loop with CPUID */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
2:      xorl    %eax, %eax
        cpuid
        decl    %esi
        jnz     2b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_cpuid
        /* the same loop, CPUID replaced by an instruction of no cost */
        rdtsc
        movl    %eax, t0
        movl    $N, %esi
3:      xorl    %eax, %eax
        xorl    %ebx, %ebx
        decl    %esi
        jnz     3b
        rdtsc
        subl    t0, %eax
        movl    %eax, d_base
        /* M writes of the xAPIC ICR high register: an MMIO exit through
         * Veneer's APIC hook each (instruction bytes fetched and decoded),
         * no IPI. Its 32-bit address through FS, made flat ("unreal"
         * mode: a 4 GiB data segment loaded in protected mode, kept after
         * the return to real mode); the base loop stores to RAM. */
        lgdt    gdtr
        movl    %cr0, %eax
        orb     $1, %al
        movl    %eax, %cr0
        movw    $8, %ax
        movw    %ax, %fs
        andb    $0xfe, %al
        movl    %eax, %cr0
        xorl    %ebx, %ebx
        movl    $ICR_HI, %edi
        call    storeloop
        movl    %eax, d_icr
        movl    $0x9000, %edi
        call    storeloop
        movl    %eax, d_icrbase

        movw    $msg1, %si
        call    puts
        movl    $N, %eax
        call    puthex
        movw    $msg2, %si
        call    puts
        movl    d_cpuid, %eax
        call    puthex
        movw    $msg3, %si
        call    puts
        movl    d_base, %eax
        call    puthex
        movw    $msg4, %si
        call    puts
        movw    $msg5, %si
        call    puts
        movl    $M, %eax
        call    puthex
        movw    $msg6, %si
        call    puts
        movl    d_icr, %eax
        call    puthex
        movw    $msg3, %si
        call    puts
        movl    d_icrbase, %eax
        call    puthex
        movw    $msg4, %si
        call    puts

        movw    $0x8900, %dx            /* Bochs: stop */
        movw    $shutdown, %si
4:      lodsb
        testb   %al, %al
        jz      5f
        outb    %al, %dx
        jmp     4b
5:      movb    $0, %al                 /* QEMU isa-debug-exit */
        outb    %al, $0xf4
6:      hlt
        jmp     6b

storeloop:                              /* EAX = TSC delta of M stores to FS:EDI */
        rdtsc
        movl    %eax, t0
        movl    $M, %esi
11:     movl    %ebx, %fs:(%edi)
        decl    %esi
        jnz     11b
        rdtsc
        subl    t0, %eax
        ret

putc:   pushw   %dx
        pushw   %ax
        movw    $COM1 + 5, %dx
7:      inb     %dx, %al
        testb   $0x20, %al
        jz      7b
        popw    %ax
        movw    $COM1, %dx
        outb    %al, %dx
        popw    %dx
        ret

puts:   lodsb
        testb   %al, %al
        jz      8f
        call    putc
        jmp     puts
8:      ret

puthex: movw    $8, %cx                 /* EAX as 8 hex digits */
9:      roll    $4, %eax
        pushl   %eax
        andb    $0xf, %al
        addb    $'0', %al
        cmpb    $'9', %al
        jbe     10f
        addb    $7, %al
10:     call    putc
        popl    %eax
        loop    9b
        ret

msg1:   .asciz  "\r\nCPUID-BENCH n="
msg2:   .asciz  " cpuid="
msg3:   .asciz  " base="
msg4:   .asciz  "\r\n"
msg5:   .asciz  "ICR-BENCH n="
msg6:   .asciz  " icr="
shutdown: .asciz "Shutdown"
        .balign 4
t0:     .long   0
d_cpuid: .long  0
d_base: .long   0
d_icr:  .long   0
d_icrbase: .long 0
        .balign 8
gdt:    .quad   0
        .quad   0x00cf92000000ffff      /* flat 4 GiB data */
gdtr:   .word   15
        .long   gdt
        .org    510
        .byte   0x55, 0xaa
