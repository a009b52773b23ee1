/* The SVM backend's private declarations. */
#ifndef VENEER_AMD_SVM_SVM_H
#define VENEER_AMD_SVM_SVM_H

#include <platform/types.h>

struct svm_caps {
    u32 revision;
    u32 nasid;
    bool npt, nrips, vmcb_clean, flush_by_asid, decode_assists;
    bool pause_filter, avic, vgif, gb_pages;
    bool disabled_by_firmware;
};

extern struct svm_caps svm_caps;

#endif
