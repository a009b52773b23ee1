/* AML namespace and parser (ACPI 6.5 chapter 20).
 *
 * Loading happens in two passes, so the parser never guesses:
 *   1. aml_ns_add_table(), once per definition block in load order (DSDT,
 *      then the SSDTs): walks the table's module-level code and records
 *      every declaration (Scope, Name, Method with its ArgCount, Device,
 *      External with its ArgCount, Alias, OperationRegion, Field units,
 *      Processor, PowerResource, ThermalZone, Mutex, Event, Create*Field,
 *      DataRegion). Method bodies are skipped by their PkgLength. The
 *      module-level code is walked twice: once to collect the table's
 *      declarations, once more (as ACPICA's second load pass) so that a
 *      name invoked there resolves against all of them and against the
 *      tables loaded before.
 *   2. aml_ns_parse_methods(), once all tables are in: parses every method
 *      body, resolving each invocation against the complete namespace and
 *      reading exactly the ArgCount the namespace holds.
 * A NameString in a SuperName or Target position is a reference, never an
 * invocation (as in ACPICA). A name that resolves nowhere is a reference
 * (0 arguments), counted as unresolved and reported.
 *
 * Every step (term, name probe, hash probe) is counted; a load never takes
 * more than AML_STEPS_PER_BYTE steps per AML byte plus a constant, and
 * returns ACPI_ESTEPS rather than exceed it. Nesting is bounded by
 * AML_MAX_DEPTH. Malformed AML is reported and the innermost construct
 * delimited by a PkgLength is skipped; parsing resumes after it.
 *
 * Storage is a caller-supplied arena; nodes hold offsets into the tables,
 * which must stay mapped. */
#ifndef VENEER_COMMON_ACPI_AML_H
#define VENEER_COMMON_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/acpi/acpi.h"

#define AML_MAX_TABLES 64
#define AML_MAX_DEPTH 48     /* parser recursion (terms and packages) */
#define AML_MAX_NS_DEPTH 64  /* namespace tree depth */
#define AML_STEPS_PER_BYTE 16
#define AML_STEPS_BASE 65536

typedef uint32_t aml_node_id;
#define AML_NONE 0xffffffffu
#define AML_ROOT 0u

enum aml_type {
    AML_T_SCOPE,      /* predefined scope or implicit path component */
    AML_T_NAME,
    AML_T_METHOD,
    AML_T_DEVICE,
    AML_T_EXTERNAL,   /* declared only by External */
    AML_T_ALIAS,
    AML_T_REGION,
    AML_T_FIELD,      /* Field/IndexField/BankField unit */
    AML_T_PROCESSOR,
    AML_T_POWER,
    AML_T_THERMAL,
    AML_T_MUTEX,
    AML_T_EVENT,
    AML_T_BUFFER_FIELD,
    AML_T_DATA_REGION,
};

enum {
    AML_NF_COND = 1,     /* declared inside a module-level If/Else/While */
    AML_NF_LOCAL = 2,    /* declared inside a method body */
    AML_NF_BUILTIN = 4,  /* predefined (\_SB, \_OSI, ...) */
};

struct aml_node {
    uint32_t name;        /* NameSeg, 4 ASCII bytes, little-endian */
    aml_node_id parent;
    aml_node_id hash_next;
    uint8_t type;         /* enum aml_type */
    uint8_t argc;         /* methods and method Externals */
    uint8_t flags;        /* AML_NF_* */
    uint8_t table;        /* index in aml_ns.tables, 0xff for builtins */
    uint8_t depth;        /* root is 0 */
    uint8_t aux8;         /* External: object type; Region: space */
    uint16_t reserved;
    uint32_t off;         /* Name: data object; Method: body; Region:
                           * offset TermArg; byte offset in the table */
    uint32_t len;         /* length of that data / body */
    aml_node_id alias;    /* Alias: target */
};

struct aml_table {
    const uint8_t *data; /* whole table, header included */
    uint32_t len;
    char sig[5];
    uint8_t revision;    /* < 2: integers are 32 bits */
};

struct aml_stats {
    uint64_t steps;
    uint32_t terms;
    uint32_t methods_parsed;
    uint32_t invocations;   /* method invocations resolved */
    uint32_t unresolved;    /* names found nowhere (0 arguments assumed) */
    uint32_t errors;        /* constructs reported and skipped */
    uint32_t max_depth;
};

struct aml_ns {
    struct aml_node *nodes;
    uint32_t nnodes, max_nodes;
    uint32_t *buckets;
    uint32_t bucket_mask;
    unsigned ntables;
    struct aml_table tables[AML_MAX_TABLES];
    const struct acpi_env *env; /* report callback; may be NULL */
    uint64_t budget;            /* steps still allowed */
    struct aml_stats stats;
};

/* Sets up an empty namespace with the predefined objects in arena. */
int aml_ns_init(struct aml_ns *ns, void *arena, size_t arena_size,
                const struct acpi_env *env);
/* Validates a DSDT/SSDT (signature, length, checksum) and runs pass 1. */
int aml_ns_add_table(struct aml_ns *ns, const void *table, uint32_t len);
/* Pass 2 over every method body. */
int aml_ns_parse_methods(struct aml_ns *ns);
/* Convenience: init, add the DSDT and every SSDT of a table directory, and
 * parse the methods. */
int aml_ns_load(struct aml_ns *ns, void *arena, size_t arena_size,
                const struct acpi_env *env, const struct acpi_tables *t);

/* ---- queries ------------------------------------------------------------- */
const struct aml_node *aml_node(const struct aml_ns *ns, aml_node_id id);
/* Absolute ("\_SB.PCI0.ISA.COM1") or root-relative path; segments shorter
 * than 4 characters are padded with '_'. */
int aml_lookup(const struct aml_ns *ns, const char *path, aml_node_id *out);
aml_node_id aml_child(const struct aml_ns *ns, aml_node_id parent,
                      const char *seg);
/* "\_SB_.PCI0.ISA_.COM1"; returns the length or ACPI_ENOMEM. */
int aml_node_path(const struct aml_ns *ns, aml_node_id id, char *buf,
                  size_t size);
/* Values of Name objects holding constants. */
int aml_node_integer(const struct aml_ns *ns, aml_node_id id, uint64_t *v);
/* A string, or an integer EISA ID rendered as "PNP0501". */
int aml_node_string(const struct aml_ns *ns, aml_node_id id, char *buf,
                    size_t size);
int aml_package_count(const struct aml_ns *ns, aml_node_id id);
int aml_package_integer(const struct aml_ns *ns, aml_node_id id,
                        unsigned index, uint64_t *v);
/* Region space and, when they are constants, offset and length. */
int aml_region_info(const struct aml_ns *ns, aml_node_id id, uint8_t *space,
                    uint64_t *offset, uint64_t *length);

/* \_S0..\_S5 (ACPI 6.5 7.4.2): fills st; returns how many were found. */
int aml_get_sleep_types(const struct aml_ns *ns, struct acpi_sleep_types *st);
/* Devices whose _HID (string or EISA ID) equals hid; stores up to max ids
 * in out and returns how many matched. */
int aml_find_devices_by_hid(const struct aml_ns *ns, const char *hid,
                            aml_node_id *out, unsigned max);
void aml_eisaid_to_str(uint32_t id, char out[8]);
/* First I/O port range of a device's _CRS when _CRS is a Name holding a
 * resource template (ACPI 6.5 6.4.2.5/6.4.2.6 I/O descriptors); a _CRS
 * method (computed at run time) gives ACPI_ENOENT. */
int aml_device_io(const struct aml_ns *ns, aml_node_id dev, uint16_t *base,
                  uint8_t *len);

#endif
