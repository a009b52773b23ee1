/* What the SVM backend needs from the CPU (AMD APM vol. 2, 15.4 and
 * CPUID Fn8000_000A). NPT is required (no shadow paging); NRIPS and decode
 * assists are used when present. */
#include <amd-svm/svm.h>
#include <common/backend.h>
#include <common/vcpu.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <string.h>

struct svm_caps svm_caps;
extern const struct vcpu_ops svm_ops;

static bool svm_cpu_has(void)
{
    return cpuid(0x80000000).eax >= 0x80000001 &&
           (cpuid(0x80000001).ecx & BIT(2));
}

static void add(char *buf, size_t n, const char *what)
{
    size_t l = strlen(buf);

    ksnprintf(buf + l, n - l, "%s%s", l ? ", " : "", what);
}

static int svm_probe(char *caps, size_t caps_size, char *missing,
                     size_t missing_size)
{
    struct svm_caps *c = &svm_caps;
    u64 vm_cr = 0;

    if (cpuid(0x80000000).eax < 0x8000000a) {
        add(missing, missing_size, "CPUID leaf 0x8000000A (SVM features)");
        return -E_NOTSUP;
    }
    struct cpuid_regs r = cpuid(0x8000000a);
    c->revision = r.eax & 0xff;
    c->nasid = r.ebx;
    c->npt = r.edx & BIT(0);
    c->nrips = r.edx & BIT(3);
    c->vmcb_clean = r.edx & BIT(5);
    c->flush_by_asid = r.edx & BIT(6);
    c->decode_assists = r.edx & BIT(7);
    c->pause_filter = r.edx & BIT(10);
    c->avic = r.edx & BIT(13);
    c->vgif = r.edx & BIT(16);
    c->gb_pages = cpuid(0x80000001).edx & BIT(26);
    if (rdmsr_safe(MSR_AMD_VM_CR, &vm_cr) == 0)
        c->disabled_by_firmware = vm_cr & BIT(4); /* VM_CR.SVMDIS */

    ksnprintf(caps, caps_size,
              "svm rev %u: npt=%s nrips=%s decode-assists=%s vmcb-clean=%s "
              "flush-by-asid=%s pause-filter=%s vgif=%s avic=%s 1g-pages=%s "
              "nasid=%u",
              c->revision, c->npt ? "yes" : "no", c->nrips ? "yes" : "no",
              c->decode_assists ? "yes" : "no", c->vmcb_clean ? "yes" : "no",
              c->flush_by_asid ? "yes" : "no", c->pause_filter ? "yes" : "no",
              c->vgif ? "yes" : "no", c->avic ? "yes" : "no",
              c->gb_pages ? "yes" : "no", c->nasid);
    if (c->disabled_by_firmware)
        add(missing, missing_size, "SVM enabled by firmware (VM_CR.SVMDIS is set)");
    if (!c->npt)
        add(missing, missing_size, "nested paging (NPT)");
    if (c->nasid < 2)
        add(missing, missing_size, "a guest ASID (NASID < 2)");
    return missing[0] ? -E_NOTSUP : 0;
}

const struct backend svm_backend = {
    .name = "svm",
    .cpu_has = svm_cpu_has,
    .probe = svm_probe,
    .ops = &svm_ops,
};
REGISTER_BACKEND(svm_backend);
