# common/: the vendor-neutral VMM.
vmm-y += common/cpu_probe.c common/selftest.c common/vcpu.c common/exit.c \
	common/smp.c common/apic.c \
	common/io.c common/hypercall.c common/cpuid.c common/cpuid_policy.c \
	common/msr.c common/guest_mem.c common/guest_walk.c common/decode.c \
	common/e820.c common/bios_boot.c common/bios_stub.S common/slat.c \
	common/acpi_vmm.c common/mmio.c common/mmio_decode.c \
	common/io_string.c common/task_switch.c common/uefi_boot.c common/segment.c

unit-tests += decode e820 guest_walk cpuid_policy vcpu_ops mmio_decode task_switch segment
unit-task_switch-srcs := tests/unit/test_task_switch.c common/task_switch.c
unit-mmio_decode-srcs := tests/unit/test_mmio_decode.c common/mmio_decode.c
unit-decode-srcs := tests/unit/test_decode.c common/decode.c
unit-e820-srcs := tests/unit/test_e820.c common/e820.c
unit-guest_walk-srcs := tests/unit/test_guest_walk.c common/guest_walk.c
unit-cpuid_policy-srcs := tests/unit/test_cpuid_policy.c common/cpuid_policy.c
# Reads the ops tables out of the built VMM images (every backend, every
# operation filled, pointing into code).
unit-vcpu_ops-srcs := tests/unit/test_vcpu_ops.c
unit-vcpu_ops-cflags := -DVMM_IMAGES='"$(TOP)/veneer.elf $(TOP)/intel/veneer.elf $(TOP)/amd/veneer.elf"'
unit-segment-srcs := tests/unit/test_segment.c common/segment.c
