/* Vector registers in the VMM (see simd.h). */
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>
#include <platform/mem.h>
#include <platform/percpu.h>
#include <platform/simd.h>
#include <platform/trap.h>
#include <string.h>

#define XCR0_USER_MASK 0xe7ULL /* x87 SSE AVX | opmask ZMM_Hi256 Hi16_ZMM */

u64 simd_vmm_xcr0;
static u32 area_size;
static bool have_xsave;
static u8 *save_area[MAX_CPUS];
static u64 saved_xcr0[MAX_CPUS];
static bool in_simd[MAX_CPUS];

static void xsave(void *area, u64 mask)
{
    __asm__ volatile("xsave64 %0" : "+m"(*(u8 *)area)
                     : "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory");
}

static void xrstor(const void *area, u64 mask)
{
    __asm__ volatile("xrstor64 %0" ::"m"(*(const u8 *)area), "a"((u32)mask),
                     "d"((u32)(mask >> 32)) : "memory");
}

static int simd_init(void)
{
    struct cpuid_regs r = cpuid(1);

    have_xsave = r.ecx & BIT(26);
    if (have_xsave) {
        write_cr4(read_cr4() | CR4_OSXSAVE | CR4_OSFXSR | CR4_OSXMMEXCPT);
        cpuid_count(0xd, 0, &r);
        u64 supported = ((u64)r.edx << 32) | r.eax;
        simd_vmm_xcr0 = supported & XCR0_USER_MASK;
        if ((simd_vmm_xcr0 & 0xe0) != 0xe0)
            simd_vmm_xcr0 &= ~0xe0ULL; /* AVX-512 only as a whole */
        area_size = r.ecx;             /* for all supported components */
    } else {
        write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
        area_size = 512;
    }
    write_cr0(read_cr0() & ~(CR0_TS | CR0_EM));
    for (u32 i = 0; i < pcpu_count; i++) {
        save_area[i] = kzalloc(ALIGN_UP(area_size, 64) + 64);
        if (!save_area[i])
            return -E_NOMEM;
        save_area[i] = (u8 *)ALIGN_UP((u64)save_area[i], 64);
    }
    log_info("simd", "vector state: %s, VMM components 0x%llx, %u-byte save area",
             have_xsave ? "XSAVE" : "FXSAVE", (unsigned long long)simd_vmm_xcr0,
             area_size);
    return 0;
}
INIT_FUNC(mem, 50, simd_init);

void simd_begin(void)
{
    u32 me = this_cpu()->index;
    u32 mxcsr = 0x1f80;

    if (in_simd[me])
        panic("simd: simd_begin nested on CPU %u", me);
    in_simd[me] = true;
    if (have_xsave) {
        /* Widen XCR0 first: a guest with XCR0 = x87 still uses xmm
         * registers, which only an XSAVE with the SSE bit saves. */
        saved_xcr0[me] = xgetbv(0);
        if (saved_xcr0[me] != simd_vmm_xcr0)
            xsetbv(0, simd_vmm_xcr0);
        xsave(save_area[me], simd_vmm_xcr0);
    } else {
        __asm__ volatile("fxsave64 %0" : "=m"(*save_area[me]));
    }
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
}

void simd_end(void)
{
    u32 me = this_cpu()->index;

    if (!in_simd[me])
        panic("simd: simd_end without simd_begin on CPU %u", me);
    if (have_xsave) {
        /* Every component back as it was before simd_begin: nothing the
         * VMM computed stays in a register, visible to the guest or not. */
        xrstor(save_area[me], simd_vmm_xcr0);
        if (saved_xcr0[me] != simd_vmm_xcr0)
            xsetbv(0, saved_xcr0[me]);
    } else {
        __asm__ volatile("fxrstor64 %0" ::"m"(*save_area[me]));
    }
    in_simd[me] = false;
}

/* An AP's part (common/smp.c, on the AP): its save area. CR0 and CR4 are
 * the BSP's already (platform/smp.c). */
int simd_cpu_init(void)
{
    u32 me = this_cpu()->index;

    if (!save_area[me]) {
        u8 *a = kzalloc(ALIGN_UP(area_size, 64) + 64);
        if (!a)
            return -E_NOMEM;
        save_area[me] = (u8 *)ALIGN_UP((u64)a, 64);
    }
    return 0;
}
