/* I/O ports: pass-through except the ranges a subsystem owns (IO_OWNER). */
#include <common/exit.h>
#include <platform/cpu.h>

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

u32 io_port_read(u16 port, u8 size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void io_port_write(u16 port, u8 size, u32 value)
{
    if (size == 1)
        outb(port, (u8)value);
    else if (size == 2)
        outw(port, (u16)value);
    else
        outl(port, value);
}

void io_passthrough(struct vcpu *v, const struct vcpu_exit *e)
{
    u64 *g = v->regs.gpr;

    if (e->io.in) {
        u64 val = io_port_read(e->io.port, e->io.size);
        /* a 32-bit IN zeroes RAX's upper half, narrower ones merge */
        u64 mask = e->io.size == 4 ? ~0ULL : (1ULL << (e->io.size * 8)) - 1;
        g[GPR_RAX] = (g[GPR_RAX] & ~mask) | val;
    } else {
        io_port_write(e->io.port, e->io.size, (u32)g[GPR_RAX]);
    }
    vcpu_ops->skip_instruction(v, e);
}
