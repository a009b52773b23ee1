/* AML namespace builder and parser; see aml.h for the two-pass design.
 * Grammar: ACPI 6.5 section 20.2. */
#include "common/acpi/aml.h"

#include <string.h>

/* ---- parser state -------------------------------------------------------- */

_Static_assert(sizeof(struct aml_node) == 32, "namespace node size");

struct aml_parser {
    struct aml_ns *ns;
    const uint8_t *aml; /* the whole table */
    uint32_t pos, end;  /* end: limit of the innermost construct */
    uint8_t table;
    bool methods;       /* pass 2: parse method bodies */
    bool in_method;     /* declarations are method-local */
    bool query;         /* read-only walk of a stored object */
    bool prescan;       /* pass 1a: collect names only, report nothing */
    uint64_t qbudget;   /* step budget of a query walk */
    uint8_t cond;       /* inside module-level If/Else/While */
    unsigned depth;
    aml_node_id scope;
};

/* A parsed NameString: 'roots' is 1 for '\', parents counts '^'. */
struct aml_name {
    uint8_t root;
    uint8_t parents;
    uint8_t nsegs;
    uint32_t segs; /* offset of the first NameSeg in the table */
};

static void aml_report(struct aml_ns *ns, int err, const char *what,
                       uint8_t table, uint64_t off, uint64_t value)
{
    struct acpi_problem p = { .err = err, .what = what, .addr = off,
                              .value = value };

    if (!ns->env || !ns->env->report)
        return;
    if (table < ns->ntables)
        memcpy(p.sig, ns->tables[table].sig, 5);
    ns->env->report(ns->env->ctx, &p);
}

static int step(struct aml_ns *ns, uint64_t n)
{
    if (ns->budget < n) {
        ns->stats.steps += ns->budget; /* never counts past the budget */
        ns->budget = 0;
        return ACPI_ESTEPS;
    }
    ns->stats.steps += n;
    ns->budget -= n;
    return 0;
}

/* Steps of a parser: a query walk (const namespace) counts its own. */
static int pstep(struct aml_parser *p, uint64_t n)
{
    if (!p->query)
        return step(p->ns, n);
    if (p->qbudget < n)
        return ACPI_ESTEPS;
    p->qbudget -= n;
    return 0;
}

static uint32_t seg_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint32_t seg_from_str(const char *s)
{
    uint8_t b[4] = { '_', '_', '_', '_' };

    for (int i = 0; i < 4 && s[i]; i++)
        b[i] = (uint8_t)s[i];
    return seg_at(b);
}

/* ---- namespace ------------------------------------------------------------ */

static uint32_t hash(aml_node_id parent, uint32_t name)
{
    uint32_t h = name * 0x9e3779b1u ^ (parent + 1) * 0x85ebca77u;

    return h ^ (h >> 15);
}

static aml_node_id find_child(struct aml_ns *ns, aml_node_id parent,
                              uint32_t name, int *err)
{
    aml_node_id id = ns->buckets[hash(parent, name) & ns->bucket_mask];

    /* one step per probe, and one per chained node visited */
    if (step(ns, 1)) {
        *err = ACPI_ESTEPS;
        return AML_NONE;
    }
    while (id != AML_NONE) {
        const struct aml_node *n = &ns->nodes[id];

        if (n->name == name && n->parent == parent)
            return id;
        if (step(ns, 1)) {
            *err = ACPI_ESTEPS;
            return AML_NONE;
        }
        id = n->hash_next;
    }
    return AML_NONE;
}

static aml_node_id new_node(struct aml_ns *ns, aml_node_id parent,
                            uint32_t name, uint8_t type, int *err)
{
    struct aml_node *n;
    uint32_t b;

    if (ns->nnodes == ns->max_nodes) {
        *err = ACPI_ENOMEM;
        return AML_NONE;
    }
    if (parent != AML_NONE && ns->nodes[parent].depth >= AML_MAX_NS_DEPTH) {
        *err = ACPI_EDEPTH;
        return AML_NONE;
    }
    n = &ns->nodes[ns->nnodes];
    memset(n, 0, sizeof(*n));
    n->name = name;
    n->parent = parent;
    n->type = type;
    n->table = 0xff;
    n->alias = AML_NONE;
    n->depth = parent == AML_NONE ? 0 : ns->nodes[parent].depth + 1;
    b = hash(parent, name) & ns->bucket_mask;
    n->hash_next = ns->buckets[b];
    ns->buckets[b] = ns->nnodes;
    return ns->nnodes++;
}

static aml_node_id get_or_add(struct aml_ns *ns, aml_node_id parent,
                              uint32_t name, int *err)
{
    aml_node_id id = find_child(ns, parent, name, err);

    if (id == AML_NONE && !*err)
        id = new_node(ns, parent, name, AML_T_SCOPE, err);
    return id;
}

/* Start node of a NameString: root or scope, then one parent per '^'. */
static aml_node_id name_base(struct aml_ns *ns, aml_node_id scope,
                             const struct aml_name *nm)
{
    aml_node_id s = nm->root ? AML_ROOT : scope;

    for (unsigned i = 0; i < nm->parents; i++) {
        if (s == AML_ROOT)
            return AML_NONE;
        s = ns->nodes[s].parent;
    }
    return s;
}

/* ACPI 6.5 5.3: a single NameSeg without prefix is searched in the scope
 * and then in each parent up to the root; other paths are exact. */
static aml_node_id lookup(struct aml_parser *p, const struct aml_name *nm,
                          int *err)
{
    struct aml_ns *ns = p->ns;
    const uint8_t *seg = p->aml + nm->segs;
    aml_node_id s = name_base(ns, p->scope, nm);

    if (s == AML_NONE || nm->nsegs == 0)
        return s;
    if (nm->nsegs == 1 && !nm->root && !nm->parents) {
        for (;;) {
            aml_node_id c = find_child(ns, s, seg_at(seg), err);

            if (c != AML_NONE || *err || s == AML_ROOT)
                return c;
            s = ns->nodes[s].parent;
        }
    }
    for (unsigned i = 0; i < nm->nsegs && s != AML_NONE; i++)
        s = find_child(ns, s, seg_at(seg + 4 * i), err);
    return s;
}

/* Creates (or finds) the node a declaration names, with implicit scope
 * nodes for missing path components. */
static aml_node_id declare(struct aml_parser *p, const struct aml_name *nm,
                           uint8_t type, int *err)
{
    struct aml_ns *ns = p->ns;
    const uint8_t *seg = p->aml + nm->segs;
    aml_node_id s = name_base(ns, p->scope, nm);
    struct aml_node *n;

    if (s == AML_NONE || nm->nsegs == 0) {
        *err = ACPI_EAML;
        return AML_NONE;
    }
    for (unsigned i = 0; i < nm->nsegs && !*err; i++)
        s = get_or_add(ns, s, seg_at(seg + 4 * i), err);
    if (*err)
        return AML_NONE;
    n = &ns->nodes[s];
    if (n->type == AML_T_SCOPE && !(n->flags & AML_NF_BUILTIN)) {
        /* first real declaration of this name (or an implicit node) */
        n->type = type;
        n->table = p->table;
        n->flags |= (p->cond ? AML_NF_COND : 0) |
                    (p->in_method ? AML_NF_LOCAL : 0);
        return s;
    }
    if (n->type == AML_T_EXTERNAL && type != AML_T_EXTERNAL) {
        n->type = type;
        n->table = p->table;
        n->flags = (p->cond ? AML_NF_COND : 0) |
                   (p->in_method ? AML_NF_LOCAL : 0);
        return s;
    }
    /* Already declared (If/Else branches, or an External after the real
     * declaration): the first declaration stays. Pass 2 rewalks nothing at
     * module level, so this is a real duplicate. */
    *err = ACPI_EDUP;
    return s;
}

static const struct aml_node *alias_target(const struct aml_ns *ns,
                                           const struct aml_node *n)
{
    for (int i = 0; i < 8 && n->type == AML_T_ALIAS; i++) {
        if (n->alias == AML_NONE)
            return n;
        n = &ns->nodes[n->alias];
    }
    return n;
}

/* ---- low-level readers ---------------------------------------------------- */

static int need(struct aml_parser *p, uint32_t n)
{
    return p->end - p->pos >= n ? 0 : ACPI_ETRUNC;
}

static int read_u8(struct aml_parser *p, uint8_t *v)
{
    if (need(p, 1))
        return ACPI_ETRUNC;
    *v = p->aml[p->pos++];
    return 0;
}

static int skip(struct aml_parser *p, uint32_t n)
{
    if (need(p, n))
        return ACPI_ETRUNC;
    p->pos += n;
    return 0;
}

/* PkgLength (20.2.4); returns the absolute end offset in *pkg_end when
 * bounded, else the raw value (field bit widths). */
static int read_pkglen(struct aml_parser *p, uint32_t *value)
{
    uint8_t lead, b;
    unsigned extra;
    uint32_t v;

    if (read_u8(p, &lead))
        return ACPI_ETRUNC;
    extra = lead >> 6;
    if (extra == 0) {
        *value = lead & 0x3f;
        return 0;
    }
    if (lead & 0x30)
        return ACPI_EAML; /* bits 5:4 must be zero with extra bytes */
    v = lead & 0x0f;
    for (unsigned i = 0; i < extra; i++) {
        if (read_u8(p, &b))
            return ACPI_ETRUNC;
        v |= (uint32_t)b << (4 + 8 * i);
    }
    *value = v;
    return 0;
}

static int read_pkg_end(struct aml_parser *p, uint32_t *pkg_end)
{
    uint32_t start = p->pos, len;
    int err = read_pkglen(p, &len);

    if (err)
        return err;
    if (len < p->pos - start || len > p->end - start)
        return ACPI_ETRUNC;
    *pkg_end = start + len;
    return 0;
}

static bool lead_name_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(uint8_t c)
{
    return lead_name_char(c) || (c >= '0' && c <= '9');
}

static bool name_start(uint8_t c)
{
    return lead_name_char(c) || c == '\\' || c == '^' || c == 0x2e ||
           c == 0x2f;
}

static int read_nameseg(struct aml_parser *p)
{
    const uint8_t *s;

    if (need(p, 4))
        return ACPI_ETRUNC;
    s = p->aml + p->pos;
    if (!lead_name_char(s[0]) || !name_char(s[1]) || !name_char(s[2]) ||
        !name_char(s[3]))
        return ACPI_EAML;
    p->pos += 4;
    return 0;
}

/* NameString (20.2.2), including NullName. */
static int read_name(struct aml_parser *p, struct aml_name *nm)
{
    uint8_t c;
    unsigned n;
    int err;

    memset(nm, 0, sizeof(*nm));
    if (need(p, 1))
        return ACPI_ETRUNC;
    if (p->aml[p->pos] == '\\') {
        nm->root = 1;
        p->pos++;
    } else {
        while (!need(p, 1) && p->aml[p->pos] == '^') {
            if (nm->parents == 255)
                return ACPI_EAML;
            nm->parents++;
            p->pos++;
        }
    }
    if (read_u8(p, &c))
        return ACPI_ETRUNC;
    if (c == 0x00) {
        n = 0;
    } else if (c == 0x2e) {
        n = 2;
    } else if (c == 0x2f) {
        if (read_u8(p, &c))
            return ACPI_ETRUNC;
        n = c;
        if (n == 0)
            return ACPI_EAML;
    } else {
        p->pos--;
        n = 1;
    }
    nm->nsegs = (uint8_t)n;
    nm->segs = p->pos;
    for (unsigned i = 0; i < n; i++)
        if ((err = read_nameseg(p)))
            return err;
    return pstep(p, n);
}

/* ---- grammar --------------------------------------------------------------- */

static int parse_termarg(struct aml_parser *p);
static int parse_termlist(struct aml_parser *p, uint32_t end);

/* Argument letters of the opcode table:
 *   p PkgLength (the object ends there)   n NameString (reference)
 *   N NameString declaring the object     t TermArg
 *   s SuperName                            r Target (SuperName or NullName)
 *   b w d q  byte/word/dword/qword data    c NUL-terminated string
 *   D DataRefObject (Name's value)         L TermList to the object's end
 *   F FieldList to the end                 P package elements to the end
 *   B byte list to the end */
struct aml_op {
    const char *args;
    uint8_t decl; /* node type + 1 for declarations, 0 otherwise */
    uint8_t flags;
};
#define OP_SCOPE 1  /* the body (L) runs in the declared node's scope */
#define OP_METHOD 2
#define OP_COND 4   /* If, Else, While */
#define OP_ELSE 8

#define D(t) ((uint8_t)((t) + 1))

static const struct aml_op ops1[256] = {
    [0x00] = { "" }, [0x01] = { "" }, [0xff] = { "" },
    [0x06] = { "nN", D(AML_T_ALIAS) },
    [0x08] = { "ND", D(AML_T_NAME) },
    [0x0a] = { "b" }, [0x0b] = { "w" }, [0x0c] = { "d" }, [0x0e] = { "q" },
    [0x0d] = { "c" },
    [0x10] = { "pnL", 0, OP_SCOPE },
    [0x11] = { "ptB" }, [0x12] = { "pbP" }, [0x13] = { "ptP" },
    [0x14] = { "pNbL", D(AML_T_METHOD), OP_SCOPE | OP_METHOD },
    [0x15] = { "Nbb", D(AML_T_EXTERNAL) },
    [0x60] = { "" }, [0x61] = { "" }, [0x62] = { "" }, [0x63] = { "" },
    [0x64] = { "" }, [0x65] = { "" }, [0x66] = { "" }, [0x67] = { "" },
    [0x68] = { "" }, [0x69] = { "" }, [0x6a] = { "" }, [0x6b] = { "" },
    [0x6c] = { "" }, [0x6d] = { "" }, [0x6e] = { "" },
    [0x70] = { "ts" }, [0x71] = { "s" }, [0x72] = { "ttr" },
    [0x73] = { "ttr" }, [0x74] = { "ttr" }, [0x75] = { "s" },
    [0x76] = { "s" }, [0x77] = { "ttr" }, [0x78] = { "ttrr" },
    [0x79] = { "ttr" }, [0x7a] = { "ttr" }, [0x7b] = { "ttr" },
    [0x7c] = { "ttr" }, [0x7d] = { "ttr" }, [0x7e] = { "ttr" },
    [0x7f] = { "ttr" }, [0x80] = { "tr" }, [0x81] = { "tr" },
    [0x82] = { "tr" }, [0x83] = { "t" }, [0x84] = { "ttr" },
    [0x85] = { "ttr" }, [0x86] = { "st" }, [0x87] = { "s" },
    [0x88] = { "ttr" }, [0x89] = { "tbtbtt" },
    [0x8a] = { "ttN", D(AML_T_BUFFER_FIELD) },
    [0x8b] = { "ttN", D(AML_T_BUFFER_FIELD) },
    [0x8c] = { "ttN", D(AML_T_BUFFER_FIELD) },
    [0x8d] = { "ttN", D(AML_T_BUFFER_FIELD) },
    [0x8e] = { "s" },
    [0x8f] = { "ttN", D(AML_T_BUFFER_FIELD) },
    [0x90] = { "tt" }, [0x91] = { "tt" }, [0x92] = { "t" },
    [0x93] = { "tt" }, [0x94] = { "tt" }, [0x95] = { "tt" },
    [0x96] = { "tr" }, [0x97] = { "tr" }, [0x98] = { "tr" },
    [0x99] = { "tr" }, [0x9c] = { "ttr" }, [0x9d] = { "ts" },
    [0x9e] = { "tttr" }, [0x9f] = { "" },
    [0xa0] = { "ptL", 0, OP_COND }, [0xa1] = { "pL", 0, OP_COND | OP_ELSE },
    [0xa2] = { "ptL", 0, OP_COND }, [0xa3] = { "" }, [0xa4] = { "t" },
    [0xa5] = { "" }, [0xcc] = { "" },
};

static const struct aml_op ops2[256] = {
    [0x01] = { "Nb", D(AML_T_MUTEX) },
    [0x02] = { "N", D(AML_T_EVENT) },
    [0x12] = { "sr" },
    [0x13] = { "tttN", D(AML_T_BUFFER_FIELD) },
    [0x1f] = { "tttttt" }, [0x20] = { "ns" }, [0x21] = { "t" },
    [0x22] = { "t" }, [0x23] = { "sw" }, [0x24] = { "s" },
    [0x25] = { "st" }, [0x26] = { "s" }, [0x27] = { "s" },
    [0x28] = { "tr" }, [0x29] = { "tr" }, [0x2a] = { "s" },
    [0x30] = { "" }, [0x31] = { "" }, [0x32] = { "bdt" }, [0x33] = { "" },
    [0x80] = { "Nbtt", D(AML_T_REGION) },
    [0x81] = { "pnbF" },
    [0x82] = { "pNL", D(AML_T_DEVICE), OP_SCOPE },
    [0x83] = { "pNbdbL", D(AML_T_PROCESSOR), OP_SCOPE },
    [0x84] = { "pNbwL", D(AML_T_POWER), OP_SCOPE },
    [0x85] = { "pNL", D(AML_T_THERMAL), OP_SCOPE },
    [0x86] = { "pnnbF" },
    [0x87] = { "pnntbF" },
    [0x88] = { "Nttt", D(AML_T_DATA_REGION) },
};

static int enter(struct aml_parser *p)
{
    if (++p->depth > AML_MAX_DEPTH)
        return ACPI_EDEPTH;
    if (p->query)
        return pstep(p, 1);
    if (p->depth > p->ns->stats.max_depth)
        p->ns->stats.max_depth = p->depth;
    p->ns->stats.terms++;
    return step(p->ns, 1);
}

/* Method invocation or reference: reads the ArgCount the namespace holds
 * for the name (through an Alias, or an External's ArgumentCount); any
 * other object takes no arguments. */
static int parse_name_term(struct aml_parser *p)
{
    struct aml_name nm;
    const struct aml_node *n;
    aml_node_id id;
    unsigned argc = 0;
    int err = read_name(p, &nm);

    if (err)
        return err;
    if (nm.nsegs == 0 || p->query)
        return 0;
    id = lookup(p, &nm, &err);
    if (err)
        return err;
    n = id == AML_NONE ? NULL : alias_target(p->ns, &p->ns->nodes[id]);
    if (!n || (n->type == AML_T_EXTERNAL && n->aux8 == 0)) {
        /* Found nowhere, or only as External (X, UnknownObj): the arity
         * is unknown. Taking 0 may silently misparse what follows, so
         * each one is reported (by the final walk only). */
        if (p->prescan)
            return 0;
        p->ns->stats.unresolved++;
        aml_report(p->ns, ACPI_ENOENT, "AML name unresolved, taken as 0 "
                   "arguments", p->table, nm.segs,
                   seg_at(p->aml + nm.segs + 4 * (nm.nsegs - 1)));
        return 0;
    }
    if (n->type == AML_T_METHOD ||
        (n->type == AML_T_EXTERNAL && n->aux8 == 8)) {
        argc = n->argc;
        p->ns->stats.invocations += !p->prescan;
    }
    for (unsigned i = 0; i < argc; i++)
        if ((err = parse_termarg(p)))
            return err;
    return 0;
}

static int parse_supername(struct aml_parser *p, bool target)
{
    struct aml_name nm;
    uint8_t c;

    if (need(p, 1))
        return ACPI_ETRUNC;
    c = p->aml[p->pos];
    if (target && c == 0x00) {
        p->pos++;
        return 0;
    }
    if (name_start(c)) {
        /* A reference: CondRefOf(\M000) names a 2-argument method without
         * calling it. */
        return read_name(p, &nm);
    }
    if ((c >= 0x60 && c <= 0x6e)) {
        p->pos++;
        return 0;
    }
    if (c == 0x5b && !need(p, 2) && p->aml[p->pos + 1] == 0x31) {
        p->pos += 2;
        return 0;
    }
    return parse_termarg(p);
}

static int parse_fieldlist(struct aml_parser *p, uint32_t end)
{
    while (p->pos < end) {
        uint8_t c = p->aml[p->pos];
        uint32_t bits;
        int err;

        if ((err = pstep(p, 1)))
            return err;
        if (lead_name_char(c)) {
            struct aml_name nm = { .nsegs = 1, .segs = p->pos };

            if ((err = read_nameseg(p)) || (err = read_pkglen(p, &bits)))
                return err;
            if (p->query)
                return ACPI_EINVAL;
            if (!p->methods || p->in_method) {
                declare(p, &nm, AML_T_FIELD, &err);
                if (err && err != ACPI_EDUP)
                    return err;
            }
            continue;
        }
        p->pos++;
        switch (c) {
        case 0x00: /* ReservedField */
            err = read_pkglen(p, &bits);
            break;
        case 0x01: /* AccessField */
            err = skip(p, 2);
            break;
        case 0x03: /* ExtendedAccessField */
            err = skip(p, 3);
            break;
        case 0x02: /* ConnectField: NameString or BufferData */
            if (!need(p, 1) && p->aml[p->pos] == 0x11) {
                err = parse_termarg(p);
            } else {
                struct aml_name nm;
                err = read_name(p, &nm);
            }
            break;
        default:
            err = ACPI_EAML;
        }
        if (err)
            return err;
    }
    return 0;
}

static int parse_package_elements(struct aml_parser *p, uint32_t end)
{
    while (p->pos < end) {
        struct aml_name nm;
        int err;

        if (name_start(p->aml[p->pos]))
            err = read_name(p, &nm); /* a reference, never a call */
        else
            err = parse_termarg(p);
        if (err)
            return err;
    }
    return 0;
}

/* Records what a declaration points at (pass 1 and method-local). */
static void record(struct aml_parser *p, aml_node_id id, uint8_t type,
                   const uint32_t *vals, uint32_t data_off, uint32_t data_end)
{
    struct aml_node *n = &p->ns->nodes[id];

    n->off = data_off;
    n->len = data_end - data_off;
    switch (type) {
    case AML_T_METHOD:
        n->argc = vals[0] & 7;
        break;
    case AML_T_EXTERNAL:
        n->aux8 = (uint8_t)vals[0];
        n->argc = vals[1] & 7;
        break;
    case AML_T_REGION:
        n->aux8 = (uint8_t)vals[0];
        break;
    default:
        break;
    }
}

/* What parsing one opcode's arguments has gathered so far. */
struct op_state {
    const struct aml_op *op;
    uint32_t pkg_end;      /* end of the object when it has a PkgLength */
    uint32_t vals[4];      /* first byte of each b/w/d/q argument */
    unsigned nv;
    uint32_t data_off;     /* where the declared object's data starts */
    uint32_t src_off;      /* Alias: the source NameString */
    aml_node_id decl, ref; /* declared node; Scope/Alias referenced node */
    bool dup;              /* decl existed already: record nothing */
};

/* 'n': a NameString naming an existing object (Scope, Alias source). */
static int arg_ref_name(struct aml_parser *p, struct op_state *s)
{
    struct aml_name nm;
    int err;

    s->src_off = p->pos;
    if ((err = read_name(p, &nm)))
        return err;
    if (s->op->flags & OP_SCOPE) {
        /* Scope(): a missing scope is created (an SSDT may name it
         * before any External does). */
        s->ref = lookup(p, &nm, &err);
        if (s->ref == AML_NONE && !err)
            s->ref = declare(p, &nm, AML_T_SCOPE, &err);
    } else if (s->op->decl == D(AML_T_ALIAS)) {
        s->ref = lookup(p, &nm, &err);
    }
    return err;
}

/* 'N': the NameString an object declares. Objects declared in a method
 * body exist only while it runs; pass 2 still records them (AML_NF_LOCAL)
 * so that names later in that body resolve. */
static int arg_decl_name(struct aml_parser *p, struct op_state *s)
{
    struct aml_name nm;
    int err = read_name(p, &nm);

    if (!err && nm.nsegs == 0)
        err = ACPI_EAML;
    if (!err && p->query)
        err = ACPI_EINVAL;
    if (err)
        return err;
    s->decl = declare(p, &nm, (uint8_t)(s->op->decl - 1), &err);
    if (err == ACPI_EDUP) {
        s->dup = true;
        err = 0;
    }
    s->data_off = p->pos;
    return err;
}

/* b w d q c: fixed data; the first byte of each number is kept. */
static int arg_data(struct aml_parser *p, struct op_state *s, char kind)
{
    unsigned n = kind == 'b' ? 1 : kind == 'w' ? 2 : kind == 'd' ? 4 : 8;
    const uint8_t *z;

    if (kind == 'c') {
        z = memchr(p->aml + p->pos, 0, p->end - p->pos);
        if (!z)
            return ACPI_ETRUNC;
        p->pos = (uint32_t)(z - p->aml) + 1;
        return 0;
    }
    if (need(p, n))
        return ACPI_ETRUNC;
    if (s->nv < 4)
        s->vals[s->nv++] = p->aml[p->pos];
    p->pos += n;
    return 0;
}

/* 'D': a Name's value; a NameString there is a reference. */
static int arg_name_value(struct aml_parser *p, struct op_state *s)
{
    struct aml_name nm;
    int err;

    s->data_off = p->pos;
    if ((err = need(p, 1)))
        return err;
    if (name_start(p->aml[p->pos]))
        return read_name(p, &nm);
    return parse_termarg(p);
}

/* 'L': a TermList up to the object's end, in the declared node's scope for
 * Scope/Device/Method/...; method bodies wait for pass 2. */
static int arg_body(struct aml_parser *p, struct op_state *s)
{
    const struct aml_op *op = s->op;

    if (op->flags & OP_METHOD) {
        if (s->decl != AML_NONE && !s->dup)
            record(p, s->decl, AML_T_METHOD, s->vals, p->pos, s->pkg_end);
        if (!p->in_method) {
            p->pos = s->pkg_end;
            return 0;
        }
        p->ns->stats.methods_parsed++;
    }
    if (op->flags & OP_SCOPE) {
        p->scope = s->decl != AML_NONE ? s->decl : s->ref;
        if (p->scope == AML_NONE)
            return ACPI_EAML;
    }
    if ((op->flags & OP_COND) && !p->in_method)
        p->cond = 1;
    return parse_termlist(p, s->pkg_end);
}

static int parse_arg(struct aml_parser *p, struct op_state *s, char a)
{
    int err;

    switch (a) {
    case 'p':
        if (!(err = read_pkg_end(p, &s->pkg_end)))
            p->end = s->pkg_end;
        return err;
    case 'n': return arg_ref_name(p, s);
    case 'N': return arg_decl_name(p, s);
    case 't': return parse_termarg(p);
    case 's': return parse_supername(p, false);
    case 'r': return parse_supername(p, true);
    case 'b': case 'w': case 'd': case 'q': case 'c':
        return arg_data(p, s, a);
    case 'D': return arg_name_value(p, s);
    case 'B': p->pos = s->pkg_end; return 0;
    case 'P': return parse_package_elements(p, s->pkg_end);
    case 'F': return parse_fieldlist(p, s->pkg_end);
    case 'L': return arg_body(p, s);
    default: return ACPI_EAML;
    }
}

/* Parses the arguments of an opcode whose bytes have been consumed, then
 * records what it declared. */
static int parse_op_args(struct aml_parser *p, const struct aml_op *op)
{
    struct op_state s = { .op = op, .pkg_end = p->end, .decl = AML_NONE,
                          .ref = AML_NONE };
    uint32_t saved_end = p->end;
    aml_node_id saved_scope = p->scope;
    uint8_t saved_cond = p->cond;
    int err = 0;

    for (const char *a = op->args; *a && !err; a++)
        err = parse_arg(p, &s, *a);
    p->scope = saved_scope;
    p->cond = saved_cond;
    p->end = saved_end;
    if (err)
        return err;
    if (op->args[0] == 'p' && p->pos != s.pkg_end)
        return ACPI_EAML;
    if (s.decl == AML_NONE || s.dup)
        return 0;
    if (!(op->flags & OP_METHOD))
        record(p, s.decl, (uint8_t)(op->decl - 1), s.vals, s.data_off,
               p->pos);
    if (op->decl == D(AML_T_ALIAS)) {
        /* a target declared later is resolved before pass 2 */
        p->ns->nodes[s.decl].alias = s.ref;
        p->ns->nodes[s.decl].off = s.src_off;
    }
    return 0;
}

/* One term: an opcode with its arguments, or a name (invocation). */
static int parse_term(struct aml_parser *p, bool statement)
{
    const struct aml_op *op;
    uint8_t c;
    int err;

    if ((err = enter(p)))
        goto out;
    if ((err = read_u8(p, &c)))
        goto out;
    if (name_start(c)) {
        p->pos--;
        err = parse_name_term(p);
        goto out;
    }
    if (c == 0x5b) {
        if ((err = read_u8(p, &c)))
            goto out;
        op = &ops2[c];
    } else {
        op = &ops1[c];
    }
    if (!op->args) {
        err = ACPI_EAML;
        goto out;
    }
    if (!statement && (op->flags & OP_COND)) {
        err = ACPI_EAML; /* If/Else/While are not expressions */
        goto out;
    }
    err = parse_op_args(p, op);
out:
    p->depth--;
    return err;
}

static int parse_termarg(struct aml_parser *p)
{
    return parse_term(p, false);
}

/* TermList up to end: an error in a term is reported and the rest of the
 * list (the innermost PkgLength-delimited construct) is skipped. */
static int parse_termlist(struct aml_parser *p, uint32_t end)
{
    uint32_t saved_end = p->end;

    p->end = end;
    while (p->pos < end) {
        uint32_t at = p->pos;
        int err = parse_term(p, true);

        if (err == ACPI_ESTEPS || err == ACPI_ENOMEM) {
            p->end = saved_end;
            return err;
        }
        if (err) {
            p->ns->stats.errors += !p->prescan;
            if (!p->prescan)
                aml_report(p->ns, err, "AML term skipped", p->table, at,
                           p->aml[at]);
            p->pos = end;
        }
    }
    p->end = saved_end;
    return 0;
}

/* ---- loading -------------------------------------------------------------- */

static const struct {
    const char *path;
    uint8_t type, argc;
} builtins[] = {
    { "_GPE", AML_T_SCOPE, 0 }, { "_PR_", AML_T_SCOPE, 0 },
    { "_SB_", AML_T_SCOPE, 0 }, { "_SI_", AML_T_SCOPE, 0 },
    { "_TZ_", AML_T_SCOPE, 0 }, { "_GL_", AML_T_MUTEX, 0 },
    { "_OS_", AML_T_NAME, 0 },  { "_OSI", AML_T_METHOD, 1 },
    { "_REV", AML_T_NAME, 0 },
};

int aml_ns_init(struct aml_ns *ns, void *arena, size_t arena_size,
                const struct acpi_env *env)
{
    uintptr_t a = ((uintptr_t)arena + 7) & ~(uintptr_t)7;
    size_t size = arena_size - (a - (uintptr_t)arena);
    size_t per = sizeof(struct aml_node) + sizeof(uint32_t);
    uint32_t max, nb = 1;
    int err = 0;

    memset(ns, 0, sizeof(*ns));
    ns->env = env;
    if (!arena || arena_size < a - (uintptr_t)arena + 64 * per)
        return ACPI_ENOMEM;
    max = size / per > 0x00ffffff ? 0x00ffffff : (uint32_t)(size / per);
    while (nb * 2 <= max)
        nb *= 2;
    max = (uint32_t)((size - nb * sizeof(uint32_t)) / sizeof(struct aml_node));
    ns->buckets = (uint32_t *)a;
    ns->bucket_mask = nb - 1;
    ns->nodes = (struct aml_node *)(a + nb * sizeof(uint32_t));
    ns->max_nodes = max;
    memset(ns->buckets, 0xff, nb * sizeof(uint32_t));
    new_node(ns, AML_NONE, seg_from_str("\\___"), AML_T_SCOPE, &err);
    ns->nodes[AML_ROOT].flags = AML_NF_BUILTIN;
    for (unsigned i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        aml_node_id id = new_node(ns, AML_ROOT,
                                  seg_from_str(builtins[i].path),
                                  builtins[i].type, &err);
        if (err)
            return err;
        ns->nodes[id].argc = builtins[i].argc;
        ns->nodes[id].flags = AML_NF_BUILTIN;
    }
    return err;
}

static void add_budget(struct aml_ns *ns, uint32_t len)
{
    ns->budget += (uint64_t)len * AML_STEPS_PER_BYTE + AML_STEPS_BASE;
}

int aml_ns_add_table(struct aml_ns *ns, const void *table, uint32_t len)
{
    const struct acpi_header *h = table;
    struct aml_parser p;
    struct aml_table *t;
    int err;

    if (ns->ntables == AML_MAX_TABLES)
        return ACPI_ENOMEM;
    err = acpi_table_check(table, len, NULL);
    if (!err && memcmp(h->signature, "DSDT", 4) &&
        memcmp(h->signature, "SSDT", 4))
        err = ACPI_ESIG;
    if (err) {
        struct acpi_problem pr = { .err = err, .what = "AML table invalid",
                                   .value = len };
        if (len >= 4)
            memcpy(pr.sig, h->signature, 4);
        if (ns->env && ns->env->report)
            ns->env->report(ns->env->ctx, &pr);
        return err;
    }
    t = &ns->tables[ns->ntables];
    t->data = table;
    t->len = h->length;
    memcpy(t->sig, h->signature, 4);
    t->sig[4] = 0;
    t->revision = h->revision;
    add_budget(ns, t->len);
    p = (struct aml_parser){ .ns = ns, .aml = table,
                             .pos = sizeof(struct acpi_header),
                             .end = t->len, .table = (uint8_t)ns->ntables,
                             .scope = AML_ROOT };
    ns->ntables++;
    /* 1a: collect the table's declarations; a name used in module-level
     * code before its declaration in the same table is not known yet and
     * taken as 0 arguments, silently. 1b: walk the module-level code
     * again with all of them known (as ACPICA's second load pass does);
     * what 1a declared is kept, what it missed is added, and only 1b
     * reports. Both walks skip method bodies, so this stays linear. */
    p.prescan = true;
    err = parse_termlist(&p, t->len);
    if (!err) {
        p.prescan = false;
        p.pos = sizeof(struct acpi_header);
        err = parse_termlist(&p, t->len);
    }
    if (err)
        aml_report(ns, err, "AML load stopped", p.table, p.pos, 0);
    return err;
}

/* Aliases whose target was declared after them (or in a later table). */
static int resolve_aliases(struct aml_ns *ns)
{
    for (uint32_t i = 0; i < ns->nnodes; i++) {
        struct aml_node *a = &ns->nodes[i];
        struct aml_parser p;
        struct aml_name nm;
        int err = 0;

        if (a->type != AML_T_ALIAS || a->alias != AML_NONE ||
            a->table >= ns->ntables)
            continue;
        p = (struct aml_parser){ .ns = ns, .aml = ns->tables[a->table].data,
                                 .pos = a->off,
                                 .end = ns->tables[a->table].len,
                                 .table = a->table, .scope = a->parent };
        if (read_name(&p, &nm) == 0)
            a->alias = lookup(&p, &nm, &err);
        if (err == ACPI_ESTEPS)
            return err;
        if (a->alias == AML_NONE)
            aml_report(ns, ACPI_ENOENT, "Alias target not found", a->table,
                       a->off, 0);
    }
    return 0;
}

int aml_ns_parse_methods(struct aml_ns *ns)
{
    uint32_t n = ns->nnodes;
    int rerr = resolve_aliases(ns);

    if (rerr)
        return rerr;

    for (uint32_t i = 0; i < n; i++) {
        const struct aml_node *m = &ns->nodes[i];
        struct aml_parser p;
        int err;

        if (m->type != AML_T_METHOD || (m->flags & (AML_NF_LOCAL |
                                                    AML_NF_BUILTIN)))
            continue;
        if (m->table >= ns->ntables)
            continue;
        p = (struct aml_parser){ .ns = ns, .aml = ns->tables[m->table].data,
                                 .pos = m->off, .end = m->off + m->len,
                                 .table = m->table, .methods = true,
                                 .in_method = true, .scope = i };
        ns->stats.methods_parsed++;
        err = parse_termlist(&p, m->off + m->len);
        if (err) {
            aml_report(ns, err, "AML method parsing stopped", p.table, p.pos,
                       0);
            return err;
        }
    }
    return 0;
}

int aml_ns_load(struct aml_ns *ns, void *arena, size_t arena_size,
                const struct acpi_env *env, const struct acpi_tables *t)
{
    const struct acpi_table_ref *r;
    int err = aml_ns_init(ns, arena, arena_size, env);

    if (err)
        return err;
    r = acpi_tables_find(t, "DSDT", 0);
    if (!r)
        return ACPI_ENOENT;
    err = aml_ns_add_table(ns, r->data, r->length);
    for (unsigned i = 0; (r = acpi_tables_find(t, "SSDT", i)); i++) {
        int e = aml_ns_add_table(ns, r->data, r->length);
        if (e == ACPI_ENOMEM || e == ACPI_ESTEPS)
            return e;
        err = err ? err : e;
    }
    if (err == ACPI_ENOMEM || err == ACPI_ESTEPS)
        return err;
    int e = aml_ns_parse_methods(ns);
    return e ? e : err;
}

/* ---- queries ----------------------------------------------------------------- */

const struct aml_node *aml_node(const struct aml_ns *ns, aml_node_id id)
{
    return id < ns->nnodes ? &ns->nodes[id] : NULL;
}

static aml_node_id child(const struct aml_ns *ns, aml_node_id parent,
                         uint32_t name)
{
    aml_node_id id = ns->buckets[hash(parent, name) & ns->bucket_mask];

    for (; id != AML_NONE; id = ns->nodes[id].hash_next)
        if (ns->nodes[id].name == name && ns->nodes[id].parent == parent)
            return id;
    return AML_NONE;
}

aml_node_id aml_child(const struct aml_ns *ns, aml_node_id parent,
                      const char *seg)
{
    if (parent >= ns->nnodes || strlen(seg) > 4)
        return AML_NONE;
    return child(ns, parent, seg_from_str(seg));
}

int aml_lookup(const struct aml_ns *ns, const char *path, aml_node_id *out)
{
    aml_node_id s = AML_ROOT;

    if (ns->nnodes == 0)
        return ACPI_ENOENT;
    if (*path == '\\')
        path++;
    while (*path) {
        char seg[5] = { 0 };
        unsigned n = 0;

        while (*path && *path != '.') {
            if (n == 4)
                return ACPI_EINVAL;
            seg[n++] = *path++;
        }
        if (n == 0)
            return ACPI_EINVAL;
        if (*path == '.')
            path++;
        s = child(ns, s, seg_from_str(seg));
        if (s == AML_NONE)
            return ACPI_ENOENT;
    }
    *out = s;
    return 0;
}

int aml_node_path(const struct aml_ns *ns, aml_node_id id, char *buf,
                  size_t size)
{
    aml_node_id chain[AML_MAX_NS_DEPTH + 1];
    unsigned n = 0;
    size_t len = 1;

    if (id >= ns->nnodes || size < 2)
        return ACPI_EINVAL;
    for (; id != AML_ROOT && n <= AML_MAX_NS_DEPTH; id = ns->nodes[id].parent)
        chain[n++] = id;
    buf[0] = '\\';
    for (unsigned i = n; i-- > 0;) {
        uint32_t name = ns->nodes[chain[i]].name;

        if (len + 5 + (i != n - 1) > size)
            return ACPI_ENOMEM;
        if (i != n - 1)
            buf[len++] = '.';
        for (int k = 0; k < 4; k++)
            buf[len++] = (char)(name >> (8 * k));
    }
    buf[len] = 0;
    return (int)len;
}

/* Reads a constant integer data object at *pos; advances it. */
static int const_integer(const struct aml_table *t, uint32_t *pos,
                         uint32_t end, uint64_t *v)
{
    const uint8_t *a = t->data;
    uint32_t p = *pos;
    unsigned n;

    if (p >= end)
        return ACPI_ETRUNC;
    switch (a[p]) {
    case 0x00: *v = 0; *pos = p + 1; return 0;
    case 0x01: *v = 1; *pos = p + 1; return 0;
    case 0xff:
        *v = t->revision < 2 ? 0xffffffffu : ~0ull;
        *pos = p + 1;
        return 0;
    case 0x0a: n = 1; break;
    case 0x0b: n = 2; break;
    case 0x0c: n = 4; break;
    case 0x0e: n = 8; break;
    default: return ACPI_EINVAL;
    }
    if (end - p - 1 < n)
        return ACPI_ETRUNC;
    *v = 0;
    for (unsigned i = 0; i < n; i++)
        *v |= (uint64_t)a[p + 1 + i] << (8 * i);
    *pos = p + 1 + n;
    return 0;
}

static const struct aml_node *data_node(const struct aml_ns *ns,
                                        aml_node_id id,
                                        const struct aml_table **t)
{
    const struct aml_node *n = aml_node(ns, id);

    if (!n)
        return NULL;
    n = alias_target(ns, n);
    if (n->type != AML_T_NAME || n->table >= ns->ntables)
        return NULL;
    *t = &ns->tables[n->table];
    return n;
}

int aml_node_integer(const struct aml_ns *ns, aml_node_id id, uint64_t *v)
{
    const struct aml_table *t;
    const struct aml_node *n = data_node(ns, id, &t);
    uint32_t pos;

    if (!n)
        return ACPI_EINVAL;
    pos = n->off;
    return const_integer(t, &pos, n->off + n->len, v);
}

void aml_eisaid_to_str(uint32_t id, char out[8])
{
    static const char hex[] = "0123456789ABCDEF";
    uint32_t be = (id >> 24) | ((id >> 8) & 0xff00) | ((id << 8) & 0xff0000) |
                  (id << 24);

    out[0] = (char)('@' + ((be >> 26) & 0x1f));
    out[1] = (char)('@' + ((be >> 21) & 0x1f));
    out[2] = (char)('@' + ((be >> 16) & 0x1f));
    for (int i = 0; i < 4; i++)
        out[3 + i] = hex[(be >> (12 - 4 * i)) & 0xf];
    out[7] = 0;
}

int aml_node_string(const struct aml_ns *ns, aml_node_id id, char *buf,
                    size_t size)
{
    const struct aml_table *t;
    const struct aml_node *n = data_node(ns, id, &t);
    const uint8_t *s, *z;
    uint64_t v;

    if (!n || size == 0)
        return ACPI_EINVAL;
    if (aml_node_integer(ns, id, &v) == 0) {
        if (size < 8 || v > 0xffffffffu)
            return ACPI_EINVAL;
        aml_eisaid_to_str((uint32_t)v, buf);
        return 7;
    }
    s = t->data + n->off;
    if (n->len < 2 || s[0] != 0x0d)
        return ACPI_EINVAL;
    z = memchr(s + 1, 0, n->len - 1);
    if (!z || (size_t)(z - s - 1) >= size)
        return ACPI_EINVAL;
    memcpy(buf, s + 1, (size_t)(z - s - 1));
    buf[z - s - 1] = 0;
    return (int)(z - s - 1);
}

/* Positions a parser on a Name's Package: returns the element count and
 * leaves p at the first element with p->end at the package end. */
static int open_package(const struct aml_ns *ns, aml_node_id id,
                        struct aml_parser *p)
{
    const struct aml_table *t;
    const struct aml_node *n = data_node(ns, id, &t);
    uint32_t pkg_end;
    uint8_t count;

    if (!n || n->len < 3 || t->data[n->off] != 0x12)
        return ACPI_EINVAL;
    /* A query walk never looks names up, declares or counts into ns. */
    *p = (struct aml_parser){ .ns = (struct aml_ns *)ns, .aml = t->data,
                              .pos = n->off + 1, .end = n->off + n->len,
                              .query = true, .scope = AML_ROOT,
                              .qbudget = (uint64_t)n->len *
                                         AML_STEPS_PER_BYTE + AML_STEPS_BASE };
    if (read_pkg_end(p, &pkg_end) || read_u8(p, &count))
        return ACPI_EINVAL;
    p->end = pkg_end;
    return count;
}

int aml_package_count(const struct aml_ns *ns, aml_node_id id)
{
    struct aml_parser p;

    return open_package(ns, id, &p);
}

int aml_package_integer(const struct aml_ns *ns, aml_node_id id,
                        unsigned index, uint64_t *v)
{
    const struct aml_table *t;
    struct aml_parser p;
    int count = open_package(ns, id, &p);

    if (count < 0)
        return count;
    if (index >= (unsigned)count)
        return ACPI_ENOENT;
    data_node(ns, id, &t);
    for (unsigned i = 0; i < index; i++) {
        struct aml_name nm;
        uint64_t dummy;
        uint32_t pos = p.pos;

        if (p.pos >= p.end)
            return ACPI_ENOENT;
        if (const_integer(t, &pos, p.end, &dummy) == 0) {
            p.pos = pos;
            continue;
        }
        /* non-constant element: skip it with the grammar (no namespace
         * lookups happen in package elements) */
        if (name_start(p.aml[p.pos]) ? read_name(&p, &nm)
                                      : parse_termarg(&p))
            return ACPI_EINVAL;
    }
    if (p.pos >= p.end)
        return ACPI_ENOENT;
    return const_integer(t, &p.pos, p.end, v);
}

int aml_region_info(const struct aml_ns *ns, aml_node_id id, uint8_t *space,
                    uint64_t *offset, uint64_t *length)
{
    const struct aml_node *n = aml_node(ns, id);
    const struct aml_table *t;
    uint32_t pos;

    if (!n || n->type != AML_T_REGION || n->table >= ns->ntables)
        return ACPI_EINVAL;
    t = &ns->tables[n->table];
    *space = n->aux8;
    pos = n->off + 1; /* after the RegionSpace byte */
    if (const_integer(t, &pos, n->off + n->len, offset) ||
        const_integer(t, &pos, n->off + n->len, length))
        return ACPI_ENOENT; /* computed at run time */
    return 0;
}

int aml_get_sleep_types(const struct aml_ns *ns, struct acpi_sleep_types *st)
{
    int found = 0;

    memset(st, 0, sizeof(*st));
    for (int s = 0; s <= 5; s++) {
        char name[5] = { '_', 'S', (char)('0' + s), '_', 0 };
        aml_node_id id = aml_child(ns, AML_ROOT, name);
        uint64_t a, b;
        int count;

        if (id == AML_NONE)
            continue;
        count = aml_package_count(ns, id);
        if (count < 1 || aml_package_integer(ns, id, 0, &a)) {
            aml_report((struct aml_ns *)ns, ACPI_EINVAL,
                       "\\_Sx is not a constant package", 0xff, s, count);
            continue;
        }
        if (count == 1) {
            /* ACPICA: one integer carries SLP_TYPa in bits 7:0 and
             * SLP_TYPb in bits 15:8 */
            b = a >> 8;
        } else if (aml_package_integer(ns, id, 1, &b)) {
            aml_report((struct aml_ns *)ns, ACPI_EINVAL,
                       "\\_Sx SLP_TYPb not constant", 0xff, s, 0);
            continue;
        }
        st->present[s] = true;
        st->typa[s] = (uint8_t)(a & 7);
        st->typb[s] = (uint8_t)(b & 7);
        found++;
    }
    return found;
}

int aml_find_devices_by_hid(const struct aml_ns *ns, const char *hid,
                            aml_node_id *out, unsigned max)
{
    uint32_t hid_seg = seg_from_str("_HID");
    unsigned n = 0;

    for (aml_node_id i = 0; i < ns->nnodes; i++) {
        char buf[16];
        aml_node_id h;

        if (ns->nodes[i].type != AML_T_DEVICE)
            continue;
        h = child(ns, i, hid_seg);
        if (h == AML_NONE || aml_node_string(ns, h, buf, sizeof(buf)) < 0)
            continue;
        if (strcmp(buf, hid) != 0)
            continue;
        if (n < max)
            out[n] = i;
        n++;
    }
    return (int)n;
}

int aml_device_io(const struct aml_ns *ns, aml_node_id dev, uint16_t *base,
                  uint8_t *len)
{
    const struct aml_table *t;
    const struct aml_node *n;
    struct aml_parser p;
    uint32_t pkg_end;
    uint64_t size;

    if (dev >= ns->nnodes)
        return ACPI_EINVAL;
    n = data_node(ns, child(ns, dev, seg_from_str("_CRS")), &t);
    if (!n)
        return ACPI_ENOENT;
    p = (struct aml_parser){ .ns = (struct aml_ns *)ns, .aml = t->data,
                             .pos = n->off, .end = n->off + n->len,
                             .query = true };
    if (need(&p, 1) || p.aml[p.pos++] != 0x11 || read_pkg_end(&p, &pkg_end) ||
        const_integer(t, &p.pos, pkg_end, &size) || size > pkg_end - p.pos)
        return ACPI_EINVAL;
    /* walk the resource descriptors (small items; large ones skipped) */
    for (uint32_t i = p.pos, end = p.pos + (uint32_t)size; i < end;) {
        const uint8_t *d = t->data + i;
        uint32_t dlen;

        if (d[0] & 0x80) {
            if (end - i < 3)
                break;
            dlen = 3 + (uint32_t)(d[1] | d[2] << 8);
        } else {
            dlen = 1 + (d[0] & 7u);
            if ((d[0] >> 3) == 0x0f)
                break; /* End Tag */
            if ((d[0] >> 3) == 0x08 && dlen == 8 && end - i >= 8) {
                *base = (uint16_t)(d[2] | d[3] << 8); /* I/O: minimum */
                *len = d[7];
                return 0;
            }
            if ((d[0] >> 3) == 0x09 && dlen == 4 && end - i >= 4) {
                *base = (uint16_t)((d[1] | d[2] << 8) & 0x3ff); /* fixed */
                *len = d[3];
                return 0;
            }
        }
        if (dlen > end - i)
            break;
        i += dlen;
    }
    return ACPI_ENOENT;
}
