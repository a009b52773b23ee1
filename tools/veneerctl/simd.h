/* veneerctl simd-check (see simd.c). */
#ifndef VENEERCTL_SIMD_H
#define VENEERCTL_SIMD_H

#include "abi.h"
#include <stdint.h>

struct vc_simd_result {
    int64_t status;   /* the call's RAX */
    uint64_t path;    /* the XTS path the VMM used (enum xts_path) */
    int vector_ok;    /* the VMM's ciphertext matched IEEE 1619 vector 2 */
    int width;        /* 256 (ymm) or 128 (xmm) bits checked */
    int regs_ok, mxcsr_ok;
};

/* Makes call `nr` (simd_selftest) with the vector registers loaded. */
int vc_simd_check(uint64_t nr, int vmmcall, struct vc_simd_result *res);

#endif
