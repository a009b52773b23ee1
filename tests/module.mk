# tests: sources registered by the foundation
