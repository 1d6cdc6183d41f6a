/*
 * broadcaster.c -- hqt._hqt.Broadcaster: the standalone publisher (hqt_broadcaster_*).
 *
 * Shared conversions and macros of the I/O files in io_impl.h.
 */
#include "io_impl.h"

#include <string.h>

/* ======================================================================== */
/* Broadcaster                                                              */
/* ======================================================================== */

typedef struct {
    PyObject_HEAD
    hqt_broadcaster *b;       /* NULL before __init__ and after close() */
    hqt_broadcast_stats last; /* counters at close() */
    PyObject *endpoint;       /* str: the endpoint bound */
    int busy;                 /* a call runs without the GIL */
    PyObject *weakreflist;
} HQTBroadcasterObject;

static int
bc_check_open(HQTBroadcasterObject *self)
{
    if (self->busy) {
        hqt_set_error(HQT_E_BUSY, "this Broadcaster is in use by another thread");
        return -1;
    }
    if (!self->b) {
        hqt_set_error(HQT_E_STATE, "this Broadcaster is closed");
        return -1;
    }
    return 0;
}

#define BC_ENTER(self)                       \
    do {                                     \
        if (bc_check_open(self) < 0)         \
            return NULL;                     \
    } while (0)

static PyObject *
bc_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    HQTBroadcasterObject *self = (HQTBroadcasterObject *)type->tp_alloc(type, 0);
    if (self) {
        self->b = NULL;
        memset(&self->last, 0, sizeof self->last);
        self->endpoint = NULL;
        self->busy = 0;
        self->weakreflist = NULL;
    }
    return (PyObject *)self;
}

static int
bc_init(HQTBroadcasterObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"endpoint", "sndhwm", "linger", "curve_secret_key",
                             "allowed_client_keys", "wait_subscribers", "wait_timeout_ms", NULL};
    PyObject *a[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    hqt_broadcast_options o;
    hqt_io_keys k;
    hqt_broadcaster *b = NULL;
    char buf[1024];
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOOOOOO:Broadcaster", kwlist, &a[0], &a[1],
                                     &a[2], &a[3], &a[4], &a[5], &a[6]))
        return -1;
    if (self->b) {
        hqt_set_error(HQT_E_STATE, "Broadcaster.__init__ called on an open broadcaster");
        return -1;
    }
    if (hqt_io_broadcast_options(a, &o, &k) < 0) {
        hqt_io_keys_release(&k);
        return -1;
    }
    int st = hqt_broadcaster_create(&o, &b);
    hqt_io_keys_release(&k);
    if (st != HQT_OK) {
        hqt_raise_status(st);
        return -1;
    }
    st = hqt_broadcaster_endpoint(b, buf, sizeof buf);
    PyObject *ep = st == HQT_OK ? PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace")
                                : NULL;
    if (!ep) {
        if (st != HQT_OK)
            hqt_raise_status(st);
        hqt_broadcaster_destroy(b);
        return -1;
    }
    self->b = b;
    Py_XSETREF(self->endpoint, ep);
    return 0;
}

static void
bc_dealloc(HQTBroadcasterObject *self)
{
    if (self->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->b) {
        hqt_broadcaster_destroy(self->b);
        self->b = NULL;
    }
    Py_CLEAR(self->endpoint);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
bc_close(HQTBroadcasterObject *self, PyObject *unused)
{
    (void)unused;
    if (self->busy)
        return hqt_set_error(HQT_E_BUSY, "this Broadcaster is in use by another thread");
    if (self->b) {
        hqt_broadcaster *b = self->b;
        hqt_broadcaster_stats(b, &self->last);
        self->b = NULL;
        self->busy = 1;
        Py_BEGIN_ALLOW_THREADS /* linger may wait */
        hqt_broadcaster_destroy(b);
        Py_END_ALLOW_THREADS
        self->busy = 0;
    }
    Py_RETURN_NONE;
}

static PyObject *
bc_stats(HQTBroadcasterObject *self, PyObject *unused)
{
    hqt_broadcast_stats s;
    (void)unused;
    /* No busy check: the counters are safe to read while another thread publishes. */
    if (!self->b)
        return hqt_io_stats_tuple(&self->last);
    memset(&s, 0, sizeof s);
    CALL(hqt_broadcaster_stats(self->b, &s));
    return hqt_io_stats_tuple(&s);
}

static PyObject *
bc_wait_for_subscribers(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    static const char *const names[] = {"count", "timeout_ms", NULL};
    PyObject *a[2];
    int32_t count, timeout;
    int st;
    BC_ENTER(self);
    if (hqt_parse_fastcall("_wait_for_subscribers", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_as_i32(a[0], "count", &count) < 0 || hqt_as_i32(a[1], "timeout_ms", &timeout) < 0)
        return NULL;
    NOGIL(self->busy, st, hqt_broadcaster_wait_for_subscribers(self->b, count, timeout));
    if (st == HQT_E_BROADCAST)
        Py_RETURN_FALSE; /* timed out */
    CALL(st);
    Py_RETURN_TRUE;
}

static PyObject *
bc_get_endpoint(HQTBroadcasterObject *self, void *closure)
{
    (void)closure;
    if (!self->endpoint)
        Py_RETURN_NONE;
    return Py_NewRef(self->endpoint);
}

static PyObject *
bc_get_is_open(HQTBroadcasterObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->b != NULL);
}

/* ---- publishing ---- */

/* True: handed to ZeroMQ; False: refused (counted as dropped); else raises. */
static PyObject *
published(int st)
{
    if (st == HQT_OK)
        Py_RETURN_TRUE;
    if (st == HQT_E_BROADCAST)
        Py_RETURN_FALSE;
    return hqt_raise_status(st);
}

static int
as_u8(PyObject *obj, const char *what, uint8_t *out)
{
    int64_t v;
    if (hqt_as_i64(obj, what, &v) < 0)
        return -1;
    if (v < 0 || v > 255) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must be in 0..255, got %R", what, obj);
        return -1;
    }
    *out = (uint8_t)v;
    return 0;
}

/* Non-negative volume / time: micro (volume) or int (time) -> uint64. */
static int
volume_u64(PyObject *obj, uint64_t *out)
{
    int64_t v;
    if (hqt_to_micro(obj, "volume", &v) < 0)
        return -1;
    if (v < 0) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "volume must not be negative, got %R", obj);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

#define PUBLISH(self, expr)                                  \
    do {                                                     \
        int st_;                                             \
        NOGIL((self)->busy, st_, (expr));                    \
        return published(st_);                              \
    } while (0)

static PyObject *
bc_publish_tick(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "time", "bid", "ask", NULL};
    PyObject *a[4];
    uint32_t sym;
    uint64_t time;
    int64_t bid, ask;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_tick", args, nargs, kwnames, names, 4, a) < 0 ||
        hqt_as_u32(a[0], "symbol_id", &sym) < 0 || hqt_as_u64(a[1], "time", &time) < 0 ||
        hqt_to_micro(a[2], "bid", &bid) < 0 || hqt_to_micro(a[3], "ask", &ask) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_tick(self->b, sym, time, bid, ask));
}

static PyObject *
bc_publish_bar(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "timeframe", "time", "open", "high",
                                        "low", "close", "volume", NULL};
    PyObject *a[8];
    uint32_t sym;
    int64_t tf, o, h, l, c;
    uint64_t time, vol = 0;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_bar", args, nargs, kwnames, names, 7, a) < 0 ||
        hqt_as_u32(a[0], "symbol_id", &sym) < 0 || hqt_as_i64(a[1], "timeframe", &tf) < 0 ||
        hqt_as_u64(a[2], "time", &time) < 0 || hqt_to_micro(a[3], "open", &o) < 0 ||
        hqt_to_micro(a[4], "high", &h) < 0 || hqt_to_micro(a[5], "low", &l) < 0 ||
        hqt_to_micro(a[6], "close", &c) < 0 || (a[7] && volume_u64(a[7], &vol) < 0))
        return NULL;
    if (tf < 0 || tf > 65535)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "timeframe must be in 0..65535 minutes, "
                             "got %R", a[1]);
    PUBLISH(self, hqt_broadcaster_publish_bar(self->b, sym, (uint16_t)tf, time, o, h, l, c, vol));
}

static PyObject *
bc_publish_trade(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "symbol_id", "time", "volume", "price",
                                        "profit", NULL};
    PyObject *a[6];
    uint64_t ticket, time, vol;
    uint32_t sym;
    int64_t price, profit;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_trade", args, nargs, kwnames, names, 6, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_u32(a[1], "symbol_id", &sym) < 0 ||
        hqt_as_u64(a[2], "time", &time) < 0 || volume_u64(a[3], &vol) < 0 ||
        hqt_to_micro(a[4], "price", &price) < 0 || hqt_to_micro(a[5], "profit", &profit) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_trade(self->b, ticket, sym, time, vol, price, profit));
}

static PyObject *
bc_publish_order(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "symbol_id", "time", "kind", "volume",
                                        "price", NULL};
    PyObject *a[6];
    uint64_t ticket, time, vol;
    uint32_t sym;
    uint8_t kind;
    int64_t price;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_order", args, nargs, kwnames, names, 6, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_u32(a[1], "symbol_id", &sym) < 0 ||
        hqt_as_u64(a[2], "time", &time) < 0 || as_u8(a[3], "kind", &kind) < 0 ||
        volume_u64(a[4], &vol) < 0 || hqt_to_micro(a[5], "price", &price) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_order(self->b, ticket, sym, time, kind, vol, price));
}

static PyObject *
bc_publish_equity(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"time", "balance", "equity", "margin", "free_margin",
                                        NULL};
    PyObject *a[5];
    uint64_t time;
    int64_t bal, eq, mar, fm;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_equity", args, nargs, kwnames, names, 5, a) < 0 ||
        hqt_as_u64(a[0], "time", &time) < 0 || hqt_to_micro(a[1], "balance", &bal) < 0 ||
        hqt_to_micro(a[2], "equity", &eq) < 0 || hqt_to_micro(a[3], "margin", &mar) < 0 ||
        hqt_to_micro(a[4], "free_margin", &fm) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_equity(self->b, time, bal, eq, mar, fm));
}

static PyObject *
bc_publish_margin(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"time", "margin", "free_margin", "margin_level",
                                        "event", NULL};
    PyObject *a[5];
    uint64_t time;
    int64_t mar, fm, level;
    uint8_t event = 0;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_margin", args, nargs, kwnames, names, 4, a) < 0 ||
        hqt_as_u64(a[0], "time", &time) < 0 || hqt_to_micro(a[1], "margin", &mar) < 0 ||
        hqt_to_micro(a[2], "free_margin", &fm) < 0 ||
        hqt_to_micro(a[3], "margin_level", &level) < 0 ||
        (a[4] && as_u8(a[4], "event", &event) < 0))
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_margin(self->b, time, mar, fm, level, event));
}

static PyObject *
bc_publish_position(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "symbol_id", "time", "kind", "volume",
                                        "open_price", "sl", "tp", "profit", NULL};
    PyObject *a[9];
    uint64_t ticket, time, vol;
    uint32_t sym;
    uint8_t kind;
    int64_t price, sl, tp, profit;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_position", args, nargs, kwnames, names, 9, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_u32(a[1], "symbol_id", &sym) < 0 ||
        hqt_as_u64(a[2], "time", &time) < 0 || as_u8(a[3], "kind", &kind) < 0 ||
        volume_u64(a[4], &vol) < 0 || hqt_to_micro(a[5], "open_price", &price) < 0 ||
        hqt_opt_micro(a[6], "sl", 0, &sl) < 0 || hqt_opt_micro(a[7], "tp", 0, &tp) < 0 ||
        hqt_to_micro(a[8], "profit", &profit) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_position(self->b, ticket, sym, time, kind, vol, price,
                                                   sl, tp, profit));
}

static PyObject *
bc_publish_account(HQTBroadcasterObject *self, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const names[] = {"time", "balance", "equity", "profit", "margin_level",
                                        NULL};
    PyObject *a[5];
    uint64_t time;
    int64_t bal, eq, profit, level;
    BC_ENTER(self);
    if (hqt_parse_fastcall("publish_account", args, nargs, kwnames, names, 5, a) < 0 ||
        hqt_as_u64(a[0], "time", &time) < 0 || hqt_to_micro(a[1], "balance", &bal) < 0 ||
        hqt_to_micro(a[2], "equity", &eq) < 0 || hqt_to_micro(a[3], "profit", &profit) < 0 ||
        hqt_to_micro(a[4], "margin_level", &level) < 0)
        return NULL;
    PUBLISH(self, hqt_broadcaster_publish_account(self->b, time, bal, eq, profit, level));
}

static PyMethodDef bc_methods[] = {
    FAST("publish_tick", bc_publish_tick,
         "publish_tick($self, symbol_id, time, bid, ask)\n--\n\n"
         "Publish a TICK frame; True if sent, False if dropped (a queue was full)."),
    FAST("publish_bar", bc_publish_bar,
         "publish_bar($self, symbol_id, timeframe, time, open, high, low, close, volume=0.0)\n"
         "--\n\nPublish a BAR frame (time = open time, timeframe in minutes)."),
    FAST("publish_trade", bc_publish_trade,
         "publish_trade($self, ticket, symbol_id, time, volume, price, profit)\n--\n\n"
         "Publish a TRADE frame (a deal)."),
    FAST("publish_order", bc_publish_order,
         "publish_order($self, ticket, symbol_id, time, kind, volume, price)\n--\n\n"
         "Publish an ORDER frame; kind = (state << 4) | order type."),
    FAST("publish_equity", bc_publish_equity,
         "publish_equity($self, time, balance, equity, margin, free_margin)\n--\n\n"
         "Publish an EQUITY frame."),
    FAST("publish_margin", bc_publish_margin,
         "publish_margin($self, time, margin, free_margin, margin_level, event=0)\n--\n\n"
         "Publish a MARGIN frame (margin_level in percent; event 0 update, 1 margin call, "
         "2 stop-out)."),
    FAST("publish_position", bc_publish_position,
         "publish_position($self, ticket, symbol_id, time, kind, volume, open_price, sl, tp, "
         "profit)\n--\n\n"
         "Publish a POSITION frame; kind = (state << 4) | side; sl/tp None or 0 = none."),
    FAST("publish_account", bc_publish_account,
         "publish_account($self, time, balance, equity, profit, margin_level)\n--\n\n"
         "Publish an ACCOUNT frame (margin_level in percent)."),
    FAST("_wait_for_subscribers", bc_wait_for_subscribers, NULL),
    {"_stats", (PyCFunction)bc_stats, METH_NOARGS, NULL},
    {"close", (PyCFunction)bc_close, METH_NOARGS,
     PyDoc_STR("close($self, /)\n--\n\nClose the socket; the counters stay readable. "
               "No-op when closed.")},
    {NULL}
};

static PyGetSetDef bc_getset[] = {
    {"endpoint", (getter)bc_get_endpoint, NULL,
     PyDoc_STR("The endpoint bound, with a '*' port resolved (kept after close())."), NULL},
    {"is_open", (getter)bc_get_is_open, NULL, PyDoc_STR("False after close()."), NULL},
    {NULL}
};

PyTypeObject HQTBroadcaster_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt._hqt.Broadcaster",
    .tp_basicsize = sizeof(HQTBroadcasterObject),
    .tp_dealloc = (destructor)bc_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("Broadcaster(endpoint=None, sndhwm=None, linger=None, "
                        "curve_secret_key=None, allowed_client_keys=None, "
                        "wait_subscribers=None, wait_timeout_ms=None)\n--\n\n"
                        "Low-level ZeroMQ publisher; use hqt.Broadcaster."),
    .tp_weaklistoffset = offsetof(HQTBroadcasterObject, weakreflist),
    .tp_methods = bc_methods,
    .tp_getset = bc_getset,
    .tp_init = (initproc)bc_init,
    .tp_new = bc_new,
};

