/* Access to guest memory from the VMM: guest-physical (== host-physical
 * except the VMM region, which the guest cannot name) and guest-linear
 * through the guest's own page tables. Everything the guest hands us is
 * checked here: an address in the VMM region or past the end of memory is
 * refused, never followed. */
#ifndef VENEER_COMMON_GUEST_MEM_H
#define VENEER_COMMON_GUEST_MEM_H

#include <common/vcpu.h>

/* The guest-physical space the VMM will touch: [0, limit) minus the
 * hidden ranges. Set once at boot. */
void guest_mem_init(u64 limit, u64 hide_base, u64 hide_size);

/* Reads/writes guest-physical memory. Returns 0 or -E_FAULT if any byte
 * is outside guest memory as guest_mem_ok sees it (nothing is copied
 * then). */
int guest_phys_read(u64 gpa, void *buf, size_t len);
int guest_phys_write(u64 gpa, const void *buf, size_t len);
bool guest_phys_ok(u64 gpa, u64 len);
/* guest_phys_ok, and memory (not a device window, a hook or a hole): the
 * BIOS areas below 1 MiB except the VGA window, and above it RAM by the
 * firmware's map (e820_ram_ok). What guest_phys_read/write and so every
 * page walk, string I/O, TSS access and instruction fetch may touch. */
bool guest_mem_ok(u64 gpa, u64 len);
/* Whether [base, base+len) overlaps the VMM's hidden region. */
bool guest_mem_hidden_overlaps(u64 base, u64 len);
/* guest_phys_ok, and RAM in the firmware's memory map (e820_ram_ok: usable,
 * ACPI, the firmware's reserved RAM next to it): where a guest's DMA
 * buffers, descriptors and queues may be, for every storage mediator. A
 * device register window or a hole is not. */
bool guest_ram_ok(u64 gpa, u64 len);

/* Paging mode inputs of a translation (from struct vcpu_state). */
struct paging_ctx {
    u64 cr0, cr3, cr4, efer;
};

/* Walk result: the physical address and what the walk allows. */
struct walk_result {
    u64 gpa;
    bool writable, user, nx;
    u32 fault_error; /* #PF error code when the walk fails */
};

/* Reads the guest's page-table entry at `gpa` (8 or 4 bytes). Provided
 * by the caller so the walk is testable on the host. */
typedef int (*pte_reader)(void *ctx, u64 gpa, u64 *pte, unsigned size);

/* Translates a guest-linear address under `pc`. Returns 0, -E_FAULT with
 * fault_error set for a not-present or reserved-bit fault, or -E_INVAL
 * for a table outside guest memory. No A/D bits are set. Pure. */
int guest_walk(const struct paging_ctx *pc, u64 gla, bool write,
               pte_reader rd, void *rd_ctx, struct walk_result *out);

/* Reads guest-linear memory of vcpu `v` (page by page, through its page
 * tables), e.g. instruction bytes at CS:RIP. */
int guest_linear_read(struct vcpu *v, u64 gla, void *buf, size_t len);
int guest_linear_write(struct vcpu *v, u64 gla, const void *buf, size_t len);

/* Where a guest-linear access failed as the guest's own access would: the
 * linear address (CR2) and the #PF error code of a supervisor access. */
struct guest_fault {
    u64 addr;
    u32 error;
};

/* A supervisor access to guest-linear memory as the CPU makes it for
 * implicit accesses (TSS, descriptor tables): a write to a read-only page
 * faults when CR0.WP=1. Returns 0; -E_FAULT with *f filled (if f) for a
 * page fault; -E_INVAL if a table or the data is outside guest memory.
 * Page by page: a fault on a later page leaves the earlier ones copied. */
int guest_linear_access(struct vcpu *v, u64 gla, void *buf, size_t len,
                        bool write, struct guest_fault *f);

#endif
