/* String I/O for port owners (common/exit.h): INS/OUTS done by the VMM,
 * a whole sector (or more) per exit. SDM vol. 2 INS/OUTS: the destination
 * of INS is always ES:rDI, the source of OUTS seg:rSI (DS unless
 * overridden); rDI/rSI step by the element size, backwards when
 * RFLAGS.DF=1; REP counts rCX down; the address size chooses how much of
 * each register is used and wraps. */
#include <common/exit.h>
#include <common/guest_mem.h>
#include <platform/cpu.h>
#include <platform/log.h>
#include <string.h>

struct str_op {
    u64 amask;    /* address-size mask of rCX and rDI/rSI */
    u64 base;     /* the segment's base */
    bool lm64;    /* 64-bit code: linear addresses are not truncated */
    enum gpr reg; /* rDI or rSI */
};

static void str_setup(struct vcpu *v, const struct vcpu_exit *e, struct str_op *op)
{
    struct vcpu_state *s = vcpu_state_get(v, VS_SEGMENTS | VS_EFER);
    u8 seg = e->io.in ? SEG_ES : e->io.seg;

    op->amask = e->io.addr_size == 8 ? ~0ULL : (1ULL << (8 * e->io.addr_size)) - 1;
    op->lm64 = (s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & BIT(13));
    /* 64-bit mode: only FS and GS have a base (SDM 3.4.4) */
    op->base = seg < SEG_COUNT && (!op->lm64 || seg == SEG_FS || seg == SEG_GS)
                   ? s->seg[seg].base : 0;
    op->reg = e->io.in ? GPR_RDI : GPR_RSI;
}

static void set_masked(u64 *r, u64 mask, u64 value)
{
    *r = mask == 0xffffffffULL ? value & mask : (*r & ~mask) | (value & mask);
}

/* Elements the next chunk moves: forwards, up to the chunk, the budget and
 * the address wrap; backwards, one at a time. */
static u64 chunk_elems(const struct str_op *op, u64 off, u64 left, u8 size, bool down)
{
    u64 n = IO_STRING_CHUNK / size;

    if (down)
        return 1;
    if (n > left)
        n = left;
    if (op->amask != ~0ULL) {
        u64 to_wrap = (op->amask - off + 1) / size;
        if (to_wrap && n > to_wrap)
            n = to_wrap;
    }
    return n;
}

int io_string(struct vcpu *v, const struct vcpu_exit *e, io_string_fn xfer,
              void *ctx)
{
    u64 *g = v->regs.gpr;
    u8 buf[IO_STRING_CHUNK] __aligned(16);
    struct str_op op;
    u8 size = e->io.size;
    bool down = vcpu_state_get(v, VS_RFLAGS)->rflags & RFLAGS_DF;

    str_setup(v, e, &op);
    u64 count = e->io.rep ? g[GPR_RCX] & op.amask : 1;
    u64 budget = IO_STRING_BUDGET / size;

    while (count && budget) {
        u64 off = g[op.reg] & op.amask;
        u64 n = chunk_elems(&op, off, count < budget ? count : budget, size, down);
        u64 lin = op.base + off;
        size_t len = (size_t)(n * size);
        int r = 0;
        if (!op.lm64)
            lin &= 0xffffffffULL;
        if (e->io.in) {
            xfer(ctx, buf, len, true);
            r = guest_linear_write(v, lin, buf, len);
        } else if ((r = guest_linear_read(v, lin, buf, len)) == 0) {
            xfer(ctx, buf, len, false);
        }
        if (r < 0) {
            log_warn("io", "%s of port 0x%x: guest buffer at linear 0x%llx "
                     "not mapped; #GP to the guest", e->io.in ? "INS" : "OUTS",
                     e->io.port, (unsigned long long)lin);
            vcpu_ops->inject_exception(v, 13, 0);
            return -E_FAULT;
        }
        set_masked(&g[op.reg], op.amask, down ? off - len : off + len);
        count -= n;
        budget -= n;
        if (e->io.rep)
            set_masked(&g[GPR_RCX], op.amask, count);
    }
    if (!count)
        vcpu_ops->skip_instruction(v, e);
    return 0;
}

static void port_xfer(void *ctx, void *buf, size_t len, bool in)
{
    u16 port = (u16)(uintptr_t)ctx;
    u8 size = (u8)((uintptr_t)ctx >> 16);
    size_t n = len / size;

    if (in && size == 1)
        __asm__ volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
    else if (in && size == 2)
        __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
    else if (in)
        __asm__ volatile("rep insl" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
    else if (size == 1)
        __asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
    else if (size == 2)
        __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
    else
        __asm__ volatile("rep outsl" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

int io_string_passthrough(struct vcpu *v, const struct vcpu_exit *e)
{
    return io_string(v, e, port_xfer, (void *)(uintptr_t)(e->io.port | (u32)e->io.size << 16));
}
