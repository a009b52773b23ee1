# common: sources registered by the foundation
