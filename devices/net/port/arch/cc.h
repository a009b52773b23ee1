/* lwIP's compiler/platform header for the VMM (lwIP doc/sys_arch.txt,
 * src/include/lwip/arch.h): no libc beyond platform/include/libc, types
 * from GCC's freestanding <stdint.h>, diagnostics to the VMM log. An
 * lwIP assertion is logged, never fatal: a malformed packet must not stop
 * the VMM (seed rule), and lwIP checks its inputs with LWIP_ERROR anyway. */
#ifndef VENEER_LWIP_ARCH_CC_H
#define VENEER_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define SSIZE_MAX LONG_MAX
typedef long ssize_t;

#define X8_F "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* lwIP's heap functions carry names the VMM's own memory code uses
 * (platform/mem.h mem_init): renamed in lwIP and in the VMM files that
 * include lwIP's headers (after the platform headers). */
#define mem_init lwip_mem_init
#define mem_malloc lwip_mem_malloc
#define mem_calloc lwip_mem_calloc
#define mem_free lwip_mem_free
#define mem_trim lwip_mem_trim

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_RAND() veneer_lwip_rand()
#define LWIP_PLATFORM_DIAG(x) do { veneer_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) veneer_lwip_assert(x, __FILE__, __LINE__)

uint32_t veneer_lwip_rand(void);
void veneer_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void veneer_lwip_assert(const char *what, const char *file, int line);

#endif
