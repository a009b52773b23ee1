/* EPT (SDM 28.3) in the shared second-level shape (common/slat.h).
 * Unlike NPT, EPT replaces the MTRRs for guest accesses: each leaf
 * carries a memory type. It comes from the firmware's memory map: RAM
 * (usable, ACPI) is write-back, everything else (MMIO, ROM, holes)
 * uncacheable; the guest's PAT still combines with it (IPAT clear). A
 * large page whose range is not of one type is split. */
#include <common/slat.h>
#include <intel-vmx/vmx.h>
#include <platform/bootinfo.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/paging.h>
#include <platform/spinlock.h>

#define EPT_RWX 7ULL
#define EPT_LARGE BIT(7)
#define EPT_MT_UC 0ULL
#define EPT_MT_WB 6ULL

u64 vmx_eptp;
static struct slat ept;
static spinlock_t ept_lock = SPINLOCK_INIT;

static bool is_ram_type(u32 t)
{
    return t == MEM_USABLE || t == MEM_ACPI_RECLAIM || t == MEM_ACPI_NVS;
}

/* The memory type of [gpa, gpa+size) if it is one type, else false. */
static bool ept_leaf(u64 gpa, u64 size, u64 *bits)
{
    u64 end = gpa + size;
    bool any_ram = false, all_ram = false;

    for (u32 i = 0; i < boot_info.mmap_count; i++) {
        const struct mem_range *m = &boot_info.mmap[i];
        u64 ms = m->base, me = m->base + m->len;
        if (me <= gpa || ms >= end)
            continue;
        if (!is_ram_type(m->type))
            continue; /* reserved overlaps count as not RAM */
        any_ram = true;
        if (ms <= gpa && me >= end)
            all_ram = true;
    }
    if (any_ram && !all_ram)
        return false;
    /* A reserved entry inside RAM makes it mixed too. */
    if (all_ram) {
        for (u32 i = 0; i < boot_info.mmap_count; i++) {
            const struct mem_range *m = &boot_info.mmap[i];
            if (!is_ram_type(m->type) && m->base < end && m->base + m->len > gpa)
                return false;
        }
    }
    *bits = EPT_RWX | ((all_ram ? EPT_MT_WB : EPT_MT_UC) << 3);
    return true;
}

static struct slat_format ept_format = {
    .table_bits = EPT_RWX,
    .large_bit = EPT_LARGE,
    .leaf_bits = ept_leaf,
};

void vmx_ept_flush(void)
{
    struct { u64 eptp, zero; } desc = { vmx_eptp, 0 };
    u64 type = vmx_caps.ept_vpid & BIT(26) ? 2 : 1; /* all-context, else single */

    __asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "memory", "cc");
}

int vmx_ept_init(u64 top, u64 hide_base, u64 hide_size)
{
    u64 gb, mb2, kb4;

    ept_format.gb_pages = vmx_caps.ept_1g;
    int r = slat_init(&ept, &ept_format, top);
    if (r < 0)
        return r;
    /* Write-back paging structures, 4-level walk (SDM 24.6.11). */
    vmx_eptp = ept.root | EPT_MT_WB | (3 << 3);
    r = vmx_ept_protect(hide_base, hide_size, false);
    if (r < 0)
        return r;
    slat_stats(&ept, &gb, &mb2, &kb4);
    log_info("vmx", "EPT: identity map of %llu GiB (%llu 1G, %llu 2M, %llu 4K "
             "pages, memory types from the firmware map); %llu MiB at %llx "
             "not present", (unsigned long long)(top >> 30),
             (unsigned long long)gb, (unsigned long long)mb2,
             (unsigned long long)kb4, (unsigned long long)(hide_size >> 20),
             (unsigned long long)hide_base);
    return 0;
}

int vmx_ept_protect(u64 gpa, u64 len, bool present)
{
    u64 f = spin_lock_irqsave(&ept_lock);
    int r = slat_protect(&ept, gpa, len, present);

    spin_unlock_irqrestore(&ept_lock, f);
    if (r == 0 && (read_cr4() & CR4_VMXE))
        vmx_ept_flush();
    return r;
}

/* An EPT violation Veneer handles itself on an IRET that had unblocked
 * NMIs (qualification bit 12, no event being delivered): the IRET runs
 * again, so the virtual-NMI blocking it cleared is set again before the
 * entry (SDM 28.2.3; the CPU leaves that to the VMM). */
void vmx_ept_nmi_unblock(u64 qual)
{
    if ((qual & BIT(12)) && !(vmcs_read32(IDT_VECTORING_INFO) & INTR_INFO_VALID))
        vmcs_write32(GUEST_INTERRUPTIBILITY, vmcs_read32(GUEST_INTERRUPTIBILITY) | GI_NMI);
}

/* The leaf of Veneer's EPT for the page of gpa (its RWX and memory-type
 * bits), 0 where the map has none: the VMM region, an MMIO hook, past
 * the top. Nested EPT (vmx_nept.c) composes L1's entries with it. */
u64 vmx_ept_leaf(u64 gpa)
{
    u64 f, table = ept.root, e = 0, leaf = 0;

    if (gpa >> 48)
        return 0; /* past the 4-level map: never an alias of a lower page */
    f = spin_lock_irqsave(&ept_lock);
    for (int level = 3; level >= 0; level--) {
        e = ((const u64 *)phys_to_virt(table))[(gpa >> (12 + 9 * level)) & 511];
        if (!(e & EPT_RWX))
            break;
        if (level == 0 || (e & EPT_LARGE)) {
            leaf = e;
            break;
        }
        table = e & PTE_ADDR;
    }
    spin_unlock_irqrestore(&ept_lock, f);
    return leaf;
}
