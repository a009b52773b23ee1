# amd-svm/: the SVM backend (VENDOR=amd or both).
vmm-y += amd-svm/svm_probe.c
