/* Veneer hypercall ABI v2, guest side: the pure (testable) parts.
 *
 * Register-only ABI; no guest memory is shared.
 *   instruction  VMMCALL (AMD) or VMCALL (Intel); probed at run time.
 *   magic        RAX bits 31:8 = VC_MAGIC ("VEN"), bits 7:0 the number
 *                below (vc_hypercall adds it); without it Veneer raises
 *                #UD, as a CPU with no hypervisor does.
 *   lookup       RAX=0, RBX/RCX/RDX = name (<= 24 ASCII bytes, packed
 *                little-endian, zero padded) -> RAX = number (> 0) or
 *                (uint64_t)-1 for an unknown name.
 *   call         RAX=number, args in RBX RCX RDX RSI RDI -> RAX = 0 or a
 *                negative error (-2 no such entry, -22 invalid argument,
 *                -38 no such call number),
 *                results in RBX RCX RDX RSI RDI.
 */
#ifndef VENEERCTL_ABI_H
#define VENEERCTL_ABI_H

#include <stddef.h>
#include <stdint.h>

#define VC_NAME_MAX     24          /* bytes in RBX:RCX:RDX */
#define VC_NARGS        5           /* RBX RCX RDX RSI RDI */
#define VC_MAGIC        0x56454e00ULL /* RAX bits 31:8 of every call */
#define VC_LOOKUP       0ULL        /* RAX value of a name lookup */
#define VC_UNKNOWN      ((uint64_t)-1)
#define VC_ENOENT       (-2LL)
#define VC_EINVAL       (-22LL)
#define VC_ENOSYS       (-38LL)     /* no such call number */

/* The register frame of one hypercall, in and out. */
struct vc_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi;
};

/* Packs NAME (printable ASCII, 1..nwords*8 bytes) into nwords 64-bit
 * little-endian words, zero padded. Returns 0, or -1 when the name is
 * empty, too long or not printable ASCII. */
int vc_pack(const char *name, uint64_t *words, size_t nwords);

/* Unpacks nwords words into OUT (at least nwords*8+1 bytes): stops at the
 * first NUL; non-printable bytes become '?'. Returns the string length. */
size_t vc_unpack(const uint64_t *words, size_t nwords, char *out);

/* Parses an unsigned 64-bit argument: decimal, 0x-hex, or a negative
 * decimal (two's complement, e.g. -1). Returns 0, or -1 when malformed
 * or out of range. */
int vc_parse_u64(const char *s, uint64_t *out);

/* Formats a numeric version (major<<32 | minor<<16 | patch) as "M.m.p"
 * into OUT (>= 32 bytes). */
void vc_format_version(uint64_t v, char *out, size_t len);

/* A name for a hypercall status in RAX ("ok", "ENOENT", "EINVAL",
 * "ENOSYS", "error"). */
const char *vc_status_name(uint64_t rax);

/* Builds the register frame of `veneerctl call NUMBER ARGS...`: up to
 * VC_NARGS arguments, parsed with vc_parse_u64, into RBX RCX RDX RSI RDI
 * (missing ones are zero). Returns 0, or -1 (too many or malformed; *bad
 * is then the index of the offending argument, or VC_NARGS when there
 * are too many). */
int vc_build_args(struct vc_regs *r, int argc, char *const argv[], int *bad);

/* Is S a raw call number ("17", "0x11") rather than a name? */
int vc_is_number(const char *s);

#endif
