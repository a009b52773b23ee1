# intel-vmx: sources registered by the foundation
