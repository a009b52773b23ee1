# amd-svm/: the SVM backend (VENDOR=amd or both).
vmm-y += amd-svm/svm_probe.c amd-svm/svm.c amd-svm/svm_run.c \
	amd-svm/svm_state.c amd-svm/svm_npt.c amd-svm/svm_entry.S \
	amd-svm/svm_nested.c amd-svm/svm_nnpt.c
