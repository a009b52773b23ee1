/* The BSP's boot path: from the long-mode entry to the registered stages. */
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/paging.h>
#include <platform/percpu.h>
#include <platform/trap.h>
#include <platform/uefi.h>
#include <stdarg.h>
#include <string.h>

struct boot_info boot_info;
struct uefi_param_cpu uefi_caller;

static u64 vmm_mem = MiB(32);
OPTION_SIZE("vmm.mem", vmm_mem, MiB(16), GiB(1),
            "size of the VMM's reserved region (multiple of 2M; default 32M)");

static int loglevel = LOG_INFO;
static const char *const loglevels[] = { "error", "warn", "info", "debug", NULL };
OPTION_CHOICE("vmm.loglevel", loglevel, loglevels,
              "least severe console messages printed (default info)");

extern const struct option_def __options_start[], __options_end[];

__noreturn void refuse_to_start(const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_err("veneer", "refusing to start: %s", msg);
    log_err("veneer", "the machine is halted; nothing was changed");
    cpu_halt_forever();
}

static void option_refused(void *ctx, const char *msg)
{
    log_err("options", "%s", msg);
}

static void options_init(void)
{
    size_t n = (size_t)(__options_end - __options_start);
    int bad;

    char shown[512];

    options_redact(boot_info.cmdline, shown, sizeof(shown));
    log_info("options", "command line: \"%s\"", shown);
    bad = options_parse(boot_info.cmdline, __options_start, n, option_refused,
                        NULL);
    log_threshold = loglevel;
    if (bad) {
        log_err("options", "known options:");
        for (size_t i = 0; i < n; i++)
            log_err("options", "  %-22s %s", __options_start[i].key,
                    __options_start[i].help);
        refuse_to_start("%d option%s refused; fix the multiboot2 line of "
                        "the boot entry", bad, bad == 1 ? "" : "s");
    }
    if (!IS_ALIGNED(vmm_mem, MiB(2)))
        refuse_to_start("vmm.mem=0x%llx is not a multiple of 2M",
                        (unsigned long long)vmm_mem);
}

static void memmap_print(void)
{
    log_info("mem", "physical memory map from %s (%u entries%s):",
             boot_info.loader[0] ? boot_info.loader : "the boot loader",
             boot_info.mmap_count,
             boot_info.mmap_truncated ? ", truncated" : "");
    for (u32 i = 0; i < boot_info.mmap_count; i++) {
        const struct mem_range *r = &boot_info.mmap[i];
        log_info("mem", "  %016llx-%016llx %s", (unsigned long long)r->base,
                 (unsigned long long)(r->base + r->len - 1),
                 mem_type_name(r->type));
    }
}

static bool cpu_has_1g_pages_for_direct_map(void)
{
    return cpuid(0x80000000).eax >= 0x80000001 &&
           (cpuid(0x80000001).edx & BIT(26));
}

static u64 highest_address(void)
{
    u64 top = GiB(4);

    for (u32 i = 0; i < boot_info.mmap_count; i++) {
        u64 end = boot_info.mmap[i].base + boot_info.mmap[i].len;
        if (end > top && boot_info.mmap[i].type != MEM_RESERVED)
            top = end;
    }
    top = ALIGN_UP(top, GiB(1));
    /* UEFI firmware (OVMF) puts 64-bit BARs far above RAM, where the
     * mediators must reach them: with 1 GiB pages the direct map covers
     * the physical address space (to 1 TiB) for two table pages. */
    if (boot_info.uefi_entry && cpu_has_1g_pages_for_direct_map()) {
        u32 bits = cpu_phys_addr_bits();
        u64 space = 1ULL << (bits > 40 ? 40 : bits);
        if (space > top)
            top = space;
    }
    return top;
}

static u64 choose_region(void)
{
    if (boot_info.uefi_entry)
        return boot_info.uefi_region_base; /* the loader reserved it */

    struct mem_range avoid[2 + BOOT_MAX_MODULES];
    u32 n = 0;
    u64 image_len = (u64)(__image_end - __image_start);

    avoid[n++] = (struct mem_range){ LOAD_PHYS, image_len, 0 };
    avoid[n++] = (struct mem_range){ boot_info.info_phys, boot_info.info_len, 0 };
    for (u32 i = 0; i < boot_info.module_count; i++)
        avoid[n++] = (struct mem_range){
            boot_info.modules[i].start,
            boot_info.modules[i].end - boot_info.modules[i].start, 0 };
    return memmap_choose_region(boot_info.mmap, boot_info.mmap_count, vmm_mem,
                                avoid, n);
}

/* The loader's mapping covers 0-4 GiB at the direct map. */
static const void *uefi_map(u64 phys, u64 len)
{
    if (phys >= GiB(4) || len > GiB(4) - phys)
        return NULL;
    return phys_to_virt(phys);
}

static void uefi_boot_info(u32 params)
{
    const char *why;

    if (uefi_parse(params, uefi_map, &boot_info, &uefi_caller, &why) < 0)
        refuse_to_start("malformed parameters from the UEFI loader: %s", why);
    /* The image runs where the loader put it: the region's base. */
    image_phys_base = boot_info.uefi_region_base;
    log_info("boot", "UEFI boot by %s (system table 0x%llx); boot services "
             "running; VMM region %llx-%llx reserved by the loader",
             boot_info.loader, (unsigned long long)boot_info.efi_system_table,
             (unsigned long long)boot_info.uefi_region_base,
             (unsigned long long)(boot_info.uefi_region_base +
                                  boot_info.uefi_region_size - 1));
}

static void mb2_boot_info(u32 magic, u32 info_phys)
{
    const char *why;

    if (magic != MB2_BOOT_MAGIC)
        refuse_to_start("not started by a multiboot2 loader (EAX=0x%x)", magic);
    /* The boot tables map 0-4 GiB, where GRUB put the information. */
    const void *info = phys_to_virt(info_phys);
    u32 total;
    memcpy(&total, info, 4);
    if (mb2_parse(info, total, &boot_info, &why) < 0)
        refuse_to_start("malformed multiboot2 information: %s", why);
    boot_info.info_phys = info_phys;
    if (boot_info.efi_system_table)
        log_info("boot", "UEFI boot (system table 0x%llx); GRUB exited boot "
                 "services", (unsigned long long)boot_info.efi_system_table);
    else
        log_info("boot", "BIOS boot");
}

void vmm_main(u32 magic, u32 info_phys)
{
    u64 tables_len;

    console_init();
    cpu_tables_load(&pcpus[0]);
    idt_init();
    console_printf("\nVeneer %s (%s, backends: %s) starting\n", VENEER_VERSION,
                   VENEER_GITREV, VENEER_VENDOR);
    if (magic == UEFI_MAGIC)
        uefi_boot_info(info_phys);
    else
        mb2_boot_info(magic, info_phys);

    options_init();
    if (boot_info.uefi_entry && vmm_mem != boot_info.uefi_region_size)
        refuse_to_start("vmm.mem=%llu MiB but the UEFI loader reserved %llu "
                        "MiB", (unsigned long long)(vmm_mem >> 20),
                        (unsigned long long)(boot_info.uefi_region_size >> 20));
    run_init_stage("early");
    memmap_print();

    u64 base = choose_region();
    if (!base)
        refuse_to_start("no usable range below 4 GiB holds a %llu MiB VMM "
                        "region (vmm.mem=)", (unsigned long long)(vmm_mem >> 20));
    u64 image_len = (u64)(__image_end - __image_start);
    paging_init_and_relocate(base, vmm_mem, highest_address(), &tables_len);
    mem_init(base, vmm_mem, image_len, tables_len);
    log_info("mem", "VMM region %016llx-%016llx (%llu MiB) reserved %s; "
             "image %llu KiB, page tables %llu KiB",
             (unsigned long long)base, (unsigned long long)(base + vmm_mem - 1),
             (unsigned long long)(vmm_mem >> 20),
             boot_info.uefi_entry ? "by the UEFI loader (boot services)"
                                  : "at the top of usable RAM below 4 GiB",
             (unsigned long long)(image_len >> 10),
             (unsigned long long)(tables_len >> 10));

    run_init_stage("mem");
    run_init_stage("cpu");
    run_init_stage("acpi");
    run_init_stage("backend");
    run_init_stage("devices");
    run_init_stage("guest");
    run_init_stage("late");
    /* The last stage starts the guest and does not return. */
    panic("init: no stage started the guest");
}
