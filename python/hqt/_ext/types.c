/*
 * types.c -- Tick, Bar and Deal: small immutable objects around the C
 * structs of hqt.h.
 *
 * They are created once per market event while a Python strategy runs, so
 * they are cheap: no GC tracking, a freelist, integer fields read straight
 * from the struct (PyMemberDef) and float prices computed from micro units
 * only when read.
 */
#include "hqt_ext.h"

#include <stddef.h>
#include <structmember.h>

/* ---- freelists ----------------------------------------------------------- */

#define FREELIST_MAX 128

typedef struct {
    PyObject *items[FREELIST_MAX];
    int n;
} freelist;

static freelist tick_free, bar_free, deal_free;

static PyObject *
obj_alloc(freelist *fl, PyTypeObject *type)
{
    PyObject *o;
    if (fl->n > 0) {
        o = fl->items[--fl->n];
    } else {
        o = (PyObject *)PyObject_Malloc((size_t)type->tp_basicsize);
        if (!o)
            return PyErr_NoMemory();
    }
    return PyObject_Init(o, type);
}

static void
obj_free(freelist *fl, PyObject *o)
{
    if (fl->n < FREELIST_MAX)
        fl->items[fl->n++] = o;
    else
        PyObject_Free(o);
}

static void tick_dealloc(PyObject *o) { obj_free(&tick_free, o); }
static void bar_dealloc(PyObject *o) { obj_free(&bar_free, o); }
static void deal_dealloc(PyObject *o) { obj_free(&deal_free, o); }

PyObject *
hqt_tick_new(const hqt_tick *t)
{
    PyObject *o = obj_alloc(&tick_free, &HQTTick_Type);
    if (o)
        ((HQTTickObject *)o)->t = *t;
    return o;
}

PyObject *
hqt_bar_new(const hqt_bar *b)
{
    PyObject *o = obj_alloc(&bar_free, &HQTBar_Type);
    if (o) {
        ((HQTBarObject *)o)->b = *b;
        ((HQTBarObject *)o)->complete = 1;
    }
    return o;
}

PyObject *
hqt_deal_new(const hqt_deal *d)
{
    PyObject *o = obj_alloc(&deal_free, &HQTDeal_Type);
    if (o)
        ((HQTDealObject *)o)->d = *d;
    return o;
}

/* A float attribute read from an int64 micro field at offset `closure`. */
static PyObject *
micro_getter(PyObject *self, void *closure)
{
    int64_t v;
    memcpy(&v, (const char *)self + (Py_ssize_t)closure, sizeof v);
    return hqt_from_micro(v);
}

#define MICRO_GET(name, type, field, doc) \
    {name, micro_getter, NULL, PyDoc_STR(doc), (void *)offsetof(type, field)}

static PyObject *
richcompare_by_fields(PyObject *a, PyObject *b, int op, PyObject *(*fields)(PyObject *))
{
    if (Py_TYPE(a) != Py_TYPE(b) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *fa = fields(a), *fb = NULL, *res = NULL;
    if (fa && (fb = fields(b)))
        res = PyObject_RichCompare(fa, fb, op);
    Py_XDECREF(fa);
    Py_XDECREF(fb);
    return res;
}

static Py_hash_t
hash_by_fields(PyObject *self, PyObject *(*fields)(PyObject *))
{
    PyObject *f = fields(self);
    if (!f)
        return -1;
    Py_hash_t h = PyObject_Hash(f);
    Py_DECREF(f);
    return h;
}

/* ======================================================================== */
/* Tick                                                                     */
/* ======================================================================== */

static PyObject *
tick_fields(PyObject *self)
{
    const hqt_tick *t = &((HQTTickObject *)self)->t;
    return Py_BuildValue("(ILLL)", t->symbol_id, (long long)t->time, (long long)t->bid,
                         (long long)t->ask);
}

static int
parse_tick(PyObject *args, PyObject *kw, int micro, hqt_tick *t)
{
    static char *kwlist[] = {"symbol_id", "time", "bid", "ask", NULL};
    PyObject *sym, *tm, *bid, *ask;
    if (!PyArg_ParseTupleAndKeywords(args, kw, micro ? "OOOO:Tick.from_micro" : "OOOO:Tick",
                                     kwlist, &sym, &tm, &bid, &ask))
        return -1;
    memset(t, 0, sizeof *t);
    if (hqt_as_u32(sym, "symbol_id", &t->symbol_id) < 0 || hqt_as_i64(tm, "time", &t->time) < 0)
        return -1;
    if (micro)
        return (hqt_as_i64(bid, "bid", &t->bid) < 0 || hqt_as_i64(ask, "ask", &t->ask) < 0) ? -1 : 0;
    return (hqt_to_micro(bid, "bid", &t->bid) < 0 || hqt_to_micro(ask, "ask", &t->ask) < 0) ? -1 : 0;
}

static PyObject *
tick_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    hqt_tick t;
    (void)type;
    if (parse_tick(args, kw, 0, &t) < 0)
        return NULL;
    return hqt_tick_new(&t);
}

static PyObject *
tick_from_micro(PyObject *cls, PyObject *args, PyObject *kw)
{
    hqt_tick t;
    (void)cls;
    if (parse_tick(args, kw, 1, &t) < 0)
        return NULL;
    return hqt_tick_new(&t);
}

static PyObject *
tick_repr(PyObject *self)
{
    const hqt_tick *t = &((HQTTickObject *)self)->t;
    PyObject *bid = hqt_from_micro(t->bid), *ask = hqt_from_micro(t->ask), *r = NULL;
    if (bid && ask)
        r = PyUnicode_FromFormat("Tick(symbol_id=%u, time=%lld, bid=%R, ask=%R)",
                                 (unsigned)t->symbol_id, (long long)t->time, bid, ask);
    Py_XDECREF(bid);
    Py_XDECREF(ask);
    return r;
}

static PyObject *
tick_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *f = tick_fields(self);
    PyObject *ctor = f ? PyObject_GetAttrString((PyObject *)&HQTTick_Type, "from_micro") : NULL;
    PyObject *r = ctor ? Py_BuildValue("(OO)", ctor, f) : NULL;
    Py_XDECREF(ctor);
    Py_XDECREF(f);
    return r;
}

static PyObject *tick_richcompare(PyObject *a, PyObject *b, int op)
{ return richcompare_by_fields(a, b, op, tick_fields); }
static Py_hash_t tick_hash(PyObject *self) { return hash_by_fields(self, tick_fields); }

static PyMemberDef tick_members[] = {
    {"symbol_id", T_UINT, offsetof(HQTTickObject, t.symbol_id), READONLY, "Symbol id."},
    {"time", T_LONGLONG, offsetof(HQTTickObject, t.time), READONLY,
     "Time in nanoseconds since the Unix epoch (UTC)."},
    {"bid_micro", T_LONGLONG, offsetof(HQTTickObject, t.bid), READONLY, "Bid x 1e6 (exact)."},
    {"ask_micro", T_LONGLONG, offsetof(HQTTickObject, t.ask), READONLY, "Ask x 1e6 (exact)."},
    {NULL}
};

static PyGetSetDef tick_getset[] = {
    MICRO_GET("bid", HQTTickObject, t.bid, "Bid price."),
    MICRO_GET("ask", HQTTickObject, t.ask, "Ask price."),
    {NULL}
};

static PyMethodDef tick_methods[] = {
    {"from_micro", (PyCFunction)(void (*)(void))tick_from_micro,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     PyDoc_STR("from_micro($type, symbol_id, time, bid, ask)\n--\n\n"
               "A tick from exact prices in micro units (price x 1e6).")},
    {"__reduce__", tick_reduce, METH_NOARGS, NULL},
    {NULL}
};

PyTypeObject HQTTick_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt.Tick",
    .tp_basicsize = sizeof(HQTTickObject),
    .tp_dealloc = tick_dealloc,
    .tp_repr = tick_repr,
    .tp_hash = tick_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Tick(symbol_id, time, bid, ask)\n--\n\n"
                        "One quote: time in ns since the epoch, bid/ask as floats "
                        "(stored exactly in micro units; see bid_micro/ask_micro)."),
    .tp_richcompare = tick_richcompare,
    .tp_methods = tick_methods,
    .tp_members = tick_members,
    .tp_getset = tick_getset,
    .tp_new = tick_tp_new,
};

/* ======================================================================== */
/* Bar                                                                      */
/* ======================================================================== */

static PyObject *
bar_fields(PyObject *self)
{
    const hqt_bar *b = &((HQTBarObject *)self)->b;
    return Py_BuildValue("(IiLLLLLL)", b->symbol_id, (int)b->timeframe, (long long)b->time,
                         (long long)b->open, (long long)b->high, (long long)b->low,
                         (long long)b->close, (long long)b->volume);
}

static int
parse_bar(PyObject *args, PyObject *kw, int micro, hqt_bar *b)
{
    static char *kwlist[] = {"symbol_id", "timeframe", "time", "open", "high",
                             "low", "close", "volume", NULL};
    PyObject *sym, *tf, *tm, *o, *h, *l, *c, *v = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, micro ? "OOOOOOO|O:Bar.from_micro" : "OOOOOOO|O:Bar",
                                     kwlist, &sym, &tf, &tm, &o, &h, &l, &c, &v))
        return -1;
    memset(b, 0, sizeof *b);
    if (hqt_as_u32(sym, "symbol_id", &b->symbol_id) < 0 ||
        hqt_as_i32(tf, "timeframe", &b->timeframe) < 0 || hqt_as_i64(tm, "time", &b->time) < 0)
        return -1;
    if (micro) {
        if (hqt_as_i64(o, "open", &b->open) < 0 || hqt_as_i64(h, "high", &b->high) < 0 ||
            hqt_as_i64(l, "low", &b->low) < 0 || hqt_as_i64(c, "close", &b->close) < 0 ||
            (v && hqt_as_i64(v, "volume", &b->volume) < 0))
            return -1;
    } else {
        if (hqt_to_micro(o, "open", &b->open) < 0 || hqt_to_micro(h, "high", &b->high) < 0 ||
            hqt_to_micro(l, "low", &b->low) < 0 || hqt_to_micro(c, "close", &b->close) < 0 ||
            hqt_opt_micro(v, "volume", 0, &b->volume) < 0)
            return -1;
    }
    return 0;
}

static PyObject *
bar_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    hqt_bar b;
    (void)type;
    if (parse_bar(args, kw, 0, &b) < 0)
        return NULL;
    return hqt_bar_new(&b);
}

static PyObject *
bar_from_micro(PyObject *cls, PyObject *args, PyObject *kw)
{
    hqt_bar b;
    (void)cls;
    if (parse_bar(args, kw, 1, &b) < 0)
        return NULL;
    return hqt_bar_new(&b);
}

static PyObject *
bar_repr(PyObject *self)
{
    const hqt_bar *b = &((HQTBarObject *)self)->b;
    PyObject *o = hqt_from_micro(b->open), *h = hqt_from_micro(b->high),
             *l = hqt_from_micro(b->low), *c = hqt_from_micro(b->close),
             *v = hqt_from_micro(b->volume), *r = NULL;
    if (o && h && l && c && v)
        r = PyUnicode_FromFormat("Bar(symbol_id=%u, timeframe=%d, time=%lld, open=%R, high=%R, "
                                 "low=%R, close=%R, volume=%R)",
                                 (unsigned)b->symbol_id, (int)b->timeframe, (long long)b->time,
                                 o, h, l, c, v);
    Py_XDECREF(o);
    Py_XDECREF(h);
    Py_XDECREF(l);
    Py_XDECREF(c);
    Py_XDECREF(v);
    return r;
}

static PyObject *
bar_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *f = bar_fields(self);
    PyObject *ctor = f ? PyObject_GetAttrString((PyObject *)&HQTBar_Type, "from_micro") : NULL;
    PyObject *r = ctor ? Py_BuildValue("(OO)", ctor, f) : NULL;
    Py_XDECREF(ctor);
    Py_XDECREF(f);
    return r;
}

static PyObject *bar_richcompare(PyObject *a, PyObject *b, int op)
{ return richcompare_by_fields(a, b, op, bar_fields); }
static Py_hash_t bar_hash(PyObject *self) { return hash_by_fields(self, bar_fields); }

static PyMemberDef bar_members[] = {
    {"symbol_id", T_UINT, offsetof(HQTBarObject, b.symbol_id), READONLY, "Symbol id."},
    {"timeframe", T_INT, offsetof(HQTBarObject, b.timeframe), READONLY, "Timeframe in minutes."},
    {"time", T_LONGLONG, offsetof(HQTBarObject, b.time), READONLY, "Open time, ns since the epoch."},
    {"open_micro", T_LONGLONG, offsetof(HQTBarObject, b.open), READONLY, NULL},
    {"high_micro", T_LONGLONG, offsetof(HQTBarObject, b.high), READONLY, NULL},
    {"low_micro", T_LONGLONG, offsetof(HQTBarObject, b.low), READONLY, NULL},
    {"close_micro", T_LONGLONG, offsetof(HQTBarObject, b.close), READONLY, NULL},
    {"volume_micro", T_LONGLONG, offsetof(HQTBarObject, b.volume), READONLY, NULL},
    {NULL}
};

static PyObject *
bar_get_complete(PyObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((HQTBarObject *)self)->complete);
}

static PyGetSetDef bar_getset[] = {
    {"complete", bar_get_complete, NULL,
     PyDoc_STR("False for the bar in progress that a flush (the end of a run, flush_bars()) "
               "delivers before its period ended; True for every other bar."),
     NULL},
    MICRO_GET("open", HQTBarObject, b.open, "Open price."),
    MICRO_GET("high", HQTBarObject, b.high, "High price."),
    MICRO_GET("low", HQTBarObject, b.low, "Low price."),
    MICRO_GET("close", HQTBarObject, b.close, "Close price."),
    MICRO_GET("volume", HQTBarObject, b.volume, "Volume (tick count for bars built from ticks)."),
    {NULL}
};

static PyMethodDef bar_methods[] = {
    {"from_micro", (PyCFunction)(void (*)(void))bar_from_micro,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     PyDoc_STR("from_micro($type, symbol_id, timeframe, time, open, high, low, close, volume=0)\n--\n\n"
               "A bar from exact values in micro units (x 1e6).")},
    {"__reduce__", bar_reduce, METH_NOARGS, NULL},
    {NULL}
};

PyTypeObject HQTBar_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt.Bar",
    .tp_basicsize = sizeof(HQTBarObject),
    .tp_dealloc = bar_dealloc,
    .tp_repr = bar_repr,
    .tp_hash = bar_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Bar(symbol_id, timeframe, time, open, high, low, close, volume=0.0)\n--\n\n"
                        "One OHLCV bar; time is the open time in ns, timeframe in minutes."),
    .tp_richcompare = bar_richcompare,
    .tp_methods = bar_methods,
    .tp_members = bar_members,
    .tp_getset = bar_getset,
    .tp_new = bar_tp_new,
};

/* ======================================================================== */
/* Deal                                                                     */
/* ======================================================================== */

static PyObject *
deal_fields(PyObject *self)
{
    const hqt_deal *d = &((HQTDealObject *)self)->d;
    return Py_BuildValue("(KKKIiiiLLLLLLK)", (unsigned long long)d->ticket,
                         (unsigned long long)d->order, (unsigned long long)d->position,
                         d->symbol_id, (int)d->type, (int)d->entry, (int)d->reason,
                         (long long)d->time, (long long)d->volume, (long long)d->price,
                         (long long)d->commission, (long long)d->profit, (long long)d->balance,
                         (unsigned long long)d->magic);
}

static PyObject *
deal_repr(PyObject *self)
{
    const hqt_deal *d = &((HQTDealObject *)self)->d;
    PyObject *v = hqt_from_micro(d->volume), *p = hqt_from_micro(d->price),
             *c = hqt_from_micro(d->commission), *pr = hqt_from_micro(d->profit), *r = NULL;
    if (v && p && c && pr)
        r = PyUnicode_FromFormat("Deal(ticket=%llu, order=%llu, position=%llu, symbol_id=%u, "
                                 "type=%d, entry=%d, reason=%d, time=%lld, volume=%R, price=%R, "
                                 "commission=%R, profit=%R)",
                                 (unsigned long long)d->ticket, (unsigned long long)d->order,
                                 (unsigned long long)d->position, (unsigned)d->symbol_id,
                                 (int)d->type, (int)d->entry, (int)d->reason, (long long)d->time,
                                 v, p, c, pr);
    Py_XDECREF(v);
    Py_XDECREF(p);
    Py_XDECREF(c);
    Py_XDECREF(pr);
    return r;
}

static PyObject *deal_richcompare(PyObject *a, PyObject *b, int op)
{ return richcompare_by_fields(a, b, op, deal_fields); }
static Py_hash_t deal_hash(PyObject *self) { return hash_by_fields(self, deal_fields); }

static PyObject *
deal_astuple(PyObject *self, PyObject *unused)
{
    (void)unused;
    return deal_fields(self);
}

static PyMemberDef deal_members[] = {
    {"ticket", T_ULONGLONG, offsetof(HQTDealObject, d.ticket), READONLY, "Deal ticket."},
    {"order", T_ULONGLONG, offsetof(HQTDealObject, d.order), READONLY, "Order that caused it."},
    {"position", T_ULONGLONG, offsetof(HQTDealObject, d.position), READONLY,
     "Position it opened or changed."},
    {"symbol_id", T_UINT, offsetof(HQTDealObject, d.symbol_id), READONLY, "Symbol id."},
    {"time", T_LONGLONG, offsetof(HQTDealObject, d.time), READONLY, "Time in ns."},
    {"magic", T_ULONGLONG, offsetof(HQTDealObject, d.magic), READONLY, "Caller's magic number."},
    {"volume_micro", T_LONGLONG, offsetof(HQTDealObject, d.volume), READONLY, NULL},
    {"price_micro", T_LONGLONG, offsetof(HQTDealObject, d.price), READONLY, NULL},
    {"commission_micro", T_LONGLONG, offsetof(HQTDealObject, d.commission), READONLY, NULL},
    {"profit_micro", T_LONGLONG, offsetof(HQTDealObject, d.profit), READONLY, NULL},
    {"balance_micro", T_LONGLONG, offsetof(HQTDealObject, d.balance), READONLY, NULL},
    {NULL}
};

/* Directions, entries and reasons as hqt.constants IntEnums (issue 13). */
static PyObject *deal_get_type(PyObject *self, void *c)
{ (void)c; return hqt_enum_value(HQT_ENUM_POSITION_TYPE, ((HQTDealObject *)self)->d.type); }
static PyObject *deal_get_entry(PyObject *self, void *c)
{ (void)c; return hqt_enum_value(HQT_ENUM_DEAL_ENTRY, ((HQTDealObject *)self)->d.entry); }
static PyObject *deal_get_reason(PyObject *self, void *c)
{ (void)c; return hqt_enum_value(HQT_ENUM_DEAL_REASON, ((HQTDealObject *)self)->d.reason); }

static PyGetSetDef deal_getset[] = {
    {"type", deal_get_type, NULL, PyDoc_STR("hqt.PositionType: BUY or SELL."), NULL},
    {"entry", deal_get_entry, NULL, PyDoc_STR("hqt.DealEntry: IN, OUT, INOUT, OUT_BY."), NULL},
    {"reason", deal_get_reason, NULL,
     PyDoc_STR("hqt.DealReason: CLIENT, SL, TP, STOP_OUT, PENDING."), NULL},
    MICRO_GET("volume", HQTDealObject, d.volume, "Volume in lots."),
    MICRO_GET("price", HQTDealObject, d.price, "Fill price."),
    MICRO_GET("commission", HQTDealObject, d.commission, "Commission charged (<= 0)."),
    MICRO_GET("profit", HQTDealObject, d.profit,
              "Realized profit in account currency, before commission (0 for IN deals)."),
    MICRO_GET("balance", HQTDealObject, d.balance, "Balance after the deal."),
    {NULL}
};

static PyMethodDef deal_methods[] = {
    {"_astuple", deal_astuple, METH_NOARGS,
     PyDoc_STR("All fields as a tuple of exact integers (micro units).")},
    {NULL}
};

PyTypeObject HQTDeal_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt.Deal",
    .tp_basicsize = sizeof(HQTDealObject),
    .tp_dealloc = deal_dealloc,
    .tp_repr = deal_repr,
    .tp_hash = deal_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("One fill: ticket, order, position, symbol_id, type, entry, reason, "
                        "time, volume, price, commission, profit, balance, magic."),
    .tp_richcompare = deal_richcompare,
    .tp_methods = deal_methods,
    .tp_members = deal_members,
    .tp_getset = deal_getset,
};

int
hqt_types_init(PyObject *module)
{
    PyTypeObject *types[] = {&HQTTick_Type, &HQTBar_Type, &HQTDeal_Type};
    const char *names[] = {"Tick", "Bar", "Deal"};
    for (size_t i = 0; i < 3; i++) {
        if (PyType_Ready(types[i]) < 0)
            return -1;
        Py_INCREF(types[i]);
        if (PyModule_AddObject(module, names[i], (PyObject *)types[i]) < 0) {
            Py_DECREF(types[i]);
            return -1;
        }
    }
    return 0;
}
