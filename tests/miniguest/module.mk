# tests/miniguest: tiny boot-sector guests (no OS) for measurements and
# probes: built into raw disk images the VMM boots as drive 0x80.
check-deps += $(TOP)/miniguest/nmi_test.img $(TOP)/miniguest/irq_test.img \
	$(TOP)/miniguest/ecam_test.img $(TOP)/miniguest/tsc_test.img \
	$(TOP)/miniguest/ts_test.img $(TOP)/miniguest/ide_evil.img \
	$(TOP)/miniguest/ahci_evil.img $(TOP)/miniguest/nvme_evil.img \
	$(TOP)/miniguest/smp_init.img $(TOP)/miniguest/transp_test.img \
	$(TOP)/miniguest/ipi_test.img $(TOP)/miniguest/s3_test.img \
	$(TOP)/miniguest/s3_modes.img
check-deps += $(TOP)/miniguest/bar_evil.img $(TOP)/miniguest/mem_evil.img \
	$(TOP)/miniguest/pci_evil.img $(TOP)/miniguest/msi_init.img \
	$(TOP)/miniguest/vmm_touch.img $(TOP)/miniguest/stale_insn.img \
	$(TOP)/miniguest/conf1_race.img
check-deps += $(TOP)/miniguest/e1000_evil.img $(TOP)/miniguest/nested_svm.img \
	$(TOP)/miniguest/nested_vmx.img \
	$(TOP)/miniguest/net_guest.img $(TOP)/miniguest/e1000_share_evil.img
$(TOP)/miniguest/%.img: tests/miniguest/%.S $(wildcard tests/miniguest/*.inc)
	@mkdir -p $(dir $@)
	$(CC) -c -m32 -Itests/miniguest -o $(TOP)/miniguest/$*.o $<
	$(LD) -m elf_i386 -Ttext 0x7c00 --oformat binary -o $(TOP)/miniguest/$*.bin $(TOP)/miniguest/$*.o
	@n=$$(stat -c %s $(TOP)/miniguest/$*.bin); [ $$((n % 512)) = 0 ] && [ $$n -le 65536 ] || \
		{ echo "$@: $$n bytes, not whole sectors (at most 64 KiB)"; exit 1; }
	cp $(TOP)/miniguest/$*.bin $@
	truncate -s 1032192 $@  # two cylinders of 16 heads x 63 sectors (Bochs geometry)

bench-targets += cpuid-bench
.PHONY: cpuid-bench
cpuid-bench: $(TOP)/miniguest/cpuid_bench.img all vendors
	tools/bench-cpuid.sh

bench-targets += nested-bench
.PHONY: nested-bench
nested-bench: $(TOP)/miniguest/nested_bench.img $(TOP)/miniguest/nested_bench_vmx.img all
	tools/bench-nested.sh

bench-targets += boot-bench
.PHONY: boot-bench
boot-bench: all $(TOP)/guest/disk.img
	tools/bench-boot.sh
