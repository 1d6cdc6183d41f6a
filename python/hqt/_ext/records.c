/*
 * records.c -- Position, Order and Trade: the engine's result records as
 * immutable C objects around the structs of hqt.h, all three made from one
 * field table each (the one place their field names, order, units and
 * documentation are written). The same tables give
 *
 *   - the objects' attributes: floats for money, prices and volumes (from
 *     micro units, when read), ints for tickets and times, the hqt.constants
 *     enum for types, states and reasons; plus ``<name>_micro`` with the exact
 *     integer of every float attribute;
 *   - their raw tuples of exact integers (``_astuple()``, and the Engine's
 *     ``_positions()`` & co.);
 *   - the numpy layouts of hqt._hqt._raw_records (results.c).
 *
 * Deal (types.c) is made by hand: it is created on every fill, while a
 * strategy runs.
 */
#include "hqt_ext.h"

#include <stddef.h>
#include <string.h>

/* ---- field tables ------------------------------------------------------------------- */

#define FLD(S, name, kind, en, doc) {#name, offsetof(S, name), kind, en, doc}

enum { ENUM_NONE = -1, ENUM_POSITION_TYPE = HQT_ENUM_POSITION_TYPE, ENUM_ORDER_TYPE,
       ENUM_ORDER_STATE, ENUM_DEAL_REASON = HQT_ENUM_DEAL_REASON,
       ENUM_DEAL_ENTRY = HQT_ENUM_DEAL_ENTRY, ENUM_COUNT };

const hqt_field hqt_position_fields[] = {
    FLD(hqt_position, ticket, HQT_FIELD_U64, ENUM_NONE, "Position ticket."),
    FLD(hqt_position, symbol_id, HQT_FIELD_U32, ENUM_NONE, "Symbol id."),
    FLD(hqt_position, type, HQT_FIELD_ENUM, ENUM_POSITION_TYPE, "hqt.PositionType (BUY, SELL)."),
    FLD(hqt_position, volume, HQT_FIELD_MICRO, ENUM_NONE, "Volume in lots."),
    FLD(hqt_position, open_price, HQT_FIELD_MICRO, ENUM_NONE, "Open price."),
    FLD(hqt_position, open_time, HQT_FIELD_I64, ENUM_NONE, "Open time, ns since the epoch."),
    FLD(hqt_position, sl, HQT_FIELD_MICRO, ENUM_NONE, "Stop loss; 0.0 = none."),
    FLD(hqt_position, tp, HQT_FIELD_MICRO, ENUM_NONE, "Take profit; 0.0 = none."),
    FLD(hqt_position, trailing_points, HQT_FIELD_I64, ENUM_NONE,
        "Trailing stop distance in points; 0 = none."),
    FLD(hqt_position, profit, HQT_FIELD_MICRO, ENUM_NONE, "Floating profit, account currency."),
    FLD(hqt_position, margin, HQT_FIELD_MICRO, ENUM_NONE, "Margin, account currency."),
    FLD(hqt_position, commission, HQT_FIELD_MICRO, ENUM_NONE,
        "Entry commission charged so far (<= 0)."),
    FLD(hqt_position, magic, HQT_FIELD_U64, ENUM_NONE, "Caller's magic number."),
    {NULL, 0, 0, 0, NULL}};

const hqt_field hqt_order_fields[] = {
    FLD(hqt_order, ticket, HQT_FIELD_U64, ENUM_NONE, "Order ticket."),
    FLD(hqt_order, symbol_id, HQT_FIELD_U32, ENUM_NONE, "Symbol id."),
    FLD(hqt_order, type, HQT_FIELD_ENUM, ENUM_ORDER_TYPE, "hqt.OrderType."),
    FLD(hqt_order, state, HQT_FIELD_ENUM, ENUM_ORDER_STATE, "hqt.OrderState."),
    FLD(hqt_order, volume, HQT_FIELD_MICRO, ENUM_NONE, "Volume in lots."),
    FLD(hqt_order, price, HQT_FIELD_MICRO, ENUM_NONE, "Order price."),
    FLD(hqt_order, stop_limit, HQT_FIELD_MICRO, ENUM_NONE,
        "Limit price of a STOP_LIMIT order; 0.0 otherwise."),
    FLD(hqt_order, sl, HQT_FIELD_MICRO, ENUM_NONE, "Stop loss; 0.0 = none."),
    FLD(hqt_order, tp, HQT_FIELD_MICRO, ENUM_NONE, "Take profit; 0.0 = none."),
    FLD(hqt_order, expiration, HQT_FIELD_I64, ENUM_NONE, "Expiration in ns; 0 = good till canceled."),
    FLD(hqt_order, time_setup, HQT_FIELD_I64, ENUM_NONE, "Time placed, ns since the epoch."),
    FLD(hqt_order, trailing_points, HQT_FIELD_I64, ENUM_NONE,
        "Trailing stop distance in points of the position it opens; 0 = none."),
    FLD(hqt_order, magic, HQT_FIELD_U64, ENUM_NONE, "Caller's magic number."),
    {NULL, 0, 0, 0, NULL}};

const hqt_field hqt_trade_fields[] = {
    FLD(hqt_trade, position, HQT_FIELD_U64, ENUM_NONE, "Ticket of the position."),
    FLD(hqt_trade, symbol_id, HQT_FIELD_U32, ENUM_NONE, "Symbol id."),
    FLD(hqt_trade, type, HQT_FIELD_ENUM, ENUM_POSITION_TYPE, "hqt.PositionType of the position."),
    FLD(hqt_trade, volume, HQT_FIELD_MICRO, ENUM_NONE, "Volume closed, in lots."),
    FLD(hqt_trade, open_time, HQT_FIELD_I64, ENUM_NONE, "Entry time, ns since the epoch."),
    FLD(hqt_trade, open_price, HQT_FIELD_MICRO, ENUM_NONE, "Entry price."),
    FLD(hqt_trade, close_time, HQT_FIELD_I64, ENUM_NONE, "Exit time, ns since the epoch."),
    FLD(hqt_trade, close_price, HQT_FIELD_MICRO, ENUM_NONE, "Exit price."),
    FLD(hqt_trade, commission, HQT_FIELD_MICRO, ENUM_NONE,
        "Entry + exit commission of this volume (<= 0)."),
    FLD(hqt_trade, profit, HQT_FIELD_MICRO, ENUM_NONE, "Realized profit, before commission."),
    FLD(hqt_trade, close_reason, HQT_FIELD_ENUM, ENUM_DEAL_REASON, "hqt.DealReason of the exit."),
    {NULL, 0, 0, 0, NULL}};

const hqt_field hqt_deal_fields[] = {
    FLD(hqt_deal, ticket, HQT_FIELD_U64, ENUM_NONE, NULL),
    FLD(hqt_deal, order, HQT_FIELD_U64, ENUM_NONE, NULL),
    FLD(hqt_deal, position, HQT_FIELD_U64, ENUM_NONE, NULL),
    FLD(hqt_deal, symbol_id, HQT_FIELD_U32, ENUM_NONE, NULL),
    FLD(hqt_deal, type, HQT_FIELD_I32, ENUM_NONE, NULL),
    FLD(hqt_deal, entry, HQT_FIELD_I32, ENUM_NONE, NULL),
    FLD(hqt_deal, reason, HQT_FIELD_I32, ENUM_NONE, NULL),
    FLD(hqt_deal, time, HQT_FIELD_I64, ENUM_NONE, NULL),
    FLD(hqt_deal, volume, HQT_FIELD_MICRO, ENUM_NONE, NULL),
    FLD(hqt_deal, price, HQT_FIELD_MICRO, ENUM_NONE, NULL),
    FLD(hqt_deal, commission, HQT_FIELD_MICRO, ENUM_NONE, NULL),
    FLD(hqt_deal, profit, HQT_FIELD_MICRO, ENUM_NONE, NULL),
    FLD(hqt_deal, balance, HQT_FIELD_MICRO, ENUM_NONE, NULL),
    FLD(hqt_deal, magic, HQT_FIELD_U64, ENUM_NONE, NULL),
    {NULL, 0, 0, 0, NULL}};

#undef FLD

const char *
hqt_field_dtype(const hqt_field *f)
{
    switch (f->kind) {
    case HQT_FIELD_U64: return "<u8";
    case HQT_FIELD_U32: return "<u4";
    case HQT_FIELD_I32:
    case HQT_FIELD_ENUM: return "<i4";
    default: return "<i8";
    }
}

/* ---- values ------------------------------------------------------------------------- */

/* The exact integer of a field of the struct at `base`. */
static PyObject *
field_int(const char *base, const hqt_field *f)
{
    const char *p = base + f->offset;
    switch (f->kind) {
    case HQT_FIELD_U64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return PyLong_FromUnsignedLongLong(v);
    }
    case HQT_FIELD_U32: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return PyLong_FromUnsignedLong(v);
    }
    case HQT_FIELD_I32:
    case HQT_FIELD_ENUM: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return PyLong_FromLong(v);
    }
    default: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return PyLong_FromLongLong(v);
    }
    }
}

/* Enum members of hqt.constants, loaded on first use: value -> member for
   values 0..ENUM_MAX-1 (other values stay ints). */
#define ENUM_MAX 16
static const char *const enum_names[ENUM_COUNT] = {"PositionType", "OrderType", "OrderState",
                                                   "DealReason", "DealEntry"};
static PyObject *enum_members[ENUM_COUNT][ENUM_MAX];
static int enums_loaded;

static int
load_enums(void)
{
    PyObject *mod = PyImport_ImportModule("hqt.constants");
    if (!mod)
        return -1;
    for (int e = 0; e < ENUM_COUNT; e++) {
        PyObject *cls = PyObject_GetAttrString(mod, enum_names[e]);
        if (!cls) {
            Py_DECREF(mod);
            return -1;
        }
        for (int v = 0; v < ENUM_MAX; v++) {
            PyObject *m = PyObject_CallFunction(cls, "i", v);
            if (!m) {
                if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
                    Py_DECREF(cls);
                    Py_DECREF(mod);
                    return -1;
                }
                PyErr_Clear();  /* not a member: stays an int */
            }
            enum_members[e][v] = m;
        }
        Py_DECREF(cls);
    }
    Py_DECREF(mod);
    enums_loaded = 1;
    return 0;
}

PyObject *
hqt_enum_value(int which, int32_t v)
{
    if (!enums_loaded && load_enums() < 0)
        return NULL;
    if (v >= 0 && v < ENUM_MAX && enum_members[which][v]) {
        Py_INCREF(enum_members[which][v]);
        return enum_members[which][v];
    }
    return PyLong_FromLong(v);
}

/* The value of a field as its attribute shows it. */
static PyObject *
field_value(const char *base, const hqt_field *f)
{
    if (f->kind == HQT_FIELD_MICRO) {
        int64_t v;
        memcpy(&v, base + f->offset, sizeof v);
        return hqt_from_micro(v);
    }
    if (f->kind == HQT_FIELD_ENUM) {
        int32_t v;
        memcpy(&v, base + f->offset, sizeof v);
        if (!enums_loaded && load_enums() < 0)
            return NULL;
        if (v >= 0 && v < ENUM_MAX && enum_members[f->enum_id][v]) {
            PyObject *m = enum_members[f->enum_id][v];
            Py_INCREF(m);
            return m;
        }
        return PyLong_FromLong(v);
    }
    return field_int(base, f);
}

PyObject *
hqt_fields_tuple(const hqt_field *fields, const void *data)
{
    Py_ssize_t n = 0;
    while (fields[n].name)
        n++;
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t && i < n; i++) {
        PyObject *x = field_int((const char *)data, &fields[i]);
        if (!x) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, x);
    }
    return t;
}

/* ---- the record types --------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    union {
        hqt_position position;
        hqt_order order;
        hqt_trade trade;
    } u;
} HQTRecordObject;

#define DATA(o) ((const char *)&((HQTRecordObject *)(o))->u)

typedef struct {
    PyTypeObject *type;
    const hqt_field *fields;
    size_t size;
    Py_ssize_t nfields;
} record_spec;

PyTypeObject HQTPosition_Type, HQTOrder_Type, HQTTrade_Type;

static record_spec specs[] = {
    {&HQTPosition_Type, hqt_position_fields, sizeof(hqt_position), 0},
    {&HQTOrder_Type, hqt_order_fields, sizeof(hqt_order), 0},
    {&HQTTrade_Type, hqt_trade_fields, sizeof(hqt_trade), 0},
};
#define N_SPECS ((int)(sizeof specs / sizeof specs[0]))

static const record_spec *
spec_of(PyTypeObject *type)
{
    for (int i = 0; i < N_SPECS; i++)
        if (PyType_IsSubtype(type, specs[i].type))
            return &specs[i];
    return NULL;
}

static PyObject *
record_new(const record_spec *s, const void *data)
{
    PyObject *o = PyObject_Malloc((size_t)s->type->tp_basicsize);
    if (!o)
        return PyErr_NoMemory();
    PyObject_Init(o, s->type);
    memcpy(&((HQTRecordObject *)o)->u, data, s->size);
    return o;
}

PyObject *hqt_position_new(const hqt_position *p) { return record_new(&specs[0], p); }
PyObject *hqt_order_new(const hqt_order *o) { return record_new(&specs[1], o); }
PyObject *hqt_trade_new(const hqt_trade *t) { return record_new(&specs[2], t); }

static void
record_dealloc(PyObject *o)
{
    PyObject_Free(o);
}

static PyObject *
record_get(PyObject *self, void *closure)
{
    return field_value(DATA(self), (const hqt_field *)closure);
}

static PyObject *
record_get_exact(PyObject *self, void *closure)
{
    return field_int(DATA(self), (const hqt_field *)closure);
}

static PyObject *
record_astuple(PyObject *self, PyObject *unused)
{
    (void)unused;
    return hqt_fields_tuple(spec_of(Py_TYPE(self))->fields, DATA(self));
}

static PyObject *
record_repr(PyObject *self)
{
    const record_spec *s = spec_of(Py_TYPE(self));
    PyObject *parts = PyList_New(0), *sep = NULL, *body = NULL, *r = NULL;
    if (!parts)
        return NULL;
    for (Py_ssize_t i = 0; i < s->nfields; i++) {
        PyObject *v = field_value(DATA(self), &s->fields[i]);
        PyObject *item = v ? PyUnicode_FromFormat("%s=%R", s->fields[i].name, v) : NULL;
        Py_XDECREF(v);
        if (!item || PyList_Append(parts, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(parts);
            return NULL;
        }
        Py_DECREF(item);
    }
    if ((sep = PyUnicode_FromString(", ")) && (body = PyUnicode_Join(sep, parts)))
        r = PyUnicode_FromFormat("%s(%U)", _PyType_Name(Py_TYPE(self)), body);
    Py_XDECREF(sep);
    Py_XDECREF(body);
    Py_DECREF(parts);
    return r;
}

static PyObject *
record_richcompare(PyObject *a, PyObject *b, int op)
{
    if (Py_TYPE(a) != Py_TYPE(b) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    const record_spec *s = spec_of(Py_TYPE(a));
    int eq = 1;
    for (Py_ssize_t i = 0; i < s->nfields && eq; i++) {
        const hqt_field *f = &s->fields[i];
        size_t w = (f->kind == HQT_FIELD_U32 || f->kind == HQT_FIELD_I32 ||
                    f->kind == HQT_FIELD_ENUM) ? 4 : 8;
        eq = memcmp(DATA(a) + f->offset, DATA(b) + f->offset, w) == 0;
    }
    if (eq == (op == Py_EQ))
        Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

static Py_hash_t
record_hash(PyObject *self)
{
    PyObject *t = record_astuple(self, NULL);
    if (!t)
        return -1;
    Py_hash_t h = PyObject_Hash(t);
    Py_DECREF(t);
    return h;
}

/* Type(field, ...) with floats for money, prices and volumes, or
   Type.from_micro(field, ...) with their exact micro integers. */
static PyObject *
record_make(PyTypeObject *type, PyObject *args, PyObject *kw, int micro)
{
    const record_spec *s = spec_of(type);
    const char *what = micro ? "from_micro" : _PyType_Name(type);
    PyObject *vals[32] = {NULL};
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs > s->nfields) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", what, s->nfields,
                     nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        vals[i] = PyTuple_GET_ITEM(args, i);
    if (kw) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kw, &pos, &key, &value)) {
            Py_ssize_t i = 0;
            while (i < s->nfields && PyUnicode_CompareWithASCIIString(key, s->fields[i].name) != 0)
                i++;
            if (i == s->nfields) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", what,
                             key);
                return NULL;
            }
            if (vals[i]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", what,
                             s->fields[i].name);
                return NULL;
            }
            vals[i] = value;
        }
    }
    union {
        hqt_position position;
        hqt_order order;
        hqt_trade trade;
    } data;
    memset(&data, 0, sizeof data);
    char *base = (char *)&data;
    for (Py_ssize_t i = 0; i < s->nfields; i++) {
        const hqt_field *f = &s->fields[i];
        void *p = base + f->offset;
        if (!vals[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", what, f->name);
            return NULL;
        }
        int rc;
        switch (f->kind) {
        case HQT_FIELD_U64: rc = hqt_as_u64(vals[i], f->name, (uint64_t *)p); break;
        case HQT_FIELD_U32: rc = hqt_as_u32(vals[i], f->name, (uint32_t *)p); break;
        case HQT_FIELD_I32:
        case HQT_FIELD_ENUM: rc = hqt_as_i32(vals[i], f->name, (int32_t *)p); break;
        case HQT_FIELD_MICRO:
            rc = micro ? hqt_as_i64(vals[i], f->name, (int64_t *)p)
                       : hqt_to_micro(vals[i], f->name, (int64_t *)p);
            break;
        default: rc = hqt_as_i64(vals[i], f->name, (int64_t *)p); break;
        }
        if (rc < 0)
            return NULL;
    }
    return record_new(s, &data);
}

static PyObject *
record_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    return record_make(type, args, kw, 0);
}

static PyObject *
record_from_micro(PyObject *cls, PyObject *args, PyObject *kw)
{
    return record_make((PyTypeObject *)cls, args, kw, 1);
}

static PyObject *
record_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *f = record_astuple(self, NULL);
    PyObject *ctor = f ? PyObject_GetAttrString((PyObject *)Py_TYPE(self), "from_micro") : NULL;
    PyObject *r = ctor ? Py_BuildValue("(OO)", ctor, f) : NULL;
    Py_XDECREF(ctor);
    Py_XDECREF(f);
    return r;
}

static PyMethodDef record_methods[] = {
    {"from_micro", (PyCFunction)(void (*)(void))record_from_micro,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     PyDoc_STR("The record from its fields, with exact micro units (value x 1e6) for money, "
               "prices and volumes.")},
    {"_astuple", record_astuple, METH_NOARGS,
     PyDoc_STR("All fields as a tuple of exact integers (micro units).")},
    {"__reduce__", record_reduce, METH_NOARGS, NULL},
    {NULL}
};

/* Position.price: alias of open_price. Trade.net_profit: profit + commission. */
static PyObject *
position_price(PyObject *self, void *closure)
{
    (void)closure;
    return hqt_from_micro(((HQTRecordObject *)self)->u.position.open_price);
}

static PyObject *
trade_net_profit(PyObject *self, void *closure)
{
    (void)closure;
    const hqt_trade *t = &((HQTRecordObject *)self)->u.trade;
    return PyFloat_FromDouble((double)t->profit / 1e6 + (double)t->commission / 1e6);
}

#define RECORD_TYPE(var, pyname, doc)                                   \
    PyTypeObject var = {                                                \
        PyVarObject_HEAD_INIT(NULL, 0)                                  \
        .tp_name = pyname,                                              \
        .tp_basicsize = sizeof(HQTRecordObject),                        \
        .tp_dealloc = record_dealloc,                                   \
        .tp_repr = record_repr,                                         \
        .tp_hash = record_hash,                                         \
        .tp_flags = Py_TPFLAGS_DEFAULT,                                 \
        .tp_doc = PyDoc_STR(doc),                                       \
        .tp_richcompare = record_richcompare,                           \
        .tp_methods = record_methods,                                   \
        .tp_new = record_tp_new,                                        \
    }

RECORD_TYPE(HQTPosition_Type, "hqt.Position",
            "Position(ticket, symbol_id, type, volume, open_price, open_time, sl, tp, "
            "trailing_points, profit, margin, commission, magic)\n--\n\n"
            "An open position. Money, prices and volumes are floats (exact values in the "
            "*_micro attributes); price is an alias of open_price.");
RECORD_TYPE(HQTOrder_Type, "hqt.Order",
            "Order(ticket, symbol_id, type, state, volume, price, stop_limit, sl, tp, expiration, "
            "time_setup, trailing_points, magic)\n--\n\n"
            "A pending order (or, in order_history, any order with its final state).");
RECORD_TYPE(HQTTrade_Type, "hqt.Trade",
            "Trade(position, symbol_id, type, volume, open_time, open_price, close_time, "
            "close_price, commission, profit, close_reason)\n--\n\n"
            "A round trip: a position (or the closed part of it) from entry to exit; "
            "net_profit = profit + commission.");

/* Attributes from the field table: each field, then <name>_micro for each
   float one, then `extra`. Allocated once, for the life of the process. */
static int
build_getset(record_spec *s, const PyGetSetDef *extra, int nextra)
{
    Py_ssize_t n = 0, nmicro = 0;
    for (; s->fields[n].name; n++)
        nmicro += s->fields[n].kind == HQT_FIELD_MICRO;
    s->nfields = n;
    if (n > 32) {
        PyErr_SetString(PyExc_SystemError, "record with more than 32 fields");
        return -1;
    }
    PyGetSetDef *g = PyMem_Calloc((size_t)(n + nmicro + nextra + 1), sizeof *g);
    PyObject *names = PyTuple_New(n);
    if (!g || !names) {
        PyMem_Free(g);
        Py_XDECREF(names);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const hqt_field *f = &s->fields[i];
        g[k++] = (PyGetSetDef){(char *)f->name, record_get, NULL, (char *)f->doc, (void *)f};
        PyObject *name = PyUnicode_FromString(f->name);
        if (!name) {
            Py_DECREF(names);
            return -1;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    /* exact attributes, after the fields */
    for (Py_ssize_t i = 0; i < n; i++) {
        const hqt_field *f = &s->fields[i];
        if (f->kind != HQT_FIELD_MICRO)
            continue;
        size_t len = strlen(f->name) + sizeof "_micro";
        char *mname = PyMem_Malloc(len);
        if (!mname) {
            Py_DECREF(names);
            PyErr_NoMemory();
            return -1;
        }
        snprintf(mname, len, "%s_micro", f->name);
        g[k++] = (PyGetSetDef){mname, record_get_exact, NULL, NULL, (void *)f};
    }
    for (int i = 0; i < nextra; i++)
        g[k++] = extra[i];
    g[k] = (PyGetSetDef){NULL};
    s->type->tp_getset = g;
    if (PyType_Ready(s->type) < 0) {
        Py_DECREF(names);
        return -1;
    }
    /* the field names, in order (as a namedtuple's _fields) */
    int rc = PyDict_SetItemString(s->type->tp_dict, "_fields", names);
    Py_DECREF(names);
    PyType_Modified(s->type);
    return rc;
}

int
hqt_records_init(PyObject *module)
{
    static const PyGetSetDef position_extra[] = {
        {"price", position_price, NULL, PyDoc_STR("Alias of open_price."), NULL}};
    static const PyGetSetDef trade_extra[] = {
        {"net_profit", trade_net_profit, NULL, PyDoc_STR("Profit after commission."), NULL}};
    if (build_getset(&specs[0], position_extra, 1) < 0 || build_getset(&specs[1], NULL, 0) < 0 ||
        build_getset(&specs[2], trade_extra, 1) < 0)
        return -1;
    const char *names[] = {"Position", "Order", "Trade"};
    for (int i = 0; i < N_SPECS; i++) {
        Py_INCREF(specs[i].type);
        if (PyModule_AddObject(module, names[i], (PyObject *)specs[i].type) < 0) {
            Py_DECREF(specs[i].type);
            return -1;
        }
    }
    return 0;
}
