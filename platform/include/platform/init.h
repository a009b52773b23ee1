/* Staged initialisation. A subsystem registers its init function for a
 * named stage with INIT_FUNC; the boot path runs the stages in order
 * (run_init_stage), each stage's functions in order of their `prio`
 * (00-99, lower first). Nothing calls a subsystem's init by name. */
#ifndef VENEER_PLATFORM_INIT_H
#define VENEER_PLATFORM_INIT_H

#include <platform/types.h>

/* The stages, in the order the BSP runs them. */
#define INIT_STAGE_LIST(X)                                                \
    X(early)   /* console, options parsed */                              \
    X(mem)     /* page-frame allocator and heap ready */                  \
    X(cpu)     /* descriptor tables, CPU probe, backend chosen */         \
    X(acpi)    /* firmware tables read */                                 \
    X(backend) /* virtualization enabled on the BSP */                    \
    X(devices) /* PCI scan and device mediators */                        \
    X(guest)   /* the guest is prepared (memory map hook, boot sector) */ \
    X(late)    /* self-tests, summaries */                                \
    X(poweroff) /* not at boot: the guest asked for S5; summaries */    \
    X(suspend) /* not at boot: the guest asked for S3, CPUs parked */    \
    X(resume)  /* not at boot: S3 wake, before the guest runs again */

struct init_func {
    const char *stage;
    const char *name;
    int (*fn)(void);
};

#define INIT_FUNC(stage_, prio_, fn_)                                     \
    static const struct init_func init_func_##fn_ __used                  \
        __section(".init_funcs." #stage_ "." #prio_) __aligned(8) = {     \
            .stage = #stage_, .name = #fn_, .fn = fn_ }

/* Runs every function of the stage; a function returning < 0 is fatal
 * (the VMM refuses to start with a named reason). */
void run_init_stage(const char *stage);

#endif
