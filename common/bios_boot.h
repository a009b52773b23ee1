/* The BIOS boot flow: the BSP guest starts in real mode in a stub that
 * reads the boot drive's first sector through INT 13h and jumps to it;
 * the stub also answers INT 15h memory-size calls so the VMM's region is
 * absent from what the OS learns about memory. */
#ifndef VENEER_COMMON_BIOS_BOOT_H
#define VENEER_COMMON_BIOS_BOOT_H

#include <common/vcpu.h>

/* Installs the stub and the INT 15h hook and sets v's state to start it. */
int bios_boot_prepare(struct vcpu *v);

/* Handles a hypercall from one of the stub's sites; returns false if the
 * exit did not come from the stub (then it is an ordinary hypercall). */
bool bios_boot_hypercall(struct vcpu *v, const struct vcpu_exit *e);

#endif
