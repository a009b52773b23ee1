/* Common exit handling (common/exit.c) and I/O port ownership. */
#ifndef VENEER_COMMON_EXIT_H
#define VENEER_COMMON_EXIT_H

#include <common/vcpu.h>

/* A function every exit calls before its handler, on whichever CPU it
 * happens (devices/net polls its NIC there). It must be cheap when it has
 * nothing to do and must never wait for a lock. One only; NULL removes. */
void exit_set_poller(void (*fn)(void));
/* Another such function, for a device mediator (the NVMe mediator
 * completes its commands there): up to 3, never removed. Returns 0 or
 * -E_BUSY (all taken, logged). */
int exit_add_poller(void (*fn)(void));

/* Idle exits: while a mediator has work at a device that only its poll
 * completes (NVMe commands in flight), the HLT of the CPU that submitted it
 * exits (the backends intercept HLT and MWAIT while exit_idle_wanted() on
 * that CPU), so a CPU that waits for that work polls instead of sleeping
 * out of the VMM's sight. The HLT ends, as on hardware, once an interrupt
 * waits in the local APIC (the mediator sends the guest's after posting);
 * until then (a bounded wait in the VMM each time) it runs again.
 * exit_idle_want(cpu, true/false) counts up/down for CPU `cpu` (the pcpu
 * index of the CPU that submitted); other CPUs sleep as the guest asks. */
void exit_idle_want(u32 cpu, bool on);
bool exit_idle_wanted_here(void);
extern u32 exit_idle_total;
/* Whether this CPU's HLT and MWAIT should exit (every entry asks: a load
 * and a compare while no CPU wants it). */
static inline bool exit_idle_wanted(void)
{
    return __atomic_load_n(&exit_idle_total, __ATOMIC_RELAXED) && exit_idle_wanted_here();
}
/* The pollers (every exit runs them first). */
void exit_idle_poll(void);
/* An idle exit's wait (HLT; MWAIT, which the backends intercept while
 * exit_idle_wanted() and end after this wait: a wake MWAIT may have on
 * hardware): polls until an interrupt waits in this CPU's local APIC
 * (true), nothing is wanted any more or 500 us passed (false). */
bool exit_idle_wait(void);

/* A port range the VMM owns: its handler completes the access (and skips
 * the instruction) and returns true, or returns false to pass it on. */
struct io_owner {
    u16 port, count;
    const char *name;
    bool (*handle)(struct vcpu *v, const struct vcpu_exit *e);
    u64 exits;     /* I/O exits it took (the poweroff summary) */
};
#define IO_OWNER(var)                                                     \
    static struct io_owner *const io_owner_ref_##var __used               \
        __section(".io_owners") = &(var)

bool io_dispatch(struct vcpu *v, const struct vcpu_exit *e);

/* The real port access of `size` bytes (1, 2 or 4). */
u32 io_port_read(u16 port, u8 size);
void io_port_write(u16 port, u8 size, u32 value);
/* Does a non-string IN/OUT for the guest as it asked (an IN merges into
 * RAX as the CPU would) and skips the instruction. */
void io_passthrough(struct vcpu *v, const struct vcpu_exit *e);
/* The value of an IN of `size` bytes into the guest's RAX, as the CPU
 * writes it. */
void io_in_result(u64 *rax, u8 size, u32 value);
/* Asks the backend to intercept every owned port for vcpu v. */
void io_policy_init(struct vcpu *v);

/* A range owned from boot on, found at run time (a PCI BAR): at the
 * devices stage, before the vcpus exist (io_policy_init intercepts it
 * then), or later (intercepted on the calling CPU's vcpu). Returns 0 or
 * -E_NOMEM (table full, logged). */
int io_owner_register(struct io_owner *o);
/* Moves a registered range to `port` (the guest moved its BAR): the new
 * ports are intercepted first, then the old ones no other owner holds are
 * given back. Refused (-E_BUSY, one log line) if any new port is another
 * owner's (0xcf8, another channel, ...). */
int io_owner_move(struct io_owner *o, u16 port);

/* String I/O (INS/OUTS, with or without REP) done by the VMM for the
 * guest: common/io_string.c walks the guest's buffer at ES:rDI (INS) or
 * seg:rSI (OUTS) through its segments and page tables, in the direction
 * RFLAGS.DF says, and updates rDI/rSI and rCX as the CPU would. The
 * owner's `xfer` moves the data: for an IN it fills `buf` with `len` bytes
 * from the port, for an OUT it takes them (len is a multiple of the
 * element size; at most IO_STRING_CHUNK). One exit moves up to
 * IO_STRING_BUDGET bytes; a longer REP is resumed by the instruction
 * itself (RIP is not advanced until rCX reaches 0). Returns 0, or -E_FAULT
 * when the guest's buffer is not mapped (#GP injected, logged). */
#define IO_STRING_CHUNK 512u
#define IO_STRING_BUDGET 65536u
typedef void (*io_string_fn)(void *ctx, void *buf, size_t len, bool in);
int io_string(struct vcpu *v, const struct vcpu_exit *e, io_string_fn xfer,
              void *ctx);
/* io_string with the real port as the data's source or sink. */
int io_string_passthrough(struct vcpu *v, const struct vcpu_exit *e);

#endif
