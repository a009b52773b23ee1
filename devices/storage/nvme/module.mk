# NVMe storage mediator (docs/storage-nvme.md)
vmm-y += devices/storage/nvme/nvme.c devices/storage/nvme/nvme_queue.c \
	devices/storage/nvme/nvme_cmd.c devices/storage/nvme/nvme_irq.c
unit-tests += nvme
unit-nvme-srcs := tests/unit/test_nvme.c devices/storage/nvme/nvme_cmd.c
