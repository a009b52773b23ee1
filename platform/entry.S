/* Multiboot2 header and the 32-bit entry into long mode.
 *
 * GRUB jumps to _start32 in 32-bit protected mode, paging off, with
 * EAX = 0x36d76289 and EBX = the physical address of the boot information.
 * We build temporary page tables (identity 0-4 GiB, the same at the direct
 * map, and a window at KERNEL_VBASE onto the loaded image), enter long mode
 * and continue at start64 in the high half. */
#include <platform/layout.h>

#define UEFI_MAGIC    0x56454e55    /* platform/uefi_params.h */

#define MB2_MAGIC     0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289
#define V2P(x)        ((x) - KERNEL_VBASE + LOAD_PHYS)
#define COM1          0x3f8

        .section .multiboot2, "a"
        .balign 8
mb2_header:
        .long MB2_MAGIC
        .long 0                         /* i386 protected mode */
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
        .balign 8                       /* end tag */
        .short 0, 0
        .long 8
mb2_header_end:

/* The UEFI loader's header (platform/include/platform/uefi_params.h). */
        .balign 8
        .globl uefi_header
uefi_header:
        .ascii  "VENEER-UEFI-HDR\0"
        .long   1                       /* UEFI_HEADER_VERSION */
        .long   uefi_header_end - uefi_header
        .quad   uefi_start64
        .quad   KERNEL_VBASE
        .quad   LOAD_PHYS
        .quad   __image_end - KERNEL_VBASE
uefi_header_end:

        .section .boot.text, "ax"
        .code32
        .globl _start32
_start32:
        cli
        cld
        mov     %eax, boot_magic
        mov     %ebx, boot_info
        mov     $boot_stack_top, %esp

        /* Long mode present? CPUID 0x80000001 EDX bit 29. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode

        /* Zero the boot page tables. */
        mov     $boot_tables, %edi
        mov     $(boot_tables_end - boot_tables) / 4, %ecx
        xor     %eax, %eax
        rep stosl

        /* PML4[0] and PML4[256] -> boot_pdpt_low; PML4[511] -> high. */
        movl    $boot_pdpt_low + 3, boot_pml4
        movl    $boot_pdpt_low + 3, boot_pml4 + 256 * 8
        movl    $boot_pdpt_high + 3, boot_pml4 + 511 * 8
        /* boot_pdpt_low[0..3] -> the four boot PDs. */
        mov     $boot_pd, %eax
        or      $3, %eax
        mov     $boot_pdpt_low, %ebx
        mov     $4, %ecx
1:      mov     %eax, (%ebx)
        add     $0x1000, %eax
        add     $8, %ebx
        loop    1b
        /* The four PDs: 2048 x 2 MiB identity pages, 0-4 GiB. */
        mov     $boot_pd, %ebx
        mov     $0x83, %eax             /* present, writable, 2 MiB */
        xor     %edx, %edx
        mov     $2048, %ecx
1:      mov     %eax, (%ebx)
        mov     %edx, 4(%ebx)
        add     $0x200000, %eax
        adc     $0, %edx
        add     $8, %ebx
        loop    1b
        /* boot_pdpt_high[510] -> boot_pd_high: KERNEL_VBASE -> LOAD_PHYS. */
        movl    $boot_pd_high + 3, boot_pdpt_high + 510 * 8
        mov     $boot_pd_high, %ebx
        mov     $(LOAD_PHYS + 0x83), %eax
        mov     $(BOOT_WINDOW_SIZE / 0x200000), %ecx
1:      mov     %eax, (%ebx)
        add     $0x200000, %eax
        add     $8, %ebx
        loop    1b

        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010001, %eax       /* PG, WP, PE */
        and     $0x9fffffff, %eax       /* caches on: CD, NW clear */
        mov     %eax, %cr0
        lgdt    boot_gdt_desc
        ljmp    $0x08, $start64_low

no_long_mode:
        mov     $no_lm_msg, %esi
1:      lodsb
        test    %al, %al
        jz      2f
        mov     %al, %bl
        mov     $COM1 + 5, %dx
3:      in      %dx, %al
        test    $0x20, %al
        jz      3b
        mov     $COM1, %dx
        mov     %bl, %al
        out     %al, %dx
        jmp     1b
2:      cli
        hlt
        jmp     2b

        .code64
start64_low:
        mov     boot_magic, %edi
        mov     boot_info, %esi
        movabs  $start64, %rax
        jmp     *%rax

        .section .boot.data, "aw"
        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
boot_gdt_end:
boot_magic:     .long 0
boot_info:      .long 0
boot_gdt_desc:
        .short  boot_gdt_end - boot_gdt - 1
        .long   boot_gdt
no_lm_msg:
        .asciz  "veneer: refusing to start: this CPU has no 64-bit long mode\r\n"

        .section .boot.bss, "aw", @nobits
        .balign 4096
boot_tables:
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_pd_high:   .skip 4096
boot_tables_end:
        .skip   4096
boot_stack_top:

/* The UEFI entry (veneer.efi): 64-bit, interrupts off, on the loader's
 * page tables (0-4 GiB identity and at the direct map, KERNEL_VBASE onto
 * the VMM region where the loader put the image), the firmware's GDT,
 * RDI = the parameter array (physical, below 4 GiB). The firmware's GDT
 * and stack are left as they were: the loader's state is in its CPU block.
 * Continues as the multiboot2 path does, on the VMM's own GDT. */
        .text
        .code64
        .globl uefi_start64
uefi_start64:
        cli
        cld
        mov     %rdi, %r12
        lgdt    uefi_gdt_desc(%rip)
        lea     1f(%rip), %rax
        pushq   $0x08
        push    %rax
        lretq
1:      mov     $UEFI_MAGIC, %edi
        mov     %r12, %rsi
        /* fall through */

        .globl start64
start64:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        xor     %ax, %ax
        mov     %ax, %fs
        mov     %ax, %gs
        /* Zero .bss (GRUB should have), then take the BSP stack in it. */
        mov     %rdi, %r12
        mov     %rsi, %r13
        movabs  $__bss_start, %rdi
        movabs  $__bss_end, %rcx
        sub     %rdi, %rcx
        xor     %eax, %eax
        rep stosb
        movabs  $bsp_stack_top, %rsp
        xor     %ebp, %ebp
        mov     %r12d, %edi             /* multiboot2 magic */
        mov     %r13d, %esi             /* boot information (physical) */
        call    vmm_main
1:      cli
        hlt
        jmp     1b

        .data
        .balign 8
uefi_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
uefi_gdt_end:
        .balign 8
        .short  0, 0, 0
uefi_gdt_desc:
        .short  uefi_gdt_end - uefi_gdt - 1
        .quad   uefi_gdt

        .bss
        .balign 4096
        .globl bsp_stack_bottom, bsp_stack_top
bsp_stack_bottom:
        .skip   BSP_STACK_SIZE
bsp_stack_top:

/* relocate_image(dst_virt, src_virt, len, new_cr3): copies the running
 * image and switches to page tables that map KERNEL_VBASE onto the copy.
 * Nothing between the copy and the CR3 write touches the stack, so the
 * copy holds the stack exactly as it is used after the switch. */
        .text
        .globl relocate_image
relocate_image:
        mov     %rcx, %r8
        mov     %rdx, %rcx
        rep movsb
        mov     %r8, %cr3
        ret
