# TPM 2.0: the FIFO (TIS) driver, the commands, the sealed disk key
# (docs/storage.md, "TPM").
vmm-y += devices/tpm/tpm.c devices/tpm/tpm_tis.c devices/tpm/tpm_cmd.c
unit-tests += tpm
unit-tpm-srcs := tests/unit/test_tpm.c devices/tpm/tpm_cmd.c platform/lib/format.c
unit-tpm-ldlibs := -lcrypto
