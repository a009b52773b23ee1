# devices/: PCI mediation and device mediators (they use common/ and crypto/).
# Each family has its own folder and module.mk: pci/, storage/ (with ide/,
# ahci/, nvme/); the top Makefile includes them.
