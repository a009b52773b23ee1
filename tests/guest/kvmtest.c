/* kvmtest: runs a tiny VM through /dev/kvm (issue 20, scenario b) and
 * checks every exit it expects. Built static by the host gcc for the test
 * guest's initramfs (tests/guest/module.mk); /init's `kvm` check runs it.
 *
 * The VM: 64 KiB of memory at guest-physical 0, one vcpu in real mode at
 * 0000:1000 running
 *     mov al, 0x5a ; out 0x10, al            -> KVM_EXIT_IO out port 0x10, 1 byte, 0x5a
 *     mov cx, 100 ; xor ax, ax
 *  1: add ax, cx ; loop 1b                   (ax = 100 + 99 + ... + 1 = 5050)
 *     mov dx, 0x11 ; out dx, ax              -> KVM_EXIT_IO out port 0x11, 2 bytes, 0x13ba
 *     hlt                                    -> KVM_EXIT_HLT
 * Prints one line per exit and `KVMTEST PASS`, or `KVMTEST FAIL <why>`
 * (exit status 1). `kvmtest N` runs the VM N times from the start (the
 * exits printed for the first run, every run checked), for the guest's
 * `kvmsmp` check: L1 with two vcpus, each running KVM guests, and ends
 * with `KVMTEST N runs on CPU c` (the CPU it ended on). `kvmtest N MINE
 * PEER`: after the first run it creates the file MINE and waits (up to
 * 120 s) for PEER to exist before the other N-1 runs, so that two
 * kvmtests started together both have their VM set up and running at
 * the same time (`KVMTEST met its peer after run 1`). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM_SIZE 0x10000
#define CODE_AT  0x1000

static const uint8_t code[] = {
    0xb0, 0x5a,             /* mov al, 0x5a */
    0xe6, 0x10,             /* out 0x10, al */
    0xb9, 0x64, 0x00,       /* mov cx, 100 */
    0x31, 0xc0,             /* xor ax, ax */
    0x01, 0xc8,             /* add ax, cx */
    0xe2, 0xfc,             /* loop (add) */
    0xba, 0x11, 0x00,       /* mov dx, 0x11 */
    0xef,                   /* out dx, ax */
    0xf4,                   /* hlt */
};

static void fail(const char *fmt, ...)
{
    va_list ap;

    printf("KVMTEST FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
    int r = ioctl(fd, req, arg);

    if (r < 0)
        fail("%s: %s", name, strerror(errno));
    return r;
}

struct want_io {
    uint16_t port;
    uint8_t size;
    uint32_t data;
};

static const char *exit_name(uint32_t r)
{
    switch (r) {
    case KVM_EXIT_IO: return "io";
    case KVM_EXIT_HLT: return "hlt";
    case KVM_EXIT_MMIO: return "mmio";
    case KVM_EXIT_SHUTDOWN: return "shutdown";
    case KVM_EXIT_FAIL_ENTRY: return "fail_entry";
    case KVM_EXIT_INTERNAL_ERROR: return "internal_error";
    default: return "other";
    }
}

/* One run of the VM from CODE_AT to its HLT, every exit checked. */
static void run_once(int vcpu, struct kvm_run *run, int verbose)
{
    static const struct want_io want[] = {
        { 0x10, 1, 0x5a },
        { 0x11, 2, 5050 },
    };
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    unsigned int n_io = 0;

    xioctl(vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    xioctl(vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_AT;
    regs.rflags = 0x2;
    xioctl(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");

    for (int i = 0; i < 16; i++) {
        xioctl(vcpu, KVM_RUN, NULL, "KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) {
            uint32_t data = 0;
            const struct want_io *w = &want[n_io];

            memcpy(&data, (uint8_t *)run + run->io.data_offset, run->io.size);
            if (verbose)
                printf("KVMTEST exit io dir=%s port=0x%x size=%u data=0x%x\n",
                       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                       run->io.port, run->io.size, data);
            if (n_io >= sizeof(want) / sizeof(want[0]))
                fail("more I/O exits than expected");
            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != w->port ||
                run->io.size != w->size || run->io.count != 1 || data != w->data)
                fail("I/O exit %u: expected out port 0x%x size %u data 0x%x, "
                     "got port 0x%x size %u data 0x%x", n_io, w->port, w->size,
                     w->data, run->io.port, run->io.size, data);
            n_io++;
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) {
            xioctl(vcpu, KVM_GET_REGS, &regs, "KVM_GET_REGS");
            if (verbose)
                printf("KVMTEST exit hlt rip=0x%llx ax=0x%llx\n",
                       (unsigned long long)regs.rip, (unsigned long long)regs.rax);
            if (n_io != sizeof(want) / sizeof(want[0]))
                fail("HLT after %u of 2 I/O exits", n_io);
            if (regs.rip != CODE_AT + sizeof(code) || (regs.rax & 0xffff) != 5050)
                fail("HLT at rip 0x%llx ax 0x%llx, expected 0x%x and 0x13ba",
                     (unsigned long long)regs.rip, (unsigned long long)regs.rax,
                     (unsigned)(CODE_AT + sizeof(code)));
            return;
        }
        if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
            fail("exit fail_entry reason 0x%llx",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
            fail("exit internal_error suberror %u", run->internal.suberror);
        fail("unexpected exit %u (%s)", run->exit_reason, exit_name(run->exit_reason));
    }
    fail("no HLT after 16 exits");
}

int main(int argc, char **argv)
{
    struct kvm_userspace_memory_region region;
    struct kvm_run *run;
    int kvm, vm, vcpu, api, mmap_size;
    long runs = argc > 1 ? strtol(argv[1], NULL, 0) : 1;
    uint8_t *mem;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (runs < 1)
        fail("usage: kvmtest [RUNS]");
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        fail("open /dev/kvm: %s", strerror(errno));
    api = xioctl(kvm, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");
    if (api != KVM_API_VERSION)
        fail("KVM API version %d, expected %d", api, KVM_API_VERSION);
    vm = xioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");

    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        fail("mmap: %s", strerror(errno));
    memset(mem, 0xf4, MEM_SIZE); /* hlt everywhere else */
    memcpy(mem + CODE_AT, code, sizeof(code));
    memset(&region, 0, sizeof(region));
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = MEM_SIZE;
    region.userspace_addr = (uintptr_t)mem;
    xioctl(vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");

    vcpu = xioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
    mmap_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        fail("mmap vcpu: %s", strerror(errno));

    run_once(vcpu, run, 1);
    if (argc > 3) {
        struct stat st;
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644), waited = 0;

        if (fd < 0)
            fail("create %s: %s", argv[2], strerror(errno));
        close(fd);
        while (stat(argv[3], &st) < 0) {
            if (++waited > 120000)
                fail("no %s after 120 s: the peer never ran its VM", argv[3]);
            usleep(1000);
        }
        printf("KVMTEST met its peer after run 1\n");
    }
    for (long i = 1; i < runs; i++)
        run_once(vcpu, run, 0);
    if (runs > 1)
        printf("KVMTEST %ld runs on CPU %d\n", runs, sched_getcpu());
    printf("KVMTEST PASS\n");
    return 0;
}
