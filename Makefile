# Veneer — top-level build.
#
#   make                 build/veneer.elf and build/veneer.iso (both backends)
#   make VENDOR=intel    build/intel/veneer.{elf,iso}: VMX backend only
#   make VENDOR=amd      build/amd/veneer.{elf,iso}: SVM backend only
#   make check           unit tests + system scenarios; ends "N passed, N failed"
#   make run             boot the demo in QEMU, console on this terminal
#   make bench           benchmarks (never part of check)
#
# Every directory contributes through its module.mk:
#   vmm-y        += dir/file.c|.S      VMM objects (general-regs-only flags)
#   vmm-simd-y   += dir/file.c         VMM objects that may use vector registers
#   unit-tests   += name               host unit test program build/unit/name
#   unit-name-srcs := ...              its sources (host, ASan+UBSan)
#   unit-name-cflags / unit-name-ldlibs / unit-name-deps
#   vmm-libs     += path/to/lib.a      extra archives linked into the VMM
#   check-deps   += target             built before the tests run
#   bench-targets += target            phony targets that make bench runs
#   fuzz-targets  += target            phony targets that make fuzz runs

VENDOR ?= both
.DEFAULT_GOAL := all
ifeq ($(filter $(VENDOR),both intel amd),)
$(error VENDOR must be one of both, intel, amd (got '$(VENDOR)'))
endif

ifeq ($(VENDOR),both)
BUILD := build
else
BUILD := build/$(VENDOR)
endif
TOP := build

CONFIG_VMX := $(if $(filter $(VENDOR),both intel),1,0)
CONFIG_SVM := $(if $(filter $(VENDOR),both amd),1,0)

# V=1 shows whole command lines.
Q := $(if $(V),,@)
CC      := gcc
HOSTCC  := gcc
LD      := ld
GCCINC  := $(shell $(CC) -print-file-name=include)

VERSION := $(shell cat VERSION)
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

VMM_BASE_CFLAGS := -std=gnu11 -ffreestanding -nostdinc -isystem $(GCCINC) \
	-Iplatform/include/libc -I. -Iplatform/include \
	-mno-red-zone -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -fno-omit-frame-pointer -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
	-O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-DCONFIG_VMX=$(CONFIG_VMX) -DCONFIG_SVM=$(CONFIG_SVM) \
	-DVENEER_VERSION='"$(VERSION)"' -DVENEER_GITREV='"$(GITREV)"' \
	-DVENEER_VENDOR='"$(VENDOR)"' -MMD -MP
VMM_CFLAGS      := $(VMM_BASE_CFLAGS) -mgeneral-regs-only
VMM_SIMD_CFLAGS := $(VMM_BASE_CFLAGS)
VMM_ASFLAGS     := $(VMM_BASE_CFLAGS) -D__ASSEMBLY__
VMM_LDFLAGS     := -nostdlib -static -z max-page-size=0x1000 --gc-sections \
	-z noexecstack --no-warn-rwx-segments

HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I. -Iplatform/include -Itests/unit -DVENEER_HOST_TEST=1 \
	-DCONFIG_VMX=1 -DCONFIG_SVM=1 -DVENEER_VERSION='"$(VERSION)"' -MMD -MP

vmm-y :=
vmm-simd-y :=
vmm-libs :=
unit-tests :=
check-deps :=
bench-targets :=
fuzz-targets :=

include platform/module.mk
include common/module.mk
ifeq ($(CONFIG_VMX),1)
include intel-vmx/module.mk
endif
ifeq ($(CONFIG_SVM),1)
include amd-svm/module.mk
endif
-include crypto/module.mk
-include devices/module.mk
include boot/module.mk
# Sub-components register themselves: common/acpi, tools/<tool>, tests/guest, ...
-include $(sort $(wildcard common/*/module.mk crypto/*/module.mk \
	devices/*/module.mk devices/*/*/module.mk tools/*/module.mk tests/*/module.mk))

.PHONY: all deps check run run-uefi bench fuzz soak clean vendors unit

all: $(BUILD)/veneer.elf $(BUILD)/veneer.iso $(TOP)/veneer.efi

deps:
	@tools/install-deps.sh --src

# ---- the VMM image -------------------------------------------------------
vmm-objs := $(patsubst %,$(BUILD)/obj/%.o,$(vmm-y))
vmm-simd-objs := $(patsubst %,$(BUILD)/obj/%.o,$(vmm-simd-y))

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VMM_CFLAGS) -c $< -o $@
	@$(if $(Q),echo "  CC      $@")

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VMM_ASFLAGS) -c $< -o $@
	@$(if $(Q),echo "  AS      $@")

$(BUILD)/simd/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VMM_SIMD_CFLAGS) -c $< -o $@
	@$(if $(Q),echo "  CC-SIMD $@")

vmm-simd-objs := $(patsubst %,$(BUILD)/simd/%.o,$(vmm-simd-y))

$(BUILD)/veneer.elf: $(vmm-objs) $(vmm-simd-objs) $(vmm-libs) platform/veneer.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(VMM_LDFLAGS) -T platform/veneer.ld -Map=$(BUILD)/veneer.map \
		-o $@ $(vmm-objs) $(vmm-simd-objs) $(vmm-libs)
	@tools/check-elf.sh $@ $(VENDOR)

-include $(vmm-objs:.o=.d) $(vmm-simd-objs:.o=.d)

# ---- host unit tests -------------------------------------------------------
define unit_rule
$(TOP)/unit/$(1): $$(unit-$(1)-srcs) $$(unit-$(1)-deps)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $$(unit-$(1)-cflags) -o $$@ $$(filter %.c,$$(unit-$(1)-srcs)) $$(unit-$(1)-ldlibs)
-include $(TOP)/unit/$(1).d
endef
$(foreach t,$(unit-tests),$(eval $(call unit_rule,$(t))))

unit: $(addprefix $(TOP)/unit/,$(unit-tests))

vendors:
	$(MAKE) VENDOR=intel all
	$(MAKE) VENDOR=amd all

check: deps
	$(MAKE) all vendors unit $(check-deps)
	@UNIT_TESTS="$(unit-tests)" tests/run.sh

run: deps
	$(MAKE) all $(TOP)/guest/disk.img $(TOP)/tools/vdisk
	@tools/run-demo.sh

# the same demo on UEFI (OVMF, GRUB EFI, veneer.efi; docs/uefi.md)
run-uefi: deps
	$(MAKE) all $(TOP)/guest/disk.img $(TOP)/tools/vdisk
	@tools/run-uefi-demo.sh

bench: deps
	$(MAKE) $(bench-targets)

fuzz: deps
	$(MAKE) $(fuzz-targets)

# Loops of a scenario that failed intermittently (tools/soak-smp.sh).
# SOAK_TEST=ipi: the smp-ipi miniguest instead of Linux (no guest disk);
# SOAK_TEST=nested: the nested SVM two-vcpu boot (docs/backends.md).
soak: deps
	$(MAKE) all $(TOP)/miniguest/ipi_test.img \
		$(if $(filter ipi,$(SOAK_TEST)),,$(TOP)/guest/disk.img)
	tools/soak-smp.sh

clean:
	rm -rf build

# Veneer on an EFI system partition (docs/uefi.md):
#   make install-efi ESP=/boot/efi [VMM_OPTIONS=...] [EFI_DISK=/dev/sda EFI_PART=1]
.PHONY: install-efi
install-efi: all
	@[ -n "$(ESP)" ] || { echo "make install-efi ESP=/path/to/esp"; exit 1; }
	tools/install-efi.sh "$(ESP)" "$(VMM_OPTIONS)" \
		$(if $(EFI_DISK),--bootentry $(EFI_DISK) $(EFI_PART))
