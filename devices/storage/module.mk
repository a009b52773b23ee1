# Storage encryption policy: rules, keys, the cipher calls of the disk
# mediators (docs/storage.md). The mediators are in ide/, ahci/, nvme/.
vmm-y += devices/storage/storage.c devices/storage/storage_rules.c \
	devices/storage/crypt_selftest.c
$(BUILD)/obj/devices/storage/storage.c.o: | $(BEARSSL_SRC)/.stamp
$(BUILD)/obj/devices/storage/crypt_selftest.c.o: | $(BEARSSL_SRC)/.stamp
unit-tests += storage
unit-storage-srcs := tests/unit/test_storage.c devices/storage/storage_rules.c \
	devices/pci/pci_rules.c platform/lib/format.c
