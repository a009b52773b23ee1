/* libFuzzer target for the multiboot2 information parser
 * (platform/multiboot2.c): the structure GRUB leaves in memory is read
 * before anything else. The input is the structure itself (an exact-size
 * heap copy, so a read past `avail` shows under ASan); a parsed memory
 * map then goes through memmap_choose_region. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <platform/bootinfo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    const char *why = NULL;
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    memset(&bi, 0, sizeof(bi));
    if (mb2_parse(copy, size, &bi, &why) == 0) {
        /* every string the parser copied must be terminated in its field */
        if (strnlen(bi.cmdline, sizeof(bi.cmdline)) == sizeof(bi.cmdline) ||
            strnlen(bi.loader, sizeof(bi.loader)) == sizeof(bi.loader))
            abort();
        if (bi.mmap_count > BOOT_MAX_MMAP || bi.module_count > BOOT_MAX_MODULES)
            abort();
        for (uint32_t i = 0; i < bi.module_count; i++)
            if (strnlen(bi.modules[i].name, sizeof(bi.modules[i].name)) ==
                sizeof(bi.modules[i].name))
                abort();
        struct mem_range avoid = { 0x100000, 0x100000, 0 };
        memmap_choose_region(bi.mmap, bi.mmap_count, 32u << 20, &avoid, 1);
    } else if (why) {
        volatile size_t n = strlen(why);
        (void)n;
    }
    free(copy);
    return 0;
}
