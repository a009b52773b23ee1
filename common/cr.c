/* Control-register writes that exit (VMX: bits in the guest/host masks;
 * SVM: the CR4 write intercept), checked once for both backends. */
#include <common/cr_policy.h>
#include <common/guest_policy.h>
#include <platform/cpu.h>
#include <platform/log.h>

enum emu_result cr_write_emulate(struct vcpu *v, unsigned cr, u64 val)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_CR0 | VS_CR3 | VS_CR4 |
                                             VS_EFER | VS_CS);
    struct cr_ctx c = {
        .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer,
        .cs_long = (s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13)),
        .cr4_valid = cr4_guest_valid(),
    };
    u64 efer;

    if (cr == 0) {
        if (cr0_write_check(&c, val, &efer) != EMU_DONE)
            goto refused;
        if (efer != s->efer) {
            s->efer = efer;
            vcpu_state_set(v, VS_EFER);
        }
        s->cr0 = val | CR0_ET; /* ET is fixed at 1 */
        vcpu_state_set(v, VS_CR0);
        return EMU_DONE;
    }
    if (cr == 4) {
        if (cr4_write_check(&c, val) != EMU_DONE)
            goto refused;
        s->cr4 = val;
        vcpu_state_set(v, VS_CR4);
        vcpu_ops->flush_guest_tlb(v); /* as MOV to CR4 does (PGE, PCIDE...) */
        return EMU_DONE;
    }
refused:
    log_debug("guest", "MOV to CR%u of 0x%llx refused (CR0 %llx CR4 %llx "
              "EFER %llx): #GP", cr, (unsigned long long)val,
              (unsigned long long)c.cr0, (unsigned long long)c.cr4,
              (unsigned long long)c.efer);
    return EMU_GP;
}
