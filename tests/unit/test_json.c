/* The strict JSON parser and base64url (platform/json.h, platform/b64url.h):
 * documents clevis and tang write, and every kind of malformed input
 * refused with a line. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include <platform/b64url.h>
#include <platform/json.h>

static struct json_tok toks[64];

static int parse(const char *s, struct json_doc *d, char *why)
{
    return json_parse(s, strlen(s), toks, 64, d, why, 96);
}

static void test_good(void)
{
    struct json_doc d;
    char why[96] = "", buf[32];
    const char *s = " {\"alg\":\"ECMR\",\"crv\":\"P-521\",\"key_ops\":[\"deriveKey\",\"x\"],"
                    "\"n\":-12.5e+3,\"o\":{\"a\":[true,false,null,{}],\"b\":[]},"
                    "\"esc\":\"a\\\"b\\\\c\\/\\n\\u0041\"} \n";

    CHECK_EQ(parse(s, &d, why), 0);
    CHECK_EQ(d.toks[0].type, JSON_OBJECT);
    CHECK_EQ(d.toks[0].size, 6);
    CHECK(json_string_is(&d, json_member(&d, 0, "alg"), "ECMR"));
    CHECK(json_string_is(&d, json_member(&d, 0, "crv"), "P-521"));
    int ops = json_member(&d, 0, "key_ops");
    CHECK_EQ(d.toks[ops].size, 2);
    CHECK(json_string_is(&d, json_element(&d, ops, 0), "deriveKey"));
    CHECK(json_string_is(&d, json_element(&d, ops, 1), "x"));
    CHECK_EQ(json_element(&d, ops, 2), -1);
    CHECK_EQ(d.toks[json_member(&d, 0, "n")].type, JSON_NUMBER);
    int o = json_member(&d, 0, "o");
    int a = json_member(&d, o, "a");
    CHECK_EQ(d.toks[a].size, 4);
    CHECK_EQ(d.toks[json_element(&d, a, 0)].type, JSON_TRUE);
    CHECK_EQ(d.toks[json_element(&d, a, 2)].type, JSON_NULL);
    CHECK_EQ(d.toks[json_element(&d, a, 3)].type, JSON_OBJECT);
    CHECK_EQ(d.toks[json_member(&d, o, "b")].type, JSON_ARRAY);
    CHECK_EQ(json_member(&d, 0, "missing"), -1);
    CHECK_EQ(json_member(&d, ops, "alg"), -1); /* not an object */
    int e = json_member(&d, 0, "esc");
    CHECK(!json_string_is(&d, e, "a\"b\\c/\nA"));
    CHECK_EQ(json_string_copy(&d, e, buf, sizeof(buf)), 8);
    CHECK_STR(buf, "a\"b\\c/\nA");
    CHECK(json_string_copy(&d, e, buf, 8) < 0);            /* does not fit */
    CHECK(json_string_copy(&d, json_member(&d, 0, "n"), buf, 32) < 0);
    CHECK_EQ(parse("\"\\u00e9\"", &d, why), 0);
    CHECK(json_string_copy(&d, 0, buf, sizeof(buf)) < 0);   /* non-ASCII */
    CHECK_EQ(parse("0", &d, why), 0);
    CHECK_EQ(parse("[-0.5E-2]", &d, why), 0);
}

static void test_bad(void)
{
    static const char *const bad[] = {
        "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{a:1}", "{\"a\":1 \"b\":2}", "{\"a\":1}{", "{\"a\":1} x", "\"abc",
        "\"a\\x\"", "\"a\\u12\"", "\"a\\u12g4\"", "\"tab\there\"", "\"\xc3\xa9\"",
        "01", "-", "1.", "1e", "1e+", ".5", "+1", "tru", "nul", "falsey", "[true false]",
        "{\"a\":1,\"a\":2}", "{\"k\":{\"x\":1,\"x\":1}}", "\"\\", "[\"a\",", "{\"a\":[}",
        "[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
    };
    struct json_doc d;
    char why[96];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        int r = parse(bad[i], &d, why);
        CHECK(r < 0);
        CHECK(strstr(why, "at byte") != NULL);
        if (r >= 0)
            fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    /* a NUL inside the text is a control character, not an end */
    CHECK(json_parse("\"a\0b\"", 5, toks, 64, &d, why, sizeof(why)) < 0);
    /* more values than tokens */
    CHECK(json_parse("[1,2,3,4]", 9, toks, 4, &d, why, sizeof(why)) < 0);
    CHECK(strstr(why, "more JSON values") != NULL);
    CHECK_EQ(json_parse("[1,2,3]", 7, toks, 4, &d, why, sizeof(why)), 0);
    /* every truncation of a good document is refused, none crashes */
    const char *good = "{\"a\":[1,{\"b\":\"c\"}],\"d\":null}";
    for (size_t n = 0; n < strlen(good); n++) {
        char *cut = malloc(n + 1);
        memcpy(cut, good, n);
        CHECK(json_parse(cut, n, toks, 64, &d, why, sizeof(why)) < 0);
        free(cut);
    }
}

static void test_b64url(void)
{
    u8 out[16];
    char txt[32];

    CHECK_EQ(b64url_decode("", 0, out, sizeof(out)), 0);
    CHECK_EQ(b64url_decode("Zg", 2, out, sizeof(out)), 1);
    CHECK_EQ(out[0], 'f');
    CHECK_EQ(b64url_decode("Zm9vYg", 6, out, sizeof(out)), 4);
    CHECK(memcmp(out, "foob", 4) == 0);
    CHECK_EQ(b64url_decode("-_8", 3, out, sizeof(out)), 2);
    CHECK_EQ(out[0], 0xfb);
    CHECK_EQ(out[1], 0xff);
    CHECK_EQ(b64url_encode((const u8 *)"\xfb\xff", 2, txt, sizeof(txt)), 3);
    CHECK_STR(txt, "-_8");
    CHECK_EQ(b64url_encode((const u8 *)"foob", 4, txt, sizeof(txt)), 6);
    CHECK_STR(txt, "Zm9vYg");
    CHECK(b64url_encode((const u8 *)"foob", 4, txt, 6) < 0);
    /* malformed: padding, standard alphabet, whitespace, bad length,
     * non-zero unused bits, too small a buffer */
    CHECK(b64url_decode("Zg==", 4, out, sizeof(out)) < 0);
    CHECK(b64url_decode("+/8", 3, out, sizeof(out)) < 0);
    CHECK(b64url_decode("Zm9 v", 5, out, sizeof(out)) < 0);
    CHECK(b64url_decode("Zm9vY", 5, out, sizeof(out)) < 0);
    CHECK(b64url_decode("Zh", 2, out, sizeof(out)) < 0);
    CHECK(b64url_decode("Zm9vYh", 6, out, sizeof(out)) < 0);
    CHECK(b64url_decode("Zm9vYg", 6, out, 3) < 0);
    /* round trip of every length */
    for (size_t n = 0; n <= 16; n++) {
        u8 in[16], back[16];
        for (size_t i = 0; i < n; i++)
            in[i] = (u8)(i * 37 + n);
        long t = b64url_encode(in, n, txt, sizeof(txt));
        CHECK_EQ(t, b64url_decoded_len((size_t)t) >= 0 ? t : -1);
        CHECK_EQ(b64url_decode(txt, (size_t)t, back, sizeof(back)), n);
        CHECK(memcmp(in, back, n) == 0);
    }
}

int main(void)
{
    test_good();
    test_bad();
    test_b64url();
    return check_done("json");
}
