/* I/O ports: pass-through except the ranges a subsystem owns (IO_OWNER). */
#include <common/exit.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/spinlock.h>

extern struct io_owner *const __io_owners_start[], *const __io_owners_end[];

#define IO_RUNTIME_OWNERS 16
static struct io_owner *runtime_owners[IO_RUNTIME_OWNERS];
static unsigned nruntime;
static spinlock_t runtime_lock = SPINLOCK_INIT;

void io_policy_init(struct vcpu *v)
{
    for (struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        vcpu_ops->io_intercept(v, (*o)->port, (*o)->count, true);
    for (unsigned i = 0; i < __atomic_load_n(&nruntime, __ATOMIC_ACQUIRE); i++)
        vcpu_ops->io_intercept(v, runtime_owners[i]->port, runtime_owners[i]->count, true);
}

static bool owns(const struct io_owner *o, u16 port)
{
    return port >= o->port && port < o->port + o->count;
}

static struct io_owner *owner_of(u16 port)
{
    for (struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        if (owns(*o, port))
            return *o;
    for (unsigned i = 0; i < __atomic_load_n(&nruntime, __ATOMIC_ACQUIRE); i++)
        if (owns(runtime_owners[i], port))
            return runtime_owners[i];
    return NULL;
}

/* An access whose bytes do not all belong to one owner (a dword at 0xcf7
 * covers 0xcf8-0xcfa; a word at 0x1ef reaches an IDE data port). The
 * I/O bitmap makes it exit, since one of its bytes is owned; done as it
 * came, it would reach the owned port's hardware unmediated. Nothing
 * answers: reads give all ones, writes are dropped; string I/O is #UD,
 * as for a port with no owner. No OS does this. */
static void io_straddle(struct vcpu *v, const struct vcpu_exit *e, struct io_owner *o)
{
    log_warn_ratelimited("io", "the guest's %u-byte %s at port 0x%x reaches %s's ports "
                         "(0x%x-0x%x) only in part: refused (%s)", e->io.size,
                         e->io.in ? "read" : "write", e->io.port, o->name, o->port,
                         o->port + o->count - 1,
                         e->io.string ? "#UD" : e->io.in ? "all ones" : "dropped");
    if (e->io.string) {
        vcpu_ops->inject_exception(v, 6, 0);
        return;
    }
    if (e->io.in)
        io_in_result(&v->regs.gpr[GPR_RAX], e->io.size, 0xffffffffu);
    vcpu_ops->skip_instruction(v, e);
}

bool io_dispatch(struct vcpu *v, const struct vcpu_exit *e)
{
    u32 last = (u32)e->io.port + (e->io.size ? e->io.size : 1) - 1;
    struct io_owner *o = owner_of(e->io.port);

    if (o && last < (u32)o->port + o->count) { /* all of it one owner's */
        __atomic_fetch_add(&o->exits, 1, __ATOMIC_RELAXED);
        return o->handle(v, e);
    }
    for (u32 p = e->io.port; p <= last; p++) {
        struct io_owner *b = owner_of((u16)p);
        if (b && b != o) {
            io_straddle(v, e, b);
            return true;
        }
    }
    if (o) { /* its bytes past the owner's range are no one's */
        io_straddle(v, e, o);
        return true;
    }
    return false;
}

/* At the guest's power-off: which owned ports the exits went to (what a
 * slow boot under Veneer spends its I/O exits on). */
static int io_summary(void)
{
    for (struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        if ((*o)->exits)
            log_info("io", "%s (0x%x-0x%x): %llu exits", (*o)->name, (*o)->port,
                     (*o)->port + (*o)->count - 1, (unsigned long long)(*o)->exits);
    for (unsigned i = 0; i < __atomic_load_n(&nruntime, __ATOMIC_ACQUIRE); i++)
        if (runtime_owners[i]->exits)
            log_info("io", "%s (0x%x-0x%x): %llu exits", runtime_owners[i]->name,
                     runtime_owners[i]->port,
                     runtime_owners[i]->port + runtime_owners[i]->count - 1,
                     (unsigned long long)runtime_owners[i]->exits);
    return 0;
}
INIT_FUNC(poweroff, 46, io_summary);

/* Every vcpu's bitmap (the bitmaps are memory the CPUs read at each
 * I/O instruction: another vcpu's can be changed from here). */
static void intercept_all(u16 port, u16 count, bool on)
{
    u32 n = __atomic_load_n(&vcpu_count, __ATOMIC_ACQUIRE);

    for (u32 i = 0; i < n; i++)
        if (vcpus[i])
            vcpu_ops->io_intercept(vcpus[i], port, count, on);
}

int io_owner_register(struct io_owner *o)
{
    spin_lock(&runtime_lock);
    if (nruntime == IO_RUNTIME_OWNERS) {
        spin_unlock(&runtime_lock);
        log_warn("io", "no room to own ports 0x%x-0x%x (%s): not intercepted",
                 o->port, o->port + o->count - 1, o->name);
        return -E_NOMEM;
    }
    runtime_owners[nruntime] = o;
    __atomic_store_n(&nruntime, nruntime + 1, __ATOMIC_RELEASE);
    spin_unlock(&runtime_lock);
    intercept_all(o->port, o->count, true);
    log_info("io", "ports 0x%x-0x%x owned by %s", o->port,
             o->port + o->count - 1, o->name);
    return 0;
}

/* The owner of any port of [port, port+count) other than `self`. */
static const struct io_owner *other_port_owner(const struct io_owner *self,
                                               u32 port, u32 count)
{
    for (struct io_owner *const *o = __io_owners_start; o < __io_owners_end; o++)
        if (*o != self && port < (u32)(*o)->port + (*o)->count && (*o)->port < port + count)
            return *o;
    for (unsigned i = 0; i < __atomic_load_n(&nruntime, __ATOMIC_ACQUIRE); i++) {
        const struct io_owner *o = runtime_owners[i];
        if (o != self && port < (u32)o->port + o->count && o->port < port + count)
            return o;
    }
    return NULL;
}

int io_owner_move(struct io_owner *o, u16 port)
{
    spin_lock(&runtime_lock);
    const struct io_owner *other = other_port_owner(o, port, o->count);

    if (other || (u32)port + o->count > 0x10000) {
        spin_unlock(&runtime_lock);
        log_warn("io", "%s: move to ports 0x%x-0x%x refused (%s)", o->name, port,
                 port + o->count - 1, other ? other->name : "beyond 0xffff");
        return -E_BUSY;
    }
    u16 old = o->port;
    intercept_all(port, o->count, true);
    o->port = port;
    /* only the old ports no other owner holds stop being intercepted */
    for (u32 p = old; p < (u32)old + o->count; p++)
        if (!other_port_owner(o, p, 1))
            intercept_all((u16)p, 1, false);
    spin_unlock(&runtime_lock);
    log_info("io", "%s moved to ports 0x%x-0x%x", o->name, o->port,
             o->port + o->count - 1);
    return 0;
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

void io_in_result(u64 *rax, u8 size, u32 value)
{
    /* a 32-bit IN zeroes RAX's upper half, narrower ones merge */
    u64 mask = size == 4 ? ~0ULL : (1ULL << (size * 8)) - 1;
    *rax = (*rax & ~mask) | value;
}

void io_passthrough(struct vcpu *v, const struct vcpu_exit *e)
{
    u64 *g = v->regs.gpr;

    if (e->io.in) {
        io_in_result(&g[GPR_RAX], e->io.size, io_port_read(e->io.port, e->io.size));
    } else {
        io_port_write(e->io.port, e->io.size, (u32)g[GPR_RAX]);
    }
    vcpu_ops->skip_instruction(v, e);
}
