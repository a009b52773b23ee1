# tools/vdisk: the offline disk tool (build host), and the OpenSSL-based
# plain64 reference its test compares against.
VDISK_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -I$(BEARSSL_SRC)/inc

$(TOP)/tools/vdisk: tools/vdisk/vdisk.c $(XTS_SRCS) $(XTS_HDRS) crypto/kdf.c \
		crypto/kdf.h $(BEARSSL_HOST)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(VDISK_CFLAGS) -o $@ tools/vdisk/vdisk.c $(XTS_SRCS) \
		crypto/kdf.c $(BEARSSL_HOST)

$(TOP)/tools/vdisk-ref: tests/unit/test_vdisk_ref.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(VDISK_CFLAGS) -o $@ $< -lcrypto

.PHONY: vdisk
vdisk: $(TOP)/tools/vdisk

check-deps += $(TOP)/tools/vdisk $(TOP)/tools/vdisk-ref
