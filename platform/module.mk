# platform/: the machine beneath the VMM.
vmm-y += platform/entry.S platform/isr.S platform/main.c platform/console.c \
	platform/cpu_tables.c platform/trap.c platform/paging.c platform/mem.c \
	platform/frame_pool.c platform/heap.c platform/multiboot2.c \
	platform/options.c platform/init.c platform/lib/string.c \
	platform/lib/format.c platform/lib/json.c platform/lib/b64url.c platform/simd.c \
	platform/smp.c platform/ap_tramp.S platform/prompt.c \
	platform/time.c platform/logring.c platform/lib/logring.c \
	platform/iommu/iommu.c platform/iommu/iopt.c platform/iommu/vtd.c platform/iommu/amdvi.c \
	platform/uefi.c

unit-tests += format options memory multiboot2 uefi logring json
unit-json-srcs := tests/unit/test_json.c platform/lib/json.c platform/lib/b64url.c \
	platform/lib/format.c
unit-logring-srcs := tests/unit/test_logring.c platform/lib/logring.c
unit-format-srcs := tests/unit/test_format.c platform/lib/format.c
unit-options-srcs := tests/unit/test_options.c platform/options.c platform/lib/format.c
unit-memory-srcs := tests/unit/test_memory.c platform/frame_pool.c platform/heap.c
unit-multiboot2-srcs := tests/unit/test_multiboot2.c platform/multiboot2.c
unit-uefi-srcs := tests/unit/test_uefi.c platform/uefi.c
unit-tests += iopt
unit-iopt-srcs := tests/unit/test_iopt.c platform/iommu/iopt.c
unit-iopt-cflags := -Iplatform/iommu

# libFuzzer targets: make fuzz runs each for BOOT_FUZZ_SECONDS
BOOT_FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -Iplatform/include -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DVENEER_HOST_TEST=1
$(TOP)/fuzz/options-fuzz: tests/fuzz/options_fuzz.c platform/options.c platform/lib/format.c platform/include/platform/options.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/options_fuzz.c platform/options.c platform/lib/format.c
$(TOP)/fuzz/multiboot2-fuzz: tests/fuzz/multiboot2_fuzz.c platform/multiboot2.c platform/include/platform/bootinfo.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/multiboot2_fuzz.c platform/multiboot2.c

.PHONY: options-fuzz multiboot2-fuzz
options-fuzz: $(TOP)/fuzz/options-fuzz
	@mkdir -p $(TOP)/fuzz/options-corpus
	printf 'vmm.mem=64M vmm.count=3 vmm.flag vmm.loglevel=debug vmm.name=x' >$(TOP)/fuzz/options-corpus/seed
	$(TOP)/fuzz/options-fuzz -max_total_time=$(BOOT_FUZZ_SECONDS) -max_len=4096 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(TOP)/fuzz/options-corpus
multiboot2-fuzz: $(TOP)/fuzz/multiboot2-fuzz
	@mkdir -p $(TOP)/fuzz/multiboot2-corpus
	tests/fuzz/mk-multiboot2-seed.py $(TOP)/fuzz/multiboot2-corpus/seed
	$(TOP)/fuzz/multiboot2-fuzz -max_total_time=$(BOOT_FUZZ_SECONDS) -max_len=8192 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(TOP)/fuzz/multiboot2-corpus
fuzz-targets += options-fuzz multiboot2-fuzz
