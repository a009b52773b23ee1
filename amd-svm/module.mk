# amd-svm: sources registered by the foundation
