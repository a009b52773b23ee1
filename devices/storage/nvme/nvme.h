/* The NVMe mediator's state, shared by devices/storage/nvme/nvme.c (controller,
 * registers, hand-over, namespaces) and devices/storage/nvme/nvme_queue.c (shadow
 * queues, commands, completions). Private to the two.
 * docs/storage-nvme.md. */
#ifndef VENEER_DEVICES_NVME_H
#define VENEER_DEVICES_NVME_H

#include <common/mmio.h>
#include <devices/storage/nvme/nvme_cmd.h>
#include <devices/storage/storage.h>
#include <platform/spinlock.h>

#define NVME_MAX_CTRL 8
#define NVME_MAX_QID 16          /* I/O queue IDs 1..16 are shadowed */
#define NVME_MAX_NS 16           /* namespaces 1..16 are registered */
#define NVME_MDTS 6              /* advertised: 2^6 pages of 4 KiB */
#define NVME_BOUNCE_MAX (4096u << NVME_MDTS) /* 256 KiB per command */
#define NVME_BOUNCES 16          /* data commands at the controller at once */
#define NVME_BOUNCES_ATTACH 2    /* of them allocated at attach, the rest on use */
#define NVME_LOG_LIMIT 32        /* refusals logged (then only counted) */
#define NVME_PAGE 4096u
#define NVME_MSIX_TRACKED 64     /* MSI-X vectors the VMM can hold masked */

struct nvme_bounce {
    bool used;
    bool failed;                 /* its allocation failed: not tried again */
    u8 *buf;
    u64 phys;
    u64 *list;                   /* a PRP list over buf */
    u64 list_phys;
    struct nvme_prp_walk walk;   /* the guest's checked regions */
};

enum nvme_slot_state { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

/* One command of a submission queue, by its shadow command ID. */
struct nvme_slot {
    u8 state;
    bool internal;               /* the VMM's own command: not posted */
    struct nvme_sqe g;           /* the guest's entry (the checked copy) */
    struct nvme_decoded d;
    struct nvme_bounce *b;
    bool async;                  /* counted in async_busy while BUSY */
    u8 cpu;                      /* async: the CPU that submitted it */
    bool direct;                 /* Read/Write of plain sectors: the
                                  * controller moves the guest's checked
                                  * pages (b holds the PRP list only) */
    void *qmem;                  /* Create: the shadow queue allocated */
    u64 qphys;
    u32 qbytes;
    struct nvme_cqe cqe;         /* DONE: what the guest is to see */
};

struct nvme_sq {
    bool live;
    u16 qid, cqid;
    u32 size;
    u64 gbase;                   /* the guest's queue */
    u32 head, tail;              /* guest side: consumed, doorbell */
    struct nvme_sqe *sh;         /* the controller's (shadow) queue */
    u64 sh_phys;
    u32 sh_tail;
    struct nvme_slot *slots;     /* size entries */
    u32 slots_pages;
    u32 busy, done, next_slot;
    bool in_doorbell;            /* a CPU is taking its entries (and waiting) */
};

struct nvme_cq {
    bool live;
    u16 qid;
    u32 size;
    u32 flags;                   /* the Create command's cdw11 (IEN, IV) */
    u64 gbase;
    u32 head, tail;              /* guest side: its doorbell, where we post */
    bool phase;
    struct nvme_cqe *sh;
    u64 sh_phys;
    u32 sh_head;
    bool sh_phase;
    bool posted;                 /* entries posted, the guest not yet told */
};

struct nvme_ns {
    bool registered;
    struct nvme_ns_info info;
    struct storage_dev sd;
};

struct nvme_ctrl {
    spinlock_t lock;
    struct pci_dev *pci;
    char name[16];               /* "00:04.0" */
    u64 bar;
    volatile u8 *regs;
    struct mmio_owner owner;
    u64 cap;
    u32 dstrd, mqes;
    /* the guest's view of the registers the mediator keeps virtual */
    u32 g_cc;
    u64 g_admin[3];              /* AQA (low half), ASQ, ACQ */
    bool fatal;                  /* enable refused: CSTS.CFS to the guest */
    bool os_generation;          /* the guest reset the controller once */
    struct nvme_sq sq[NVME_MAX_QID + 1];
    struct nvme_cq cq[NVME_MAX_QID + 1];
    struct nvme_ns ns[NVME_MAX_NS + 1];
    struct nvme_bounce bounce[NVME_BOUNCES];
    u64 scratch_phys;            /* data pointer of commands without data */
    u64 sectors_fw, sectors_os;  /* through the mediator, by generation */
    u32 refusals, aer_busy;
    u32 room_waits;              /* doorbells that waited for a slot or bounce */
    u32 sq_gen[NVME_MAX_QID + 1]; /* bumped when the SQ is freed */
    /* MSI-X (nvme_irq.c): the table, hooked */
    struct mmio_owner msix_owner;
    u32 msix_off;                /* the table's offset in BAR0 */
    u32 msix_n;                  /* vectors tracked (0: not hooked) */
    u64 msix_gmask;              /* the guest's mask bits */
    u8 msix_cap;                 /* the capability's config offset */
    bool msix_on;                /* MSI-X enabled, the function not masked */
    u64 msix_vpend;              /* messages owed on vectors the guest masks */
    u32 msix_undecoded;          /* messages the VMM could not send */
    /* completions without a wait at the doorbell (nvme_queue.c) */
    u32 async_busy;              /* commands of such queues at the controller */
    u32 max_inflight;            /* the most at the controller as the guest ran */
    u32 max_queues;              /* ... on that many queues at once */
};

/* nvme.c */
void nvme_refuse(struct nvme_ctrl *c, const char *fmt, ...) __printf(2, 3);
/* guest_ram_ok (common/guest_mem.h): the one DMA-window rule of all the
 * storage mediators. */
bool nvme_ram_ok(u64 gpa, u64 len);
u32 nvme_rd32(struct nvme_ctrl *c, u32 off);
void nvme_wr32(struct nvme_ctrl *c, u32 off, u32 v);

/* nvme.c: the table hook's entry (finds the controller, takes its lock) */
int nvme_msix_access_any(u64 gpa, unsigned size, bool write, u64 *value);

/* nvme_irq.c (with c->lock held, but attach) */
void nvme_msix_attach(struct nvme_ctrl *c, u64 reg_len);
u64 nvme_msix_hook_base(struct nvme_ctrl *c);
int nvme_msix_access(struct nvme_ctrl *c, u64 gpa, unsigned size, bool write, u64 *value);
/* CQ `cqid`'s completions are signalled by the VMM (its MSI-X vector is
 * tracked, the CQ has interrupts enabled, MSI-X is on): its SQs need no
 * wait at the doorbell. */
bool nvme_irq_vmm_signals(struct nvme_ctrl *c, u16 cqid);
/* Sends the guest CQ `cqid`'s interrupt message (entries were posted), or
 * keeps it pending while the guest masks the vector. */
void nvme_irq_signal(struct nvme_ctrl *c, u16 cqid);
/* Messages kept pending that can go now. */
void nvme_irq_flush(struct nvme_ctrl *c);
/* The guest wrote the device's config space: MSI-X on or off (without
 * c->lock: it reads the config space). */
void nvme_msix_config_written(struct nvme_ctrl *c);

/* nvme_queue.c (all with c->lock held; nvme_sq_doorbell drops it while it
 * waits for the controller) */
/* Shadow admin queues for the guest's (`check`: its AQA/ASQ/ACQ checked)
 * or for the VMM's own commands only (!check), programmed into the
 * controller's AQA/ASQ/ACQ. */
int nvme_admin_start(struct nvme_ctrl *c, u32 aqa, u64 asq, u64 acq, bool check);
void nvme_queues_drop(struct nvme_ctrl *c);
void nvme_sq_doorbell(struct nvme_ctrl *c, struct nvme_sq *q, u32 tail);
void nvme_cq_doorbell(struct nvme_ctrl *c, struct nvme_cq *q, u32 head);
void nvme_poll(struct nvme_ctrl *c);
/* Commands of queues without a doorbell wait at any controller. */
bool nvme_async_any(void);
int nvme_internal(struct nvme_ctrl *c, struct nvme_sqe *e, void *buf4k,
                  struct nvme_cqe *out);
int nvme_shadow_cq(struct nvme_ctrl *c, u16 qid, u32 size, u64 gbase, u32 flags);
int nvme_shadow_sq(struct nvme_ctrl *c, u16 qid, u32 size, u64 gbase, u16 cqid);
void nvme_bounces_alloc(struct nvme_ctrl *c);

#endif
