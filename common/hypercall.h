/* The hypercall interface (VMMCALL on AMD, VMCALL on Intel), ABI v2.
 *
 * Register-only; no guest memory is shared. RAX carries Veneer's magic in
 * bits 31:8 (HC_MAGIC, "VEN") and the call number in bits 7:0 (bits 63:32
 * zero). A VMCALL/VMMCALL without the magic raises #UD, as on a CPU with
 * no hypervisor, so software that probes for one this way sees none.
 *   lookup: RAX=HC_MAGIC, RBX/RCX/RDX = name, up to 24 ASCII bytes packed
 *           little-endian (bytes 0-7 in RBX, ...), zero padded.
 *           Returns RAX = call number (> 0), or (u64)-1 if unknown.
 *   call:   RAX = HC_MAGIC | number, arguments in RBX, RCX, RDX, RSI, RDI. Returns
 *           RAX = 0 or a negative error (-2 no such entry, -22 invalid
 *           argument, -38 no such call), results in RBX, RCX, RDX, RSI, RDI.
 * Calls are allowed at any privilege level (as BitVisor's). Outside 64-bit
 * mode registers are 32 bits: a name is packed 4 bytes per register (12
 * bytes at most) and results are truncated to 32 bits. */
#ifndef VENEER_COMMON_HYPERCALL_H
#define VENEER_COMMON_HYPERCALL_H

#include <common/vcpu.h>

#define HC_ARGS 5 /* RBX, RCX, RDX, RSI, RDI */
#define HC_MAGIC 0x56454e00u /* 'V' 'E' 'N' in RAX bits 31:8 */
#define HC_NR_MASK 0xffu

struct hypercall {
    const char *name;
    /* in[] are the argument registers; out[] starts as a copy of them. */
    int (*fn)(struct vcpu *v, const u64 in[HC_ARGS], u64 out[HC_ARGS]);
};

#define HYPERCALL(name_, fn_)                                             \
    static const struct hypercall hypercall_##fn_ __used                  \
        __section(".hypercalls." name_) __aligned(8) = { name_, fn_ }

/* Packs up to 24 bytes of `s` into three registers (as the ABI does). */
void hypercall_pack(const char *s, u64 regs[3]);
/* Unpacks three registers into a NUL-terminated string (25 bytes). */
void hypercall_unpack(const u64 regs[3], char out[25]);

/* Handles a hypercall exit (registers in v->regs). Returns false, with
 * nothing changed, when RAX does not carry HC_MAGIC: not a call to Veneer
 * (the caller raises #UD). */
bool hypercall_handle(struct vcpu *v);

#endif
