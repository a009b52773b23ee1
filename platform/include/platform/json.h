/* A small strict JSON parser (RFC 8259) for the documents the VMM reads
 * from outside: the Tang binding's JWE header and the Tang server's reply
 * (docs/storage.md). It never allocates: the caller gives a token array;
 * the text is not modified and tokens point into it. Strict: one value,
 * whitespace around it only; no duplicate member names; no control or
 * non-ASCII bytes in strings; nesting at most JSON_MAX_DEPTH deep. Every
 * refusal writes one line (with the byte offset) to `why`. Pure and
 * host-tested (tests/unit/test_json.c, fuzz target json). */
#ifndef VENEER_PLATFORM_JSON_H
#define VENEER_PLATFORM_JSON_H

#include <platform/types.h>

#define JSON_MAX_DEPTH 16

enum json_type {
    JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE,
    JSON_NULL,
};

struct json_tok {
    u8 type;      /* enum json_type */
    u8 has_escape; /* strings: a backslash inside */
    u32 start;    /* strings: after the opening quote; else the first byte */
    u32 len;      /* strings: up to the closing quote */
    u32 size;     /* objects: members; arrays: elements */
    u32 next;     /* the index of the token after this value's subtree */
};

struct json_doc {
    const char *text;
    const struct json_tok *toks;
    unsigned ntoks;
};

/* Parses text[0..len) into toks (an object's members appear as a key
 * string token followed by its value's subtree). Returns 0 and fills doc,
 * or < 0 with a line in why. */
int json_parse(const char *text, size_t len, struct json_tok *toks,
               unsigned max_toks, struct json_doc *doc, char *why,
               size_t whylen);

/* The value of member `name` of object token `obj`: its index, or -1 when
 * `obj` is not an object or has no such member. */
int json_member(const struct json_doc *doc, int obj, const char *name);
/* Element i of array token `arr`, or -1. */
int json_element(const struct json_doc *doc, int arr, unsigned i);
/* Whether token t is a string equal to s (an escaped string never is). */
bool json_string_is(const struct json_doc *doc, int t, const char *s);
/* Copies string token t, unescaped, NUL-terminated: its length, or < 0
 * when t is not a string, it does not fit, or it holds a \u escape outside
 * ASCII. */
int json_string_copy(const struct json_doc *doc, int t, char *out, size_t size);

#endif
