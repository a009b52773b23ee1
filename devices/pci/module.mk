# PCI configuration mediation (docs/pci.md)
vmm-y += devices/pci/pci.c devices/pci/pci_acpi.c devices/pci/pci_rules.c \
	devices/pci/pci_selftest.c
unit-tests += pci
unit-pci-srcs := tests/unit/test_pci.c devices/pci/pci_rules.c platform/lib/format.c
