# tools/veneerctl: the guest control tool (hypercall ABI v1), built static
# with the host gcc for the guest initramfs (tests/guest/module.mk).

VENEERCTL_SRCS := tools/veneerctl/veneerctl.c tools/veneerctl/abi.c \
	tools/veneerctl/hypercall.c tools/veneerctl/simd.c
VENEERCTL_HDRS := tools/veneerctl/abi.h tools/veneerctl/hypercall.h tools/veneerctl/simd.h
VENEERCTL_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -static

$(TOP)/guest/veneerctl: $(VENEERCTL_SRCS) $(VENEERCTL_HDRS) tools/veneerctl/module.mk
	@mkdir -p $(dir $@)
	$(HOSTCC) $(VENEERCTL_CFLAGS) -o $@ $(VENEERCTL_SRCS)
	strip $@

unit-tests += veneerctl
unit-veneerctl-srcs := tests/unit/test_veneerctl.c tools/veneerctl/abi.c
# the test also runs the static binary under ptrace against a mock hypervisor
unit-veneerctl-deps := $(VENEERCTL_HDRS) $(TOP)/guest/veneerctl
unit-veneerctl-cflags := -Itools/veneerctl -DVENEERCTL_BIN='"$(TOP)/guest/veneerctl"'
