/* Task-switch emulation (common/task_switch.c) against a flat fake guest
 * memory holding a GDT, an LDT and TSSs: each source (JMP, CALL, IRET,
 * task gates for INT n, a fault with an error code, an NMI), the saved
 * EIP rule, busy bits, NT and the back link, the state loaded, and the
 * faults the CPU would raise, with the old task left untouched when the
 * fault comes before the switch. */
#include "check.h"
#include <common/task_switch.h>
#include <platform/cpu.h>

#define MEM_SIZE 0x10000
#define GDT 0x1000
#define OLD_TSS 0x2000
#define NEW_TSS 0x3000
#define LDT 0x4000

enum {
    SEL_CODE = 0x08, SEL_DATA = 0x10, SEL_OLD = 0x18, SEL_NEW = 0x20,
    SEL_LDT = 0x28, SEL_TSS16 = 0x30, SEL_SHORT = 0x38, SEL_ABSENT = 0x40,
    SEL_BUSY = 0x48, SEL_SMALLCS = 0x50, GDT_LIMIT = 0x57,
};

static u8 ram[MEM_SIZE];
static u64 fault_page = ~0ULL; /* a not-present page, for #PF */

static int fake_access(void *ctx, u64 gla, void *buf, size_t len, bool write,
                       struct guest_fault *f)
{
    (void)ctx;
    for (u64 a = gla; a < gla + len; a++) {
        if ((a & ~0xfffULL) == fault_page) {
            f->addr = a;
            f->error = write ? 2 : 0;
            return -E_FAULT;
        }
    }
    if (gla + len > MEM_SIZE)
        return -E_INVAL;
    if (write)
        memcpy(ram + gla, buf, len);
    else
        memcpy(buf, ram + gla, len);
    return 0;
}

static const struct ts_mem mem = { fake_access, NULL };

static void put_desc(u64 table, u16 sel, u32 base, u32 limit, u8 access, u8 flags)
{
    struct seg_desc d = {
        .limit_lo = (u16)limit, .base_lo = (u16)base, .base_mid = (u8)(base >> 16),
        .access = access, .limit_flags = (u8)(flags | ((limit >> 16) & 0xf)),
        .base_hi = (u8)(base >> 24),
    };
    memcpy(ram + table + (sel & ~7u), &d, sizeof(d));
}

static u8 access_of(u64 table, u16 sel)
{
    return ram[table + (sel & ~7u) + 5];
}

static struct tss32 *tss_at(u64 a)
{
    return (struct tss32 *)(ram + a);
}

static struct vcpu_state st;
static u64 gpr[GPR_COUNT];

/* The old task runs at 0x08:0x500 with flat segments and TSS 0x18 (busy);
 * TSS 0x20 (available) holds a task with an LDT whose DS comes from it. */
static void setup(void)
{
    memset(ram, 0, sizeof(ram));
    fault_page = ~0ULL;
    put_desc(GDT, SEL_CODE, 0, 0xfffff, 0x9b, 0xc0);
    put_desc(GDT, SEL_DATA, 0, 0xfffff, 0x93, 0xc0);
    put_desc(GDT, SEL_OLD, OLD_TSS, 0x67, 0x8b, 0);
    put_desc(GDT, SEL_NEW, NEW_TSS, 0x67, 0x89, 0);
    put_desc(GDT, SEL_LDT, LDT, 0x0f, 0x82, 0);
    put_desc(GDT, SEL_TSS16, NEW_TSS, 0x2b, 0x81, 0);
    put_desc(GDT, SEL_SHORT, NEW_TSS, 0x60, 0x89, 0);
    put_desc(GDT, SEL_ABSENT, NEW_TSS, 0x67, 0x09, 0);
    put_desc(GDT, SEL_BUSY, NEW_TSS, 0x67, 0x8b, 0);
    put_desc(GDT, SEL_SMALLCS, 0, 0xfff, 0x9b, 0x40);
    put_desc(LDT, 0x0c, 0x100, 0xffff, 0x92, 0x40); /* LDT entry 1, not accessed */

    struct tss32 *n = tss_at(NEW_TSS);
    n->cr3 = 0x5000;
    n->eip = 0x1234;
    n->eflags = 0x2;
    for (int i = 0; i < 8; i++)
        n->gpr[i] = 0x1000 + i;
    n->gpr[GPR_RSP] = 0x8000;
    n->seg[SEG_ES] = SEL_DATA;
    n->seg[SEG_CS] = SEL_CODE;
    n->seg[SEG_SS] = SEL_DATA;
    n->seg[SEG_DS] = 0x0c;
    n->seg[SEG_FS] = 0;
    n->seg[SEG_GS] = SEL_DATA;
    n->ldt = SEL_LDT;
    tss_at(OLD_TSS)->seg[SEG_GS] = 0xabcd0000; /* reserved half: kept */

    memset(&st, 0, sizeof(st));
    st.valid = TASK_SWITCH_STATE;
    st.rip = 0x500;
    st.rflags = 0x202;
    st.cr0 = CR0_PE | CR0_ET;
    st.cr3 = 0x7000;
    st.dr7 = 0x4ff;
    st.gdtr = (struct dtable){ GDT, GDT_LIMIT };
    for (int i = 0; i < 6; i++)
        st.seg[i] = (struct segment){ SEL_DATA, 0xc093, 0xffffffff, 0 };
    st.seg[SEG_CS] = (struct segment){ SEL_CODE, 0xc09b, 0xffffffff, 0 };
    st.seg[SEG_LDTR] = (struct segment){ 0, SEG_ATTR_UNUSABLE, 0, 0 };
    st.seg[SEG_TR] = (struct segment){ SEL_OLD, 0x8b, 0x67, OLD_TSS };
    for (int i = 0; i < GPR_COUNT; i++)
        gpr[i] = 0xaa00 + i;
}

static struct vcpu_exit exit_of(u8 source, u16 sel, u8 insn_len)
{
    struct vcpu_exit e = { .kind = EXIT_TASK_SWITCH, .insn_len = insn_len };

    e.task.tss_sel = sel;
    e.task.source = source;
    return e;
}

static struct ts_outcome run(const struct vcpu_exit *e)
{
    struct ts_outcome o;

    task_switch_emulate(&st, gpr, &mem, e, &o);
    return o;
}

/* The new task's state as TSS 0x20 describes it. */
static void check_new_task_loaded(void)
{
    CHECK_EQ(st.rip, 0x1234);
    CHECK_EQ(st.seg[SEG_TR].sel, SEL_NEW);
    CHECK_EQ(st.seg[SEG_TR].base, NEW_TSS);
    CHECK_EQ(st.seg[SEG_TR].attr & 0xff, 0x8b);
    CHECK_EQ(st.seg[SEG_LDTR].base, LDT);
    CHECK_EQ(st.seg[SEG_LDTR].attr & 0xff, 0x82);
    CHECK_EQ(st.seg[SEG_DS].sel, 0x0c);
    CHECK_EQ(st.seg[SEG_DS].base, 0x100);
    CHECK_EQ(st.seg[SEG_DS].attr, 0x4093);         /* accessed, D/B */
    CHECK_EQ(access_of(LDT, 0x0c), 0x93);          /* accessed bit written */
    CHECK_EQ(st.seg[SEG_CS].limit, 0xffffffff);    /* G scaled */
    CHECK(st.seg[SEG_FS].attr & SEG_ATTR_UNUSABLE); /* null selector */
    CHECK_EQ(st.cr3, 0x7000);                      /* no paging: kept */
    CHECK(st.cr0 & CR0_TS);
    CHECK_EQ(st.dr7, 0x4aa);                       /* L0-L3 cleared */
    CHECK_EQ(gpr[GPR_RAX], 0x1000);
    CHECK_EQ(gpr[GPR_RSP], 0x8000);
    CHECK_EQ(gpr[GPR_RDI], 0x1007);
}

static void check_old_task_saved(u32 eip, u32 eflags)
{
    struct tss32 *o = tss_at(OLD_TSS);

    CHECK_EQ(o->eip, eip);
    CHECK_EQ(o->eflags, eflags);
    CHECK_EQ(o->gpr[GPR_RAX], 0xaa00);
    CHECK_EQ(o->gpr[GPR_RSP], 0xaa04);
    CHECK_EQ(o->seg[SEG_CS], SEL_CODE);
    CHECK_EQ(o->seg[SEG_GS], 0xabcd0000 | SEL_DATA);
    CHECK_EQ(o->cr3, 0);                            /* CR3 and LDT not saved */
}

static void test_jmp(void)
{
    setup();
    struct vcpu_exit e = exit_of(TASK_JMP, SEL_NEW, 7);
    struct ts_outcome o = run(&e);

    CHECK_EQ(o.result, TS_DONE);
    CHECK_EQ(o.saved_eip, 0x507);
    check_old_task_saved(0x507, 0x202);
    check_new_task_loaded();
    CHECK_EQ(access_of(GDT, SEL_OLD), 0x89);       /* old busy cleared */
    CHECK_EQ(access_of(GDT, SEL_NEW), 0x8b);       /* new busy set */
    CHECK(!(st.rflags & RFLAGS_NT));
    CHECK_EQ(tss_at(NEW_TSS)->link, 0);            /* no back link */
    CHECK(o.dirty & VS_TR && o.dirty & VS_CS && o.dirty & VS_LDTR && o.dirty & VS_CR0);
}

static void test_call_then_iret(void)
{
    setup();
    struct vcpu_exit e = exit_of(TASK_CALL, SEL_NEW, 7);
    struct ts_outcome o = run(&e);

    CHECK_EQ(o.result, TS_DONE);
    check_old_task_saved(0x507, 0x202);
    check_new_task_loaded();
    CHECK_EQ(access_of(GDT, SEL_OLD), 0x8b);       /* stays busy */
    CHECK_EQ(access_of(GDT, SEL_NEW), 0x8b);
    CHECK(st.rflags & RFLAGS_NT);
    CHECK_EQ(tss_at(NEW_TSS)->link, SEL_OLD);

    /* IRET from the new task (NT=1) back to the old one. */
    st.rip = 0x1240;
    st.intr_state = INTR_NMI_BLOCKED;
    e = exit_of(TASK_IRET, SEL_OLD, 1);
    o = run(&e);
    CHECK_EQ(o.result, TS_DONE);
    CHECK_EQ(tss_at(NEW_TSS)->eip, 0x1241);        /* after the IRET */
    CHECK(!(tss_at(NEW_TSS)->eflags & RFLAGS_NT)); /* NT cleared in the image */
    CHECK_EQ(access_of(GDT, SEL_NEW), 0x89);       /* IRET clears the old busy */
    CHECK_EQ(access_of(GDT, SEL_OLD), 0x8b);       /* and leaves the new one */
    CHECK_EQ(st.rip, 0x507);
    CHECK_EQ(st.rflags, 0x202);
    CHECK_EQ(st.seg[SEG_TR].sel, SEL_OLD);
    CHECK_EQ(gpr[GPR_RAX], 0xaa00);
    CHECK(!(st.intr_state & INTR_NMI_BLOCKED));    /* IRET ends NMI blocking */
}

static void test_gates(void)
{
    /* INT n through a task gate: EIP after the INT. */
    setup();
    struct vcpu_exit e = exit_of(TASK_GATE, SEL_NEW, 2);
    e.task.event = TASK_EV_SOFTWARE;
    e.task.vector = 0x40;
    struct ts_outcome o = run(&e);
    CHECK_EQ(o.result, TS_DONE);
    check_old_task_saved(0x502, 0x202);
    CHECK(st.rflags & RFLAGS_NT);
    CHECK_EQ(tss_at(NEW_TSS)->link, SEL_OLD);
    CHECK_EQ(access_of(GDT, SEL_OLD), 0x8b);
    CHECK_EQ(gpr[GPR_RSP], 0x8000);                /* no error code */

    /* #GP with an error code: the faulting EIP, the code on the new stack. */
    setup();
    e = exit_of(TASK_GATE, SEL_NEW, 3);            /* a stale length: unused */
    e.task.event = TASK_EV_EXCEPTION;
    e.task.vector = 13;
    e.task.has_error = true;
    e.task.error = 0x1000;
    o = run(&e);
    CHECK_EQ(o.result, TS_DONE);
    check_old_task_saved(0x500, 0x202);
    CHECK_EQ(st.rip, 0x1234);
    CHECK_EQ(gpr[GPR_RSP], 0x8000 - 4);
    CHECK_EQ(*(u32 *)(ram + 0x8000 - 4), 0x1000);

    /* An NMI: the interrupted EIP, NMIs blocked in the new task. */
    setup();
    e = exit_of(TASK_GATE, SEL_NEW, 0);
    e.task.event = TASK_EV_NMI;
    e.task.vector = 2;
    o = run(&e);
    CHECK_EQ(o.result, TS_DONE);
    CHECK_EQ(o.saved_eip, 0x500);
    CHECK(st.intr_state & INTR_NMI_BLOCKED);

    CHECK(task_switch_saves_next_eip(&(struct vcpu_exit){ .task.source = TASK_JMP }));
    CHECK(task_switch_saves_next_eip(&(struct vcpu_exit){ .task.source = TASK_IRET }));
    CHECK(!task_switch_saves_next_eip(&(struct vcpu_exit){
        .task = { .source = TASK_GATE, .event = TASK_EV_EXTINT } }));
}

/* A fault before the switch changes neither the state nor memory. */
static void expect_early_fault(struct vcpu_exit e, u8 vector, u32 error)
{
    setup();
    u8 before[MEM_SIZE];
    memcpy(before, ram, sizeof(ram));
    struct ts_outcome o = run(&e);
    CHECK_EQ(o.result, TS_FAULT);
    CHECK_EQ(o.vector, vector);
    CHECK_EQ(o.error, error);
    CHECK(!o.switched);
    CHECK_EQ(o.dirty, 0);
    CHECK_EQ(st.rip, 0x500);
    CHECK_EQ(st.seg[SEG_TR].sel, SEL_OLD);
    CHECK(memcmp(before, ram, sizeof(ram)) == 0);
}

static void test_descriptor_faults(void)
{
    struct vcpu_exit nmi = exit_of(TASK_GATE, SEL_ABSENT, 0);
    nmi.task.event = TASK_EV_NMI;

    expect_early_fault(exit_of(TASK_JMP, SEL_ABSENT, 7), 11, SEL_ABSENT);
    expect_early_fault(nmi, 11, SEL_ABSENT | 1);            /* EXT */
    expect_early_fault(exit_of(TASK_JMP, SEL_BUSY, 7), 13, SEL_BUSY);
    expect_early_fault(exit_of(TASK_CALL, SEL_DATA, 7), 13, SEL_DATA);
    expect_early_fault(exit_of(TASK_IRET, SEL_NEW, 1), 10, SEL_NEW); /* not busy */
    expect_early_fault(exit_of(TASK_JMP, SEL_SHORT, 7), 10, SEL_SHORT);
    expect_early_fault(exit_of(TASK_JMP, 0x60, 7), 13, 0x60); /* past the GDT */
    expect_early_fault(exit_of(TASK_JMP, 0x24, 7), 13, 0x24); /* TI=1 */

    /* A page fault on the new TSS: #PF with CR2, nothing changed. */
    setup();
    fault_page = NEW_TSS;
    struct vcpu_exit e = exit_of(TASK_JMP, SEL_NEW, 7);
    struct ts_outcome o = run(&e);
    CHECK_EQ(o.result, TS_FAULT);
    CHECK_EQ(o.vector, 14);
    CHECK_EQ(o.cr2, NEW_TSS);
    CHECK_EQ(st.rip, 0x500);
    CHECK_EQ(access_of(GDT, SEL_OLD), 0x8b);

    /* Refused: a 16-bit TSS, IA-32e mode. */
    setup();
    e = exit_of(TASK_JMP, SEL_TSS16, 7);
    o = run(&e);
    CHECK_EQ(o.result, TS_REFUSED);
    CHECK(o.why && strstr(o.why, "16-bit"));
    setup();
    st.efer = EFER_LME | EFER_LMA;
    e = exit_of(TASK_JMP, SEL_NEW, 7);
    CHECK_EQ(run(&e).result, TS_REFUSED);
}

static void test_new_task_faults(void)
{
    /* CS names a data segment: #TS(CS) in the new task, segments kept. */
    setup();
    tss_at(NEW_TSS)->seg[SEG_CS] = SEL_DATA;
    struct vcpu_exit e = exit_of(TASK_JMP, SEL_NEW, 7);
    struct ts_outcome o = run(&e);
    CHECK_EQ(o.result, TS_FAULT);
    CHECK_EQ(o.vector, 10);
    CHECK_EQ(o.error, SEL_DATA);
    CHECK(o.switched);
    CHECK_EQ(st.seg[SEG_TR].sel, SEL_NEW);
    CHECK_EQ(st.seg[SEG_CS].sel, SEL_CODE);
    CHECK_EQ(st.rip, 0x1234);
    CHECK(o.dirty & VS_TR);

    /* A not-present data segment: #NP(sel). */
    setup();
    put_desc(LDT, 0x0c, 0x100, 0xffff, 0x12, 0x40);
    o = run(&e);
    CHECK_EQ(o.vector, 11);
    CHECK_EQ(o.error, 0x0c);

    /* SS of another privilege level: #TS(SS). */
    setup();
    tss_at(NEW_TSS)->seg[SEG_SS] = SEL_DATA | 3;
    o = run(&e);
    CHECK_EQ(o.vector, 10);
    CHECK_EQ(o.error, SEL_DATA);

    /* The LDT selector is not an LDT: #TS(LDT). */
    setup();
    tss_at(NEW_TSS)->ldt = SEL_DATA;
    o = run(&e);
    CHECK_EQ(o.vector, 10);
    CHECK_EQ(o.error, SEL_DATA);

    /* EIP past the CS limit: #GP(0). */
    setup();
    tss_at(NEW_TSS)->seg[SEG_CS] = SEL_SMALLCS;
    tss_at(NEW_TSS)->eip = 0x2000;
    o = run(&e);
    CHECK_EQ(o.vector, 13);
    CHECK_EQ(o.error, 0);
    CHECK(o.switched);
}

static void test_paging_and_v86(void)
{
    /* With paging, CR3 comes from the new TSS. */
    setup();
    st.cr0 |= CR0_PG;
    struct vcpu_exit e = exit_of(TASK_JMP, SEL_NEW, 7);
    CHECK_EQ(run(&e).result, TS_DONE);
    CHECK_EQ(st.cr3, 0x5000);

    /* A virtual-8086 task: segments as in real mode. */
    setup();
    tss_at(NEW_TSS)->eflags = RFLAGS_VM | 2;
    tss_at(NEW_TSS)->seg[SEG_CS] = 0x1000;
    tss_at(NEW_TSS)->seg[SEG_SS] = 0x2000;
    CHECK_EQ(run(&e).result, TS_DONE);
    CHECK_EQ(st.seg[SEG_CS].base, 0x10000);
    CHECK_EQ(st.seg[SEG_SS].base, 0x20000);
    CHECK_EQ(st.seg[SEG_CS].attr, 0xf3);
    CHECK_EQ(st.seg[SEG_CS].limit, 0xffff);
}

int main(void)
{
    test_jmp();
    test_call_then_iret();
    test_gates();
    test_descriptor_faults();
    test_new_task_faults();
    test_paging_and_v86();
    return check_done("task_switch");
}
