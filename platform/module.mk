# platform/: the machine beneath the VMM.
vmm-y += platform/entry.S platform/isr.S platform/main.c platform/console.c \
	platform/cpu_tables.c platform/trap.c platform/paging.c platform/mem.c \
	platform/frame_pool.c platform/heap.c platform/multiboot2.c \
	platform/options.c platform/init.c platform/lib/string.c \
	platform/lib/format.c platform/simd.c \
	platform/smp.c platform/ap_tramp.S platform/prompt.c \
	platform/uefi.c

unit-tests += format options memory multiboot2 uefi
unit-format-srcs := tests/unit/test_format.c platform/lib/format.c
unit-options-srcs := tests/unit/test_options.c platform/options.c platform/lib/format.c
unit-memory-srcs := tests/unit/test_memory.c platform/frame_pool.c platform/heap.c
unit-multiboot2-srcs := tests/unit/test_multiboot2.c platform/multiboot2.c
unit-uefi-srcs := tests/unit/test_uefi.c platform/uefi.c
