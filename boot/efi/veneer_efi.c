/* veneer.efi: starts Veneer from UEFI (docs/uefi.md).
 *
 * From its own directory on the ESP it reads veneer.elf, veneer.cfg (the
 * option line, optional) and the key methods' files (veneer.key,
 * veneer.jwe, veneer.tpm: optional), measures veneer.elf and the option
 * line into the TPM when the firmware has one (measure.c), reserves the VMM
 * region through boot services as EfiReservedMemoryType (the OS never gets
 * it), loads the image there, passes the VMM UUID-tagged parameter blocks
 * (platform/include/platform/uefi_params.h) and calls its UEFI entry. The
 * VMM virtualizes this CPU and resumes this program as its guest, which
 * hands the disk passphrase over if the VMM wants one, reconnects the
 * storage controllers it disconnected before (handover.c) and starts the
 * boot option that comes next. On any error before the call it returns an
 * error, the CPU and the controllers as they were. */
#include <efi.h>
#include <efilib.h>
#include <platform/uefi_params.h>
#include "loader.h"

#define REGION_TYPE   EfiReservedMemoryType
#define DEFAULT_MEM   (32ULL << 20)
#define TWO_MB        (2ULL << 20)
#define FOUR_GB       (4ULL << 30)

struct elf64_ehdr {
    unsigned char ident[16];
    UINT16 type, machine;
    UINT32 version;
    UINT64 entry, phoff, shoff;
    UINT32 flags;
    UINT16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF header");

struct elf64_phdr {
    UINT32 type, flags;
    UINT64 offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF program header");

extern UINT64 veneer_enter(UINT64 entry, UINT64 params, UINT64 cr3,
                           struct uefi_param_cpu *cpu);

struct file { void *data; UINTN size; };

static EFI_STATUS alloc_low(UINTN bytes, EFI_MEMORY_TYPE type, void **out)
{
    EFI_PHYSICAL_ADDRESS a = FOUR_GB - 1;
    EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
                                      type, EFI_SIZE_TO_PAGES(bytes), &a);
    if (!EFI_ERROR(st)) {
        *out = (void *)(UINTN)a;
        ZeroMem(*out, EFI_SIZE_TO_PAGES(bytes) * EFI_PAGE_SIZE);
    }
    return st;
}

/* The directory this image was loaded from, e.g. "\EFI\veneer\". */
static CHAR16 *own_directory(EFI_LOADED_IMAGE *li)
{
    static CHAR16 dir[256];
    UINTN n = 0;

    for (EFI_DEVICE_PATH *p = li->FilePath; p && !IsDevicePathEnd(p);
         p = NextDevicePathNode(p)) {
        if (DevicePathType(p) != MEDIA_DEVICE_PATH ||
            DevicePathSubType(p) != MEDIA_FILEPATH_DP)
            continue;
        CHAR16 *s = ((FILEPATH_DEVICE_PATH *)p)->PathName;
        /* GRUB's chainloader splits the path into one node per level. */
        if (n && dir[n - 1] != L'\\' && *s != L'\\')
            dir[n++] = L'\\';
        for (; *s && n < 250; s++)
            dir[n++] = *s;
    }
    while (n && dir[n - 1] != L'\\')
        n--;
    if (!n)
        dir[n++] = L'\\';
    dir[n] = 0;
    return dir;
}

static EFI_STATUS read_file(EFI_FILE_HANDLE root, CHAR16 *dir, CHAR16 *name,
                            struct file *f)
{
    CHAR16 path[300];
    EFI_FILE_HANDLE h;
    EFI_STATUS st;

    SPrint(path, sizeof(path), L"%s%s", dir, name);
    st = uefi_call_wrapper(root->Open, 5, root, &h, path, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(st))
        return st;
    EFI_FILE_INFO *info = LibFileInfo(h);
    if (!info) {
        uefi_call_wrapper(h->Close, 1, h);
        return EFI_DEVICE_ERROR;
    }
    f->size = info->FileSize;
    FreePool(info);
    st = alloc_low(f->size + 1, EfiLoaderData, &f->data);
    if (!EFI_ERROR(st)) {
        UINTN n = f->size;
        st = uefi_call_wrapper(h->Read, 3, h, &n, f->data);
        if (!EFI_ERROR(st) && n != f->size)
            st = EFI_DEVICE_ERROR;
    }
    uefi_call_wrapper(h->Close, 1, h);
    if (!EFI_ERROR(st))
        Print(L"veneer.efi: read %s%s (%lu bytes)\n", dir, name, (UINT64)f->size);
    return st;
}

/* The option line: veneer.cfg's lines without comments, joined. */
static void options_from_cfg(struct file *cfg, char *out, UINTN cap)
{
    const char *s = cfg->data;
    UINTN n = 0;
    BOOLEAN comment = FALSE, line_start = TRUE;

    for (UINTN i = 0; i < cfg->size && n + 1 < cap; i++) {
        char c = s[i];
        if (line_start && c == '#')
            comment = TRUE;
        line_start = c == '\n';
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (line_start)
            comment = FALSE;
        if (comment || (c == ' ' && (n == 0 || out[n - 1] == ' ')))
            continue;
        out[n++] = c;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

/* The value of option `key` ("vmm.mem=") on the option line, NULL if it
 * is not there (the VMM parses the line again; the loader reads only what
 * it needs first). */
static const char *option_value(const char *opts, const char *key)
{
    for (const char *p = opts; *p; p++) {
        if (p != opts && p[-1] != ' ')
            continue;
        UINTN k = 0;
        while (key[k] && p[k] == key[k])
            k++;
        if (!key[k])
            return p + k;
    }
    return NULL;
}

/* vmm.mem=SIZE from the option line (the VMM checks it again). */
static UINT64 vmm_mem_option(const char *opts)
{
    const char *p = option_value(opts, "vmm.mem=");
    UINT64 v = 0;

    if (!p)
        return DEFAULT_MEM;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (UINT64)(*p - '0');
    if (*p == 'G' || *p == 'g') v <<= 30;
    else if (*p == 'M' || *p == 'm') v <<= 20;
    else if (*p == 'K' || *p == 'k') v <<= 10;
    return v ? v : DEFAULT_MEM;
}

/* TRUE when vmm.key= lists `method` (the default, auto, means the key
 * file or the prompt). */
static BOOLEAN key_method_listed(const char *opts, const char *method)
{
    const char *p = option_value(opts, "vmm.key=");

    if (!p)
        p = "auto";
    while (*p && *p != ' ') {
        UINTN k = 0;
        while (method[k] && p[k] == method[k])
            k++;
        if (!method[k] && (p[k] == ',' || p[k] == ' ' || !p[k]))
            return TRUE;
        while (*p && *p != ' ' && *p != ',')
            p++;
        if (*p == ',')
            p++;
    }
    return FALSE;
}

/* The files the VMM's key methods read, passed as MODULE blocks under
 * the names GRUB's module2 gives them on the BIOS path: the key file
 * (vmm.key=module, or auto), the Tang binding clevis wrote (tang) and the
 * TPM-sealed object tools/tpm-seal.sh wrote (tpm). The VMM parses them
 * and refuses what is malformed; the loader refuses only an empty or
 * oversized file, and says when a method vmm.key= lists has no file. */
static const struct {
    CHAR16 *file;
    char name[16];
    const char *method;
    UINTN max;
} module_files[] = {
    { L"veneer.key", "veneer.key", "module", 4 * 64 },
    { L"veneer.jwe", "veneer.jwe", "tang", 16384 },  /* TANG_JWE_MAX */
    { L"veneer.tpm", "veneer.tpm", "tpm", 4096 },    /* TPM_BUF_MAX */
};
#define NMODULES (sizeof(module_files) / sizeof(module_files[0]))

static void read_modules(EFI_FILE_HANDLE root, CHAR16 *dir, const char *opts,
                         struct file mods[NMODULES])
{
    for (UINTN i = 0; i < NMODULES; i++) {
        struct file *f = &mods[i];
        EFI_STATUS st = read_file(root, dir, module_files[i].file, f);
        BOOLEAN wanted = key_method_listed(opts, module_files[i].method);

        if (EFI_ERROR(st)) {
            f->data = NULL;
            if (st != EFI_NOT_FOUND || wanted)
                Print(L"veneer.efi: vmm.key= %a %a but %s%s cannot be read: %r\n",
                      wanted ? "lists" : "does not list", module_files[i].method,
                      dir, module_files[i].file, st);
        } else if (f->size == 0 || f->size > module_files[i].max) {
            Print(L"veneer.efi: %s%s is %lu bytes (want 1 to %lu): not passed "
                  L"to the VMM\n", dir, module_files[i].file, (UINT64)f->size,
                  (UINT64)module_files[i].max);
            ZeroMem(f->data, f->size);
            f->data = NULL;
        }
    }
}

static EFI_STATUS get_memory_map(EFI_MEMORY_DESCRIPTOR **map, UINTN *size,
                                 UINTN *desc_size, UINT32 *desc_ver)
{
    UINTN key, entries;

    *map = LibMemoryMap(&entries, &key, desc_size, desc_ver);
    *size = entries * *desc_size;
    return *map ? EFI_SUCCESS : EFI_OUT_OF_RESOURCES;
}

/* The VMM region: 2 MiB aligned, at the top of the highest conventional
 * range below 4 GiB that holds it (as the BIOS path chooses), above 16 MiB. */
static EFI_STATUS reserve_region(UINT64 size, UINT64 *base)
{
    EFI_MEMORY_DESCRIPTOR *map;
    UINTN msize, dsize;
    UINT32 dver;
    EFI_STATUS st = get_memory_map(&map, &msize, &dsize, &dver);

    if (EFI_ERROR(st))
        return st;
    UINT64 floor = 16ULL << 20, ceiling = FOUR_GB;
    for (;;) {
        UINT64 best = 0;
        for (UINTN off = 0; off < msize; off += dsize) {
            EFI_MEMORY_DESCRIPTOR *d = (void *)((UINT8 *)map + off);
            if (d->Type != EfiConventionalMemory)
                continue;
            UINT64 lo = d->PhysicalStart, hi = lo + d->NumberOfPages * EFI_PAGE_SIZE;
            if (hi > ceiling)
                hi = ceiling;
            hi &= ~(TWO_MB - 1);
            if (hi < size || hi - size < lo || hi - size < floor)
                continue;
            if (hi - size > best)
                best = hi - size;
        }
        if (!best) {
            FreePool(map);
            return EFI_OUT_OF_RESOURCES;
        }
        EFI_PHYSICAL_ADDRESS a = best;
        st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, REGION_TYPE,
                               EFI_SIZE_TO_PAGES(size), &a);
        if (!EFI_ERROR(st)) {
            FreePool(map);
            *base = a;
            return EFI_SUCCESS;
        }
        Print(L"veneer.efi: %lx: %r; trying lower\n", best, st);
        ceiling = best + size - TWO_MB;
    }
}

static const struct uefi_header *find_header(const UINT8 *seg, UINTN len)
{
    static const char magic[16] = UEFI_HEADER_MAGIC;

    if (len > 32768)
        len = 32768;
    for (UINTN off = 0; off + sizeof(struct uefi_header) <= len; off += 8)
        if (CompareMem(seg + off, magic, 16) == 0)
            return (const void *)(seg + off);
    return NULL;
}

/* Loads veneer.elf's PT_LOAD segments at base + (paddr - load_phys). */
static EFI_STATUS load_image(struct file *elf, UINT64 base, UINT64 size,
                             UINT64 *entry)
{
    const struct elf64_ehdr *eh = elf->data;
    const struct uefi_header *hdr = NULL;

    if (elf->size < sizeof(*eh) || CompareMem(eh->ident, "\177ELF\2\1", 6) ||
        eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) ||
        eh->phoff > elf->size ||
        (UINT64)eh->phnum * sizeof(struct elf64_phdr) > elf->size - eh->phoff) {
        Print(L"veneer.efi: veneer.elf is not an x86-64 ELF image\n");
        return EFI_LOAD_ERROR;
    }
    const struct elf64_phdr *ph = (const void *)((UINT8 *)elf->data + eh->phoff);
    for (UINTN i = 0; i < eh->phnum && !hdr; i++)
        if (ph[i].type == 1 && ph[i].offset <= elf->size &&
            ph[i].filesz <= elf->size - ph[i].offset)
            hdr = find_header((UINT8 *)elf->data + ph[i].offset, ph[i].filesz);
    if (!hdr || hdr->version != UEFI_HEADER_VERSION ||
        hdr->size < sizeof(*hdr)) {
        Print(L"veneer.efi: veneer.elf has no UEFI header (version %d)\n",
              UEFI_HEADER_VERSION);
        return EFI_LOAD_ERROR;
    }
    if (hdr->image_size + TWO_MB > size) {
        Print(L"veneer.efi: veneer.elf (%lu KiB) does not fit the region\n",
              hdr->image_size >> 10);
        return EFI_BUFFER_TOO_SMALL;
    }
    for (UINTN i = 0; i < eh->phnum; i++) {
        if (ph[i].type != 1 || ph[i].memsz == 0)
            continue;
        if (ph[i].paddr < hdr->load_phys || ph[i].filesz > ph[i].memsz ||
            ph[i].offset > elf->size || ph[i].filesz > elf->size - ph[i].offset ||
            ph[i].paddr - hdr->load_phys + ph[i].memsz > hdr->image_size) {
            Print(L"veneer.efi: veneer.elf segment %d out of bounds\n", i);
            return EFI_LOAD_ERROR;
        }
        UINT8 *dst = (UINT8 *)(UINTN)(base + ph[i].paddr - hdr->load_phys);
        CopyMem(dst, (UINT8 *)elf->data + ph[i].offset, ph[i].filesz);
        ZeroMem(dst + ph[i].filesz, ph[i].memsz - ph[i].filesz);
    }
    *entry = hdr->entry;
    if (hdr->vbase != 0xffffffff80000000ULL) {
        Print(L"veneer.efi: unexpected image base %lx\n", hdr->vbase);
        return EFI_LOAD_ERROR;
    }
    return EFI_SUCCESS;
}

/* Bootstrap page tables, used only until the VMM switches to its own:
 * 0-4 GiB identity and at the direct map (0xffff800000000000, PML4 slot
 * 256), and KERNEL_VBASE onto the region. Built here and not by the VMM's
 * entry because firmware may map reserved memory non-executable. */
static EFI_STATUS build_tables(UINT64 base, UINT64 size, UINT64 *cr3)
{
    UINT64 *t;
    EFI_STATUS st = alloc_low(8 * EFI_PAGE_SIZE, EfiLoaderData, (void **)&t);

    if (EFI_ERROR(st))
        return st;
    UINT64 *pml4 = t, *pdpt = t + 512, *pd = t + 1024, *pdpt_hi = t + 3072,
           *pd_hi = t + 3584;
    pml4[0] = pml4[256] = (UINT64)(UINTN)pdpt | 3;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (UINT64)(UINTN)(pd + 512 * i) | 3;
    for (UINT64 i = 0; i < 2048; i++)
        pd[i] = i * TWO_MB | 0x83;
    pml4[511] = (UINT64)(UINTN)pdpt_hi | 3;
    pdpt_hi[510] = (UINT64)(UINTN)pd_hi | 3;
    for (UINT64 i = 0; i < size / TWO_MB && i < 512; i++)
        pd_hi[i] = (base + i * TWO_MB) | 0x83;
    *cr3 = (UINT64)(UINTN)pml4;
    return EFI_SUCCESS;
}

static inline UINT64 rdmsr(UINT32 msr)
{
    UINT32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((UINT64)hi << 32) | lo;
}

#define READ_CR(n) ({ UINT64 v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define READ_SEL(s) ({ UINT16 v_; __asm__ volatile("mov %%" #s ", %0" : "=r"(v_)); v_; })

static void capture_cpu(struct uefi_param_cpu *c)
{
    struct { UINT16 limit; UINT64 base; } __attribute__((packed)) dt;

    c->cr0 = READ_CR(0);
    c->cr3 = READ_CR(3);
    c->cr4 = READ_CR(4);
    c->efer = rdmsr(0xc0000080);
    c->pat = rdmsr(0x277);
    __asm__ volatile("sgdt %0" : "=m"(dt));
    c->gdt_base = dt.base;
    c->gdt_limit = dt.limit;
    __asm__ volatile("sidt %0" : "=m"(dt));
    c->idt_base = dt.base;
    c->idt_limit = dt.limit;
    c->cs = READ_SEL(cs);
    c->ds = READ_SEL(ds);
    c->es = READ_SEL(es);
    c->fs = READ_SEL(fs);
    c->gs = READ_SEL(gs);
    c->ss = READ_SEL(ss);
    __asm__ volatile("str %0" : "=r"(c->tr));
    __asm__ volatile("sldt %0" : "=r"(c->ldtr));
    c->fs_base = rdmsr(0xc0000100);
    c->gs_base = rdmsr(0xc0000101);
    c->kernel_gs_base = rdmsr(0xc0000102);
    if (c->cr4 & (1u << 18)) {
        UINT32 lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        c->xcr0 = ((UINT64)hi << 32) | lo;
    }
}

static void head(void *p, const UINT8 *uuid, UINT32 size)
{
    struct uefi_param_head *h = p;

    CopyMem(h->uuid, (void *)uuid, 16);
    h->version = 1;
    h->size = size;
}

static UINT64 find_rsdp(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    UINT64 old = 0;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (!CompareGuid(&t->VendorGuid, &acpi20))
            return (UINT64)(UINTN)t->VendorTable;
        if (!CompareGuid(&t->VendorGuid, &acpi10))
            old = (UINT64)(UINTN)t->VendorTable;
    }
    return old;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    static const UINT8 u_boot[16] = UEFI_UUID_BOOT, u_mm[16] = UEFI_UUID_MEMMAP,
        u_acpi[16] = UEFI_UUID_ACPI, u_opt[16] = UEFI_UUID_OPTIONS,
        u_mod[16] = UEFI_UUID_MODULE, u_cpu[16] = UEFI_UUID_CPU,
        u_wake[16] = UEFI_UUID_WAKE;
    EFI_LOADED_IMAGE *li;
    EFI_STATUS st;
    struct file elf, cfg = { 0, 0 }, mods[NMODULES];
    void *wake = NULL; /* the S3 wake's page-table pages */
    static char opts[1024];

    InitializeLib(image, systab);
    if (veneer_already_running()) {
        Print(L"veneer.efi: Veneer is already running (started earlier in "
              L"this boot); going on\n");
        return EFI_SUCCESS;
    }
    Print(L"veneer.efi: starting Veneer\n");
    st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
                           (void **)&li);
    if (EFI_ERROR(st))
        return st;
    if ((UINT64)(UINTN)&efi_main >= FOUR_GB || (UINT64)(UINTN)&st >= FOUR_GB) {
        Print(L"veneer.efi: loaded above 4 GiB; not supported\n");
        return EFI_UNSUPPORTED;
    }
    EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle);
    if (!root) {
        Print(L"veneer.efi: cannot open the volume it was loaded from\n");
        return EFI_NOT_FOUND;
    }
    CHAR16 *dir = own_directory(li);
    if (EFI_ERROR((st = read_file(root, dir, L"veneer.elf", &elf)))) {
        Print(L"veneer.efi: cannot read %sveneer.elf: %r\n", dir, st);
        return st;
    }
    if (!EFI_ERROR(read_file(root, dir, L"veneer.cfg", &cfg)))
        options_from_cfg(&cfg, opts, sizeof(opts));
    read_modules(root, dir, opts, mods);
    /* the firmware measured veneer.efi (PCR 4); what it loads, here */
    if (have_tpm()) {
        measure(9, elf.data, elf.size, "veneer.elf");
        measure(8, opts, strlena((CHAR8 *)opts), "veneer.cfg option line");
    }

    UINT64 size = vmm_mem_option(opts), base, entry, cr3;
    if (size % TWO_MB || size < TWO_MB * 8 || size > (1ULL << 30)) {
        Print(L"veneer.efi: vmm.mem= must be 16M to 1G, a multiple of 2M\n");
        return EFI_INVALID_PARAMETER;
    }
    if (EFI_ERROR((st = reserve_region(size, &base)))) {
        Print(L"veneer.efi: no room below 4 GiB for a %lu MiB VMM region\n",
              size >> 20);
        return st;
    }
    ZeroMem((void *)(UINTN)base, size);
    if (EFI_ERROR((st = load_image(&elf, base, size, &entry))) ||
        EFI_ERROR((st = build_tables(base, size, &cr3))))
        goto fail;

    /* The blocks, in one page below 4 GiB; the memory map last. */
    UINT8 *blk;
    UINT64 *ptrs;
    if (EFI_ERROR((st = alloc_low(4 * EFI_PAGE_SIZE, EfiLoaderData, (void **)&blk))))
        goto fail;
    ptrs = (UINT64 *)blk;
    UINTN np = 0, off = 32 * 8;
#define ADD(p, sz) ({ void *p_ = blk + off; ptrs[np++] = (UINT64)(UINTN)p_; \
                      off += ((sz) + 7) & ~7ULL; p_; })
    struct uefi_param_boot *b = ADD(b, sizeof(*b));
    head(b, u_boot, sizeof(*b));
    b->system_table = (UINT64)(UINTN)systab;
    b->image_handle = (UINT64)(UINTN)image;
    b->region_base = base;
    b->region_size = size;
    b->region_efi_type = REGION_TYPE;
    CopyMem(b->loader, "veneer.efi 1", 13);
    UINT64 rsdp = find_rsdp();
    if (rsdp) {
        struct uefi_param_acpi *a = ADD(a, sizeof(*a));
        head(a, u_acpi, sizeof(*a));
        a->rsdp = rsdp;
        a->copy_len = ((UINT8 *)(UINTN)rsdp)[15] >= 2 ? 36 : 20;
        CopyMem(a->copy, (void *)(UINTN)rsdp, a->copy_len);
    }
    UINTN olen = strlena((CHAR8 *)opts) + 1;
    struct uefi_param_options *o = ADD(o, sizeof(*o) + olen);
    head(o, u_opt, (UINT32)(sizeof(*o) + olen));
    CopyMem(o->line, opts, olen);
    for (UINTN i = 0; i < NMODULES; i++) {
        if (!mods[i].data)
            continue;
        struct uefi_param_module *m = ADD(m, sizeof(*m));
        head(m, u_mod, sizeof(*m));
        m->start = (UINT64)(UINTN)mods[i].data;
        m->end = m->start + mods[i].size;
        CopyMem(m->name, (void *)module_files[i].name, sizeof(module_files[i].name));
    }
    /* Pages for a 64-bit S3 wake's page tables, reserved for good (the
     * VMM writes them at the wake; without them such a wake is refused). */
    if (!EFI_ERROR(alloc_low(UEFI_WAKE_PAGES * EFI_PAGE_SIZE,
                             EfiReservedMemoryType, &wake))) {
        struct uefi_param_wake *w = ADD(w, sizeof(*w));
        head(w, u_wake, sizeof(*w));
        w->base = (UINT64)(UINTN)wake;
        w->pages = UEFI_WAKE_PAGES;
    }
    struct uefi_param_cpu *cpu = ADD(cpu, sizeof(*cpu));
    head(cpu, u_cpu, sizeof(*cpu));
    struct uefi_param_memmap *mm = ADD(mm, sizeof(*mm));
    head(mm, u_mm, sizeof(*mm));
    ptrs[np] = 0;

    storage_disconnect();
    const char *net = option_value(opts, "vmm.net=");
    BOOLEAN take_nic = net && net[0] == 'v' && net[1] == 'm' && net[2] == 'm' &&
                       (net[3] == ' ' || !net[3]);
    if (take_nic)
        nic_disconnect();
    /* the memory map last: nothing allocates after it */
    EFI_MEMORY_DESCRIPTOR *map;
    UINTN msize, dsize;
    UINT32 dver;
    if (EFI_ERROR((st = get_memory_map(&map, &msize, &dsize, &dver))))
        goto fail_reconnect;
    mm->map = (UINT64)(UINTN)map;
    mm->map_size = msize;
    mm->desc_size = dsize;
    mm->desc_version = dver;
    if (mm->map >= FOUR_GB) {
        st = EFI_UNSUPPORTED;
        goto fail_reconnect;
    }
    Print(L"veneer.efi: VMM region %lx-%lx (%lu MiB), entering the VMM\n",
          base, base + size - 1, size >> 20);
    capture_cpu(cpu);
    veneer_enter(entry, (UINT64)(UINTN)ptrs, cr3, cpu);

    /* Here as the VMM's guest. */
    Print(L"veneer.efi: Veneer is running\n");
    veneer_mark_running();
    if (!passphrase_handover())
        Print(L"veneer.efi: no disk passphrase was passed on: encrypted "
              L"ranges stay unreadable\n");
    storage_reconnect();
    if (take_nic)
        nic_reconnect();
    /* Whoever started us may hold pointers into the drivers just
     * reconnected (GRUB does): go on with the boot option ourselves. */
    st = boot_next_option(image);
    Print(L"veneer.efi: back to the firmware\n");
    return st == EFI_NOT_FOUND ? EFI_SUCCESS : st;

fail_reconnect:
    storage_reconnect();
    if (take_nic)
        nic_reconnect();

fail:
    Print(L"veneer.efi: cannot start Veneer: %r\n", st);
    uefi_call_wrapper(BS->FreePages, 2, base, EFI_SIZE_TO_PAGES(size));
    if (wake)
        uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(UINTN)wake,
                          (UINTN)UEFI_WAKE_PAGES);
    return st;
}
