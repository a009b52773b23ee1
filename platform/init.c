/* Runs the registered init functions of a stage (see init.h). */
#include <platform/init.h>
#include <platform/log.h>
#include <platform/trap.h>
#include <string.h>

extern const struct init_func __init_funcs_start[], __init_funcs_end[];

void run_init_stage(const char *stage)
{
    for (const struct init_func *f = __init_funcs_start; f < __init_funcs_end; f++) {
        if (strcmp(f->stage, stage) != 0)
            continue;
        log_debug("init", "stage %s: %s", stage, f->name);
        int r = f->fn();
        if (r < 0) {
            log_err("init", "stage %s: %s failed (error %d)", stage, f->name, r);
            panic("init: Veneer cannot start: %s failed in stage %s", f->name,
                  stage);
        }
    }
}
