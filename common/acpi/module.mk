# common/acpi: ACPI tables and AML namespace (see docs/acpi.md)
acpi-srcs := common/acpi/tables.c common/acpi/aml.c common/acpi/probe.c
vmm-y += $(acpi-srcs)

unit-tests += acpi
unit-acpi-srcs := tests/unit/test_acpi.c tests/unit/test_acpi_aml.c $(acpi-srcs) \
	common/acpi/acpi.h common/acpi/aml.h common/acpi/probe.h tests/unit/test_acpi.h
unit-acpi-cflags := -DACPI_BUILD_DIR='"$(TOP)/acpi"'
unit-acpi-deps := acpi-aml

# ASL test cases, compiled with iasl at test time into build/acpi/*.aml
acpi-asl := $(wildcard tests/data/acpi/asl/*.asl)
acpi-aml-out := $(patsubst tests/data/acpi/asl/%.asl,$(TOP)/acpi/%.aml,$(acpi-asl)) \
	$(TOP)/acpi/large.aml

$(TOP)/acpi/%.aml: tests/data/acpi/asl/%.asl
	@mkdir -p $(dir $@)
	iasl -f -vi -p $(basename $@) $< >$(basename $@).iasl.log 2>&1 || \
		{ cat $(basename $@).iasl.log; exit 1; }

$(TOP)/acpi/large.asl: tests/data/acpi/gen-large-asl.py
	@mkdir -p $(dir $@)
	python3 $< >$@

$(TOP)/acpi/large.aml: $(TOP)/acpi/large.asl
	iasl -f -vi -p $(basename $@) $< >$(basename $@).iasl.log 2>&1 || \
		{ tail -20 $(basename $@).iasl.log; exit 1; }

.PHONY: acpi-aml
acpi-aml: $(acpi-aml-out)
check-deps += acpi-aml

# libFuzzer target: make fuzz runs it for ACPI_FUZZ_SECONDS
ACPI_FUZZ_SECONDS ?= 60
$(TOP)/fuzz/acpi-fuzz: tests/fuzz/acpi_fuzz.c $(acpi-srcs) common/acpi/acpi.h common/acpi/aml.h
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -DVENEER_HOST_TEST=1 -o $@ \
		tests/fuzz/acpi_fuzz.c $(acpi-srcs)

.PHONY: acpi-fuzz
acpi-fuzz: $(TOP)/fuzz/acpi-fuzz
	@rm -rf $(TOP)/fuzz/acpi-corpus && mkdir -p $(TOP)/fuzz/acpi-corpus
	cp tests/fuzz/acpi-corpus/* $(TOP)/fuzz/acpi-corpus/
	$(TOP)/fuzz/acpi-fuzz -max_total_time=$(ACPI_FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		$(TOP)/fuzz/acpi-corpus
fuzz-targets += acpi-fuzz
