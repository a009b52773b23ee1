/* Vector registers in the VMM. The VMM is built without SSE except its
 * crypto code; the guest's x87/SSE/AVX state stays live in the CPU across
 * exits (nothing switches it), so code that uses vector registers runs
 * between simd_begin() and simd_end():
 *
 *  - simd_begin switches XCR0 to every user component the CPU has (so the
 *    VAES/AVX-512 paths can run), saves all of them (XSAVE; FXSAVE on a
 *    CPU without it) and loads a default MXCSR;
 *  - simd_end restores every component as it was (so no key material
 *    lingers even in registers the guest cannot see yet) and the guest's
 *    XCR0.
 *
 * Not reentrant, per CPU, never from an NMI handler. The C ABI keeps the
 * stack 16-byte aligned at every call, which SSE spills need. */
#ifndef VENEER_PLATFORM_SIMD_H
#define VENEER_PLATFORM_SIMD_H

#include <platform/types.h>

void simd_begin(void);
void simd_end(void);
/* An application processor's vector state set-up (on that CPU). */
int simd_cpu_init(void);

/* The components simd_begin enables (XCR0 value), 0 without XSAVE. */
extern u64 simd_vmm_xcr0;

#endif
