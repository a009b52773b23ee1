/* What veneer.efi loads itself, measured into the TPM through the
 * firmware's EFI_TCG2_PROTOCOL (loader.h, docs/storage.md "TPM").
 *
 * The firmware measures veneer.efi (PCR 4) but not the files veneer.efi
 * reads: without this a key sealed to PCRs 0-7 would unseal for any
 * veneer.elf and any option line next to an unchanged veneer.efi. As GRUB
 * does for what it loads: veneer.elf's bytes into PCR 9, the option line
 * as passed to the VMM into PCR 8, each an EV_IPL event in the firmware's
 * log. The protocol's layout is from the TCG EFI Protocol Specification
 * (family 2.0); GNU-EFI does not define it. */
#include <efi.h>
#include <efilib.h>
#include "loader.h"

#define EV_IPL 0x0000000d

struct tcg2_event {
    UINT32 size;            /* the whole event */
    UINT32 header_size;     /* 14: header_size to event_type */
    UINT16 header_version;  /* 1 */
    UINT32 pcr;
    UINT32 event_type;
    UINT8 data[64];
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct tcg2_event, header_size) == 4 &&
               __builtin_offsetof(struct tcg2_event, pcr) == 10 &&
               __builtin_offsetof(struct tcg2_event, data) == 18, "EFI_TCG2_EVENT");

struct tcg2_protocol {
    EFI_STATUS (EFIAPI *get_capability)(void);
    EFI_STATUS (EFIAPI *get_event_log)(void);
    EFI_STATUS (EFIAPI *hash_log_extend_event)(struct tcg2_protocol *self,
                                               UINT64 flags, EFI_PHYSICAL_ADDRESS data,
                                               UINT64 len, struct tcg2_event *event);
    /* SubmitCommand, GetActivePcrBanks, ... not used */
};

static EFI_GUID tcg2_guid = { 0x607f766c, 0x7455, 0x42be,
                              { 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f } };

static struct tcg2_protocol *tcg2(void)
{
    static struct tcg2_protocol *p;
    static BOOLEAN looked;

    if (!looked) {
        looked = TRUE;
        if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &tcg2_guid, NULL,
                                        (void **)&p)))
            p = NULL;
    }
    return p;
}

BOOLEAN measure(UINT32 pcr, const void *data, UINTN len, const char *what)
{
    struct tcg2_protocol *t = tcg2();
    struct tcg2_event ev;
    UINTN n = 0;
    EFI_STATUS st;

    if (!t)
        return FALSE;
    ZeroMem(&ev, sizeof(ev));
    while (what[n] && n < sizeof(ev.data))
        n++;
    CopyMem(ev.data, (void *)what, n);
    ev.size = (UINT32)(__builtin_offsetof(struct tcg2_event, data) + n);
    ev.header_size = 14;
    ev.header_version = 1;
    ev.pcr = pcr;
    ev.event_type = EV_IPL;
    st = uefi_call_wrapper(t->hash_log_extend_event, 5, t, 0,
                           (EFI_PHYSICAL_ADDRESS)(UINTN)data, (UINT64)len, &ev);
    if (EFI_ERROR(st)) {
        Print(L"veneer.efi: measuring %a into PCR %u failed: %r\n", what, pcr, st);
        return FALSE;
    }
    Print(L"veneer.efi: %a measured into PCR %u\n", what, pcr);
    return TRUE;
}

BOOLEAN have_tpm(void)
{
    return tcg2() != NULL;
}
