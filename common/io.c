/* I/O ports: pass-through except the ranges a subsystem owns (IO_OWNER). */
#include <common/exit.h>

extern const struct io_owner *const __io_owners_start[], *const __io_owners_end[];

void io_policy_init(struct vcpu *v)
{
    for (const struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        vcpu_ops->io_intercept(v, (*o)->port, (*o)->count, true);
}

bool io_dispatch(struct vcpu *v, const struct vcpu_exit *e)
{
    for (const struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        if (e->io.port >= (*o)->port && e->io.port < (*o)->port + (*o)->count)
            return (*o)->handle(v, e);
    return false;
}
