# common/: the vendor-neutral VMM.
vmm-y += common/cpu_probe.c common/selftest.c common/guest_launch.c
