/* Every backend fills every operation of the seam: reads each
 * `const struct vcpu_ops` table out of the built VMM images (all three
 * builds) and checks each slot, by the names of the X-macro list in
 * common/vcpu.h, points into the image's code. */
#include "check.h"
#include <common/backend.h>
#include <common/vcpu.h>
#include <elf.h>
#include <stdlib.h>

static const char *const op_names[] = {
#define X(ret, name, params) #name,
    VCPU_OPS(X)
#undef X
};
#define NOPS (sizeof(op_names) / sizeof(op_names[0]))

struct image {
    u8 *data;
    size_t size;
    Elf64_Ehdr *eh;
    Elf64_Shdr *sh;
};

static const void *at_vaddr(struct image *im, u64 va, size_t len)
{
    for (int i = 0; i < im->eh->e_shnum; i++) {
        Elf64_Shdr *s = &im->sh[i];
        if (s->sh_type == SHT_PROGBITS && va >= s->sh_addr &&
            va + len <= s->sh_addr + s->sh_size)
            return im->data + s->sh_offset + (va - s->sh_addr);
    }
    return NULL;
}

static int check_image(const char *path)
{
    struct image im;
    FILE *f = fopen(path, "rb");
    int tables = 0;
    u64 text_lo = 0, text_hi = 0;

    if (!f) {
        fprintf(stderr, "%s: not built\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    im.size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    im.data = malloc(im.size);
    if (fread(im.data, 1, im.size, f) != im.size)
        return -1;
    fclose(f);
    im.eh = (Elf64_Ehdr *)im.data;
    im.sh = (Elf64_Shdr *)(im.data + im.eh->e_shoff);
    Elf64_Shdr *symtab = NULL;
    for (int i = 0; i < im.eh->e_shnum; i++)
        if (im.sh[i].sh_type == SHT_SYMTAB)
            symtab = &im.sh[i];
    if (!symtab)
        return -1;
    Elf64_Sym *syms = (Elf64_Sym *)(im.data + symtab->sh_offset);
    const char *str = (const char *)(im.data + im.sh[symtab->sh_link].sh_offset);
    size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);

    for (size_t i = 0; i < nsyms; i++) {
        if (!strcmp(str + syms[i].st_name, "__text_start")) text_lo = syms[i].st_value;
        if (!strcmp(str + syms[i].st_name, "__text_end")) text_hi = syms[i].st_value;
    }
    CHECK(text_lo && text_hi > text_lo);
    for (size_t i = 0; i < nsyms; i++) {
        const char *name = str + syms[i].st_name;
        size_t len = strlen(name);
        if (ELF64_ST_TYPE(syms[i].st_info) != STT_OBJECT)
            continue;
        if (len > 8 && !strcmp(name + len - 8, "_backend") &&
            syms[i].st_size == sizeof(struct backend)) {
            const struct backend *b = at_vaddr(&im, syms[i].st_value, sizeof(*b));
            CHECK(b != NULL);
            if (b && !b->ops)
                fprintf(stderr, "%s: %s has no operations table\n", path, name);
            CHECK(b && b->ops);
        }
        if (len > 4 && !strcmp(name + len - 4, "_ops") &&
            syms[i].st_size == sizeof(struct vcpu_ops)) {
            const u64 *slots = at_vaddr(&im, syms[i].st_value, sizeof(struct vcpu_ops));
            CHECK(slots != NULL);
            if (!slots)
                continue;
            tables++;
            for (size_t k = 0; k < NOPS; k++) {
                bool ok = slots[k] >= text_lo && slots[k] < text_hi;
                if (!ok)
                    fprintf(stderr, "%s: %s.%s is %#llx, not code\n", path, name,
                            op_names[k], (unsigned long long)slots[k]);
                CHECK(ok);
            }
            const u8 *insn = (const u8 *)(slots + NOPS);
            CHECK(insn[0] == 0x0f && insn[1] == 0x01);
            printf("%s: %s: %zu operations, all filled\n", path, name, NOPS);
        }
    }
    free(im.data);
    return tables;
}

int main(void)
{
    char images[] = VMM_IMAGES;
    int total = 0;

    CHECK_EQ(NOPS, 21);
    for (char *p = strtok(images, " "); p; p = strtok(NULL, " ")) {
        int n = check_image(p);
        CHECK(n >= 1);
        total += n > 0 ? n : 0;
    }
    /* Both tables in the full image, one in each vendor image. */
    CHECK_EQ(total, 4);
    return check_done("vcpu_ops");
}
