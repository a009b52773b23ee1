/* What veneer.efi does around its call into the VMM (loader.h,
 * docs/uefi.md "Disks under firmware drivers").
 *
 * The firmware's NVMe and AHCI drivers run their controllers when
 * veneer.efi starts, with I/O queues and command lists the VMM cannot find
 * (no register names an NVMe I/O queue). So the loader disconnects those
 * drivers before the VMM starts, and connects them again once it runs on
 * as the guest: the drivers then set their controllers up from the start,
 * through the mediators, and every read the firmware makes (an encrypted
 * disk it boots from included) is mediated.
 *
 * Whoever started veneer.efi may keep pointers into the drivers it
 * disconnected (GRUB caches each disk's BlockIo), so the loader never
 * returns to it after a reconnect: it starts the boot option itself (the
 * one it was started from when that is not veneer.efi, a GRUB that then
 * finds Veneer running and goes on; else the next in BootOrder). */
#include <efi.h>
#include <efilib.h>
#include "loader.h"
#include "loadopt.h"

/* ---- the marker ---------------------------------------------------------- */

static EFI_GUID veneer_guid = { 0x3d6b0c52, 0x8f1e, 0x4a27,
                                { 0x9c, 0x61, 0x5e, 0x0b, 0x73, 0xd2, 0x48, 0xa5 } };
static CHAR16 running_var[] = L"VeneerRunning";

BOOLEAN veneer_already_running(void)
{
    UINT8 v = 0;
    UINTN size = sizeof(v);
    UINT32 attr;
    EFI_STATUS st = uefi_call_wrapper(RT->GetVariable, 5, running_var, &veneer_guid,
                                      &attr, &size, &v);

    return !EFI_ERROR(st) && size == 1 && v == 1;
}

void veneer_mark_running(void)
{
    UINT8 v = 1;
    EFI_STATUS st = uefi_call_wrapper(RT->SetVariable, 5, running_var, &veneer_guid,
                                      EFI_VARIABLE_BOOTSERVICE_ACCESS, sizeof(v), &v);
    if (EFI_ERROR(st))
        Print(L"veneer.efi: cannot record that Veneer runs (%r): a second "
              L"veneer.efi in this boot would not know\n", st);
}

/* ---- the storage controllers ------------------------------------------- */

#define MAX_CTRL 32
static EFI_HANDLE ctrls[MAX_CTRL];
static UINTN nctrls;

/* Class code (base << 16 | sub << 8 | interface) of the controllers the VMM
 * mediates: IDE (any interface), AHCI, NVMe. */
static BOOLEAN mediated(UINT32 cc)
{
    return (cc >> 8) == 0x0101 || cc == 0x010601 || cc == 0x010802;
}

/* How many drivers hold the function's PciIo (opened BY_DRIVER) */
static UINTN drivers_on(EFI_HANDLE h)
{
    EFI_OPEN_PROTOCOL_INFORMATION_ENTRY *e = NULL;
    UINTN n = 0, drivers = 0;

    if (EFI_ERROR(uefi_call_wrapper(BS->OpenProtocolInformation, 4, h, &PciIoProtocol,
                                    &e, &n)))
        return 0;
    for (UINTN i = 0; i < n; i++)
        if (e[i].Attributes & EFI_OPEN_PROTOCOL_BY_DRIVER)
            drivers++;
    FreePool(e);
    return drivers;
}

/* Disconnects the firmware's drivers from every PCI function `want`
 * accepts (by its class code and vendor/device ID), remembering those it
 * could in out[]; `kind` names them in the lines. */
static UINTN disconnect_pci(BOOLEAN (*want)(UINT32 cc, UINT32 id), const CHAR16 *kind,
                            void (*still_bound)(EFI_HANDLE h),
                            EFI_HANDLE *out, UINTN cap)
{
    EFI_HANDLE *h = NULL;
    UINTN n = 0, got = 0;

    if (EFI_ERROR(LibLocateHandle(ByProtocol, &PciIoProtocol, NULL, &n, &h)))
        return 0;
    for (UINTN i = 0; i < n && got < cap; i++) {
        EFI_PCI_IO_PROTOCOL *pio;
        UINT32 reg = 0, id = 0;
        UINTN seg, bus, dev, fn;
        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h[i], &PciIoProtocol,
                                        (void **)&pio)) ||
            EFI_ERROR(uefi_call_wrapper(pio->Pci.Read, 5, pio, EfiPciIoWidthUint32,
                                        0, 1, &id)) ||
            EFI_ERROR(uefi_call_wrapper(pio->Pci.Read, 5, pio, EfiPciIoWidthUint32,
                                        8, 1, &reg)) ||
            !want(reg >> 8, id))
            continue;
        uefi_call_wrapper(pio->GetLocation, 5, pio, &seg, &bus, &dev, &fn);
        UINTN drivers = drivers_on(h[i]);
        EFI_STATUS st = uefi_call_wrapper(BS->DisconnectController, 3, h[i], NULL, NULL);
        UINTN left = drivers ? drivers_on(h[i]) : 0;
        if (drivers)
            Print(L"veneer.efi: %s %02x:%02x.%x (class %06x): firmware driver "
                  L"disconnected: %r (drivers bound: %u before, %u after)\n", kind,
                  bus, dev, fn, reg >> 8, st, drivers, left);
        else
            Print(L"veneer.efi: %s %02x:%02x.%x (class %06x): no firmware "
                  L"driver bound\n", kind, bus, dev, fn, reg >> 8);
        if (left && still_bound)
            still_bound(h[i]);
        if (!EFI_ERROR(st) || (drivers && !left))
            out[got++] = h[i];
    }
    FreePool(h);
    return got;
}

static BOOLEAN storage_wanted(UINT32 cc, UINT32 id)
{
    return mediated(cc);
}

void storage_disconnect(void)
{
    nctrls = disconnect_pci(storage_wanted, L"storage controller", NULL, ctrls,
                            MAX_CTRL);
}

void storage_reconnect(void)
{
    for (UINTN i = 0; i < nctrls; i++) {
        EFI_STATUS st = uefi_call_wrapper(BS->ConnectController, 4, ctrls[i], NULL,
                                          NULL, TRUE);
        Print(L"veneer.efi: storage controller %u reconnected (mediated): %r\n",
              i, st);
    }
}

/* ---- the NIC the VMM takes (vmm.net=vmm) --------------------------------
 * A firmware with a driver for it (a UEFI network driver, from the NIC's
 * option ROM or built in) runs the NIC: receive rings in its memory, a
 * timer polling it. The VMM resets the NIC it takes and conceals it, so
 * the driver would go on polling registers that read all ones. So every
 * NIC of the models the VMM drives (Intel 82540EM 8086:100e, 82574L
 * 8086:10d3) gets its firmware driver disconnected before the call, and
 * connected again after: the one the VMM took then reads as absent and no
 * driver binds to it; the others (vmm.pci=pass=) go back to the firmware. */
static EFI_HANDLE nics[8];
static UINTN nnics;

static BOOLEAN vmm_nic(UINT32 cc, UINT32 id)
{
    return (cc >> 16) == 0x02 && (id == 0x100e8086 || id == 0x10d38086);
}

/* A driver still bound after DisconnectController (whatever it answered:
 * OVMF answers Not Found for QEMU's iPXE ROM driver and yet none is left)
 * keeps the NIC: its network interfaces (SNP, on the NIC's handle or its
 * children, whose device paths start with the NIC's) are shut down and
 * stopped instead, so the driver closes the NIC itself and the firmware's
 * network stack stops polling it (its Receive answers EFI_NOT_STARTED). */
static void nic_quiesce(EFI_HANDLE nic)
{
    EFI_DEVICE_PATH *np = DevicePathFromHandle(nic);
    EFI_HANDLE *h = NULL;
    UINTN n = 0, stopped = 0, len;

    if (!np || EFI_ERROR(LibLocateHandle(ByProtocol, &SimpleNetworkProtocol, NULL,
                                         &n, &h))) {
        Print(L"veneer.efi: network controller: its firmware driver stays bound "
              L"and it has no network interface to stop\n");
        return;
    }
    len = DevicePathSize(np) - sizeof(EFI_DEVICE_PATH); /* without the end */
    for (UINTN i = 0; i < n; i++) {
        EFI_DEVICE_PATH *sp = DevicePathFromHandle(h[i]);
        EFI_SIMPLE_NETWORK_PROTOCOL *snp;
        if (!sp || DevicePathSize(sp) < len || CompareMem(sp, np, len) ||
            EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h[i],
                                        &SimpleNetworkProtocol, (void **)&snp)))
            continue;
        EFI_STATUS sd = uefi_call_wrapper(snp->Shutdown, 1, snp);
        EFI_STATUS sp_st = uefi_call_wrapper(snp->Stop, 1, snp);
        Print(L"veneer.efi: network controller: its firmware driver stays bound; "
              L"its network interface shut down (%r) and stopped (%r)\n", sd, sp_st);
        stopped++;
    }
    FreePool(h);
    if (!stopped)
        Print(L"veneer.efi: network controller: its firmware driver stays bound "
              L"and it has no network interface to stop\n");
}

void nic_disconnect(void)
{
    nnics = disconnect_pci(vmm_nic, L"network controller", nic_quiesce, nics, 8);
}

void nic_reconnect(void)
{
    for (UINTN i = 0; i < nnics; i++) {
        EFI_PCI_IO_PROTOCOL *pio;
        UINT32 id = 0;
        if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, nics[i], &PciIoProtocol,
                                         (void **)&pio)))
            uefi_call_wrapper(pio->Pci.Read, 5, pio, EfiPciIoWidthUint32, 0, 1, &id);
        if (id == 0xffffffff || id == 0) {
            Print(L"veneer.efi: network controller %u taken by the VMM (it reads "
                  L"as absent): left without a firmware driver\n", i);
            continue;
        }
        EFI_STATUS st = uefi_call_wrapper(BS->ConnectController, 4, nics[i], NULL,
                                          NULL, TRUE);
        Print(L"veneer.efi: network controller %u reconnected: %r\n", i, st);
    }
}

/* ---- the passphrase ----------------------------------------------------- */

/* common/hypercall.h's ABI v2: RAX = magic | number, arguments and results
 * in RBX, RCX, RDX, RSI, RDI. */
#define HC_MAGIC 0x56454e00ULL
enum { PASS_STATUS, PASS_APPEND, PASS_CHECK, PASS_CLEAR };
#define PASSPHRASE_MAX 256 /* devices/storage/storage.c */

struct hc_regs { UINT64 rax, rbx, rcx, rdx, rsi, rdi; };

static BOOLEAN cpu_is_amd(void)
{
    UINT32 a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541 /* Auth */ || b == 0x6f677948 /* Hygo(nGenuine) */;
}

static void hypercall(struct hc_regs *r)
{
    if (cpu_is_amd())
        __asm__ volatile("vmmcall"
                         : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx),
                           "+S"(r->rsi), "+D"(r->rdi) :: "memory");
    else
        __asm__ volatile("vmcall"
                         : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx),
                           "+S"(r->rsi), "+D"(r->rdi) :: "memory");
}

static void wipe(void *p, UINTN n)
{
    volatile UINT8 *b = p;
    while (n--)
        *b++ = 0;
}

/* The number of the call `name` (up to 24 bytes, packed into RBX, RCX,
 * RDX), 0 if the VMM does not know it. */
static UINT64 hypercall_number(const char *name)
{
    struct hc_regs r = { .rax = HC_MAGIC };
    UINT64 *w[3] = { &r.rbx, &r.rcx, &r.rdx };

    for (UINTN i = 0; name[i] && i < 24; i++)
        *w[i / 8] |= (UINT64)(UINT8)name[i] << (8 * (i % 8));
    hypercall(&r);
    return r.rax == (UINT64)-1 || r.rax > 0xff ? 0 : r.rax;
}

static INT64 passphrase_call(UINT64 nr, UINT64 op, struct hc_regs *r)
{
    r->rax = HC_MAGIC | nr;
    r->rbx = op;
    hypercall(r);
    return (INT64)r->rax;
}

/* A line on ConIn: '*' per character, backspace edits, Enter ends it. Only
 * printable ASCII is taken (what the BIOS prompt takes from a keyboard). */
static UINTN read_secret(char *buf, UINTN size)
{
    UINTN n = 0, index;
    EFI_INPUT_KEY key;

    uefi_call_wrapper(ST->ConIn->Reset, 2, ST->ConIn, FALSE);
    Print(L"Veneer: disk passphrase: ");
    for (;;) {
        uefi_call_wrapper(BS->WaitForEvent, 3, 1, &ST->ConIn->WaitForKey, &index);
        if (EFI_ERROR(uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, &key)))
            continue;
        CHAR16 c = key.UnicodeChar;
        if (c == CHAR_CARRIAGE_RETURN || c == CHAR_LINEFEED)
            break;
        if (c == CHAR_BACKSPACE) {
            if (n) {
                n--;
                Print(L"\b \b");
            }
            continue;
        }
        if (c < 0x20 || c > 0x7e || n + 1 >= size)
            continue;
        buf[n++] = (char)c;
        Print(L"*");
    }
    key.UnicodeChar = 0;
    Print(L"\n");
    return n;
}

BOOLEAN passphrase_handover(void)
{
    static char pass[PASSPHRASE_MAX];
    struct hc_regs r = { 0 };
    UINT64 nr = hypercall_number("passphrase");

    if (!nr) {
        Print(L"veneer.efi: this VMM has no passphrase call\n");
        return FALSE;
    }
    if (passphrase_call(nr, PASS_STATUS, &r) != 0)
        return FALSE;
    if (!r.rbx)
        return TRUE; /* no passphrase wanted */
    for (;;) {
        UINTN n = read_secret(pass, sizeof(pass)), i = 0;
        INT64 rc = passphrase_call(nr, PASS_CLEAR, &r);
        while (rc == 0 && i < n) {
            UINTN k = n - i < 24 ? n - i : 24;
            UINT64 w[3] = { 0, 0, 0 };
            for (UINTN j = 0; j < k; j++)
                w[j / 8] |= (UINT64)(UINT8)pass[i + j] << (8 * (j % 8));
            r = (struct hc_regs){ .rcx = k, .rdx = w[0], .rsi = w[1], .rdi = w[2] };
            rc = passphrase_call(nr, PASS_APPEND, &r);
            wipe(w, sizeof(w));
            i += k;
        }
        wipe(pass, sizeof(pass));
        if (rc == 0)
            rc = passphrase_call(nr, PASS_CHECK, &r);
        if (rc != 0) {
            wipe(&r, sizeof(r));
            Print(L"veneer.efi: the VMM refused the passphrase call (%ld)\n", rc);
            return FALSE;
        }
        if (r.rbx == 1)
            break;
        Print(L"Veneer: wrong passphrase, try again.\n");
    }
    wipe(&r, sizeof(r));
    Print(L"veneer.efi: disk key accepted by the VMM\n");
    return TRUE;
}

/* ---- the next boot option ----------------------------------------------- */

/* Is the loaded image this very program (a boot option whose removable-
 * media path is veneer.efi copied as \EFI\BOOT\BOOTX64.EFI)? Its code
 * is compared: the data differs once a program runs. */
extern char ImageBase[], _text[], _etext[];

static BOOLEAN is_this_program(EFI_HANDLE child)
{
    EFI_LOADED_IMAGE *li;
    UINTN off = (UINTN)(_text - ImageBase), len = (UINTN)(_etext - _text);

    if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol,
                                    (void **)&li)) ||
        li->ImageSize < off + len)
        return FALSE;
    return CompareMem((UINT8 *)li->ImageBase + off, _text, len) == 0;
}

/* The option's path as the firmware's boot manager expands it: a full path
 * loads as it is; a path to a disk or partition (OVMF's own options) gets
 * the removable-media path \EFI\BOOT\BOOTX64.EFI on the first file system
 * under it; a short-form path starting at a partition (HD) is matched
 * against every file system's partition node. */
static EFI_STATUS load_option(EFI_HANDLE image, EFI_DEVICE_PATH *dp, void *data,
                              UINT32 data_len, EFI_HANDLE *child)
{
    EFI_STATUS st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0,
                                      child);
    EFI_HANDLE *fs = NULL;
    UINTN nfs = 0, plen = DevicePathSize(dp) - END_DEVICE_PATH_LENGTH;
    BOOLEAN short_hd = DevicePathType(dp) == MEDIA_DEVICE_PATH &&
                       DevicePathSubType(dp) == MEDIA_HARDDRIVE_DP;

    if (!EFI_ERROR(st) ||
        EFI_ERROR(LibLocateHandle(ByProtocol, &FileSystemProtocol, NULL, &nfs, &fs)))
        goto loaded;
    for (UINTN i = 0; i < nfs && EFI_ERROR(st); i++) {
        EFI_DEVICE_PATH *fp = DevicePathFromHandle(fs[i]), *full = NULL;
        if (!fp)
            continue;
        UINTN flen = DevicePathSize(fp) - END_DEVICE_PATH_LENGTH;
        if (short_hd) {
            UINTN hl = DevicePathNodeLength(dp);
            for (EFI_DEVICE_PATH *p = fp; !IsDevicePathEnd(p); p = NextDevicePathNode(p))
                if ((UINTN)DevicePathNodeLength(p) == hl && CompareMem(p, dp, hl) == 0 &&
                    IsDevicePathEnd(NextDevicePathNode(p))) {
                    full = AppendDevicePath(fp, NextDevicePathNode(dp));
                    break;
                }
        } else if (flen >= plen && CompareMem(fp, dp, plen) == 0) {
            full = FileDevicePath(fs[i], L"\\EFI\\BOOT\\BOOTX64.EFI");
        }
        if (!full)
            continue;
        st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, full, NULL, 0, child);
        FreePool(full);
    }
    FreePool(fs);
loaded:
    if (!EFI_ERROR(st) && data_len) {
        EFI_LOADED_IMAGE *li;
        if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, *child,
                                         &LoadedImageProtocol, (void **)&li))) {
            li->LoadOptions = data;
            li->LoadOptionsSize = data_len;
        }
    }
    return st;
}

EFI_STATUS boot_next_option(EFI_HANDLE image)
{
    UINTN osize = 0, csize = 0;
    UINT16 *order = LibGetVariableAndSize(L"BootOrder", &EfiGlobalVariable, &osize);
    UINT16 *cur = LibGetVariableAndSize(L"BootCurrent", &EfiGlobalVariable, &csize);
    UINTN n = order ? osize / 2 : 0, start = 0;

    if (cur && csize == 2)
        for (UINTN i = 0; i < n; i++)
            if (order[i] == *cur)
                start = i;
    CHAR16 cname[16];
    boot_option_name(cname, cur && csize == 2 ? *cur : 0xffff);
    Print(L"veneer.efi: BootCurrent is %s; %u boot options in BootOrder\n",
          cur && csize == 2 ? cname : L"not set", n);
    for (UINTN i = start; i < n; i++) {
        CHAR16 name[16];
        UINTN size = 0;
        struct load_option lo;
        boot_option_name(name, order[i]);
        UINT8 *opt = LibGetVariableAndSize(name, &EfiGlobalVariable, &size);
        if (!opt) {
            Print(L"veneer.efi: %s is in BootOrder but cannot be read\n", name);
            continue;
        }
        EFI_HANDLE child;
        const CHAR16 *skip = NULL, *desc = L"?";
        if (!loadopt_parse(opt, size, &lo))
            skip = L"malformed (its length, description or device path)";
        else if (desc = lo.description, !(lo.attributes & LOAD_OPTION_ACTIVE) ||
                 (lo.attributes & (LOADOPT_HIDDEN | LOADOPT_CATEGORY)))
            skip = L"inactive, hidden or not a boot option";
        else if (device_path_names(lo.path, lo.path_len, "veneer.efi"))
            skip = L"veneer.efi itself";
        if (skip) {
            Print(L"veneer.efi: %s skipped: %s\n", name, skip);
            FreePool(opt);
            continue;
        }
        EFI_STATUS st = load_option(image, lo.path, lo.data, (UINT32)lo.data_len,
                                    &child);
        if (EFI_ERROR(st)) {
            Print(L"veneer.efi: %s \"%s\" does not load: %r\n", name, desc, st);
            FreePool(opt);
            continue;
        }
        if (is_this_program(child)) {
            Print(L"veneer.efi: %s skipped: veneer.efi itself\n", name);
            uefi_call_wrapper(BS->UnloadImage, 1, child);
            FreePool(opt);
            continue;
        }
        Print(L"veneer.efi: starting %s \"%s\"\n", name, desc);
        uefi_call_wrapper(RT->SetVariable, 5, L"BootCurrent", &EfiGlobalVariable,
                          EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS,
                          sizeof(UINT16), &order[i]);
        st = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
        Print(L"veneer.efi: %s returned %r\n", name, st);
        FreePool(opt);
        FreePool(order);
        if (cur)
            FreePool(cur);
        return st;
    }
    if (order)
        FreePool(order);
    if (cur)
        FreePool(cur);
    Print(L"veneer.efi: no boot option after this one loads\n");
    return EFI_NOT_FOUND;
}
