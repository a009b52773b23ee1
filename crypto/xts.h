/* AES-XTS (IEEE 1619-2007) for disk sectors, dm-crypt aes-xts-plain64
 * layout: the tweak of a sector is its LBA as a little-endian 128-bit
 * number (upper 64 bits zero), encrypted with the second key half.
 *
 * A request is whole sectors: key, first LBA, sector size (512 or 4096),
 * sector count, in, out (in == out allowed; partial overlap is not). The
 * implementation path is fixed at key set-up: the fastest the CPU offers,
 * or one named explicitly (tests, benchmarks). The VMM must call these only
 * inside its vector-state save/restore: every path but CT64 uses xmm/ymm/zmm
 * registers, and each call ends by zeroing the vector registers it used.
 *
 * Free of libc: usable inside the VMM and on the host alike. */
#ifndef VENEER_CRYPTO_XTS_H
#define VENEER_CRYPTO_XTS_H

#include <stddef.h>
#include <stdint.h>

enum xts_path {
    XTS_PATH_AUTO = 0,  /* the fastest available, in the order below */
    XTS_PATH_CT64,      /* BearSSL aes_ct64: constant-time, no AES-NI */
    XTS_PATH_AESNI,     /* AES-NI on xmm, 8 blocks interleaved */
    XTS_PATH_VAES256,   /* VAES on ymm (AVX2-level CPUs), 16 blocks */
    XTS_PATH_VAES512,   /* VAES on zmm (AVX-512 CPUs), 16-32 blocks */
    XTS_PATH_COUNT
};

/* Errors (negative, as everywhere in Veneer). */
#define XTS_OK              0
#define XTS_ERR_KEY_SIZE   (-1)  /* key is not 32 (AES-128) or 64 bytes */
#define XTS_ERR_WEAK_KEY   (-2)  /* the two key halves are equal */
#define XTS_ERR_PATH       (-3)  /* path unknown or not offered by this CPU */
#define XTS_ERR_SECTOR     (-4)  /* sector size not 512 or 4096 */
#define XTS_ERR_LENGTH     (-5)  /* data unit shorter than one block */
#define XTS_ERR_NOKEY      (-6)  /* key not set up (or wiped) */
#define XTS_ERR_LBA        (-7)  /* LBA range wraps past 2^64 */
#define XTS_ERR_ALIGN      (-8)  /* struct xts_key not 64-byte aligned */

#define XTS_MAX_ROUNDS 14

/* The schedules are kept in the layouts the paths need, so that no path
 * copies round keys to its stack: 16-byte round keys for AES-NI, the same
 * replicated to 64 bytes for VAES (a ymm path reads the first 32), the
 * compressed bitsliced form for ct64. Opaque to callers; wipe it with
 * xts_key_wipe(). */
struct xts_key {
    uint8_t vdata_enc[XTS_MAX_ROUNDS + 1][64];     /* VAES, K1 encrypt */
    uint8_t vdata_dec[XTS_MAX_ROUNDS + 1][64];     /* VAES, K1 decrypt */
    uint8_t vtweak_enc[XTS_MAX_ROUNDS + 1][64];    /* VAES, K2 encrypt */
    uint8_t data_enc[(XTS_MAX_ROUNDS + 1) * 16];   /* AES-NI, K1 encrypt */
    uint8_t data_dec[(XTS_MAX_ROUNDS + 1) * 16];   /* AES-NI, K1 decrypt */
    uint8_t tweak_enc[(XTS_MAX_ROUNDS + 1) * 16];  /* AES-NI, K2 encrypt */
    uint64_t ct_data[(XTS_MAX_ROUNDS + 1) * 2];    /* aes_ct64, K1 */
    uint64_t ct_tweak[(XTS_MAX_ROUNDS + 1) * 2];   /* aes_ct64, K2 */
    uint32_t rounds;                               /* 10 or 14; 0: no key */
    uint32_t path;                                 /* enum xts_path */
} __attribute__((aligned(64)));

/* Sets up K1 || K2 (32 bytes: AES-128, 64 bytes: AES-256) in k, which
 * must be 64-byte aligned (the vector paths load round keys with aligned
 * loads; a heap copy must keep the alignment). Refuses equal
 * halves (IEEE 1619-2018 5.1, and what FIPS mode OpenSSL does). On error
 * the key is left wiped. */
int xts_key_setup(struct xts_key *k, const void *key, size_t key_len,
                  enum xts_path path);

/* Zeroes the key schedules (not optimized away). */
void xts_key_wipe(struct xts_key *k);

/* Encrypts / decrypts nsectors sectors starting at LBA lba.
 * sector_size: 512 or 4096. Returns XTS_OK or a negative error. */
int xts_encrypt_sectors(const struct xts_key *k, uint64_t lba,
                        size_t sector_size, size_t nsectors,
                        const void *in, void *out);
int xts_decrypt_sectors(const struct xts_key *k, uint64_t lba,
                        size_t sector_size, size_t nsectors,
                        const void *in, void *out);

/* General XTS data units for the IEEE 1619 vectors: any unit length of at
 * least 16 bytes (ciphertext stealing when not a multiple of 16), tweak of
 * unit i = first_unit + i. The sector functions are this with a checked
 * sector size. */
int xts_encrypt_units(const struct xts_key *k, uint64_t first_unit,
                      size_t unit_len, size_t nunits,
                      const void *in, void *out);
int xts_decrypt_units(const struct xts_key *k, uint64_t first_unit,
                      size_t unit_len, size_t nunits,
                      const void *in, void *out);

/* What the CPU offers (CPUID, and XCR0 for the ymm/zmm state). */
int xts_path_available(enum xts_path path);
enum xts_path xts_best_path(void);
const char *xts_path_name(enum xts_path path);

/* Zeroes every vector register the paths may have used (xmm0-15, and the
 * ymm/zmm upper parts and zmm16-31 where the CPU has them). The sector
 * functions call it on return; exported for callers that want it after
 * their own vector work. */
void xts_wipe_vector_regs(void);

/* Zeroes n bytes in a way the compiler may not elide. */
void xts_wipe(void *p, size_t n);

#endif
