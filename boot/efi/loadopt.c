/* Boot#### variables and device paths (loadopt.h). */
#include "loadopt.h"

static UINTN node_len(const EFI_DEVICE_PATH *p)
{
    const UINT8 *b = (const UINT8 *)p;
    return (UINTN)b[2] | (UINTN)b[3] << 8;
}

BOOLEAN device_path_ok(const EFI_DEVICE_PATH *dp, UINTN len)
{
    const UINT8 *p = (const UINT8 *)dp, *end = p + len;

    while ((UINTN)(end - p) >= 4) {
        UINTN nl = node_len((const EFI_DEVICE_PATH *)p);
        if (nl < 4 || nl > (UINTN)(end - p))
            return FALSE;
        if (p[0] == END_DEVICE_PATH_TYPE && p[1] == END_ENTIRE_DEVICE_PATH_SUBTYPE)
            return p + nl == end;
        p += nl;
    }
    return FALSE;
}

BOOLEAN loadopt_parse(UINT8 *opt, UINTN size, struct load_option *out)
{
    UINTN d = 0, path_at, plen;

    if (!opt || size < 6)
        return FALSE;
    out->attributes = (UINT32)opt[0] | (UINT32)opt[1] << 8 | (UINT32)opt[2] << 16 |
                      (UINT32)opt[3] << 24;
    plen = (UINTN)opt[4] | (UINTN)opt[5] << 8;
    /* the description: CHAR16s up to and with a NUL, inside the variable */
    for (;;) {
        if (6 + 2 * (d + 1) > size)
            return FALSE;
        if (opt[6 + 2 * d] == 0 && opt[7 + 2 * d] == 0)
            break;
        d++;
    }
    path_at = 6 + 2 * (d + 1);
    if (plen > size - path_at ||
        !device_path_ok((const EFI_DEVICE_PATH *)(opt + path_at), plen))
        return FALSE;
    out->description = (const CHAR16 *)(opt + 6);
    out->path = (EFI_DEVICE_PATH *)(opt + path_at);
    out->path_len = plen;
    out->data = opt + path_at + plen;
    out->data_len = size - path_at - plen;
    return TRUE;
}

BOOLEAN device_path_names(const EFI_DEVICE_PATH *dp, UINTN len, const char *name)
{
    const UINT8 *p = (const UINT8 *)dp, *end = p + len;
    UINTN wl = 0;

    while (name[wl])
        wl++;
    while ((UINTN)(end - p) >= 4) {
        UINTN nl = node_len((const EFI_DEVICE_PATH *)p);
        if (nl < 4 || nl > (UINTN)(end - p) || p[0] == END_DEVICE_PATH_TYPE)
            return FALSE;
        if (p[0] == MEDIA_DEVICE_PATH && p[1] == MEDIA_FILEPATH_DP) {
            const UINT8 *s = p + 4;
            UINTN sl = 0;
            while (4 + 2 * (sl + 1) <= nl && (s[2 * sl] || s[2 * sl + 1]))
                sl++;
            BOOLEAN same = sl >= wl;
            for (UINTN i = 0; i < wl && same; i++) {
                UINTN at = 2 * (sl - wl + i);
                UINT16 c = (UINT16)(s[at] | s[at + 1] << 8);
                if (c >= 'A' && c <= 'Z')
                    c += 'a' - 'A';
                UINT16 w = (UINT8)name[i];
                if (w >= 'A' && w <= 'Z')
                    w += 'a' - 'A';
                same = c == w;
            }
            if (same)
                return TRUE;
        }
        p += nl;
    }
    return FALSE;
}

void boot_option_name(CHAR16 out[9], UINT16 nr)
{
    static const char hex[] = "0123456789ABCDEF";

    out[0] = 'B';
    out[1] = 'o';
    out[2] = 'o';
    out[3] = 't';
    for (int i = 0; i < 4; i++)
        out[4 + i] = (CHAR16)hex[(nr >> (12 - 4 * i)) & 15];
    out[8] = 0;
}
