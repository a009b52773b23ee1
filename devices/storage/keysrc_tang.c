/* vmm.key= method `tang` (docs/storage.md "Tang"): the key file
 * `clevis encrypt tang` sealed to a Tang server, recovered from that
 * server over the VMM's own network before the guest runs.
 *
 *   the binding: a multiboot2 module named veneer.jwe (the compact JWE
 *     clevis writes); its plaintext is what veneer.key would hold: 64
 *     bytes per key slot, slot 0 first.
 *   the exchange: POST /rec/KID with the blinded point (crypto/tang.c),
 *     over lwIP (devices/net/http.c), waiting for an address and the
 *     server at most vmm.tang_timeout= seconds; then the next method. */
#include <crypto/tang.h>
#include <crypto/wipe.h>
#include <devices/net/net.h>
#include <devices/storage/keysrc.h>
#include <platform/bootinfo.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/layout.h>
#include <platform/mem.h>
#include <platform/options.h>
#include <platform/simd.h>
#include <string.h>

#define JWE_MODULE "veneer.jwe"

static u64 tang_timeout = 10;
OPTION_UINT("vmm.tang_timeout", tang_timeout, 1, 600,
            "seconds vmm.key=tang waits for an address and the Tang server's "
            "answer before the next method (default 10)");

extern struct boot_info boot_info;

static struct tang_binding binding;
static char jwe_text[TANG_JWE_MAX + 1];
static char answer[2048];

static const struct boot_module *jwe_module(void)
{
    for (u32 i = 0; i < boot_info.module_count; i++)
        if (strcmp(boot_info.modules[i].name, JWE_MODULE) == 0)
            return &boot_info.modules[i];
    return NULL;
}

static bool rdrand64(u64 *v)
{
    for (int i = 0; i < 32; i++) {
        u8 ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

/* The blinding scalar must be secret: whoever learns it and sees the
 * exchange learns the disk key. RDRAND (with the TSC mixed in); without
 * RDRAND, the TSC's jitter over many reads, said in a warning. */
static void blinding_scalar(u8 e[TANG_SCALAR_LEN])
{
    u64 seed[48];
    bool hw = (cpuid(1).ecx & BIT(30)) != 0;
    unsigned n = 0;

    for (unsigned i = 0; i < 32 && hw; i++)
        if (!rdrand64(&seed[n++]))
            hw = false;
    if (!hw) {
        log_warn("storage", "tang: no working RDRAND: the blinding scalar comes "
                 "from TSC jitter only");
        n = 0;
        for (unsigned i = 0; i < 32; i++) {
            u64 acc = 0;
            for (unsigned j = 0; j < 4096; j++)
                acc = (acc << 1 | acc >> 63) ^ rdtsc();
            seed[n++] = acc;
        }
    }
    seed[n++] = rdtsc();
    simd_begin();
    tang_scalar_from_seed((const u8 *)seed, n * sizeof(u64), e);
    simd_end();
    crypto_wipe(seed, sizeof(seed));
}

static int load_binding(char *why, size_t whylen)
{
    const struct boot_module *m = jwe_module();
    char line[160];
    int r;

    if (!m) {
        ksnprintf(why, whylen, "no module named %s was loaded (GRUB: module2 "
                  "/boot/%s %s; UEFI: %s beside veneer.efi)", JWE_MODULE,
                  JWE_MODULE, JWE_MODULE, JWE_MODULE);
        return -E_NOENT;
    }
    u64 len = m->end - m->start;
    if (len > TANG_JWE_MAX) {
        ksnprintf(why, whylen, "%s is %llu bytes, more than %d", JWE_MODULE,
                  (unsigned long long)len, TANG_JWE_MAX);
        return -E_INVAL;
    }
    memcpy(jwe_text, phys_to_virt(m->start), len);
    jwe_text[len] = 0;
    simd_begin();
    r = tang_parse_jwe(jwe_text, len, &binding, line, sizeof(line));
    simd_end();
    if (r < 0)
        ksnprintf(why, whylen, "%s: %s", JWE_MODULE, line);
    return r;
}

int keysrc_tang_get(u32 needed, u8 keys[STORAGE_MAX_KEYS][KEYSRC_KEY_BYTES],
                    char *why, size_t whylen)
{
    u8 e[TANG_SCALAR_LEN], x[TANG_POINT_LEN], y[TANG_POINT_LEN];
    u8 plain[TANG_PLAIN_MAX];
    char body[TANG_REQUEST_MAX], path[128], line[160];
    size_t alen = 0, plen = 0;
    int r, len, st;

    if ((r = load_binding(why, whylen)) < 0)
        return r;
    if (binding.ct_len % KEYSRC_KEY_BYTES ||
        (u32)(31 - __builtin_clz(needed)) >= binding.ct_len / KEYSRC_KEY_BYTES) {
        ksnprintf(why, whylen, "%s holds %llu bytes: want 64 per key slot, up to "
                  "key %d", JWE_MODULE, (unsigned long long)binding.ct_len,
                  31 - __builtin_clz(needed));
        return -E_INVAL;
    }
    blinding_scalar(e);
    simd_begin();
    r = tang_blind(&binding, e, x);
    len = r < 0 ? r : tang_request_body(x, body, sizeof(body));
    simd_end();
    if (len < 0) {
        crypto_wipe(e, sizeof(e));
        ksnprintf(why, whylen, "blinding failed (%d)", len);
        return -E_INVAL;
    }
    ksnprintf(path, sizeof(path), "%s/rec/%s", binding.path, binding.kid);
    log_info("storage", "tang: asking %s for key %s (up to %llu s)", binding.url,
             binding.kid, (unsigned long long)tang_timeout);
    st = net_http_post(binding.ip, binding.port, path, "application/jwk+json", body,
                       (size_t)len, answer, sizeof(answer), &alen,
                       tang_timeout * 1000000, line, sizeof(line));
    if (st < 0) {
        crypto_wipe(e, sizeof(e));
        ksnprintf(why, whylen, "%s: %s", binding.url, line);
        return st;
    }
    if (st != 200) {
        crypto_wipe(e, sizeof(e));
        ksnprintf(why, whylen, "%s answered HTTP %d%s", binding.url, st,
                  st == 404 ? " (it holds no key " "with that kid: a binding to "
                              "another server's keys, or keys rotated away)" : "");
        return -E_INVAL;
    }
    simd_begin();
    r = tang_parse_reply(answer, alen, y, line, sizeof(line));
    if (r == 0)
        r = tang_recover(&binding, e, y, plain, sizeof(plain), &plen, line,
                         sizeof(line));
    simd_end();
    crypto_wipe(e, sizeof(e));
    if (r < 0) {
        ksnprintf(why, whylen, "%s: %s", binding.url, line);
        return r;
    }
    for (unsigned s = 0; s < STORAGE_MAX_KEYS; s++)
        if (needed & BIT(s))
            memcpy(keys[s], plain + s * KEYSRC_KEY_BYTES, KEYSRC_KEY_BYTES);
    crypto_wipe(plain, sizeof(plain));
    return 0;
}
