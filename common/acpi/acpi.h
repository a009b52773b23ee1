/* ACPI static tables: finding the RSDP, walking the RSDT/XSDT, and parsing
 * FADT, MADT, MCFG, DMAR, IVRS and HPET into plain structures.
 *
 * Everything here reads firmware data, which is untrusted: every table is
 * validated (signature, length within the mapping, checksum, every
 * sub-structure within its table) before it is used; a problem is reported
 * through the caller's callback and the offending table or entry is skipped,
 * never followed. No allocation, no globals: the caller supplies the memory
 * mapping function, the report callback and the output structures.
 * Layouts: ACPI 6.5 chapter 5.2, Intel VT-d 4.1 chapter 8, AMD IOMMU 3.08
 * chapter 5.2, IA-PC HPET 1.0a section 3.2.4. See docs/acpi.md. */
#ifndef VENEER_COMMON_ACPI_ACPI_H
#define VENEER_COMMON_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors (negative; 0 is success) ------------------------------------ */
enum {
    ACPI_ENOENT = -1,  /* not present */
    ACPI_EMAP = -2,    /* the map function refused the range */
    ACPI_ECSUM = -3,   /* checksum does not sum to zero */
    ACPI_ELEN = -4,    /* length field too small, too large or past the end */
    ACPI_ESIG = -5,    /* wrong or unprintable signature */
    ACPI_ETRUNC = -6,  /* a sub-structure runs past its table */
    ACPI_ENOMEM = -7,  /* caller's arena or output array is full */
    ACPI_EINVAL = -8,  /* bad argument or bad value in a table */
    ACPI_ESTEPS = -9,  /* step budget exhausted (AML) */
    ACPI_EAML = -10,   /* malformed AML */
    ACPI_EDEPTH = -11, /* AML nesting deeper than AML_MAX_DEPTH */
    ACPI_EDUP = -12,   /* duplicate table or conflicting declaration */
};

const char *acpi_strerror(int err);

/* ---- environment ---------------------------------------------------------- */
/* Maps len bytes of physical memory at phys for reading; returns NULL when
 * the range cannot be mapped. Pointers stay valid for as long as the caller
 * uses the results (the VMM maps through its permanent direct map; tests
 * serve buffers). */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t phys, size_t len);

/* One problem found in firmware data. what is a static string; sig the table
 * (NUL-terminated, "" when none); addr a physical address or, for AML, the
 * offset in the table; value what was wrong (a length, a checksum, ...). */
struct acpi_problem {
    int err;
    const char *what;
    char sig[5];
    uint64_t addr;
    uint64_t value;
};
typedef void (*acpi_report_fn)(void *ctx, const struct acpi_problem *p);

struct acpi_env {
    acpi_map_fn map;
    acpi_report_fn report; /* may be NULL */
    void *ctx;
};

/* ---- layouts ------------------------------------------------------------- */
#define ACPI_PACKED __attribute__((packed))

struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;  /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision; /* 0: ACPI 1.0 (20 bytes), 2: ACPI 2.0+ */
    uint32_t rsdt_address;
    uint32_t length; /* revision >= 2 */
    uint64_t xsdt_address;
    uint8_t extended_checksum; /* over length bytes */
    uint8_t reserved[3];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_address) == 16, "RSDP.rsdt");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "RSDP.length");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP.xsdt");
_Static_assert(offsetof(struct acpi_rsdp, extended_checksum) == 32, "RSDP.x");
#define ACPI_RSDP_V1_LEN 20u

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header size");
_Static_assert(offsetof(struct acpi_header, length) == 4, "SDT.length");
_Static_assert(offsetof(struct acpi_header, checksum) == 9, "SDT.checksum");

/* Generic Address Structure (ACPI 6.5 5.2.3.2) */
struct acpi_gas {
    uint8_t space_id; /* ACPI_SPACE_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
_Static_assert(offsetof(struct acpi_gas, address) == 4, "GAS.address");

enum {
    ACPI_SPACE_MEMORY = 0,
    ACPI_SPACE_IO = 1,
    ACPI_SPACE_PCI_CONFIG = 2,
};

/* FADT (ACPI 6.5 5.2.9); revision 1 tables end at offset 116. */
struct acpi_fadt {
    struct acpi_header hdr;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk;
    struct acpi_gas x_pm1b_evt_blk;
    struct acpi_gas x_pm1a_cnt_blk;
    struct acpi_gas x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk;
    struct acpi_gas x_pm_tmr_blk;
    struct acpi_gas x_gpe0_blk;
    struct acpi_gas x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT.dsdt");
_Static_assert(offsetof(struct acpi_fadt, smi_cmd) == 48, "FADT.smi_cmd");
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "FADT.pm1a_cnt");
_Static_assert(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "FADT.pm1_cnt_len");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT.iapc");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT.flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT.reset_reg");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT.reset_value");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT.x_dsdt");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT.x_pm1a_cnt");
_Static_assert(offsetof(struct acpi_fadt, x_pm1b_cnt_blk) == 184, "FADT.x_pm1b_cnt");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT.sleep_ctl");
#define ACPI_FADT_V1_LEN 116u
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

/* FACS (ACPI 6.5 5.2.10): no checksum; the S3 resume path goes through
 * its waking vectors, which the VMM must see before the guest's OS does. */
struct acpi_facs {
    char signature[4];
    uint32_t length; /* >= 64 */
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version;
    uint8_t reserved[3];
    uint32_t ospm_flags;
    uint8_t reserved2[24];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS size");
_Static_assert(offsetof(struct acpi_facs, firmware_waking_vector) == 12,
               "FACS.waking");
_Static_assert(offsetof(struct acpi_facs, x_firmware_waking_vector) == 24,
               "FACS.x_waking");

/* MADT (ACPI 6.5 5.2.12) */
struct acpi_madt {
    struct acpi_header hdr;
    uint32_t lapic_address;
    uint32_t flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT size");

struct acpi_madt_entry {
    uint8_t type;
    uint8_t length;
} ACPI_PACKED;

enum {
    ACPI_MADT_LAPIC = 0,
    ACPI_MADT_IOAPIC = 1,
    ACPI_MADT_ISO = 2,
    ACPI_MADT_NMI_SRC = 3,
    ACPI_MADT_LAPIC_NMI = 4,
    ACPI_MADT_LAPIC_ADDR = 5,
    ACPI_MADT_X2APIC = 9,
    ACPI_MADT_X2APIC_NMI = 10,
};

struct acpi_madt_lapic {
    struct acpi_madt_entry e;
    uint8_t processor_uid;
    uint8_t apic_id;
    uint32_t flags; /* bit 0 enabled, bit 1 online capable */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");

struct acpi_madt_ioapic {
    struct acpi_madt_entry e;
    uint8_t id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");

struct acpi_madt_iso {
    struct acpi_madt_entry e;
    uint8_t bus;
    uint8_t source;
    uint32_t gsi;
    uint16_t flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");

struct acpi_madt_lapic_nmi {
    struct acpi_madt_entry e;
    uint8_t processor_uid;
    uint16_t flags;
    uint8_t lint;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI");

struct acpi_madt_lapic_addr {
    struct acpi_madt_entry e;
    uint16_t reserved;
    uint64_t address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic_addr) == 12, "MADT LAPIC addr");

struct acpi_madt_x2apic {
    struct acpi_madt_entry e;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t processor_uid;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");
_Static_assert(offsetof(struct acpi_madt_x2apic, x2apic_id) == 4, "x2APIC.id");

/* MCFG (PCI Firmware 3.2 4.1.2) */
struct acpi_mcfg {
    struct acpi_header hdr;
    uint64_t reserved;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG size");

struct acpi_mcfg_alloc {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start;
    uint8_t bus_end;
    uint32_t reserved;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG entry size");

/* DMAR (VT-d 4.1 8.1) */
struct acpi_dmar {
    struct acpi_header hdr;
    uint8_t host_address_width; /* HAW - 1 */
    uint8_t flags;              /* bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT */
    uint8_t reserved[10];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_dmar) == 48, "DMAR size");

struct acpi_dmar_entry {
    uint16_t type;
    uint16_t length;
} ACPI_PACKED;

enum {
    ACPI_DMAR_DRHD = 0,
    ACPI_DMAR_RMRR = 1,
    ACPI_DMAR_ATSR = 2,
    ACPI_DMAR_RHSA = 3,
    ACPI_DMAR_ANDD = 4,
    ACPI_DMAR_SATC = 5,
};

struct acpi_dmar_drhd {
    struct acpi_dmar_entry e;
    uint8_t flags; /* bit 0 INCLUDE_PCI_ALL */
    uint8_t size;  /* register set size: 2^size 4 KiB pages */
    uint16_t segment;
    uint64_t register_base;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_dmar_drhd) == 16, "DRHD size");
_Static_assert(offsetof(struct acpi_dmar_drhd, register_base) == 8, "DRHD.base");

struct acpi_dmar_rmrr {
    struct acpi_dmar_entry e;
    uint16_t reserved;
    uint16_t segment;
    uint64_t base;
    uint64_t limit; /* inclusive */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_dmar_rmrr) == 24, "RMRR size");

/* IVRS (AMD IOMMU 3.08 5.2) */
struct acpi_ivrs {
    struct acpi_header hdr;
    uint32_t iv_info;
    uint64_t reserved;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_ivrs) == 48, "IVRS size");

struct acpi_ivhd {
    uint8_t type; /* 0x10, 0x11, 0x40 (IVHD); 0x20-0x22 (IVMD) */
    uint8_t flags;
    uint16_t length;
    uint16_t device_id;
    uint16_t capability_offset;
    uint64_t base_address;
    uint16_t segment;
    uint16_t info;
    uint32_t feature; /* type 0x10: IOMMU feature info; 0x11/0x40: attributes */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_ivhd) == 24, "IVHD 10h size");
_Static_assert(offsetof(struct acpi_ivhd, base_address) == 8, "IVHD.base");
#define ACPI_IVHD_EXT_LEN 40u /* types 0x11 and 0x40 carry EFR images */

/* HPET (IA-PC HPET 1.0a 3.2.4) */
struct acpi_hpet {
    struct acpi_header hdr;
    uint32_t event_timer_block_id;
    struct acpi_gas base;
    uint8_t hpet_number;
    uint16_t min_tick;
    uint8_t page_protection;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET size");
_Static_assert(offsetof(struct acpi_hpet, base) == 40, "HPET.base");

/* EFI configuration table entry (UEFI 2.10 4.6) */
struct acpi_efi_config_entry {
    uint8_t guid[16];
    uint64_t table;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_efi_config_entry) == 24, "EFI config entry");

/* EFI system table, x86-64 (UEFI 2.10 4.3): only what locating the
 * configuration table needs. */
struct acpi_efi_system_table {
    uint64_t signature; /* "IBI SYST" */
    uint32_t revision;
    uint32_t header_size;
    uint32_t crc32;
    uint32_t reserved;
    uint64_t firmware_vendor;
    uint32_t firmware_revision;
    uint32_t pad0;
    uint64_t console_in_handle, con_in, console_out_handle, con_out;
    uint64_t standard_error_handle, std_err;
    uint64_t runtime_services, boot_services;
    uint64_t number_of_table_entries;
    uint64_t configuration_table;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_efi_system_table) == 120, "EFI systab");
_Static_assert(offsetof(struct acpi_efi_system_table,
                        number_of_table_entries) == 104, "systab.n");
_Static_assert(offsetof(struct acpi_efi_system_table,
                        configuration_table) == 112, "systab.cfg");
#define ACPI_EFI_SYSTAB_SIGNATURE 0x5453595320494249ull /* "IBI SYST" */

/* ---- basic checks -------------------------------------------------------- */
uint8_t acpi_checksum(const void *p, size_t len);
/* Sets the header's checksum so the len bytes at hdr sum to zero. */
void acpi_fix_checksum(struct acpi_header *hdr, size_t len);
/* Validates a table already in memory: 36 <= length <= avail, checksum.
 * sig may be NULL (any printable signature). */
int acpi_table_check(const void *table, size_t avail, const char *sig);

/* ---- RSDP ---------------------------------------------------------------- */
/* Validates an RSDP at p with avail bytes readable; returns its length (20
 * or the revision 2 length) or a negative error. */
int acpi_rsdp_check(const void *p, size_t avail);
/* Finds the first valid RSDP at a 16-byte boundary in a buffer; returns
 * its offset or ACPI_ENOENT. */
long acpi_rsdp_scan(const void *area, size_t len);
/* BIOS search (ACPI 6.5 5.2.5.1): the first KiB of the EBDA (segment at
 * 0x40E), then 0xE0000-0xFFFFF. */
int acpi_find_rsdp_bios(const struct acpi_env *env, uint64_t *rsdp_phys);
/* UEFI: searches count entries of the EFI configuration table at phys for
 * the ACPI 2.0 GUID, then the ACPI 1.0 GUID, and validates the RSDP. */
int acpi_find_rsdp_efi(const struct acpi_env *env, uint64_t config_table,
                       uint64_t count, uint64_t *rsdp_phys);
/* The same starting from the EFI system table the loader passes. */
int acpi_find_rsdp_efi_systab(const struct acpi_env *env, uint64_t systab,
                              uint64_t *rsdp_phys);

/* ---- table directory ------------------------------------------------------ */
#define ACPI_MAX_TABLES 64
#define ACPI_MAX_TABLE_LEN (16u << 20)

struct acpi_table_ref {
    char sig[5];
    uint32_t length;
    uint64_t phys;
    const void *data; /* mapped, validated, length bytes */
};

struct acpi_tables {
    uint64_t rsdp_phys;
    uint8_t rsdp_revision;
    bool use_xsdt;       /* the directory came from the XSDT */
    uint64_t root_phys;  /* RSDT or XSDT used */
    uint64_t rsdt_phys;  /* both as announced by the RSDP (0 if absent) */
    uint64_t xsdt_phys;
    unsigned count;
    unsigned skipped; /* entries reported and left out */
    struct acpi_table_ref t[ACPI_MAX_TABLES];
};

/* Walks the XSDT (or RSDT when there is no valid XSDT), validates each
 * table, and adds the DSDT (X_DSDT, else DSDT) and FACS named by the FADT.
 * Duplicated addresses are skipped. Returns 0 or a negative error when no
 * usable root table exists. */
int acpi_tables_scan(const struct acpi_env *env, uint64_t rsdp_phys,
                     struct acpi_tables *out);
/* The instance-th table with this signature (0-based) or NULL. */
const struct acpi_table_ref *acpi_tables_find(const struct acpi_tables *t,
                                              const char *sig,
                                              unsigned instance);

/* ---- FADT ---------------------------------------------------------------- */
struct acpi_fadt_info {
    uint8_t revision;
    uint32_t flags;
    uint64_t dsdt;   /* X_DSDT when set, else DSDT */
    uint64_t dsdt32; /* the 32-bit DSDT when it differs from X_DSDT */
    uint64_t facs;
    uint16_t sci_int;
    uint32_t smi_cmd; /* I/O port, 0: no SMM transition needed */
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    /* Register blocks as GAS: the 64-bit X_ form when present and non-zero,
     * else the 32-bit I/O port form with the FADT's length; address 0 means
     * absent. */
    struct acpi_gas pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm_tmr;
    bool reset_supported;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t iapc_boot_arch;
    bool hw_reduced;
    /* HW-reduced ACPI (ACPI 6.5 4.8.3.7): sleep through these instead */
    struct acpi_gas sleep_control, sleep_status;
};
int acpi_fadt_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_fadt_info *out);

/* ---- FACS ---------------------------------------------------------------- */
struct acpi_facs_info {
    uint32_t hardware_signature;
    uint32_t waking_vector;   /* real-mode entry after S3 */
    uint64_t x_waking_vector; /* protected/long-mode entry, 0 if unused */
    uint8_t version;
};
int acpi_facs_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_facs_info *out);

/* ---- MADT ---------------------------------------------------------------- */
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_ISOS 32

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t uid;
    bool enabled;        /* flags bit 0 */
    bool online_capable; /* flags bit 1: may be enabled later */
    bool x2apic;         /* from an x2APIC entry */
};
struct acpi_ioapic {
    uint8_t id;
    uint32_t address;
    uint32_t gsi_base;
};
struct acpi_iso {
    uint8_t bus, source;
    uint32_t gsi;
    uint16_t flags; /* polarity bits 1:0, trigger bits 3:2 */
};
struct acpi_madt_info {
    uint64_t lapic_address; /* overridden by a type 5 entry */
    uint32_t flags;         /* bit 0 PCAT_COMPAT (8259s present) */
    unsigned ncpus, nioapics, nisos;
    unsigned skipped;
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    struct acpi_iso isos[ACPI_MAX_ISOS];
};
int acpi_madt_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_madt_info *out);

/* ---- MCFG ---------------------------------------------------------------- */
#define ACPI_MAX_MCFG 16
struct acpi_mcfg_info {
    unsigned count;
    unsigned skipped;
    struct acpi_mcfg_alloc ecam[ACPI_MAX_MCFG];
};
int acpi_mcfg_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_mcfg_info *out);

/* ---- DMAR ---------------------------------------------------------------- */
#define ACPI_MAX_DRHD 16
#define ACPI_MAX_RMRR 16
struct acpi_drhd_info {
    uint64_t register_base;
    uint16_t segment;
    uint8_t flags;
    uint32_t register_size; /* bytes; 4 KiB when the size field is 0 */
};
struct acpi_rmrr_info {
    uint64_t base, limit;
    uint16_t segment;
};
struct acpi_dmar_info {
    uint8_t host_address_width; /* in bits (field + 1) */
    uint8_t flags;
    unsigned ndrhd, nrmrr, nother;
    unsigned skipped;
    struct acpi_drhd_info drhd[ACPI_MAX_DRHD];
    struct acpi_rmrr_info rmrr[ACPI_MAX_RMRR];
};
int acpi_dmar_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_dmar_info *out);

/* Turning off DMA remapping firmware left on (VT-d 4.1 11.4.4): read GSTS,
 * write acpi_vtd_gcmd_disable(gsts) to GCMD, poll GSTS until TES clears. */
#define ACPI_VTD_REG_GCMD 0x18u
#define ACPI_VTD_REG_GSTS 0x1cu
#define ACPI_VTD_GSTS_TES (1u << 31)
#define ACPI_VTD_GSTS_ONESHOT_KEEP 0x96ffffffu /* drops RTPS FLS WBFS IRTPS */
static inline uint32_t acpi_vtd_gcmd_disable(uint32_t gsts)
{
    return (gsts & ACPI_VTD_GSTS_ONESHOT_KEEP) & ~ACPI_VTD_GSTS_TES;
}

/* ---- IVRS ---------------------------------------------------------------- */
#define ACPI_MAX_IVHD 16
struct acpi_ivhd_info {
    uint8_t type;
    uint8_t flags;
    uint16_t device_id; /* the IOMMU's own PCI BDF */
    uint16_t capability_offset;
    uint16_t segment;
    uint64_t base_address;
};
struct acpi_ivrs_info {
    uint32_t iv_info;
    unsigned nivhd, nivmd;
    unsigned skipped;
    struct acpi_ivhd_info ivhd[ACPI_MAX_IVHD];
};
int acpi_ivrs_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_ivrs_info *out);

/* AMD IOMMU 3.08 3.4.2: Control Register (MMIO 0x18), bit 0 IommuEn. */
#define ACPI_AMDVI_REG_CONTROL 0x18u
#define ACPI_AMDVI_CONTROL_EN (1ull << 0)

/* ---- HPET ---------------------------------------------------------------- */
struct acpi_hpet_info {
    uint32_t event_timer_block_id;
    struct acpi_gas base;
    uint8_t hpet_number;
    uint16_t min_tick;
};
int acpi_hpet_parse(const struct acpi_env *env, const void *table,
                    uint32_t len, struct acpi_hpet_info *out);

/* ---- hiding a table from the guest (e.g. DMAR) --------------------------- */
/* Rewrites an RSDT (entry_size 4) or XSDT (8) held in buf without the
 * entries that point at phys, shrinks its length, zeroes the freed tail and
 * fixes the checksum. The table named stays intact in memory, so the VMM
 * can still find and use it. buf_len is the mapped size of buf. Returns the
 * number of entries removed (0 if none) or a negative error. */
int acpi_root_remove_entry(void *buf, size_t buf_len, uint64_t phys);

/* Hides every table with signature sig from the guest: rewrites, through
 * map_rw, the RSDT and the XSDT the RSDP announces (both: an OS may read
 * either, and each may point at its own copy) without the entries whose
 * target has that signature. The tables themselves and t stay intact.
 * Returns the number of entries removed. */
typedef void *(*acpi_map_rw_fn)(void *ctx, uint64_t phys, size_t len);
int acpi_hide_table(const struct acpi_env *env, acpi_map_rw_fn map_rw,
                    const struct acpi_tables *t, const char *sig);

/* ---- sleep: PM1 control decoding (ACPI 6.5 4.8.3.2.1) -------------------- */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN (1u << 13)

/* \_S0..\_S5 SLP_TYPa/SLP_TYPb (filled by aml_get_sleep_types). */
struct acpi_sleep_types {
    bool present[6];
    uint8_t typa[6];
    uint8_t typb[6];
};

struct acpi_pm1_write {
    uint8_t slp_typ;
    bool slp_en;
};
struct acpi_pm1_write acpi_pm1_decode(uint16_t value);
/* Maps a write to PM1a (pm1b false) or PM1b control to the S-state it
 * requests: 1..5 when SLP_EN is set and SLP_TYP equals that state's value
 * for that register; when several S-states share the value, the deepest
 * wins (firmware that gives S4 and S5 the same type powers off either
 * way). Returns 0 when the write is not a sleep request (SLP_EN clear, or
 * only \_S0 matches) and ACPI_ENOENT when SLP_EN is set with an unknown
 * type. */
int acpi_pm1_sleep_state(uint16_t value, bool pm1b,
                         const struct acpi_sleep_types *st);

/* The same for a write to the HW-reduced Sleep Control Register (ACPI 6.5
 * 4.8.3.7: SLP_TYPx in bits 4:2, SLP_EN bit 5), compared with SLP_TYPa. */
#define ACPI_SLEEP_CTL_TYP_SHIFT 2
#define ACPI_SLEEP_CTL_SLP_EN (1u << 5)
int acpi_sleep_control_state(uint8_t value,
                             const struct acpi_sleep_types *st);

#endif
