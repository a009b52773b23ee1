/* Common exit handling (common/exit.c) and I/O port ownership. */
#ifndef VENEER_COMMON_EXIT_H
#define VENEER_COMMON_EXIT_H

#include <common/vcpu.h>

void exit_dispatch(struct vcpu *v, const struct vcpu_exit *e);

/* A port range the VMM owns: its handler completes the access (and skips
 * the instruction) and returns true, or returns false to pass it on. */
struct io_owner {
    u16 port, count;
    const char *name;
    bool (*handle)(struct vcpu *v, const struct vcpu_exit *e);
};
#define IO_OWNER(var)                                                     \
    static const struct io_owner *const io_owner_ref_##var __used         \
        __section(".io_owners") = &(var)

bool io_dispatch(struct vcpu *v, const struct vcpu_exit *e);

/* The real port access of `size` bytes (1, 2 or 4). */
u32 io_port_read(u16 port, u8 size);
void io_port_write(u16 port, u8 size, u32 value);
/* Does a non-string IN/OUT for the guest as it asked (an IN merges into
 * RAX as the CPU would) and skips the instruction. */
void io_passthrough(struct vcpu *v, const struct vcpu_exit *e);
/* Asks the backend to intercept every owned port for vcpu v. */
void io_policy_init(struct vcpu *v);

#endif
