/* What the VMM does with ACPI at boot: read the firmware's tables once
 * (common/acpi/), log what it found (sleep states, MCFG, the PM1 control
 * block), hide DMAR from the guest and turn off DMA remapping firmware left
 * on (seed 002), and own the PM1 control ports so that a sleep request is
 * seen: S4 (hibernate) and S5 (soft off) go through, S3 goes through the
 * VMM's own resume path (common/sleep.c). */
#include <common/acpi/probe.h>
#include <common/exit.h>
#include <common/sleep.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/paging.h>
#include <platform/format.h>

static bool hide_dmar = true;
OPTION_BOOL("vmm.hide_dmar", hide_dmar,
            "remove the DMAR table from the guest's RSDT/XSDT (default 1)");
static bool hide_ivrs = true;
OPTION_BOOL("vmm.hide_ivrs", hide_ivrs,
            "remove the IVRS table from the guest's RSDT/XSDT (default 1)");
static bool vtd_off = true;
OPTION_BOOL("vmm.vtd_off", vtd_off,
            "turn off VT-d translation that firmware enabled (default 1)");

#define ACPI_ARENA_SIZE (512u << 10)
#define ACPI_REPORT_MAX 32

static struct acpi_platform pf;
static struct aml_ns ns;
static bool acpi_found;
static unsigned reports;

static const void *map_ro(void *ctx, uint64_t phys, size_t len)
{
    if (!len || phys + len < phys || phys + len > direct_map_top)
        return NULL;
    if (phys < vmm_region_base + vmm_region_size && phys + len > vmm_region_base)
        return NULL; /* firmware pointing into the VMM: not followed */
    return phys_to_virt(phys);
}

static void *map_rw(void *ctx, uint64_t phys, size_t len)
{
    return (void *)map_ro(ctx, phys, len);
}

static void report(void *ctx, const struct acpi_problem *p)
{
    if (++reports > ACPI_REPORT_MAX) {
        if (reports == ACPI_REPORT_MAX + 1)
            log_warn("acpi", "more problems in the firmware's tables; not logged");
        return;
    }
    log_warn("acpi", "%s%s%s at 0x%llx (value 0x%llx): %s", p->sig,
             p->sig[0] ? ": " : "", p->what, (unsigned long long)p->addr,
             (unsigned long long)p->value, acpi_strerror(p->err));
}

static const struct acpi_env env = { map_ro, report, NULL };

const struct acpi_platform *acpi_platform(void) { return acpi_found ? &pf : NULL; }

static void log_tables(void)
{
    char list[ACPI_MAX_TABLES * 5 + 1];
    size_t n = 0;

    for (unsigned i = 0; i < pf.tables.count && n + 5 < sizeof(list); i++) {
        for (int k = 0; k < 4; k++)
            list[n++] = pf.tables.t[i].sig[k];
        list[n++] = ' ';
    }
    list[n ? n - 1 : 0] = '\0';
    log_info("acpi", "%s at 0x%llx: %u tables: %s",
             pf.tables.use_xsdt ? "XSDT" : "RSDT",
             (unsigned long long)pf.tables.root_phys, pf.tables.count, list);
}

static void log_sleep_states(void)
{
    char buf[160];
    size_t n = 0;

    for (int s = 0; s <= 5 && n < sizeof(buf); s++)
        if (pf.sleep.present[s])
            n += (size_t)ksnprintf(buf + n, sizeof(buf) - n, " S%d=%u/%u", s,
                                   pf.sleep.typa[s], pf.sleep.typb[s]);
    log_info("acpi", "sleep states (SLP_TYPa/SLP_TYPb):%s%s", n ? buf : " none",
             pf.aml_status < 0 ? " (AML namespace incomplete)" : "");
}

static void log_mcfg(void)
{
    if (!pf.have_mcfg || !pf.mcfg.count) {
        log_info("acpi", "MCFG: none (PCI configuration through ports 0xcf8/0xcfc only)");
        return;
    }
    for (unsigned i = 0; i < pf.mcfg.count; i++)
        log_info("acpi", "MCFG: segment %u buses %u-%u, ECAM at 0x%llx",
                 pf.mcfg.ecam[i].segment, pf.mcfg.ecam[i].bus_start,
                 pf.mcfg.ecam[i].bus_end,
                 (unsigned long long)pf.mcfg.ecam[i].base);
}

static void vtd_disable(void)
{
    for (unsigned i = 0; i < pf.dmar.ndrhd; i++) {
        u64 base = pf.dmar.drhd[i].register_base;
        volatile u32 *regs = (volatile u32 *)map_rw(NULL, base, 0x20);
        if (!regs) {
            log_warn("acpi", "VT-d unit at 0x%llx is outside memory the VMM "
                     "can reach; left as it is", (unsigned long long)base);
            continue;
        }
        u32 gsts = regs[0x1c / 4];
        if (!(gsts & ACPI_VTD_GSTS_TES)) {
            log_info("acpi", "VT-d unit at 0x%llx: translation off",
                     (unsigned long long)base);
            continue;
        }
        regs[0x18 / 4] = acpi_vtd_gcmd_disable(gsts);
        int spins = 1000000;
        while ((regs[0x1c / 4] & ACPI_VTD_GSTS_TES) && --spins)
            cpu_relax();
        log_info("acpi", "VT-d unit at 0x%llx: firmware left translation on; "
                 "%s", (unsigned long long)base,
                 spins ? "turned off" : "did not turn off (GSTS.TES stuck)");
    }
}

/* ---- PM1 control: sleep requests ---------------------------------------- */

static bool pm1_handle(struct vcpu *v, const struct vcpu_exit *e);
static struct io_owner pm1a_owner = { .name = "PM1a control", .handle = pm1_handle };
static struct io_owner pm1b_owner = { .name = "PM1b control", .handle = pm1_handle };
IO_OWNER(pm1a_owner);
IO_OWNER(pm1b_owner);

static bool pm1_handle(struct vcpu *v, const struct vcpu_exit *e)
{
    u64 *g = v->regs.gpr;
    bool pm1b = pm1b_owner.count && e->io.port >= pm1b_owner.port &&
                e->io.port < pm1b_owner.port + pm1b_owner.count;

    if (e->io.string)
        return false; /* no firmware does this; let the generic path refuse */
    if (e->io.in) {
        io_passthrough(v, e);
        return true;
    }
    u16 value = (u16)g[GPR_RAX];
    int state = acpi_pm1_sleep_state(value, pm1b, &pf.sleep);
    if (state == 3) {
        sleep_s3(v, e, &pf, pm1b); /* returns only when it refused (logged) */
        return true;
    }
    if (state == 4 || state == 5) {
        /* S4: the OS wrote its hibernation image through the mediators
         * (encrypted); the machine goes off, and the resume is a boot
         * through Veneer like any other. */
        log_info("acpi", "the guest requests S%d (%s) through %s; passing it "
                 "on", state, state == 4 ? "hibernate" : "soft off",
                 pm1b ? "PM1b" : "PM1a");
        run_init_stage("poweroff");
    }
    else if (state == ACPI_ENOENT)
        log_warn("acpi", "SLP_EN with unknown sleep type %u through %s; passed on",
                 (value >> ACPI_PM1_SLP_TYP_SHIFT) & 7, pm1b ? "PM1b" : "PM1a");
    io_passthrough(v, e);
    return true;
}

static void own_pm1(struct io_owner *o, const struct acpi_gas *gas, const char *name)
{
    if (!gas->address)
        return;
    if (gas->space_id != ACPI_SPACE_IO || gas->address > 0xffff) {
        log_warn("acpi", "%s is not in I/O space (space %u at 0x%llx): sleep "
                 "requests through it are not seen", name, gas->space_id,
                 (unsigned long long)gas->address);
        return;
    }
    o->port = (u16)gas->address;
    o->count = gas->bit_width ? (u16)((gas->bit_width + 7) / 8) : 2;
    log_info("acpi", "%s at port 0x%x (%u bytes): sleep requests are watched",
             name, o->port, o->count);
}

static int acpi_vmm_init(void)
{
    u64 rsdp = 0;
    void *arena = kmalloc(ACPI_ARENA_SIZE);

    if (!arena)
        return -E_NOMEM;
    if (boot_info.efi_system_table &&
        acpi_find_rsdp_efi_systab(&env, boot_info.efi_system_table, &rsdp) < 0) {
        log_warn("acpi", "no RSDP in the EFI configuration table");
        return 0;
    }
    int r = acpi_probe(&pf, &env, rsdp, &ns, arena, ACPI_ARENA_SIZE);
    if (r < 0) {
        log_warn("acpi", "no usable ACPI tables (%s): no sleep, MCFG or "
                 "DMAR handling", acpi_strerror(r));
        return 0;
    }
    acpi_found = true;
    log_tables();
    log_sleep_states();
    log_mcfg();
    if (pf.have_fadt) {
        own_pm1(&pm1a_owner, &pf.fadt.pm1a_cnt, "PM1a control");
        own_pm1(&pm1b_owner, &pf.fadt.pm1b_cnt, "PM1b control");
    }
    if (pf.have_dmar) {
        log_info("acpi", "DMAR: %u VT-d unit%s", pf.dmar.ndrhd,
                 pf.dmar.ndrhd == 1 ? "" : "s");
        if (vtd_off)
            vtd_disable();
        if (hide_dmar) {
            int n = acpi_hide_table(&env, map_rw, &pf.tables, "DMAR");
            log_info("acpi", "DMAR hidden from the guest (%d root entr%s "
                     "removed, checksums fixed)", n < 0 ? 0 : n,
                     n == 1 ? "y" : "ies");
        }
    }
    if (pf.have_ivrs) {
        log_info("acpi", "IVRS: %u IVHD entr%s", pf.ivrs.nivhd,
                 pf.ivrs.nivhd == 1 ? "y" : "ies");
        if (hide_ivrs) {
            int n = acpi_hide_table(&env, map_rw, &pf.tables, "IVRS");
            log_info("acpi", "IVRS hidden from the guest (%d root entr%s "
                     "removed, checksums fixed)", n < 0 ? 0 : n,
                     n == 1 ? "y" : "ies");
        }
    }
    return 0;
}
INIT_FUNC(acpi, 50, acpi_vmm_init);
