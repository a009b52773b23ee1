/* The BearSSL 0.6 internals crypto/ builds on. BearSSL declares these in
 * its private src/inner.h, which pulls in its whole configuration; the
 * prototypes are restated here so that our code includes only what it
 * uses. They must match the BearSSL that crypto/module.mk builds (Debian's
 * bearssl 0.6 source); test_xts checks them against the published vectors
 * through every path. */
#ifndef VENEER_CRYPTO_BEARSSL_AES_H
#define VENEER_CRYPTO_BEARSSL_AES_H

#include <stddef.h>
#include <stdint.h>

/* AES-NI key schedules: (rounds + 1) 16-byte round keys; the decryption
 * schedule is in aesdec order. Return the number of rounds, 0 on a bad
 * key length. */
unsigned br_aes_x86ni_keysched_enc(unsigned char *skni, const void *key,
                                   size_t len);
unsigned br_aes_x86ni_keysched_dec(unsigned char *skni, const void *key,
                                   size_t len);

/* Constant-time bitsliced AES, four blocks per call. comp_skey holds
 * 2 * (rounds + 1) words, the expanded key 8 * (rounds + 1). */
unsigned br_aes_ct64_keysched(uint64_t *comp_skey, const void *key,
                              size_t key_len);
void br_aes_ct64_skey_expand(uint64_t *skey, unsigned num_rounds,
                             const uint64_t *comp_skey);
void br_aes_ct64_ortho(uint64_t *q);
void br_aes_ct64_interleave_in(uint64_t *q0, uint64_t *q1, const uint32_t *w);
void br_aes_ct64_interleave_out(uint32_t *w, uint64_t q0, uint64_t q1);
void br_aes_ct64_bitslice_encrypt(unsigned num_rounds, const uint64_t *skey,
                                  uint64_t *q);
void br_aes_ct64_bitslice_decrypt(unsigned num_rounds, const uint64_t *skey,
                                  uint64_t *q);

#endif
