# tests/guest: the real Linux guest of the system scenarios.
#
#   build/guest/initramfs.cpio.gz  busybox-static + init + veneerctl +
#                                  kvmtest + the storage and KVM modules
#                                  of Debian's kernel
#   build/guest/disk.img           bootable hard disk (GRUB hybrid image):
#                                  kernel, initramfs, parameter block,
#                                  scratch partition (docs/guest.md)
#
# The kernel is Debian's linux-image-amd64 (the newest /boot/vmlinuz-*
# that has its /lib/modules directory).

GUEST_KVER := $(lastword $(sort $(foreach k,$(wildcard /boot/vmlinuz-*),\
	$(if $(wildcard /lib/modules/$(patsubst /boot/vmlinuz-%,%,$(k))/modules.dep),\
	$(patsubst /boot/vmlinuz-%,%,$(k))))))
GUEST_KERNEL := /boot/vmlinuz-$(GUEST_KVER)

# kvmtest: a tiny VM through /dev/kvm (the kvm check, nested virtualization)
$(TOP)/guest/kvmtest: tests/guest/kvmtest.c tests/guest/module.mk
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -static -o $@ tests/guest/kvmtest.c
	strip $@

$(TOP)/guest/initramfs.cpio.gz: tests/guest/init tests/guest/mkinitramfs.sh \
		$(TOP)/guest/veneerctl $(TOP)/guest/kvmtest /bin/busybox \
		$(wildcard /lib/modules/$(GUEST_KVER)/modules.dep) tests/guest/module.mk
	@mkdir -p $(dir $@)
	@[ -n "$(GUEST_KVER)" ] || { echo "no /boot/vmlinuz-* with modules (linux-image-amd64)"; exit 1; }
	tests/guest/mkinitramfs.sh $@ $(GUEST_KVER) tests/guest/init $(TOP)/guest/veneerctl \
		$(TOP)/guest/kvmtest

$(TOP)/guest/disk.img: $(TOP)/guest/initramfs.cpio.gz tests/guest/grub.cfg \
		tests/guest/mkdisk.sh tests/guest/set-params.sh $(wildcard $(GUEST_KERNEL))
	@mkdir -p $(dir $@)
	tests/guest/mkdisk.sh $@ $(GUEST_KERNEL) $(TOP)/guest/initramfs.cpio.gz tests/guest/grub.cfg

.PHONY: guest
guest: $(TOP)/guest/disk.img

check-deps += $(TOP)/guest/disk.img

# make bench: the guest booted bare in Bochs (minutes per CPU model)
.PHONY: bench-guest-bare-bochs
bench-guest-bare-bochs: $(TOP)/guest/disk.img
	tools/guest-bare-bochs.sh
bench-targets += bench-guest-bare-bochs

# Guest disk throughput bare / under Veneer / encrypting (tools/bench-disk.sh)
bench-targets += disk-bench
.PHONY: disk-bench
disk-bench: all $(TOP)/guest/disk.img $(TOP)/tools/vdisk
	tools/bench-disk.sh
