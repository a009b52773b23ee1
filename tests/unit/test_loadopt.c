/* Host test of boot/efi/loadopt.c: Boot#### variables as veneer.efi parses
 * them before the OS runs. Anyone with root in the OS can write these
 * variables, so every malformed shape must be refused, never read past its
 * end: a well-formed option, then each field broken in turn (every byte
 * length of the variable is tried, and every path length), then the
 * file-name match. Run under ASan/UBSan like every unit test. */
#include <stdlib.h>
#include "../../boot/efi/loadopt.h"
#include "check.h"

static UINTN put16(UINT8 *b, UINTN at, unsigned v)
{
    b[at] = (UINT8)v;
    b[at + 1] = (UINT8)(v >> 8);
    return at + 2;
}

/* a file-path node for the ASCII string s */
static UINTN file_node(UINT8 *b, UINTN at, const char *s)
{
    UINTN n = strlen(s), len = 4 + 2 * (n + 1);
    b[at] = MEDIA_DEVICE_PATH;
    b[at + 1] = MEDIA_FILEPATH_DP;
    put16(b, at + 2, (unsigned)len);
    for (UINTN i = 0; i <= n; i++)
        put16(b, at + 4 + 2 * i, (UINT8)s[i]);
    return at + len;
}

static UINTN end_node(UINT8 *b, UINTN at)
{
    b[at] = END_DEVICE_PATH_TYPE;
    b[at + 1] = END_ENTIRE_DEVICE_PATH_SUBTYPE;
    put16(b, at + 2, 4);
    return at + 4;
}

/* Attributes, path length, "Disk", a PCI node, a file node, the end node,
 * then `data` bytes of optional data. Returns the size. */
static UINTN build(UINT8 *b, const char *file, UINTN data)
{
    UINTN at = 0, plen_at;
    b[0] = 1; b[1] = b[2] = b[3] = 0;          /* LOAD_OPTION_ACTIVE */
    plen_at = 4;
    at = 6;
    for (const char *d = "Disk"; *d; d++)
        at = put16(b, at, (UINT8)*d);
    at = put16(b, at, 0);
    UINTN path = at;
    b[at] = HARDWARE_DEVICE_PATH; b[at + 1] = HW_PCI_DP;
    put16(b, at + 2, 6);
    b[at + 4] = 0; b[at + 5] = 2;
    at += 6;
    if (file)
        at = file_node(b, at, file);
    at = end_node(b, at);
    put16(b, plen_at, (unsigned)(at - path));
    for (UINTN i = 0; i < data; i++)
        b[at++] = (UINT8)(0xd0 + i);
    return at;
}

int main(void)
{
    UINT8 b[512], *copy;
    struct load_option lo;
    UINTN size = build(b, "\\EFI\\veneer\\Veneer.EFI", 3);

    /* well formed */
    CHECK(loadopt_parse(b, size, &lo));
    CHECK_EQ(lo.attributes, 1);
    CHECK_EQ(lo.description[0], 'D');
    CHECK_EQ(lo.description[4], 0);
    CHECK_EQ(lo.data_len, 3);
    CHECK_EQ(lo.data[0], 0xd0);
    CHECK(device_path_ok(lo.path, lo.path_len));
    CHECK(device_path_names(lo.path, lo.path_len, "veneer.efi"));
    CHECK(!device_path_names(lo.path, lo.path_len, "grubx64.efi"));
    CHECK(!device_path_names(lo.path, lo.path_len, "xveneer.efi.bak"));

    /* every shorter variable is refused or, once the whole path is in,
     * parsed with less optional data; each copy in its own heap block so
     * that ASan sees any read past it */
    for (UINTN n = 0; n < size; n++) {
        copy = malloc(n ? n : 1);
        memcpy(copy, b, n);
        BOOLEAN ok = loadopt_parse(copy, n, &lo);
        CHECK(ok == (n >= size - 3));
        if (ok)
            CHECK_EQ(lo.data_len, n - (size - 3));
        free(copy);
    }

    /* every path length but the right one is refused */
    UINTN plen = (UINTN)b[4] | (UINTN)b[5] << 8;
    for (unsigned v = 0; v < 0x10000; v += v < 256 ? 1 : 251) {
        if (v == plen)
            continue;
        copy = malloc(size);
        memcpy(copy, b, size);
        put16(copy, 4, v);
        /* a longer length that swallows the optional data still ends in
         * the end node only at the right length */
        CHECK(!loadopt_parse(copy, size, &lo));
        free(copy);
    }

    /* a description without its NUL */
    copy = malloc(14);
    memcpy(copy, b, 14);                        /* "Disk" and no NUL */
    CHECK(!loadopt_parse(copy, 14, &lo));
    free(copy);

    /* node lengths: 0, 1-3, past the end */
    UINTN path_at = 6 + 2 * 5;
    for (unsigned bad = 0; bad < 4; bad++) {
        memcpy(b + 256, b, size);
        put16(b + 256, path_at + 2, bad);
        CHECK(!loadopt_parse(b + 256, size, &lo));
    }
    memcpy(b + 256, b, size);
    put16(b + 256, path_at + 2, 0xffff);
    CHECK(!loadopt_parse(b + 256, size, &lo));

    /* no end node: the last node made a file node */
    memcpy(b + 256, b, size);
    b[256 + path_at + plen - 4] = MEDIA_DEVICE_PATH;
    CHECK(!loadopt_parse(b + 256, size, &lo));

    /* a file node without its terminating NUL still matches only inside
     * itself */
    UINT8 p[64];
    UINTN at = file_node(p, 0, "veneer.efi");
    p[at - 2] = 'x';                            /* the NUL overwritten */
    at = end_node(p, at);
    CHECK(device_path_ok((EFI_DEVICE_PATH *)p, at));
    CHECK(!device_path_names((EFI_DEVICE_PATH *)p, at, "veneer.efi"));
    CHECK(!device_path_ok((EFI_DEVICE_PATH *)p, at - 1));
    CHECK(!device_path_ok((EFI_DEVICE_PATH *)p, 3));

    /* no path at all: a bare end node parses, names nothing */
    UINTN e = end_node(p, 0);
    CHECK(device_path_ok((EFI_DEVICE_PATH *)p, e));
    CHECK(!device_path_names((EFI_DEVICE_PATH *)p, e, "veneer.efi"));

    CHAR16 name[9];
    boot_option_name(name, 0x0a3f);
    CHECK(name[0] == 'B' && name[4] == '0' && name[5] == 'A' && name[6] == '3' &&
          name[7] == 'F' && name[8] == 0);
    return check_done("loadopt");
}
