/* The reference for tools/vdisk's test: what dm-crypt's aes-xts-plain64
 * produces, computed with OpenSSL EVP: each sector on its own, IV = the
 * sector number as a little-endian 64-bit value in a 16-byte IV (the
 * plain64 generator), whole image.
 *
 *   vdisk-ref encrypt|decrypt KEYFILE SECTOR_SIZE IN OUT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

int main(int argc, char **argv)
{
    unsigned char key[65], iv[16], *in, *out;
    size_t klen, ss, n;
    long size;
    int enc, outl;
    FILE *f;
    EVP_CIPHER_CTX *c;

    if (argc != 6) {
        fprintf(stderr, "usage: vdisk-ref encrypt|decrypt KEYFILE SECTOR_SIZE IN OUT\n");
        return 2;
    }
    enc = !strcmp(argv[1], "encrypt");
    ss = (size_t)atol(argv[3]);
    f = fopen(argv[2], "rb");
    if (!f)
        return perror(argv[2]), 2;
    klen = fread(key, 1, sizeof(key), f);
    fclose(f);
    if (klen != 32 && klen != 64)
        return fprintf(stderr, "vdisk-ref: key must be 32 or 64 bytes\n"), 2;
    f = fopen(argv[4], "rb");
    if (!f)
        return perror(argv[4]), 2;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    if (ss == 0 || size < 0 || size % (long)ss)
        return fprintf(stderr, "vdisk-ref: bad sector size or image size\n"), 2;
    in = malloc((size_t)size + 1);
    out = malloc((size_t)size + 1);
    if (fread(in, 1, (size_t)size, f) != (size_t)size)
        return fprintf(stderr, "vdisk-ref: short read\n"), 2;
    fclose(f);
    c = EVP_CIPHER_CTX_new();
    if (!EVP_CipherInit_ex(c, klen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts(),
                           NULL, key, NULL, enc))
        return fprintf(stderr, "vdisk-ref: OpenSSL refused the key\n"), 2;
    n = (size_t)size / ss;
    for (size_t s = 0; s < n; s++) {
        memset(iv, 0, sizeof(iv));
        for (int i = 0; i < 8; i++)
            iv[i] = (unsigned char)((uint64_t)s >> (8 * i));
        if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) ||
            !EVP_CipherUpdate(c, out + s * ss, &outl, in + s * ss, (int)ss))
            return fprintf(stderr, "vdisk-ref: EVP failed\n"), 2;
    }
    EVP_CIPHER_CTX_free(c);
    f = fopen(argv[5], "wb");
    if (!f || fwrite(out, 1, (size_t)size, f) != (size_t)size || fclose(f))
        return perror(argv[5]), 2;
    return 0;
}
