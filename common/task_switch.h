/* Hardware task switches, emulated (SDM vol. 3 7.3) for backends whose CPU
 * exits on them (VMX always does, SDM 26.4.2; SVM can intercept them).
 *
 * The backend decodes the exit into vcpu_exit.task (TSS selector, source,
 * the IDT event of a task gate and its error code) and consumes an event
 * the switch delivers (it is not re-injected). task_switch_emulate() does
 * the rest on vcpu_state and the register frame: it re-checks the new TSS
 * descriptor (the guest's tables are untrusted, and may have changed since
 * the CPU looked), saves the old task, loads the new one, and reports a
 * fault the CPU would raise. 32-bit TSSs only; a 16-bit TSS is refused.
 * Pure apart from the memory callback: host-tested. */
#ifndef VENEER_COMMON_TASK_SWITCH_H
#define VENEER_COMMON_TASK_SWITCH_H

#include <common/guest_mem.h>
#include <common/vcpu.h>

/* A segment descriptor in the GDT or an LDT (SDM 3.4.5). */
struct seg_desc {
    u16 limit_lo;
    u16 base_lo;
    u8 base_mid;
    u8 access;      /* type[3:0] S[4] DPL[6:5] P[7] */
    u8 limit_flags; /* limit[19:16] AVL[4] L[5] D/B[6] G[7] */
    u8 base_hi;
} __packed;
CHECK_SIZE(struct seg_desc, 8);

/* A 32-bit TSS (SDM figure 7-2). gpr[] is in enum gpr order (EAX, ECX,
 * EDX, EBX, ESP, EBP, ESI, EDI) and seg[] in enum seg_index order (ES, CS,
 * SS, DS, FS, GS), selectors in bits 15:0. */
struct tss32 {
    u16 link, rsvd0;
    u32 esp0;
    u16 ss0, rsvd1;
    u32 esp1;
    u16 ss1, rsvd2;
    u32 esp2;
    u16 ss2, rsvd3;
    u32 cr3, eip, eflags;
    u32 gpr[8];
    u32 seg[6];
    u16 ldt, rsvd4;
    u16 trap, iomap;
} __packed;
CHECK_SIZE(struct tss32, 104);
CHECK_OFFSET(struct tss32, cr3, 0x1c);
CHECK_OFFSET(struct tss32, eip, 0x20);
CHECK_OFFSET(struct tss32, gpr, 0x28);
CHECK_OFFSET(struct tss32, seg, 0x48);
CHECK_OFFSET(struct tss32, ldt, 0x60);
CHECK_OFFSET(struct tss32, trap, 0x64);

/* The part of the old TSS a switch writes (EIP through GS). */
#define TSS32_DYN_START offsetof(struct tss32, eip)
#define TSS32_DYN_END offsetof(struct tss32, ldt)

/* System descriptor types (SDM table 3-2). */
#define DESC_TSS16_AVAIL 0x1
#define DESC_LDT 0x2
#define DESC_TSS16_BUSY 0x3
#define DESC_TSS32_AVAIL 0x9
#define DESC_TSS32_BUSY 0xb
#define DESC_TSS_BUSY_BIT 0x2

/* Guest-linear memory for the emulation (guest_linear_access on a vcpu,
 * or a test's fake). */
struct ts_mem {
    int (*access)(void *ctx, u64 gla, void *buf, size_t len, bool write,
                  struct guest_fault *f);
    void *ctx;
};

enum ts_result {
    TS_DONE,    /* the new task runs */
    TS_FAULT,   /* deliver `vector` (with `error`; #PF: CR2 = cr2) */
    TS_REFUSED, /* not emulated (16-bit TSS, long mode): `why` */
};

struct ts_outcome {
    enum ts_result result;
    u8 vector;
    u32 error;
    u64 cr2;
    bool switched;      /* the fault is in the new task's context */
    u32 dirty;          /* vcpu_state fields changed (mark them dirty) */
    u64 saved_eip;      /* the EIP written to the old TSS */
    const char *why;    /* TS_FAULT / TS_REFUSED: what was wrong */
};

/* The vcpu_state fields the emulation reads. */
#define TASK_SWITCH_STATE                                                 \
    (VS_RIP | VS_RFLAGS | VS_CR0 | VS_CR3 | VS_CR4 | VS_EFER | VS_DR7 |   \
     VS_SEGMENTS | VS_GDTR | VS_INTR_STATE)

/* Whether the switch saves the EIP after the instruction (CALL, JMP, IRET,
 * INT n/INT3/INTO/INT1 through a gate) rather than the interrupted one. */
bool task_switch_saves_next_eip(const struct vcpu_exit *e);

/* Emulates the switch described by e->task on state `s` and the register
 * frame `gpr`, touching guest memory only through `m`. */
void task_switch_emulate(struct vcpu_state *s, u64 *gpr, const struct ts_mem *m,
                         const struct vcpu_exit *e, struct ts_outcome *out);

#endif
