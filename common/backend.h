/* How common code finds the virtualization backends linked into this
 * build. Each backend registers one `struct backend` with
 * REGISTER_BACKEND; common code never names a backend's symbols, so a
 * vendor-only build simply has one entry. The choice is made from CPUID
 * feature bits, never from the vendor string (QEMU's TCG can show SVM
 * behind an Intel vendor string). */
#ifndef VENEER_COMMON_BACKEND_H
#define VENEER_COMMON_BACKEND_H

#include <platform/types.h>

struct vcpu_ops;

struct backend {
    const char *name;        /* "vmx", "svm" */
    /* CPUID says the CPU has this virtualization extension at all. */
    bool (*cpu_has)(void);
    /* Probes every capability the backend needs or uses. Writes a
     * one-line summary of them into `caps`; returns 0 if the backend can
     * run, or < 0 with `missing` naming each missing requirement. */
    int (*probe)(char *caps, size_t caps_size, char *missing,
                 size_t missing_size);
    const struct vcpu_ops *ops;
};

#define REGISTER_BACKEND(b)                                               \
    static const struct backend *const backend_ref_##b __used             \
        __section(".backends." #b) = &(b)

/* The backend chosen at the cpu stage (NULL before). */
extern const struct backend *active_backend;

#endif
