/* libFuzzer target for what the Tang method reads from outside the VMM
 * (docs/storage.md "Tang"): the veneer.jwe module (a file on the boot
 * disk anyone holding the laptop can write) and the server's answer
 * (anyone on the network path can forge it). The input goes, as an
 * exact-size copy, to the JSON parser, the JWE parser and the answer
 * parser; every refusal's line is read to its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/tang.h>
#include <platform/json.h>

static struct tang_binding b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct json_tok toks[128];
    struct json_doc d;
    char why[200];
    uint8_t y[TANG_POINT_LEN];
    char *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    if (json_parse(copy, size, toks, 128, &d, why, sizeof(why)) == 0) {
        char s[64];
        json_string_copy(&d, json_member(&d, 0, "kid"), s, sizeof(s));
        json_element(&d, json_member(&d, 0, "keys"), 1);
    } else if (strlen(why) >= sizeof(why)) {
        abort();
    }
    why[0] = 0;
    if (tang_parse_jwe(copy, size, &b, why, sizeof(why)) < 0 && !why[0])
        abort(); /* a refusal without its line */
    why[0] = 0;
    if (tang_parse_reply(copy, size, y, why, sizeof(why)) < 0 && !why[0])
        abort();
    free(copy);
    return 0;
}
