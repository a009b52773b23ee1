# platform: sources registered by the foundation
