# boot/: GRUB2 images. VMM_OPTIONS is the command line of build/veneer.iso.
VMM_OPTIONS ?=

$(BUILD)/veneer.iso: $(BUILD)/veneer.elf boot/mkiso.sh
	boot/mkiso.sh $< $@ "$(VMM_OPTIONS)"

