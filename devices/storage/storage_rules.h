/* The pure parts of the storage-encryption policy, host-tested
 * (tests/unit/test_storage.c): the vmm.crypt= rule syntax, which rules
 * apply to a disk, and how a request splits into runs of sectors that
 * share a rule. No keys and no hardware here (docs/storage.md). */
#ifndef VENEER_DEVICES_STORAGE_RULES_H
#define VENEER_DEVICES_STORAGE_RULES_H

#include <devices/pci/pci_rules.h>
#include <platform/types.h>

#define STORAGE_MAX_RULES 16
#define STORAGE_MAX_KEYS 4
#define STORAGE_LBA_END UINT64_MAX

/* One rule: DEV/RANGE/KEY (docs/storage.md).
 *   DEV   any | ata | ahci | nvme, then optionally .UNIT (ATA channel*2 +
 *         drive, AHCI port, NVMe namespace ID) and @BB:DD.F (the
 *         controller's PCI slot)
 *   RANGE all | FIRST-LAST | FIRST-end (LBAs, decimal, inclusive)
 *   KEY   kN, the key slot (0 .. STORAGE_MAX_KEYS-1) */
struct storage_rule {
    int kind;            /* enum storage_kind, or -1 for any */
    bool has_unit;
    u32 unit;
    bool has_slot;
    u8 bus, dev, fn;
    u64 first, last;     /* inclusive; last = STORAGE_LBA_END for "end" */
    u8 key;
};

/* Parses "RULE,RULE,...". Returns the number of rules (0 for an empty
 * string), or < 0 with the offending rule and the reason in why. */
int storage_rules_parse(const char *s, struct storage_rule *out, unsigned max,
                        char *why, size_t why_size);

/* Whether rule `r` applies to the disk (kind, unit) on controller `slot`
 * (NULL: no PCI controller, then a rule with a slot never matches). */
bool storage_rule_applies(const struct storage_rule *r, int kind, u32 unit,
                          const struct pci_ident *slot);

/* The first sectors of [lba, lba + n) that share one rule: returns the
 * index into rules[] of the rule covering sector `lba` (the first listed
 * wins where ranges overlap), or -1 if none does, and sets *run to how
 * many sectors from `lba` on have that same answer (1 .. n). n >= 1. */
int storage_rules_run(const struct storage_rule *const *rules, unsigned nrules,
                      u64 lba, u64 n, u64 *run);

/* Writes a rule in the syntax it was parsed from ("ahci.0@00:1f.2/all/k0"). */
void storage_rule_format(const struct storage_rule *r, char *buf, size_t size);

/* Key check value (vmm.kcv=): 16 hex digits -> 8 bytes. Returns 0 or < 0. */
int storage_kcv_parse(const char *s, size_t len, u8 out[8]);

#endif
