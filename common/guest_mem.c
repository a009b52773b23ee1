/* Guest memory access for the VMM (see guest_mem.h). */
#include <common/e820.h>
#include <common/guest_mem.h>
#include <platform/cpu.h>
#include <platform/layout.h>
#include <string.h>

#define VGA_WINDOW_BASE 0xa0000
#define VGA_WINDOW_END 0xc0000

static u64 mem_limit, hidden_base, hidden_size;

void guest_mem_init(u64 limit, u64 hide_base, u64 hide_size)
{
    mem_limit = limit;
    hidden_base = hide_base;
    hidden_size = hide_size;
}

bool guest_phys_ok(u64 gpa, u64 len)
{
    if (len == 0 || gpa + len < gpa || gpa + len > mem_limit)
        return false;
    return gpa + len <= hidden_base || gpa >= hidden_base + hidden_size;
}

bool guest_mem_hidden_overlaps(u64 base, u64 len)
{
    return base < hidden_base + hidden_size && base + len > hidden_base;
}

bool guest_ram_ok(u64 gpa, u64 len)
{
    return guest_phys_ok(gpa, len) &&
           e820_ram_ok(boot_info.mmap, boot_info.mmap_count, gpa, len);
}

/* Memory the VMM touches for the guest's CPU (page walks, string I/O,
 * TSS, instruction bytes, BIOS data): below 1 MiB the BIOS areas (all but
 * the VGA window, a device window); above, RAM by the firmware's map as
 * for DMA. Never a device window, a hook or the VMM region: the VMM's own
 * access there would bypass the hook (or reach a device's registers). */
bool guest_mem_ok(u64 gpa, u64 len)
{
    if (!guest_phys_ok(gpa, len))
        return false;
    if (gpa < MiB(1)) {
        u64 low_end = gpa + len < MiB(1) ? gpa + len : MiB(1);
        if (gpa < VGA_WINDOW_END && low_end > VGA_WINDOW_BASE)
            return false;
        if (low_end == gpa + len)
            return true;
        len -= low_end - gpa;
        gpa = low_end;
    }
    return e820_ram_ok(boot_info.mmap, boot_info.mmap_count, gpa, len);
}

int guest_phys_read(u64 gpa, void *buf, size_t len)
{
    if (!guest_mem_ok(gpa, len))
        return -E_FAULT;
    memcpy(buf, phys_to_virt(gpa), len);
    return 0;
}

int guest_phys_write(u64 gpa, const void *buf, size_t len)
{
    if (!guest_mem_ok(gpa, len))
        return -E_FAULT;
    memcpy(phys_to_virt(gpa), buf, len);
    return 0;
}

/* The running level's guest-physical address as L1's (vcpu.h:
 * nested_phys); itself without nesting. */
static int level_phys(struct vcpu *v, u64 gpa, bool write, u64 *out)
{
    if (v && vcpu_ops && vcpu_ops->nested_phys)
        return vcpu_ops->nested_phys(v, gpa, write, out);
    *out = gpa;
    return 0;
}

static int read_pte(void *ctx, u64 gpa, u64 *pte, unsigned size)
{
    *pte = 0;
    if (level_phys(ctx, gpa, false, &gpa) < 0)
        return -E_FAULT;
    return guest_phys_read(gpa, pte, size);
}

int guest_linear_access(struct vcpu *v, u64 gla, void *buf, size_t len,
                        bool write, struct guest_fault *f)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CR0 | VS_CR3 | VS_CR4 | VS_EFER);
    struct paging_ctx pc = { s->cr0, s->cr3, s->cr4, s->efer };
    u8 *p = buf;

    while (len) {
        struct walk_result w;
        size_t chunk = 4096 - (gla & 4095);
        if (chunk > len)
            chunk = len;
        int r = guest_walk(&pc, gla, write, read_pte, v, &w);
        if (r == 0 && write && !w.writable && (pc.cr0 & CR0_WP)) {
            w.fault_error = BIT(0) | BIT(1); /* present, write */
            r = -E_FAULT;
        }
        if (r == -E_FAULT && f)
            *f = (struct guest_fault){ gla, w.fault_error };
        if (r < 0)
            return r;
        if (level_phys(v, w.gpa, write, &w.gpa) < 0)
            return -E_INVAL;
        r = write ? guest_phys_write(w.gpa, p, chunk)
                  : guest_phys_read(w.gpa, p, chunk);
        if (r < 0)
            return -E_INVAL;
        gla += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

int guest_linear_read(struct vcpu *v, u64 gla, void *buf, size_t len)
{
    return guest_linear_access(v, gla, buf, len, false, NULL);
}

int guest_linear_write(struct vcpu *v, u64 gla, const void *buf, size_t len)
{
    return guest_linear_access(v, gla, (void *)buf, len, true, NULL);
}
