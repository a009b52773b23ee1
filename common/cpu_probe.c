/* Picks the virtualization backend from what the CPU offers and what this
 * build contains, and says so in one line — or refuses, naming what is
 * missing. */
#include <common/backend.h>
#include <platform/boot.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/init.h>
#include <platform/log.h>
#include <string.h>

extern const struct backend *const __backends_start[], *const __backends_end[];
const struct backend *active_backend;

static void cpu_identity(char *buf, size_t n)
{
    struct cpuid_regs r = cpuid(0);
    char vendor[13];
    u32 sig, family, model;

    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = '\0';
    sig = cpuid(1).eax;
    family = (sig >> 8) & 0xf;
    model = (sig >> 4) & 0xf;
    if (family == 0xf)
        family += (sig >> 20) & 0xff;
    if (family >= 6)
        model |= ((sig >> 16) & 0xf) << 4;
    ksnprintf(buf, n, "%s family 0x%x model 0x%x stepping %u", vendor, family,
              model, sig & 0xf);
}

static bool cpu_offers_vmx(void)
{
    return cpuid(1).ecx & BIT(5);
}

static bool cpu_offers_svm(void)
{
    return cpuid(0x80000000).eax >= 0x80000001 &&
           (cpuid(0x80000001).ecx & BIT(2));
}

static int cpu_probe(void)
{
    char id[96], caps[320], missing[200], built[32] = "";
    const struct backend *const *b;

    cpu_identity(id, sizeof(id));
    for (b = __backends_start; b < __backends_end; b++) {
        size_t l = strlen(built);
        ksnprintf(built + l, sizeof(built) - l, "%s%s", l ? " " : "", (*b)->name);
    }
    for (b = __backends_start; b < __backends_end; b++) {
        if (!(*b)->cpu_has())
            continue;
        caps[0] = missing[0] = '\0';
        int r = (*b)->probe(caps, sizeof(caps), missing, sizeof(missing));
        if (r == 0) {
            active_backend = *b;
            log_info("cpu", "%s; %s; backend %s", id, caps, (*b)->name);
            return 0;
        }
        log_info("cpu", "%s; %s", id, caps);
        refuse_to_start("this CPU cannot run the %s backend: missing %s",
                        (*b)->name, missing);
    }
    log_info("cpu", "%s; VMX %s, SVM %s", id,
             cpu_offers_vmx() ? "offered" : "absent",
             cpu_offers_svm() ? "offered" : "absent");
    if (!cpu_offers_vmx() && !cpu_offers_svm())
        refuse_to_start("this CPU offers neither VMX nor SVM (or firmware "
                        "hides it); Veneer needs hardware virtualization");
    refuse_to_start("this CPU offers %s but this build (VENDOR=%s) has only "
                    "the %s backend", cpu_offers_svm() ? "SVM" : "VMX",
                    VENEER_VENDOR, built[0] ? built : "no");
}
INIT_FUNC(cpu, 50, cpu_probe);
