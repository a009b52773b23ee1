# boot: sources registered by the foundation
