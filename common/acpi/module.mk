# common/acpi: ACPI tables and AML namespace (see docs/acpi.md)
acpi-srcs := common/acpi/tables.c common/acpi/aml.c common/acpi/probe.c
vmm-y += $(acpi-srcs)

unit-tests += acpi
unit-acpi-srcs := tests/unit/test_acpi.c tests/unit/test_acpi_aml.c $(acpi-srcs) \
	common/acpi/acpi.h common/acpi/aml.h common/acpi/probe.h tests/unit/test_acpi.h
unit-acpi-cflags := -DACPI_BUILD_DIR='"$(TOP)/acpi"'
unit-acpi-deps = $(acpi-aml-out)

# ASL test cases, compiled with iasl at test time into build/acpi/*.aml
acpi-asl := $(wildcard tests/data/acpi/asl/*.asl)
acpi-aml-out := $(patsubst tests/data/acpi/asl/%.asl,$(TOP)/acpi/%.aml,$(acpi-asl)) \
	$(TOP)/acpi/large.aml

$(TOP)/acpi/%.aml: tests/data/acpi/asl/%.asl
	@mkdir -p $(dir $@)
	iasl -f -vi -ln -p $(basename $@) $< >$(basename $@).iasl.log 2>&1 || \
		{ cat $(basename $@).iasl.log; exit 1; }

$(TOP)/acpi/large.asl: tests/data/acpi/gen-large-asl.py
	@mkdir -p $(dir $@)
	python3 $< >$@

# ACPICA's view of each dumped DSDT, to compare namespaces with: iasl -d
# disassembles, iasl -ln recompiles and lists the namespace (.nsp).
acpi-plats := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard tests/data/acpi/*/DSDT@*.dat)))))
define acpi_nsp_rule
$(TOP)/acpi/nsp/$(1).nsp: $(wildcard tests/data/acpi/$(1)/DSDT@*.dat)
	@mkdir -p $(TOP)/acpi/nsp
	cd $(TOP)/acpi/nsp && iasl -d -p $(1) $(abspath $$<) >$(1).dis.log 2>&1 && \
		iasl -f -ln -p $(1) $(1).dsl >$(1).nsp.log 2>&1
endef
$(foreach p,$(acpi-plats),$(eval $(call acpi_nsp_rule,$(p))))
acpi-aml-out += $(patsubst %,$(TOP)/acpi/nsp/%.nsp,$(acpi-plats))

# ACPICA's own example of each static table (iasl -T), every sub-table
# type it knows; zero base addresses replaced by plausible ones.
acpi-tmpl := dmar ivrs apic facp mcfg hpet
$(TOP)/acpi/tmpl/stamp: common/acpi/module.mk
	@rm -rf $(TOP)/acpi/tmpl && mkdir -p $(TOP)/acpi/tmpl
	cd $(TOP)/acpi/tmpl && iasl -T DMAR IVRS APIC FACP MCFG HPET >tmpl.log 2>&1 && \
	sed -i 's/\(Register Base Address : \)0000000000000000/\100000000FED90000/' dmar.asl && \
	sed -i 's/\(Base Address : \)0000000000000000/\100000000FED80000/' ivrs.asl && \
	sed -i 's/\(Base Address : \)0000000000000000/\100000000E0000000/' mcfg.asl && \
	sed -i 's/\(Address : \)0000000000000000/\100000000FED00000/' hpet.asl && \
	for t in $(acpi-tmpl); do iasl $$t.asl >>tmpl.log 2>&1 || exit 1; done
	@touch $@
acpi-aml-out += $(TOP)/acpi/tmpl/stamp

$(TOP)/acpi/large.aml: $(TOP)/acpi/large.asl
	iasl -f -vi -ln -p $(basename $@) $< >$(basename $@).iasl.log 2>&1 || \
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
