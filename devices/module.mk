# devices/: PCI mediation and device mediators (they use common/ and crypto/).
vmm-y += devices/crypt_selftest.c
$(BUILD)/obj/devices/crypt_selftest.c.o: | $(BEARSSL_SRC)/.stamp
# PCI configuration mediation (docs/pci.md)
vmm-y += devices/pci.c devices/pci_acpi.c devices/pci_rules.c \
	devices/pci_selftest.c
unit-tests += pci
unit-pci-srcs := tests/unit/test_pci.c devices/pci_rules.c platform/lib/format.c
# Storage encryption policy: rules, keys, the cipher calls of the disk
# mediators (docs/storage.md)
vmm-y += devices/storage.c devices/storage_rules.c
$(BUILD)/obj/devices/storage.c.o: | $(BEARSSL_SRC)/.stamp
unit-tests += storage
unit-storage-srcs := tests/unit/test_storage.c devices/storage_rules.c \
	devices/pci_rules.c platform/lib/format.c
# IDE (ATA) storage mediator (docs/storage-ide.md)
vmm-y += devices/ide.c devices/ide_dma.c devices/ide_prd.c
unit-tests += ide
unit-ide-srcs := tests/unit/test_ide.c devices/ide_prd.c
# AHCI storage mediator (docs/storage-ahci.md)
vmm-y += devices/ahci.c devices/ahci_slot.c devices/ahci_cmd.c
unit-tests += ahci
unit-ahci-srcs := tests/unit/test_ahci.c devices/ahci_cmd.c
# NVMe storage mediator (docs/storage-nvme.md)
vmm-y += devices/nvme.c devices/nvme_queue.c devices/nvme_cmd.c devices/nvme_irq.c
unit-tests += nvme
unit-nvme-srcs := tests/unit/test_nvme.c devices/nvme_cmd.c
