# common/: the vendor-neutral VMM.
vmm-y += common/cpu_probe.c common/selftest.c common/vcpu.c common/exit.c \
	common/io.c common/hypercall.c common/cpuid.c common/cpuid_policy.c \
	common/msr.c common/guest_mem.c common/guest_walk.c common/decode.c \
	common/e820.c common/bios_boot.c common/bios_stub.S
