# devices/: PCI mediation and device mediators (they use common/ and crypto/).
vmm-y += devices/crypt_selftest.c
$(BUILD)/obj/devices/crypt_selftest.c.o: | $(BEARSSL_SRC)/.stamp
