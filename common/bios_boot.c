/* The BIOS boot flow (see bios_boot.h). */
#include <common/bios_boot.h>
#include <common/e820.h>
#include <common/guest_mem.h>
#include <common/sleep.h>
#include <common/sleep_entry.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/trap.h>
#include <string.h>

extern const u8 bios_stub_start[], bios_stub_end[], bios_stub_orig15[],
    bios_stub_drive[], bios_stub_int15[], bios_stub_boot[],
    bios_stub_site_int15[], bios_stub_site_fail[], bios_stub_site_nosig[],
    bios_stub_site_go[];

#define STUB_OFF(sym) ((u16)((sym) - bios_stub_start))
#define BDA_BASE_MEM_KIB 0x413
#define STUB_KIB 4
#define WAKE_PT_KIB (S3_WAKE_PT_PAGES * PAGE_SIZE / 1024)

static u64 boot_drive = 0x80;
OPTION_UINT("vmm.boot", boot_drive, 0, 0xff,
            "BIOS drive to boot the guest from (default 0x80, the first hard disk)");

static struct mem_range guest_map[E820_MAX];
static u32 guest_map_count;
static u64 stub_base;
static u64 wake_pt_base; /* the 64-bit S3 wake's page tables, below the stub */
static bool e820_logged;

static void build_guest_map(void)
{
    struct mem_range cuts[2] = {
        { vmm_region_base, vmm_region_size, 0 },           /* hidden */
        /* the 64-bit S3 wake's page tables and the stub above them */
        { wake_pt_base, stub_base + KiB(STUB_KIB) - wake_pt_base, MEM_RESERVED },
    };
    int n = e820_build(boot_info.mmap, boot_info.mmap_count, cuts, 2,
                       guest_map, E820_MAX);

    if (n < 0)
        refuse_to_start("the firmware memory map has too many entries "
                        "(more than %d) to hide the VMM region", E820_MAX);
    guest_map_count = (u32)n;
    log_info("guest", "memory map for the guest (%u entries; the VMM "
             "region is left out):", guest_map_count);
    for (u32 i = 0; i < guest_map_count; i++)
        log_info("guest", "  %016llx-%016llx %s",
                 (unsigned long long)guest_map[i].base,
                 (unsigned long long)(guest_map[i].base + guest_map[i].len - 1),
                 mem_type_name(guest_map[i].type));
}

static void patch_hypercall_sites(u8 *stub)
{
    const u8 *sites[] = { bios_stub_site_int15, bios_stub_site_fail,
                          bios_stub_site_nosig, bios_stub_site_go };

    for (size_t i = 0; i < ARRAY_SIZE(sites); i++)
        memcpy(stub + (sites[i] - bios_stub_start), vcpu_ops->hypercall_insn, 3);
}

static void set_real_segment(struct vcpu_state *s, enum seg_index i, u16 sel,
                             u32 attr)
{
    s->seg[i] = (struct segment){ .sel = sel, .attr = attr, .limit = 0xffff,
                                  .base = (u64)sel << 4 };
}

/* What the boot loader left in conventional memory is wiped: GRUB's BIOS
 * disk driver reads through a fixed buffer at 0x68000 (36 KiB), which
 * keeps the last sectors it read, the key file's among them when it is
 * read in one go with the end of veneer.elf (crypt-keys-qemu's keyleak).
 * The guest's own boot starts over from the boot sector, and nothing
 * below the BIOS's base memory size past the BIOS data area is the
 * firmware's after its POST (its EBDA lies above, the ROMs at 0xC0000). */
#define CONV_WIPE_START 0x500
static int wipe_conventional(u64 end)
{
    static const u8 zero[512];

    for (u64 a = CONV_WIPE_START; a < end; a += sizeof(zero)) {
        int r = guest_phys_write(a, zero, MIN(sizeof(zero), end - a));
        if (r < 0)
            return r;
    }
    log_info("guest", "conventional memory 0x%x-0x%llx wiped (what the boot "
             "loader left there)", CONV_WIPE_START, (unsigned long long)end - 1);
    return 0;
}

int bios_boot_prepare(struct vcpu *v)
{
    u16 base_kib;
    u32 ivt15;
    size_t len = (size_t)(bios_stub_end - bios_stub_start);

    if (boot_info.efi_system_table)
        refuse_to_start("UEFI boot through GRUB's multiboot2: boot services "
                        "are gone and the BIOS boot flow needs a legacy BIOS; "
                        "start Veneer with veneer.efi (docs/uefi.md)");
    if (guest_phys_read(BDA_BASE_MEM_KIB, &base_kib, 2) < 0 ||
        guest_phys_read(0x15 * 4, &ivt15, 4) < 0)
        return -E_FAULT;
    if (base_kib < 64 + STUB_KIB + WAKE_PT_KIB + 4 || base_kib > 640)
        refuse_to_start("implausible conventional memory size %u KiB in the "
                        "BIOS data area", base_kib);
    base_kib -= STUB_KIB;
    stub_base = (u64)base_kib * 1024;
    /* Below the stub, page-aligned: the pages a 64-bit S3 wake's identity
     * tables go to (common/sleep.c), reserved with the stub. */
    wake_pt_base = ALIGN_DOWN(stub_base - KiB(WAKE_PT_KIB), PAGE_SIZE);
    base_kib = (u16)(wake_pt_base / 1024);
    sleep_set_wake_tables(wake_pt_base);
    int r = wipe_conventional(stub_base);
    if (r < 0)
        return r;
    if (len > KiB(STUB_KIB))
        panic("bios: real-mode stub is %zu bytes, more than %u KiB", len, STUB_KIB);

    u8 *stub = kzalloc(KiB(STUB_KIB));
    if (!stub)
        return -E_NOMEM;
    memcpy(stub, bios_stub_start, len);
    patch_hypercall_sites(stub);
    memcpy(stub + STUB_OFF(bios_stub_orig15), &ivt15, 4);
    stub[STUB_OFF(bios_stub_drive)] = (u8)boot_drive;
    r = guest_phys_write(stub_base, stub, KiB(STUB_KIB));
    kfree(stub);
    if (r < 0)
        return r;

    u16 seg = (u16)(stub_base >> 4);
    u32 hook = ((u32)seg << 16) | STUB_OFF(bios_stub_int15);
    guest_phys_write(0x15 * 4, &hook, 4);
    guest_phys_write(BDA_BASE_MEM_KIB, &base_kib, 2);
    build_guest_map();
    log_info("guest", "INT 15h hooked (BIOS handler was %04x:%04x); stub at "
             "%05llx; base memory now %u KiB (S3 64-bit wake page tables at "
             "%05llx)", ivt15 >> 16, ivt15 & 0xffff,
             (unsigned long long)stub_base, base_kib,
             (unsigned long long)wake_pt_base);

    /* The real-mode start state (as after the BIOS's POST, interrupts off). */
    struct vcpu_state *s = &v->state;
    memset(s, 0, sizeof(*s));
    s->rip = STUB_OFF(bios_stub_boot);
    s->rflags = RFLAGS_FIXED;
    s->cr0 = CR0_ET;
    s->efer = 0;
    s->pat = 0x0007040600070406ULL;
    s->dr7 = 0x400;
    set_real_segment(s, SEG_CS, seg, 0x9b);
    set_real_segment(s, SEG_DS, 0, 0x93);
    set_real_segment(s, SEG_ES, 0, 0x93);
    set_real_segment(s, SEG_FS, 0, 0x93);
    set_real_segment(s, SEG_GS, 0, 0x93);
    set_real_segment(s, SEG_SS, 0, 0x93);
    s->seg[SEG_LDTR] = (struct segment){ 0, SEG_ATTR_UNUSABLE, 0xffff, 0 };
    s->seg[SEG_TR] = (struct segment){ 0, 0x8b, 0xffff, 0 };
    s->gdtr = (struct dtable){ 0, 0xffff };
    s->idtr = (struct dtable){ 0, 0x3ff };
    s->activity = ACT_ACTIVE;
    s->valid = VS_ALL;
    s->dirty = VS_ALL;
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.gpr[GPR_RDX] = boot_drive;
    v->regs.gpr[GPR_RSP] = 0x7c00;
    log_info("guest", "starting the guest in real mode at %04x:%04llx to boot "
             "BIOS drive 0x%02llx", seg, (unsigned long long)s->rip,
             (unsigned long long)boot_drive);
    return 0;
}

/* ---- INT 15h ----------------------------------------------------------- */

#define SMAP 0x534d4150u

static u32 lo32(u64 v) { return (u32)v; }

static bool int15_e820(struct vcpu *v, struct vcpu_state *s)
{
    u64 *g = v->regs.gpr;
    u32 idx = lo32(g[GPR_RBX]), size = lo32(g[GPR_RCX]);

    if (lo32(g[GPR_RDX]) != SMAP || idx >= guest_map_count || size < 20)
        return false;
    struct { u64 base, len; u32 type, attr; } __packed ent = {
        guest_map[idx].base, guest_map[idx].len, guest_map[idx].type, 1 };
    u32 out = size >= 24 ? 24 : 20;
    u64 dst = s->seg[SEG_ES].base + (g[GPR_RDI] & 0xffff);
    if (guest_phys_write(dst, &ent, out) < 0) {
        log_warn("guest", "INT 15h E820: buffer %llx outside guest memory",
                 (unsigned long long)dst);
        return false;
    }
    g[GPR_RAX] = SMAP;
    g[GPR_RCX] = (g[GPR_RCX] & ~0xffffffffULL) | out;
    g[GPR_RBX] = (g[GPR_RBX] & ~0xffffffffULL) |
                 (idx + 1 < guest_map_count ? idx + 1 : 0);
    if (!e820_logged && idx + 1 == guest_map_count) {
        log_info("guest", "the guest read the memory map (INT 15h E820, %u "
                 "entries)", guest_map_count);
        e820_logged = true;
    }
    return true;
}

static void int15_call(struct vcpu *v)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_SEGMENTS | VS_RIP);
    u64 *g = v->regs.gpr;
    u32 low, blocks, above;
    bool ok = true;
    u16 flags;

    e820_legacy_sizes(guest_map, guest_map_count, &low, &blocks, &above);
    if (lo32(g[GPR_RAX]) == 0xe820) {
        ok = int15_e820(v, s);
        if (!ok)
            g[GPR_RAX] = (g[GPR_RAX] & ~0xff00ULL) | 0x8600;
    } else if ((g[GPR_RAX] & 0xffff) == 0xe801) {
        g[GPR_RAX] = (g[GPR_RAX] & ~0xffffULL) | low;
        g[GPR_RCX] = (g[GPR_RCX] & ~0xffffULL) | low;
        g[GPR_RBX] = (g[GPR_RBX] & ~0xffffULL) | blocks;
        g[GPR_RDX] = (g[GPR_RDX] & ~0xffffULL) | blocks;
    } else {
        g[GPR_RAX] = (g[GPR_RAX] & ~0xffffULL) | above;
    }
    /* CF goes back through the FLAGS image the INT pushed (SS:SP+4). */
    u64 fl = s->seg[SEG_SS].base + ((g[GPR_RSP] + 4) & 0xffff);
    if (guest_phys_read(fl, &flags, 2) == 0) {
        flags = ok ? (flags & ~1) : (flags | 1);
        guest_phys_write(fl, &flags, 2);
    }
}

bool bios_boot_hypercall(struct vcpu *v, const struct vcpu_exit *e)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CS | VS_RIP | VS_CR0);
    u64 *g = v->regs.gpr;

    if (!stub_base || (s->cr0 & CR0_PE) || s->seg[SEG_CS].base != stub_base)
        return false;
    u16 ip = (u16)s->rip;
    if (ip == STUB_OFF(bios_stub_site_int15)) {
        int15_call(v);
    } else if (ip == STUB_OFF(bios_stub_site_go)) {
        log_info("guest", "boot sector of drive 0x%02llx read; jumping to "
                 "0000:7c00", (unsigned long long)(g[GPR_RDX] & 0xff));
    } else if (ip == STUB_OFF(bios_stub_site_fail)) {
        log_err("guest", "cannot boot: INT 13h %s read of drive 0x%02llx "
                "failed with BIOS status 0x%02llx; the guest is halted",
                (g[GPR_RAX] & 0xff) == 1 ? "LBA" : "CHS",
                (unsigned long long)boot_drive,
                (unsigned long long)((g[GPR_RAX] >> 8) & 0xff));
    } else if (ip == STUB_OFF(bios_stub_site_nosig)) {
        log_err("guest", "cannot boot: drive 0x%02llx has no boot signature "
                "(55 AA) in its first sector; the guest is halted",
                (unsigned long long)boot_drive);
    } else {
        return false;
    }
    vcpu_ops->skip_instruction(v, e);
    return true;
}
