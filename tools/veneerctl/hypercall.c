/* Veneer hypercall ABI v2, guest side: issuing a hypercall.
 *
 * Which instruction the hypervisor answers is probed at run time: VMMCALL
 * first, then VMCALL. Without a hypervisor (or with one that does not
 * intercept them) both raise #UD, which Linux delivers as SIGILL; a
 * handler jumps back out with siglongjmp. Some hypervisors that do not
 * serve user-mode hypercalls inject #GP instead (SIGSEGV): caught too,
 * but only around the instruction itself. */
#include "hypercall.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>

static sigjmp_buf vc_jmp;
static int vc_method;           /* 0 unknown, VC_VMMCALL, VC_VMCALL, -1 none */

static void vc_on_sigill(int sig)
{
    (void)sig;
    siglongjmp(vc_jmp, 1);
}

static void vc_vmmcall(struct vc_regs *r)
{
    r->rax |= VC_MAGIC;
    __asm__ volatile("vmmcall"
                     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
                       "+d"(r->rdx), "+S"(r->rsi), "+D"(r->rdi)
                     :
                     : "memory", "cc");
}

static void vc_vmcall(struct vc_regs *r)
{
    r->rax |= VC_MAGIC;
    __asm__ volatile("vmcall"
                     : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
                       "+d"(r->rdx), "+S"(r->rsi), "+D"(r->rdi)
                     :
                     : "memory", "cc");
}

/* Runs one instruction with SIGILL caught; 0 if it completed. */
static int vc_try(int method, struct vc_regs *r)
{
    struct sigaction sa, old_ill, old_segv;
    volatile int ok = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vc_on_sigill;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGILL, &sa, &old_ill);
    sigaction(SIGSEGV, &sa, &old_segv);
    if (sigsetjmp(vc_jmp, 1) == 0) {
        if (method == VC_VMMCALL)
            vc_vmmcall(r);
        else
            vc_vmcall(r);
        ok = 1;
    }
    sigaction(SIGILL, &old_ill, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    return ok ? 0 : -1;
}

int vc_hypercall(struct vc_regs *r)
{
    struct vc_regs in = *r;

    if (vc_method == -1)
        return -1;
    if (vc_method != 0)
        return vc_try(vc_method, r);
    if (vc_try(VC_VMMCALL, r) == 0) {
        vc_method = VC_VMMCALL;
        return 0;
    }
    *r = in;
    if (vc_try(VC_VMCALL, r) == 0) {
        vc_method = VC_VMCALL;
        return 0;
    }
    *r = in;
    vc_method = -1;
    return -1;
}

int vc_hypercall_method(void)
{
    return vc_method;
}
