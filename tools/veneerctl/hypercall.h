/* Veneer hypercall ABI v2, guest side: issuing a hypercall. */
#ifndef VENEERCTL_HYPERCALL_H
#define VENEERCTL_HYPERCALL_H

#include "abi.h"

#define VC_VMMCALL 1
#define VC_VMCALL  2

/* Issues one hypercall with the frame R (in and out). The first call
 * probes VMMCALL then VMCALL; later calls reuse what worked. Returns 0,
 * or -1 when no hypervisor answered either instruction (#UD/SIGILL). */
int vc_hypercall(struct vc_regs *r);

/* VC_VMMCALL, VC_VMCALL, 0 (not probed yet) or -1 (none answered). */
int vc_hypercall_method(void);

#endif
