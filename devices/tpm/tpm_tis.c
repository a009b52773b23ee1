/* TPM FIFO interface driver (tpm_tis.h). Register offsets and bits from
 * the TCG PC Client Platform TPM Profile (PTP) spec, section "FIFO
 * Interface"; locality 0 only. */
#include <devices/tpm/tpm_tis.h>
#include <devices/tpm/tpm_cmd.h>
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/layout.h>
#include <platform/time.h>

#define TIS_ACCESS    0x000 /* 8-bit */
#define TIS_STS       0x018 /* 32-bit: status, burstCount in 8..23 */
#define TIS_DATA_FIFO 0x024
#define TIS_INTF_ID   0x030 /* PTP: InterfaceType in 3..0 */
#define TIS_DID_VID   0xf00

#define ACCESS_VALID   BIT(7) /* tpmRegValidSts */
#define ACCESS_ACTIVE  BIT(5) /* activeLocality (write 1: relinquish) */
#define ACCESS_REQUEST BIT(1) /* requestUse */

#define STS_VALID      BIT(7)
#define STS_READY      BIT(6) /* commandReady */
#define STS_GO         BIT(5) /* tpmGo */
#define STS_AVAIL      BIT(4) /* dataAvail */
#define STS_EXPECT     BIT(3)
#define STS_FAMILY(s)  (((s) >> 26) & 3) /* PTP: 1 = TPM 2.0 */

#define INTF_FIFO  0x0 /* PTP FIFO */
#define INTF_CRB   0x1
#define INTF_TIS13 0xf /* TIS 1.3 (FIFO, older TPMs) */

/* Timeouts (PTP: TIMEOUT_A 750 ms, TIMEOUT_B 2 s); a command's execution
 * is given 30 s (key generation on a slow TPM; the VMM's take less). */
#define TIMEOUT_A_US   750000
#define TIMEOUT_B_US   2000000
#define TIMEOUT_CMD_US 30000000

static volatile u8 *regs(void)
{
    return phys_to_virt(TIS_BASE);
}

static u8 rd8(unsigned off)
{
    return *(volatile u8 *)(regs() + off);
}

static void wr8(unsigned off, u8 v)
{
    *(volatile u8 *)(regs() + off) = v;
}

static u32 rd32(unsigned off)
{
    return *(volatile u32 *)(regs() + off);
}

static void wr32(unsigned off, u32 v)
{
    *(volatile u32 *)(regs() + off) = v;
}

/* Polls until (reg & mask) == want or `us` pass: 0 or -E_TIMEOUT. */
static int wait_access(u8 mask, u8 want, u64 us)
{
    u64 end = rdtsc() + us_to_tsc(us);

    while ((rd8(TIS_ACCESS) & mask) != want)
        if (rdtsc() > end)
            return -E_TIMEOUT;
        else
            cpu_relax();
    return 0;
}

static int wait_sts(u32 mask, u32 want, u64 us)
{
    u64 end = rdtsc() + us_to_tsc(us);

    while ((rd32(TIS_STS) & mask) != want)
        if (rdtsc() > end)
            return -E_TIMEOUT;
        else
            cpu_relax();
    return 0;
}

/* The burst count once it is non-zero, or 0 after TIMEOUT_A */
static u32 burst(void)
{
    u64 end = rdtsc() + us_to_tsc(TIMEOUT_A_US);

    for (;;) {
        u32 b = (rd32(TIS_STS) >> 8) & 0xffff;
        if (b)
            return b;
        if (rdtsc() > end)
            return 0;
        cpu_relax();
    }
}

/* Locality 0 was already active at tis_open: the firmware holds it (EDK2
 * requests it once at start and sends every later command, its
 * measurements of what it loads among them, without asking again). */
static bool found_active;

int tis_open(char *why, size_t whylen)
{
    u32 id = rd32(TIS_DID_VID), sts, intf;
    u8 acc = rd8(TIS_ACCESS);

    if (id == 0 || id == 0xffffffff || !(acc & ACCESS_VALID) || acc == 0xff) {
        ksnprintf(why, whylen, "no TPM at 0x%llx (DID_VID 0x%x, ACCESS 0x%x)",
                  TIS_BASE, id, acc);
        return -E_NOENT;
    }
    /* a CRB interface (most firmware TPMs) has other registers here */
    intf = rd32(TIS_INTF_ID) & 0xf;
    if (intf != INTF_FIFO && intf != INTF_TIS13) {
        ksnprintf(why, whylen, "the TPM at 0x%llx (DID_VID 0x%x) has interface "
                  "type %u%s: Veneer drives the FIFO interface only", TIS_BASE,
                  id, intf, intf == INTF_CRB ? " (CRB)" : "");
        return -E_NOTSUP;
    }
    found_active = (acc & ACCESS_ACTIVE) != 0;
    if (!found_active) {
        wr8(TIS_ACCESS, ACCESS_REQUEST);
        if (wait_access(ACCESS_VALID | ACCESS_ACTIVE, ACCESS_VALID | ACCESS_ACTIVE,
                        TIMEOUT_A_US) < 0) {
            ksnprintf(why, whylen, "the TPM (DID_VID 0x%x) did not grant "
                      "locality 0 within 750 ms (ACCESS 0x%x)", id,
                      rd8(TIS_ACCESS));
            return -E_TIMEOUT;
        }
    }
    sts = rd32(TIS_STS);
    if (STS_FAMILY(sts) != 1) {
        ksnprintf(why, whylen, "the TPM (DID_VID 0x%x) is not a TPM 2.0 (STS "
                  "0x%x: family %u)", id, sts, STS_FAMILY(sts));
        tis_close();
        return -E_NOTSUP;
    }
    return 0;
}

bool tis_close(void)
{
    wr32(TIS_STS, STS_READY);
    if (found_active)
        return true;
    wr8(TIS_ACCESS, ACCESS_ACTIVE);
    return false;
}

static int fail(char *why, size_t whylen, const char *what)
{
    ksnprintf(why, whylen, "TPM FIFO: %s (STS 0x%x)", what, rd32(TIS_STS));
    wr32(TIS_STS, STS_READY); /* abort what is under way */
    return -E_TIMEOUT;
}

/* Reads n bytes of the response at resp, burst by burst */
static int read_fifo(u8 *resp, size_t n)
{
    size_t got = 0;

    while (got < n) {
        u32 b = burst();
        if (!b)
            return -E_TIMEOUT;
        if (wait_sts(STS_VALID | STS_AVAIL, STS_VALID | STS_AVAIL, TIMEOUT_A_US) < 0)
            return -E_IO; /* the TPM has no more bytes */
        for (; b && got < n; b--)
            resp[got++] = rd8(TIS_DATA_FIFO);
    }
    return 0;
}

int tis_transact(const u8 *cmd, size_t len, u8 *resp, size_t cap, size_t *rlen,
                 char *why, size_t whylen)
{
    size_t sent = 0;
    u32 size;
    int r;

    *rlen = 0;
    if (len < TPM_HEADER_LEN || cap < TPM_HEADER_LEN) {
        ksnprintf(why, whylen, "TPM FIFO: a %zu-byte command", len);
        return -E_INVAL;
    }
    wr32(TIS_STS, STS_READY);
    if (wait_sts(STS_READY, STS_READY, TIMEOUT_B_US) < 0)
        return fail(why, whylen, "not ready for a command within 2 s");
    /* all but the last byte: the TPM must still expect more */
    while (sent < len - 1) {
        u32 b = burst();
        if (!b)
            return fail(why, whylen, "burst count stayed 0 while sending");
        for (; b && sent < len - 1; b--)
            wr8(TIS_DATA_FIFO, cmd[sent++]);
        if (wait_sts(STS_VALID, STS_VALID, TIMEOUT_A_US) < 0)
            return fail(why, whylen, "status not valid while sending");
        if (!(rd32(TIS_STS) & STS_EXPECT))
            return fail(why, whylen, "the TPM stopped expecting bytes before the "
                        "command's end");
    }
    if (!burst())
        return fail(why, whylen, "burst count stayed 0 for the last byte");
    wr8(TIS_DATA_FIFO, cmd[len - 1]);
    if (wait_sts(STS_VALID, STS_VALID, TIMEOUT_A_US) < 0)
        return fail(why, whylen, "status not valid after the last byte");
    if (rd32(TIS_STS) & STS_EXPECT)
        return fail(why, whylen, "the TPM expects more bytes than the command's "
                    "size");
    wr32(TIS_STS, STS_GO);
    if (wait_sts(STS_VALID | STS_AVAIL, STS_VALID | STS_AVAIL, TIMEOUT_CMD_US) < 0)
        return fail(why, whylen, "no response within 30 s");
    r = read_fifo(resp, TPM_HEADER_LEN);
    if (r < 0)
        return fail(why, whylen, "the response ended inside its header");
    size = (u32)resp[2] << 24 | (u32)resp[3] << 16 | (u32)resp[4] << 8 | resp[5];
    if (size < TPM_HEADER_LEN || size > cap) {
        ksnprintf(why, whylen, "TPM FIFO: response size field %u is outside "
                  "10..%zu", size, cap);
        wr32(TIS_STS, STS_READY);
        return -E_IO;
    }
    r = read_fifo(resp + TPM_HEADER_LEN, size - TPM_HEADER_LEN);
    if (r < 0) {
        ksnprintf(why, whylen, "TPM FIFO: the response size field says %u bytes, "
                  "the FIFO ran dry before", size);
        wr32(TIS_STS, STS_READY);
        return -E_IO;
    }
    if (wait_sts(STS_VALID, STS_VALID, TIMEOUT_A_US) < 0)
        return fail(why, whylen, "status not valid after the response");
    if (rd32(TIS_STS) & STS_AVAIL) {
        ksnprintf(why, whylen, "TPM FIFO: more response bytes than its size "
                  "field's %u", size);
        wr32(TIS_STS, STS_READY);
        return -E_IO;
    }
    wr32(TIS_STS, STS_READY);
    *rlen = size;
    return 0;
}
