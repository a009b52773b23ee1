# Storage encryption policy: rules, keys, the cipher calls of the disk
# mediators (docs/storage.md). The mediators are in ide/, ahci/, nvme/.
vmm-y += devices/storage/storage.c devices/storage/storage_rules.c \
	devices/storage/crypt_selftest.c devices/storage/keysrc_list.c \
	devices/storage/keysrc_tang.c
$(BUILD)/obj/devices/storage/storage.c.o: | $(BEARSSL_SRC)/.stamp
$(BUILD)/obj/devices/storage/crypt_selftest.c.o: | $(BEARSSL_SRC)/.stamp
unit-tests += storage
unit-storage-srcs := tests/unit/test_storage.c devices/storage/storage_rules.c \
	devices/storage/keysrc_list.c \
	devices/pci/pci_rules.c platform/lib/format.c

# libFuzzer target for the mediators' descriptor parsers (IDE PRD table,
# AHCI CFIS and PRDT, NVMe PRP lists and commands): make fuzz runs it for
# STORAGE_FUZZ_SECONDS from an empty corpus (tests/fuzz/storage_fuzz.c)
STORAGE_FUZZ_SECONDS ?= 60
storage-fuzz-srcs := devices/storage/ide/ide_prd.c devices/storage/ahci/ahci_cmd.c \
	devices/storage/nvme/nvme_cmd.c
$(TOP)/fuzz/storage-fuzz: tests/fuzz/storage_fuzz.c $(storage-fuzz-srcs) \
		devices/storage/ide/ide_prd.h devices/storage/ahci/ahci_cmd.h \
		devices/storage/nvme/nvme_cmd.h
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -Iplatform/include -Itests/unit \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DVENEER_HOST_TEST=1 -o $@ tests/fuzz/storage_fuzz.c $(storage-fuzz-srcs)

.PHONY: storage-fuzz
storage-fuzz: $(TOP)/fuzz/storage-fuzz
	@rm -rf $(TOP)/fuzz/storage-corpus && mkdir -p $(TOP)/fuzz/storage-corpus
	$(TOP)/fuzz/storage-fuzz -max_total_time=$(STORAGE_FUZZ_SECONDS) -max_len=16384 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		$(TOP)/fuzz/storage-corpus
fuzz-targets += storage-fuzz
