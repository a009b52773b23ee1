/* The application processors' way from a SIPI to the VMM's long mode.
 *
 * platform/smp.c copies [ap_tramp_start, ap_tramp_end) to a page below
 * 1 MiB, fills the data block at its end and sends INIT-SIPI-SIPI with
 * that page as the vector. The code is position independent: real mode
 * finds the page from CS, protected and long mode from EBX (its physical
 * base, kept in a register through the mode switches). The page tables in
 * tramp_cr3 map the page itself 1:1 (for the instant paging turns on) and
 * the VMM's high half; ap_start64 (smp.c) then loads the VMM's own CR3. */
#define OFF(sym) ((sym) - ap_tramp_start)

        .section .rodata
        .balign 16
        .globl ap_tramp_start, ap_tramp_end, ap_tramp_data
        .code16
ap_tramp_start:
        cli
        cld
        xor     %ebx, %ebx
        mov     %cs, %bx
        shl     $4, %ebx                /* EBX: the page's physical base */
        mov     %cs, %ax
        mov     %ax, %ds
        /* the GDT pointer's base is patched to the page's copy */
        lgdtl   OFF(tramp_gdtr)
        mov     %cr0, %eax
        or      $1, %eax                /* PE */
        mov     %eax, %cr0
        ljmpl   *OFF(tramp_far32)       /* 0x08:base+OFF(pm32), patched */

        .code32
pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     OFF(tramp_cr3)(%ebx), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER: LME (+NXE as on the BSP) */
        rdmsr
        or      OFF(tramp_efer)(%ebx), %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax       /* PG | PE */
        mov     %eax, %cr0
        ljmpl   *OFF(tramp_far64)(%ebx) /* 0x18:base+OFF(lm64), patched */

        .code64
lm64:
        mov     %ebx, %ebx              /* upper half undefined after the switch */
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     OFF(tramp_stack)(%rbx), %rsp
        mov     OFF(tramp_arg)(%rbx), %rdi
        mov     OFF(tramp_entry)(%rbx), %rax
        xor     %ebp, %ebp
        call    *%rax                   /* ABI stack alignment; never returns */
        hlt

        .balign 16
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: code 32 */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: code 64 */
tramp_gdt_end:
        .balign 8
ap_tramp_data:
tramp_gdtr:                             /* +0: limit, base (patched) */
        .short  tramp_gdt_end - tramp_gdt - 1
        .long   0
        .short  0
tramp_far32:                            /* +8: offset32, selector */
        .long   0
        .short  0x08
        .short  0
tramp_far64:                            /* +16 */
        .long   0
        .short  0x18
        .short  0
tramp_cr3:   .quad 0                    /* +24 */
tramp_efer:  .quad 0                    /* +32: low half ORed into EFER */
tramp_stack: .quad 0                    /* +40 */
tramp_entry: .quad 0                    /* +48 */
tramp_arg:   .quad 0                    /* +56 */
ap_tramp_end:
        .globl ap_tramp_off_gdt, ap_tramp_off_pm32, ap_tramp_off_lm64
        .set ap_tramp_off_gdt, tramp_gdt - ap_tramp_start
        .set ap_tramp_off_pm32, pm32 - ap_tramp_start
        .set ap_tramp_off_lm64, lm64 - ap_tramp_start
