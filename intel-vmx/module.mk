# intel-vmx/: the VMX backend (VENDOR=intel or both).
vmm-y += intel-vmx/vmx_probe.c
