/* libFuzzer target for the task-switch emulation (common/task_switch.c):
 * the guest's GDT, LDT and TSSs are untrusted. The input is a 64 KiB
 * guest-linear memory image (what is missing reads as zeros), and its
 * first bytes also choose the switch: the new TSS selector, the source,
 * the event, the GDTR limit and the old task's TR. The emulation must
 * finish with a result, never touch memory outside the image, and say
 * why when it faults or refuses. */
#include <stdint.h>
#include <string.h>

#include <common/task_switch.h>
#include <platform/cpu.h>

#define MEM_SIZE 0x10000

static u8 ram[MEM_SIZE];

static int access(void *ctx, u64 gla, void *buf, size_t len, bool write,
                  struct guest_fault *f)
{
    (void)ctx;
    if (gla >= MEM_SIZE || len > MEM_SIZE - gla) {
        f->addr = gla;
        f->error = write ? 2 : 0;
        return -E_FAULT;
    }
    if (write)
        memcpy(ram + gla, buf, len);
    else
        memcpy(buf, ram + gla, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vcpu_state s;
    struct vcpu_exit e;
    struct ts_outcome o;
    u64 gpr[GPR_COUNT];
    const struct ts_mem mem = { access, NULL };

    if (size < 16)
        return 0;
    memset(ram, 0, sizeof(ram));
    memcpy(ram, data, size < MEM_SIZE ? size : MEM_SIZE);
    memset(&s, 0, sizeof(s));
    memset(&e, 0, sizeof(e));
    memset(gpr, 0x5a, sizeof(gpr));
    s.cr0 = CR0_PE | CR0_ET | (data[8] & 1 ? CR0_PG : 0);
    s.rflags = RFLAGS_FIXED | (data[9] & 1 ? RFLAGS_NT : 0);
    s.rip = 0x500;
    s.gdtr.base = 0;
    s.gdtr.limit = (u32)(data[0] | data[1] << 8);
    s.seg[SEG_TR].sel = (u16)(data[2] | data[3] << 8);
    s.seg[SEG_TR].base = (u64)(data[10] | data[11] << 8);
    s.seg[SEG_TR].limit = 0x67;
    s.seg[SEG_TR].attr = 0x8b;
    s.seg[SEG_CS] = (struct segment){ 0x08, 0xc09b, 0xffffffff, 0 };
    e.kind = EXIT_TASK_SWITCH;
    e.insn_len = (u8)(data[12] % 16);
    e.task.tss_sel = (u16)(data[4] | data[5] << 8);
    e.task.source = data[6] & 3;
    e.task.event = (data[6] >> 2) & 3;
    e.task.vector = data[7];
    e.task.has_error = data[13] & 1;
    e.task.error = data[14];
    task_switch_emulate(&s, gpr, &mem, &e, &o);
    if (o.result != TS_DONE && !o.why)
        __builtin_trap(); /* a fault or refusal must say why */
    if (o.result == TS_FAULT && o.vector >= 32)
        __builtin_trap();
    return 0;
}
