/* The UEFI guest start (see uefi_boot.h). */
#include <common/e820.h>
#include <common/guest_mem.h>
#include <common/sleep.h>
#include <common/sleep_entry.h>
#include <common/uefi_boot.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/uefi.h>
#include <string.h>

/* The firmware's GDT is identity mapped (UEFI 2.9 2.3.4). A selector the
 * GDT does not hold is the loader's bug: refuse, naming it. */
static struct segment load_segment(const struct uefi_param_cpu *c, u16 sel,
                                   bool system)
{
    u64 d[2] = { 0, 0 };
    u32 idx = sel & ~7u;

    if ((sel & ~3u) == 0)
        return (struct segment){ sel, SEG_ATTR_UNUSABLE, 0, 0 };
    if (sel & 4 || idx + (system ? 15 : 7) > c->gdt_limit ||
        guest_phys_read(c->gdt_base + idx, d, system ? 16 : 8) < 0)
        refuse_to_start("UEFI: selector 0x%x is outside the firmware's GDT "
                        "(base 0x%llx limit 0x%x)", sel,
                        (unsigned long long)c->gdt_base, c->gdt_limit);
    return segment_from_desc(sel, d[0], d[1], system);
}

/* The pages veneer.efi reserved for a 64-bit S3 wake's page tables
 * (its WAKE block), if they are what the memory map it passed says is
 * reserved, outside the VMM region; otherwise such a wake is refused. */
static void wake_tables_take(void)
{
    u64 base = boot_info.uefi_wake_base, len = S3_WAKE_PT_PAGES * PAGE_SIZE;

    if (boot_info.uefi_wake_pages < S3_WAKE_PT_PAGES ||
        !e820_covers(boot_info.mmap, boot_info.mmap_count, base, len,
                     BIT(MEM_RESERVED)) ||
        (base < vmm_region_base + vmm_region_size &&
         base + len > vmm_region_base)) {
        log_warn("guest", "UEFI: no reserved pages from the loader for a "
                 "64-bit S3 wake's page tables (0x%llx, %llu pages): such a "
                 "wake will be refused", (unsigned long long)base,
                 (unsigned long long)boot_info.uefi_wake_pages);
        return;
    }
    sleep_set_wake_tables(base);
    log_info("guest", "UEFI: S3 64-bit wake page tables at %llx (reserved by "
             "the loader)", (unsigned long long)base);
}

int uefi_boot_prepare(struct vcpu *v)
{
    const struct uefi_param_cpu *c = &uefi_caller;
    struct vcpu_state *s = &v->state;

    if (!(c->cr0 & CR0_PG) || !(c->efer & EFER_LMA))
        refuse_to_start("UEFI: the loader did not call in long mode "
                        "(CR0 0x%llx EFER 0x%llx)", (unsigned long long)c->cr0,
                        (unsigned long long)c->efer);
    memset(s, 0, sizeof(*s));
    s->rip = c->rip;
    s->rflags = c->rflags | RFLAGS_FIXED;
    s->cr0 = c->cr0;
    s->cr3 = c->cr3;
    s->cr4 = c->cr4;
    s->efer = c->efer;
    s->pat = c->pat;
    s->dr7 = 0x400;
    s->seg[SEG_CS] = load_segment(c, c->cs, false);
    s->seg[SEG_SS] = load_segment(c, c->ss, false);
    s->seg[SEG_DS] = load_segment(c, c->ds, false);
    s->seg[SEG_ES] = load_segment(c, c->es, false);
    s->seg[SEG_FS] = load_segment(c, c->fs, false);
    s->seg[SEG_GS] = load_segment(c, c->gs, false);
    s->seg[SEG_FS].base = c->fs_base;
    s->seg[SEG_GS].base = c->gs_base;
    s->kernel_gs_base = c->kernel_gs_base;
    s->seg[SEG_LDTR] = c->ldtr ? load_segment(c, c->ldtr, true)
                               : (struct segment){ 0, SEG_ATTR_UNUSABLE, 0, 0 };
    /* Firmware often runs without a TSS; VMX needs a usable busy TSS in
     * TR (SDM 26.3.1.2), which interrupts without a privilege change or
     * IST never read. */
    s->seg[SEG_TR] = c->tr ? load_segment(c, c->tr, true)
                           : (struct segment){ 0, 0x8b, 0x67, 0 };
    if (!(s->seg[SEG_CS].attr & BIT(13)))
        refuse_to_start("UEFI: the loader's CS 0x%x is not a 64-bit code "
                        "segment", c->cs);
    s->gdtr = (struct dtable){ c->gdt_base, c->gdt_limit };
    s->idtr = (struct dtable){ c->idt_base, c->idt_limit };
    s->activity = ACT_ACTIVE;
    s->valid = VS_ALL;
    s->dirty = VS_ALL;
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.gpr[GPR_RSP] = c->rsp;  /* RAX = 0: EFI_SUCCESS */
    v->xcr0 = c->xcr0 ? c->xcr0 : 1;
    wake_tables_take();
    log_info("guest", "starting the guest in long mode in the UEFI loader at "
             "%llx (CR3 %llx); it returns to the firmware",
             (unsigned long long)c->rip, (unsigned long long)c->cr3);
    return 0;
}
