/* MMIO hooks: guest-physical ranges the VMM takes out of the second-level
 * map so that guest accesses fault into the VMM (a nested-page fault), get
 * decoded (mmio_decode) and are completed by the range's owner. Used for
 * PCI ECAM and NVMe registers now; the local APIC and AHCI later. */
#ifndef VENEER_COMMON_MMIO_H
#define VENEER_COMMON_MMIO_H

#include <common/vcpu.h>

enum mmio_kind {
    MMIO_LOAD,      /* register <- memory (mov) */
    MMIO_LOAD_ZX,   /* movzx */
    MMIO_LOAD_SX,   /* movsx */
    MMIO_STORE_REG, /* memory <- register */
    MMIO_STORE_IMM, /* memory <- immediate */
    MMIO_TEST_REG,  /* TEST memory, register: flags only */
    MMIO_TEST_IMM,  /* TEST memory, immediate: flags only */
};

struct mmio_insn {
    enum mmio_kind kind;
    u8 len;        /* instruction length */
    u8 size;       /* bytes accessed in memory: 1, 2, 4 or 8 */
    u8 dst_size;   /* register width written by a load */
    u8 reg;        /* enum gpr */
    bool high_byte;/* AH/CH/DH/BH */
    u64 imm;
};

/* mode: 2, 4 or 8 (the code segment's default operand size; 8 = 64-bit).
 * Returns 0, or -E_INVAL for an instruction this decoder does not know
 * (the access is then refused, never guessed). Pure: host-tested. */
int mmio_decode(const u8 *bytes, size_t avail, int mode, struct mmio_insn *out);
u64 mmio_reg_read(const u64 *gpr, const struct mmio_insn *in);
/* RFLAGS after a TEST of `mem` (the value read) with `operand`: CF, OF
 * and AF clear, ZF, SF and PF from the AND (SDM TEST). */
u64 mmio_test_flags(u64 rflags, const struct mmio_insn *in, u64 mem, u64 operand);
void mmio_reg_write(u64 *gpr, const struct mmio_insn *in, u64 value);

/* An owner completes one access of `size` bytes at `gpa`: for a write,
 * *value holds the data; for a read it stores the result. Returns 0, or
 * < 0 to make the access fault (#GP to the guest). */
struct mmio_owner {
    u64 base, len;
    const char *name;
    int (*access)(u64 gpa, unsigned size, bool write, u64 *value);
    u64 count;     /* accesses served */
    u64 reads;     /* ... of which reads (what a write-only hook would save) */
};

/* One access of `size` bytes (1, 2, 4 or 8) to device memory at `p`, done
 * as the guest made it: a write stores *value, a read sets it. */
static inline void mmio_pass(volatile void *p, unsigned size, bool write, u64 *value)
{
    switch (size) {
    case 1:
        if (write) *(volatile u8 *)p = (u8)*value; else *value = *(volatile u8 *)p;
        break;
    case 2:
        if (write) *(volatile u16 *)p = (u16)*value; else *value = *(volatile u16 *)p;
        break;
    case 4:
        if (write) *(volatile u32 *)p = (u32)*value; else *value = *(volatile u32 *)p;
        break;
    default:
        if (write) *(volatile u64 *)p = *value; else *value = *(volatile u64 *)p;
        break;
    }
}

/* Hooks [base, base+len) (page aligned) for `o` on every vcpu. Call after
 * the second-level map exists (init stage guest or later). */
int mmio_register(struct mmio_owner *o);
/* Moves `o`'s hook to `base` (page aligned; the guest moved a BAR): the
 * new range is hooked before the old one is given back, and only the old
 * pages no other hook holds (and never the VMM region) become present.
 * Refused (-E_BUSY, one log line) where mmio_place_refusal says no. */
int mmio_move(struct mmio_owner *o, u64 base);
/* Why `o` may not be hooked at [base, base+len): NULL if it may; else
 * what is in the way (the VMM region, RAM, another hook's name, or an
 * unaligned/unreachable address). A BAR may overlap none of them. */
const char *mmio_place_refusal(const struct mmio_owner *o, u64 base, u64 len);
/* From the NPF exit: true if an owner took the access. */
bool mmio_dispatch(struct vcpu *v, const struct vcpu_exit *e);

#endif
