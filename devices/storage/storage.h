/* Storage encryption: the one interface between the disk mediators (ide,
 * ahci, nvme) and the encryption policy (keys and rules, docs/storage.md).
 *
 * A mediator registers each disk it finds (an IDE drive, an AHCI port, an
 * NVMe namespace) with storage_register(). On every guest transfer it
 * bounces the data through VMM memory and calls storage_crypt() on the
 * bounce buffer: before a write reaches the device (plaintext ->
 * ciphertext) and after a read completes (ciphertext -> plaintext), so the
 * disk never holds plaintext and the guest never sees ciphertext. Sectors
 * outside every rule's LBA range are left as they are.
 *
 * The policy (devices/storage/storage.c) owns the rules (vmm.crypt=), the keys
 * (passphrase prompt or key file module, checked against vmm.kcv=) and the
 * vector-register discipline (simd_begin/simd_end around the cipher). A
 * mediator never sees a key. */
#ifndef VENEER_DEVICES_STORAGE_H
#define VENEER_DEVICES_STORAGE_H

#include <devices/pci/pci.h>
#include <platform/types.h>

enum storage_kind {
    STORAGE_ATA,   /* IDE/PATA drive, PIO or bus-master DMA */
    STORAGE_AHCI,  /* SATA drive behind an AHCI port */
    STORAGE_NVME,  /* NVMe namespace */
    STORAGE_KIND_COUNT
};

#define STORAGE_MAX_DEV_RULES 4

struct storage_rule;

struct storage_dev {
    /* Filled by the mediator before storage_register(): */
    enum storage_kind kind;
    const struct pci_dev *pci; /* the controller; NULL for legacy ISA IDE */
    u32 unit;         /* ATA: channel * 2 + drive; AHCI: port; NVMe: NSID */
    u32 sector_size;  /* 512 or 4096 (the device's logical block) */
    u64 sectors;      /* capacity in sectors if known, else 0 */

    /* Filled by storage_register(): */
    char name[32];    /* "ata0.1", "ahci 00:1f.2 p0", "nvme 00:04.0 n1" */
    unsigned nrules;  /* rules that apply to this disk */
    const struct storage_rule *rules[STORAGE_MAX_DEV_RULES];
    /* Counters (sectors through storage_crypt, per direction). */
    u64 sectors_to_disk, sectors_from_disk, sectors_crypted;
};

/* Records a disk, resolves which vmm.crypt= rules apply to it and logs one
 * line naming it and its rules ("ahci 00:1f.2 p0: 512-byte sectors,
 * encrypted LBA 0-end with key 0" or "... passed through in the clear").
 * Returns 0, or < 0 (too many disks, bad sector size: logged). Any CPU,
 * from the devices stage on. */
int storage_register(struct storage_dev *d);

/* True when vmm.crypt= has rules: a controller a storage mediator cannot
 * take is then disabled, never passed through (pci_mediator.must_mediate). */
bool storage_encrypting(void);

/* True when no sector of [lba, lba + n) is encrypted on `d`: the mediator
 * may then let the transfer go to the guest's own buffers untouched. */
bool storage_range_plain(const struct storage_dev *d, u64 lba, u64 n);

/* Transforms `n` sectors in VMM memory `buf`, in place; `lba` is the
 * device LBA of buf[0]. to_disk: plaintext -> ciphertext (before a write
 * reaches the device); !to_disk: ciphertext -> plaintext (after a read).
 * Sectors outside every rule pass unchanged. Saves and restores the
 * guest's vector registers itself. Returns 0, or < 0 when the request
 * cannot be transformed (no key loaded for a rule that covers it, LBA
 * overflow): the mediator must then fail the guest's request, never pass
 * the data on. Safe on any CPU concurrently. */
int storage_crypt(struct storage_dev *d, u64 lba, u64 n, void *buf,
                  bool to_disk);

/* Bounce buffers: VMM memory, physically contiguous, page aligned, safe
 * to give to a device for DMA (the VMM region is identity-reachable by
 * devices: no IOMMU translation is enabled). `len` is rounded up to pages.
 * Returns the virtual address and *phys, or NULL (logged) when out of
 * memory. */
void *storage_bounce_alloc(size_t len, u64 *phys);
void storage_bounce_free(void *virt, size_t len);

/* A printable name of a kind ("ata", "ahci", "nvme"). */
const char *storage_kind_name(enum storage_kind k);

/* A summary for the debug shell: one call of `line` per disk (name, size,
 * rules), per vmm.crypt= rule, and per key slot a rule uses (loaded yes
 * or no: never anything of the key itself). */
void storage_report(void (*line)(void *ctx, const char *text), void *ctx);

#endif
