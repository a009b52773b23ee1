# boot/: GRUB2 images. VMM_OPTIONS is the command line of build/veneer.iso.
VMM_OPTIONS ?=

$(BUILD)/veneer.iso: $(BUILD)/veneer.elf boot/mkiso.sh
	boot/mkiso.sh $< $@ "$(VMM_OPTIONS)"


# boot/efi/: the UEFI loader veneer.efi, built with GNU-EFI (Debian's
# gnu-efi: headers, crt0, linker script, libefi/libgnuefi), then made a PE
# image with objcopy. docs/uefi.md.
EFI_INC    := /usr/include/efi
EFI_LIB    := /usr/lib
EFI_CFLAGS := -std=gnu11 -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Iplatform/include \
	-ffreestanding -fno-stack-protector -fpic -fshort-wchar -mno-red-zone -mgeneral-regs-only \
	-maccumulate-outgoing-args -DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI=0 \
	-O2 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-pointer-sign
EFI_OBJS   := $(TOP)/efi/veneer_efi.o $(TOP)/efi/handover.o $(TOP)/efi/loadopt.o \
	$(TOP)/efi/measure.o $(TOP)/efi/enter.o

$(TOP)/efi/%.o: boot/efi/%.c boot/efi/loader.h boot/efi/loadopt.h platform/include/platform/uefi_params.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@
$(TOP)/efi/%.o: boot/efi/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c $< -o $@
$(TOP)/efi/veneer.so: $(EFI_OBJS)
	$(Q)$(LD) -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds -shared \
		-Bsymbolic -L$(EFI_LIB) $(EFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
		-o $@ -lefi -lgnuefi
	@# nothing resolves a symbol at run time in UEFI: a call the compiler
	@# made to a libc function (a loop turned into strlen) would jump into
	@# a PLT that goes nowhere
	@if [ -n "$$(nm -u $@)" ]; then echo "$@: undefined symbols:"; nm -u $@; \
		rm -f $@; exit 1; fi
$(TOP)/veneer.efi: $(TOP)/efi/veneer.so
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@
	@echo "  EFI     $@"

# host test of the Boot#### parser (gnu-efi's headers, no boot services)
unit-tests += loadopt
unit-loadopt-srcs := tests/unit/test_loadopt.c boot/efi/loadopt.c
unit-loadopt-cflags := -fshort-wchar -I$(EFI_INC) -I$(EFI_INC)/x86_64
