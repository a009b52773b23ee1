/* veneer.efi's parts (docs/uefi.md): veneer_efi.c loads and enters the
 * VMM; handover.c is what the loader does around that call: the storage
 * controllers it disconnects before and reconnects after, the marker that
 * says Veneer runs, the passphrase on the firmware console, and the boot
 * option it starts next. */
#ifndef VENEER_BOOT_EFI_LOADER_H
#define VENEER_BOOT_EFI_LOADER_H

#include <efi.h>

/* TRUE when an earlier veneer.efi of this boot started Veneer (a volatile,
 * boot-services-only variable: the OS never sees it). */
BOOLEAN veneer_already_running(void);
/* Records that Veneer runs, for the next veneer.efi of this boot. */
void veneer_mark_running(void);

/* Disconnects the firmware's drivers from every IDE, AHCI and NVMe
 * controller, so the VMM's mediators see the controllers idle and the
 * firmware's drivers start them again, mediated, at reconnect. */
void storage_disconnect(void);
/* Connects them again (recursively: disks, partitions, file systems). */
void storage_reconnect(void);

/* With vmm.net=vmm: disconnects the firmware's drivers from the NICs of
 * the models the VMM drives (it resets and conceals the one it takes),
 * and connects them again afterwards, all but the one the VMM took. */
void nic_disconnect(void);
void nic_reconnect(void);

/* The disk passphrase on ConIn/ConOut, handed to the VMM, while the VMM
 * wants one (vmm.key=prompt). FALSE when it could not be passed on. */
BOOLEAN passphrase_handover(void);

/* Measures len bytes at data into the TPM's PCR `pcr` (SHA-256 and every
 * active bank) through EFI_TCG2_PROTOCOL, logged as an EV_IPL event named
 * `what` (measure.c). FALSE, with a line when it failed, when there is no
 * TPM (have_tpm() FALSE: nothing is printed). */
BOOLEAN measure(UINT32 pcr, const void *data, UINTN len, const char *what);
BOOLEAN have_tpm(void);

/* Starts the boot option after this one in BootOrder (BootCurrent itself
 * when that is not veneer.efi: GRUB or a shell chainloaded us). Returns
 * only when there is none or it returned. */
EFI_STATUS boot_next_option(EFI_HANDLE image);

#endif
