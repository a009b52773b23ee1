/* vmm.key='s list (devices/storage/keysrc.h). */
#include <devices/storage/keysrc.h>
#include <platform/format.h>
#include <string.h>

static const char *const names[KEYSRC_COUNT] = {
    [KEYSRC_MODULE] = "module", [KEYSRC_PROMPT] = "prompt",
    [KEYSRC_TANG] = "tang", [KEYSRC_TPM] = "tpm",
};

const char *keysrc_name(enum keysrc_id id)
{
    return (unsigned)id < KEYSRC_COUNT ? names[id] : "?";
}

int keysrc_parse_list(const char *s, u8 out[KEYSRC_MAX], char *why, size_t whylen)
{
    int n = 0;

    if (strcmp(s, "auto") == 0)
        return 0;
    for (;;) {
        size_t len = 0;
        int id = -1;
        while (s[len] && s[len] != ',')
            len++;
        for (int i = 0; i < KEYSRC_COUNT; i++)
            if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
                id = i;
        if (id < 0) {
            ksnprintf(why, whylen, "'%.*s' is not a key method (auto, or a list "
                      "of module, prompt, tang, tpm)", (int)len, s);
            return -E_INVAL;
        }
        for (int i = 0; i < n; i++)
            if (out[i] == id) {
                ksnprintf(why, whylen, "'%s' is listed twice", names[id]);
                return -E_INVAL;
            }
        if (n > 0 && out[n - 1] == KEYSRC_PROMPT) {
            ksnprintf(why, whylen, "'prompt' must be the last method (it asks "
                      "until the passphrase is right: '%s' could never run)",
                      names[id]);
            return -E_INVAL;
        }
        if (n == KEYSRC_MAX) {
            ksnprintf(why, whylen, "more than %d methods", KEYSRC_MAX);
            return -E_INVAL;
        }
        out[n++] = (u8)id;
        s += len;
        if (!*s)
            return n;
        s++; /* the comma: a trailing one leaves an empty name */
    }
}
