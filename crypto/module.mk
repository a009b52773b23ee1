# crypto: BearSSL (built from Debian's source package, twice), AES-XTS, KDF.
#
#   build/bearssl-src/          `apt-get source bearssl`, unpacked
#   build/bearssl-vmm/libbearssl.a    freestanding, linked into the VMM
#   build/bearssl-host/libbearssl.a   ordinary host build: tests, tools, bench
#   build/openssl-vectors/evpciph_aes_common.txt   IEEE 1619 vectors, taken
#                               from Debian's openssl source at test-build time

BEARSSL_SRC := $(TOP)/bearssl-src
BEARSSL_VMM := $(TOP)/bearssl-vmm/libbearssl.a
BEARSSL_HOST := $(TOP)/bearssl-host/libbearssl.a
XTS_VECTORS := $(TOP)/openssl-vectors/evpciph_aes_common.txt

# The VMM's flags for third-party code: no stack protector (it reads
# %fs:0x28, which the VMM does not set up), no red zone (interrupts share
# the stack), no PIC/GOT, no CET notes, kernel code model; our own libc
# headers only. -D_MM_MALLOC_H_INCLUDED keeps <x86intrin.h> from including
# <stdlib.h>. BearSSL must not reach for /dev/urandom or time().
BEARSSL_VMM_FLAGS := -ffreestanding -nostdinc -isystem $(GCCINC) \
	-Iplatform/include/libc -mno-red-zone -mcmodel=kernel \
	-fno-stack-protector -fno-pic -fno-pie -fcf-protection=none \
	-D_MM_MALLOC_H_INCLUDED -DBR_USE_URANDOM=0 -DBR_USE_UNIX_TIME=0 \
	-O2 -g -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
BEARSSL_HOST_FLAGS := -O2 -g -fno-omit-frame-pointer

$(BEARSSL_SRC)/.stamp: crypto/fetch-src.sh
	crypto/fetch-src.sh bearssl $(BEARSSL_SRC)
	@touch $@

# bearssl_lib(flags, compiler): the sub-make rebuilds the objects when the flags
# (kept in OUT/flags) change; the archive is touched so that this rule does
# not run again when nothing did.
define bearssl_lib
	@mkdir -p $(dir $@)
	@echo '$(1)' | cmp -s - $(dir $@)flags || echo '$(1)' >$(dir $@)flags
	+@$(MAKE) --no-print-directory -f crypto/bearssl.mk SRC=$(BEARSSL_SRC) \
		OUT=$(patsubst %/,%,$(dir $@)) CC="$(2)" FLAGS="$(1)"
endef

$(BEARSSL_VMM): $(BEARSSL_SRC)/.stamp crypto/bearssl.mk crypto/module.mk
	$(call bearssl_lib,$(BEARSSL_VMM_FLAGS),$(CC))
	@crypto/check-freestanding.sh $@
	@touch $@

$(BEARSSL_HOST): $(BEARSSL_SRC)/.stamp crypto/bearssl.mk crypto/module.mk
	$(call bearssl_lib,$(BEARSSL_HOST_FLAGS),$(HOSTCC))
	@touch $@

$(XTS_VECTORS): crypto/fetch-src.sh
	crypto/fetch-src.sh openssl-xts $(dir $@)
	@touch $@

.PHONY: bearssl
bearssl: $(BEARSSL_VMM) $(BEARSSL_HOST)

# ---- the VMM ---------------------------------------------------------------
XTS_SRCS := crypto/xts.c crypto/xts_ct64.c crypto/xts_aesni.c crypto/xts_vaes.c
XTS_HDRS := crypto/xts.h crypto/xts_internal.h crypto/bearssl_aes.h crypto/wipe.h

vmm-simd-y += $(XTS_SRCS) crypto/kdf.c
vmm-libs += $(BEARSSL_VMM)
$(BUILD)/simd/crypto/%: VMM_SIMD_CFLAGS += -I$(BEARSSL_SRC)/inc
$(patsubst %,$(BUILD)/simd/%.o,$(XTS_SRCS) crypto/kdf.c): | $(BEARSSL_SRC)/.stamp

# ---- host unit tests ---------------------------------------------------------
unit-tests += xts kdf
unit-xts-srcs := tests/unit/test_xts.c $(XTS_SRCS) $(XTS_HDRS)
unit-xts-cflags := -DXTS_VECTORS_FILE='"$(XTS_VECTORS)"'
unit-xts-ldlibs := $(BEARSSL_HOST) -lcrypto
unit-xts-deps := $(BEARSSL_HOST) $(XTS_VECTORS)

# Built like the VMM's code (optimized, no sanitizers: their frames are
# what the stack scrub is sized for).
unit-tests += xts_stack
unit-xts_stack-srcs := tests/unit/test_xts_stack.c $(XTS_SRCS) $(XTS_HDRS)
unit-xts_stack-cflags := -O2 -fno-sanitize=all -mno-red-zone
unit-xts_stack-ldlibs := $(BEARSSL_HOST) -lcrypto
unit-xts_stack-deps := $(BEARSSL_HOST)

unit-kdf-srcs := tests/unit/test_kdf.c crypto/kdf.c crypto/kdf.h crypto/wipe.h
unit-kdf-cflags := -I$(BEARSSL_SRC)/inc
unit-kdf-ldlibs := $(BEARSSL_HOST) -lcrypto
unit-kdf-deps := $(BEARSSL_HOST)

# ---- benchmark -----------------------------------------------------------------
# Optimized, no sanitizers: timing is only ever done here, never in a test.
$(TOP)/crypto/xts-bench: crypto/xts_bench.c crypto/aes_raw_bench.c crypto/aes_raw_bench.h $(XTS_SRCS) $(XTS_HDRS) $(BEARSSL_HOST)
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
		-I. -I$(BEARSSL_SRC)/inc -o $@ crypto/xts_bench.c crypto/aes_raw_bench.c $(XTS_SRCS) \
		$(BEARSSL_HOST) -lcrypto

.PHONY: crypto-bench
crypto-bench: $(TOP)/crypto/xts-bench
	$(TOP)/crypto/xts-bench

bench-targets += crypto-bench

# The crypto objects the VMM links are held to the same rules as BearSSL.
.PHONY: crypto-vmm-check
crypto-vmm-check: $(patsubst %,$(BUILD)/simd/%.o,$(XTS_SRCS) crypto/kdf.c crypto/tang.c) \
		$(BEARSSL_VMM)
	@for o in $(patsubst %,$(BUILD)/simd/%.o,$(XTS_SRCS) crypto/kdf.c crypto/tang.c); do \
		crypto/check-freestanding.sh $$o || exit 1; done

check-deps += crypto-vmm-check

# ---- Clevis/Tang bindings (docs/storage.md "Tang") -------------------------------
vmm-simd-y += crypto/tang.c
$(BUILD)/simd/crypto/tang.c.o: | $(BEARSSL_SRC)/.stamp

unit-tests += tang
unit-tang-srcs := tests/unit/test_tang.c crypto/tang.c crypto/tang.h \
	platform/lib/json.c platform/lib/b64url.c platform/lib/format.c
unit-tang-cflags := -I$(BEARSSL_SRC)/inc -DTANG_DATA='"tests/data/tang"'
unit-tang-ldlibs := $(BEARSSL_HOST)
unit-tang-deps := $(BEARSSL_HOST) $(wildcard tests/data/tang/*)

# libFuzzer target: the JWE module and the server's answer (tests/fuzz/tang_fuzz.c),
# seeded with the committed binding.
TANG_FUZZ_SECONDS ?= 30
tang-fuzz-srcs := crypto/tang.c platform/lib/json.c platform/lib/b64url.c \
	platform/lib/format.c
$(TOP)/fuzz/tang-fuzz: tests/fuzz/tang_fuzz.c $(tang-fuzz-srcs) crypto/tang.h \
		platform/include/platform/json.h $(BEARSSL_HOST)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -Iplatform/include -I$(BEARSSL_SRC)/inc \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DVENEER_HOST_TEST=1 -o $@ tests/fuzz/tang_fuzz.c $(tang-fuzz-srcs) \
		$(BEARSSL_HOST)

.PHONY: tang-fuzz
tang-fuzz: $(TOP)/fuzz/tang-fuzz
	@mkdir -p $(TOP)/fuzz/tang-corpus
	cp tests/data/tang/binding.jwe $(TOP)/fuzz/tang-corpus/seed-jwe
	printf '{"alg":"ECMR","crv":"P-521","kty":"EC","x":"AA","y":"AA"}' \
		>$(TOP)/fuzz/tang-corpus/seed-reply
	$(TOP)/fuzz/tang-fuzz -max_total_time=$(TANG_FUZZ_SECONDS) -max_len=16384 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(TOP)/fuzz/tang-corpus
fuzz-targets += tang-fuzz
