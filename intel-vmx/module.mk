# intel-vmx/: the VMX backend (VENDOR=intel or both).
vmm-y += intel-vmx/vmx_probe.c intel-vmx/vmx.c intel-vmx/vmx_cpu.c intel-vmx/vmx_run.c \
	intel-vmx/vmx_state.c intel-vmx/vmx_ept.c intel-vmx/vmx_nested.c intel-vmx/vmx_nept.c \
	intel-vmx/vmx_entry.S
unit-tests += vmx_cpu
unit-vmx_cpu-srcs := tests/unit/test_vmx_cpu.c intel-vmx/vmx_cpu.c
