# common/: the vendor-neutral VMM.
vmm-y += common/cpu_probe.c common/selftest.c common/vcpu.c common/exit.c \
	common/smp.c common/apic.c \
	common/io.c common/hypercall.c common/cpuid.c common/cpuid_policy.c \
	common/msr.c common/guest_mem.c common/guest_walk.c common/decode.c \
	common/e820.c common/bios_boot.c common/bios_stub.S common/slat.c \
	common/acpi_vmm.c common/mmio.c common/mmio_decode.c \
	common/io_string.c common/task_switch.c \
	common/cr.c common/cr_policy.c common/ioapic.c \
	common/iommu_vmm.c common/uefi_boot.c common/segment.c common/sleep.c \
	common/sleep_entry.c

unit-tests += decode e820 guest_walk cpuid_policy vcpu_ops mmio_decode task_switch cr_policy slat segment sleep_entry
unit-sleep_entry-srcs := tests/unit/test_sleep_entry.c common/sleep_entry.c
unit-cr_policy-srcs := tests/unit/test_cr_policy.c common/cr_policy.c common/cpuid_policy.c
unit-task_switch-srcs := tests/unit/test_task_switch.c common/task_switch.c
unit-mmio_decode-srcs := tests/unit/test_mmio_decode.c common/mmio_decode.c
unit-decode-srcs := tests/unit/test_decode.c common/decode.c
unit-e820-srcs := tests/unit/test_e820.c common/e820.c
unit-slat-srcs := tests/unit/test_slat.c common/slat.c
unit-guest_walk-srcs := tests/unit/test_guest_walk.c common/guest_walk.c
unit-cpuid_policy-srcs := tests/unit/test_cpuid_policy.c common/cpuid_policy.c
# Reads the ops tables out of the built VMM images (every backend, every
# operation filled, pointing into code).
unit-vcpu_ops-srcs := tests/unit/test_vcpu_ops.c
unit-vcpu_ops-cflags := -DVMM_IMAGES='"$(TOP)/veneer.elf $(TOP)/intel/veneer.elf $(TOP)/amd/veneer.elf"'
unit-segment-srcs := tests/unit/test_segment.c common/segment.c

# libFuzzer target over the decoders of guest instruction bytes and the
# CR write checks (make fuzz runs it for INSN_FUZZ_SECONDS)
INSN_FUZZ_SECONDS ?= 30
$(TOP)/fuzz/insn-fuzz: tests/fuzz/insn_fuzz.c common/mmio_decode.c common/decode.c \
		common/cr_policy.c common/cpuid_policy.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -Iplatform/include -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -DVENEER_HOST_TEST=1 -o $@ $(filter %.c,$^)
.PHONY: insn-fuzz
insn-fuzz: $(TOP)/fuzz/insn-fuzz
	@mkdir -p $(TOP)/fuzz/insn-corpus
	$(TOP)/fuzz/insn-fuzz -max_total_time=$(INSN_FUZZ_SECONDS) -max_len=64 \
		-timeout=10 -print_final_stats=1 $(TOP)/fuzz/insn-corpus
fuzz-targets += insn-fuzz

# libFuzzer target for the task-switch emulation over untrusted GDT, LDT
# and TSS contents (make fuzz runs it for TS_FUZZ_SECONDS)
TS_FUZZ_SECONDS ?= 30
$(TOP)/fuzz/task-switch-fuzz: tests/fuzz/task_switch_fuzz.c common/task_switch.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -Iplatform/include -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -DVENEER_HOST_TEST=1 -o $@ $(filter %.c,$^)
.PHONY: task-switch-fuzz
task-switch-fuzz: $(TOP)/fuzz/task-switch-fuzz
	@mkdir -p $(TOP)/fuzz/task-switch-corpus
	$(TOP)/fuzz/task-switch-fuzz -max_total_time=$(TS_FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(TOP)/fuzz/task-switch-corpus
fuzz-targets += task-switch-fuzz
