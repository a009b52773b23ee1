# IDE (ATA) storage mediator (docs/storage-ide.md)
vmm-y += devices/storage/ide/ide.c devices/storage/ide/ide_dma.c \
	devices/storage/ide/ide_prd.c
unit-tests += ide
unit-ide-srcs := tests/unit/test_ide.c devices/storage/ide/ide_prd.c
