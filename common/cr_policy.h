/* MOV to CR0 and CR4 as the architecture checks them (SDM vol. 2 "MOV -
 * Move to/from Control Registers", vol. 3 2.5; APM vol. 2 3.1), for both
 * backends: a write the CPU would refuse is a #GP to the guest, never a
 * value the VMM takes (and never a failed entry: QEMU's SVM turns a guest
 * CR4 with a reserved bit into VMEXIT_INVALID). Pure: host-tested. */
#ifndef VENEER_COMMON_CR_POLICY_H
#define VENEER_COMMON_CR_POLICY_H

#include <common/guest_policy.h>

/* The guest's control state a write is checked against. */
struct cr_ctx {
    u64 cr0, cr3, cr4, efer;
    bool cs_long;    /* executing 64-bit code (CS.L with EFER.LMA) */
    u64 cr4_valid;   /* CR4 bits the guest's CPU has (cr4_valid_bits) */
};

/* CR4 bits a CPU whose CPUID (as the guest sees it, through the policy)
 * says what it has may set; VMXE and SMXE are not among them (hidden). */
u64 cr4_valid_bits(cpuid_fn raw, const struct cpuid_policy_in *in);

/* A MOV to CR0 of `val`: EMU_GP if the CPU would fault, else EMU_DONE with
 * *efer the EFER after it (LMA follows PG while LME is set). */
enum emu_result cr0_write_check(const struct cr_ctx *c, u64 val, u64 *efer);

/* A MOV to CR4 of `val`: EMU_GP if the CPU would fault. */
enum emu_result cr4_write_check(const struct cr_ctx *c, u64 val);

#endif
