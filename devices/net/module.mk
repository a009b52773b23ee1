# devices/net: the VMM's own network (docs/network.md): lwIP built from
# Debian's source package (never committed), an e1000 (82540EM) driver,
# the debug shell and UDP syslog.
#
#   build/lwip-src/              `apt-get source lwip` (2.1.3), unpacked
#   build/lwip-vmm/liblwip.a     freestanding, general registers only

LWIP_SRC := $(TOP)/lwip-src
LWIP_VMM := $(TOP)/lwip-vmm/liblwip.a
LWIP_INC := -I$(LWIP_SRC)/src/include -Idevices/net/port

# The VMM's flags (crypto/module.mk says why each), and -mgeneral-regs-only
# as for the VMM's own code: lwIP runs on exit paths, where the guest's
# vector registers are live.
LWIP_VMM_FLAGS := -std=gnu11 -ffreestanding -nostdinc -isystem $(GCCINC) \
	-Iplatform/include/libc -mno-red-zone -mcmodel=kernel -mgeneral-regs-only \
	-fno-stack-protector -fno-pic -fno-pie -fcf-protection=none \
	-O2 -g -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
	-fno-strict-aliasing $(LWIP_INC)

$(LWIP_SRC)/.stamp: crypto/fetch-src.sh
	crypto/fetch-src.sh lwip $(LWIP_SRC)
	@touch $@

$(LWIP_VMM): $(LWIP_SRC)/.stamp devices/net/lwip.mk devices/net/module.mk \
		devices/net/port/lwipopts.h devices/net/port/arch/cc.h
	@mkdir -p $(dir $@)
	@echo '$(LWIP_VMM_FLAGS)' | cmp -s - $(dir $@)flags || echo '$(LWIP_VMM_FLAGS)' >$(dir $@)flags
	+@$(MAKE) --no-print-directory -f devices/net/lwip.mk SRC=$(LWIP_SRC) \
		OUT=$(patsubst %/,%,$(dir $@)) CC="$(CC)" FLAGS="$(LWIP_VMM_FLAGS)"
	@crypto/check-freestanding.sh $@
	@touch $@

.PHONY: lwip
lwip: $(LWIP_VMM)

NET_SRCS := devices/net/net.c devices/net/e1000.c devices/net/e1000e.c \
	devices/net/e1000_share.c devices/net/shell.c \
	devices/net/syslog.c devices/net/net_opts.c devices/net/net_rand.c devices/net/http.c
vmm-y += $(NET_SRCS)
vmm-libs += $(LWIP_VMM)
$(BUILD)/obj/devices/net/%: VMM_CFLAGS += $(LWIP_INC)
$(patsubst %,$(BUILD)/obj/%.o,$(NET_SRCS)): | $(LWIP_SRC)/.stamp

unit-tests += net_opts
unit-net_opts-srcs := tests/unit/test_net_opts.c devices/net/net_opts.c \
	platform/lib/format.c
unit-tests += e1000
unit-e1000-srcs := tests/unit/test_e1000.c devices/net/e1000.h

bench-targets += net-bench
.PHONY: net-bench
net-bench: all $(TOP)/guest/disk.img
	tools/bench-net.sh
unit-tests += e1000_share
unit-e1000_share-srcs := tests/unit/test_e1000_share.c devices/net/e1000_share.h
unit-tests += net_rand
unit-net_rand-srcs := tests/unit/test_net_rand.c devices/net/net_rand.c
