/* Shared helpers of the ACPI unit tests: files, a simulated physical
 * memory built from dumped tables, a problem collector. */
#ifndef VENEER_TESTS_TEST_ACPI_H
#define VENEER_TESTS_TEST_ACPI_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acpi/acpi.h"
#include "common/acpi/aml.h"

#define ACPI_DATA_DIR "tests/data/acpi"
#ifndef ACPI_BUILD_DIR
#define ACPI_BUILD_DIR "build/acpi"
#endif

static inline uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Simulated physical memory: regions of bytes at physical addresses. */
#define MEM_MAX_REGIONS 64
struct mem_region {
    uint64_t phys;
    size_t len;
    uint8_t *data;
    char name[64];
};
struct mem {
    unsigned n;
    struct mem_region r[MEM_MAX_REGIONS];
    unsigned maps, refused;
};

static inline struct mem_region *mem_add(struct mem *m, uint64_t phys,
                                         uint8_t *data, size_t len,
                                         const char *name)
{
    struct mem_region *r = &m->r[m->n++];
    size_t l = strlen(name);

    if (l >= sizeof(r->name))
        l = sizeof(r->name) - 1;
    memcpy(r->name, name, l);
    r->name[l] = 0;
    r->phys = phys;
    r->data = data;
    r->len = len;
    return r;
}

static inline const void *mem_map(void *ctx, uint64_t phys, size_t len)
{
    struct mem *m = ctx;

    m->maps++;
    for (unsigned i = 0; i < m->n; i++) {
        const struct mem_region *r = &m->r[i];
        if (phys >= r->phys && phys - r->phys <= r->len &&
            len <= r->len - (phys - r->phys))
            return r->data + (phys - r->phys);
    }
    m->refused++;
    return NULL;
}

static inline struct mem_region *mem_find(struct mem *m, const char *sig)
{
    for (unsigned i = 0; i < m->n; i++)
        if (!strncmp(m->r[i].name, sig, 4))
            return &m->r[i];
    return NULL;
}

/* Loads every SIG@ADDR.dat of a dumped platform and its BIOS area. */
static inline int mem_load_platform(struct mem *m, const char *plat)
{
    char dir[256], path[512];
    DIR *d;
    struct dirent *e;

    memset(m, 0, sizeof(*m));
    snprintf(dir, sizeof(dir), "%s/%s", ACPI_DATA_DIR, plat);
    d = opendir(dir);
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        const char *at = strchr(e->d_name, '@');
        uint64_t phys;
        size_t len;
        uint8_t *buf;

        if (!strcmp(e->d_name, "bios-e0000.dat"))
            phys = 0xe0000;
        else if (at && strstr(e->d_name, ".dat"))
            phys = strtoull(at + 1, NULL, 16);
        else
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        buf = read_file(path, &len);
        if (!buf || m->n == MEM_MAX_REGIONS)
            return -1;
        mem_add(m, phys, buf, len, e->d_name);
    }
    closedir(d);
    return 0;
}

static inline void mem_free(struct mem *m)
{
    for (unsigned i = 0; i < m->n; i++)
        free(m->r[i].data);
    m->n = 0;
}

/* Problem collector. */
struct problems {
    unsigned n;
    int last_err;
    char last_what[64];
    int verbose;
};

static inline void collect(void *ctx, const struct acpi_problem *p)
{
    struct problems *pr = ctx;

    pr->n++;
    pr->last_err = p->err;
    snprintf(pr->last_what, sizeof(pr->last_what), "%s", p->what);
    if (pr->verbose)
        fprintf(stderr, "  acpi: %s: %s [%s] at %#llx (%#llx)\n", p->what,
                acpi_strerror(p->err), p->sig, (unsigned long long)p->addr,
                (unsigned long long)p->value);
}

/* A report callback for tests that feed the memory model. */
struct test_ctx {
    struct mem mem;
    struct problems pr;
};

static inline const void *ctx_map(void *ctx, uint64_t phys, size_t len)
{
    return mem_map(&((struct test_ctx *)ctx)->mem, phys, len);
}

static inline void ctx_report(void *ctx, const struct acpi_problem *p)
{
    collect(&((struct test_ctx *)ctx)->pr, p);
}

int test_acpi_aml(void);

#endif
