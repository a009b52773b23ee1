/* base64url without padding (RFC 4648 section 5, as JOSE uses it, RFC
 * 7515 section 2): strict decoding (no '=', no whitespace, no other
 * alphabet, the unused low bits of the last character zero), so that one
 * byte string has exactly one text. Pure, host-tested (test_json.c). */
#ifndef VENEER_PLATFORM_B64URL_H
#define VENEER_PLATFORM_B64URL_H

#include <platform/types.h>

/* The decoded length of an n-character text, or -1 when no text of that
 * length is valid (n % 4 == 1). */
long b64url_decoded_len(size_t n);
/* Decodes text[0..n) into out (size bytes): the byte count, or < 0 when
 * the text is malformed or out is too small. */
long b64url_decode(const char *text, size_t n, u8 *out, size_t size);
/* Encodes n bytes into out, NUL-terminated: the text length, or < 0 when
 * out is too small. */
long b64url_encode(const u8 *in, size_t n, char *out, size_t size);

#endif
