# AHCI storage mediator (docs/storage-ahci.md)
vmm-y += devices/storage/ahci/ahci.c devices/storage/ahci/ahci_slot.c \
	devices/storage/ahci/ahci_cmd.c
unit-tests += ahci
unit-ahci-srcs := tests/unit/test_ahci.c devices/storage/ahci/ahci_cmd.c
