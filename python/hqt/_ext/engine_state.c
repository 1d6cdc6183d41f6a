/*
 * engine_state.c -- Engine methods that read the state: account, positions, orders, history, statistics.
 *
 * Part of the Engine type (see engine.c); shared helpers in engine_impl.h.
 */
#include "engine_impl.h"

#include <string.h>

/* ---- lists ---------------------------------------------------------------- */

#define DEFINE_FETCH(fname, T, call)                                         \
    static int fname(hqt_engine *e, T **out, size_t *count)                  \
    {                                                                        \
        size_t cap = 0, n = 0;                                               \
        T *buf = NULL;                                                       \
        for (;;) {                                                           \
            int st = call(e, buf, cap, &n);                                  \
            if (st != HQT_OK) {                                              \
                PyMem_Free(buf);                                             \
                hqt_raise_status(st);                                        \
                return -1;                                                   \
            }                                                                \
            if (n <= cap)                                                    \
                break;                                                       \
            PyMem_Free(buf);                                                 \
            cap = n;                                                         \
            buf = (T *)PyMem_Calloc(cap, sizeof(T));                         \
            if (!buf) {                                                      \
                PyErr_NoMemory();                                            \
                return -1;                                                   \
            }                                                                \
        }                                                                    \
        *out = buf;                                                          \
        *count = n;                                                          \
        return 0;                                                            \
    }

DEFINE_FETCH(fetch_positions, hqt_position, hqt_engine_positions)
DEFINE_FETCH(fetch_orders, hqt_order, hqt_engine_orders)
DEFINE_FETCH(fetch_order_history, hqt_order, hqt_engine_order_history)
DEFINE_FETCH(fetch_deals, hqt_deal, hqt_engine_deals)
DEFINE_FETCH(fetch_trades, hqt_trade, hqt_engine_trades)
DEFINE_FETCH(fetch_equity, hqt_equity_point, hqt_engine_equity_curve)

/* One Python object per struct: the raw tuple of exact integers (the
   underscore methods) or the record object (hqt.Position & co.), both from
   the field tables of records.c. */
typedef PyObject *(*item_fn)(const void *);

static PyObject *position_raw(const void *p) { return hqt_fields_tuple(hqt_position_fields, p); }
static PyObject *order_raw(const void *o) { return hqt_fields_tuple(hqt_order_fields, o); }
static PyObject *trade_raw(const void *t) { return hqt_fields_tuple(hqt_trade_fields, t); }
static PyObject *order_obj(const void *o) { return hqt_order_new((const hqt_order *)o); }
static PyObject *trade_obj(const void *t) { return hqt_trade_new((const hqt_trade *)t); }

/* A list of make(item) for the n items of buf; frees buf. */
static PyObject *
make_list(void *buf, size_t n, size_t itemsize, item_fn make)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = make((const char *)buf + i * itemsize);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_Free(buf);
    return list;
}

/* engine_<name>(): raw tuples; engine_get_<name>: the objects (a getter;
   engine.positions' is engine_fast.c's, cached). */
#define RAW_LIST_OF(name, T, fetch, raw)                                    \
    static PyObject *engine_##name(HQTEngineObject *self, PyObject *unused) \
    {                                                                       \
        T *buf;                                                             \
        size_t n;                                                           \
        (void)unused;                                                       \
        ENTER(self);                                                        \
        if (fetch(self->engine, &buf, &n) < 0)                              \
            return NULL;                                                    \
        return make_list(buf, n, sizeof(T), raw);                           \
    }
#define LIST_OF(name, T, fetch, raw, obj)                                   \
    RAW_LIST_OF(name, T, fetch, raw)                                        \
    static PyObject *engine_get_##name(HQTEngineObject *self, void *closure) \
    {                                                                       \
        T *buf;                                                             \
        size_t n;                                                           \
        (void)closure;                                                      \
        ENTER(self);                                                        \
        if (fetch(self->engine, &buf, &n) < 0)                              \
            return NULL;                                                    \
        return make_list(buf, n, sizeof(T), obj);                           \
    }

RAW_LIST_OF(positions, hqt_position, fetch_positions, position_raw)
LIST_OF(orders, hqt_order, fetch_orders, order_raw, order_obj)
LIST_OF(order_history, hqt_order, fetch_order_history, order_raw, order_obj)
LIST_OF(trades, hqt_trade, fetch_trades, trade_raw, trade_obj)

/* ---- state ------------------------------------------------------------------------------ */

static int
get_account(HQTEngineObject *self, hqt_account *acc)
{
    if (check_usable(self) < 0)
        return -1;
    int st = hqt_engine_account(self->engine, acc);
    if (st != HQT_OK) {
        hqt_raise_status(st);
        return -1;
    }
    return 0;
}

static PyObject *
engine_account(HQTEngineObject *self, PyObject *unused)
{
    hqt_account a;
    (void)unused;
    memset(&a, 0, sizeof a);
    if (get_account(self, &a) < 0)
        return NULL;
    return Py_BuildValue("(LLLLLLLLLLiis#)", (long long)a.time, (long long)a.balance,
                         (long long)a.equity, (long long)a.profit, (long long)a.margin,
                         (long long)a.free_margin, (long long)a.margin_level,
                         (long long)a.leverage, (long long)a.margin_call_level,
                         (long long)a.stop_out_level, (int)a.mode, (int)a.margin_call,
                         a.currency, (Py_ssize_t)strnlen(a.currency, sizeof a.currency));
}

static int
get_position(HQTEngineObject *self, PyObject *arg, hqt_position *p)
{
    uint64_t ticket;
    if (hqt_engine_check(self) < 0 || hqt_as_u64(arg, "ticket", &ticket) < 0)
        return -1;
    memset(p, 0, sizeof *p);
    int st = hqt_engine_position(self->engine, ticket, p);
    if (st != HQT_OK) {
        hqt_raise_status(st);
        return -1;
    }
    return 0;
}

static PyObject *
engine_position(HQTEngineObject *self, PyObject *arg)
{
    hqt_position p;
    if (get_position(self, arg, &p) < 0)
        return NULL;
    return position_raw(&p);
}

static PyObject *
engine_position_obj(HQTEngineObject *self, PyObject *arg)
{
    hqt_position p;
    if (get_position(self, arg, &p) < 0)
        return NULL;
    return hqt_position_new(&p);
}

static PyObject *
engine_deals(HQTEngineObject *self, PyObject *unused)
{
    hqt_deal *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_deals(self->engine, &buf, &n) < 0)
        return NULL;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *d = hqt_deal_new(&buf[i]);
        if (!d) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    PyMem_Free(buf);
    return list;
}

/* The equity curve as raw bytes: n records of 4 little-endian int64
   (time, balance, equity, margin); hqt.Engine views them with numpy. */
static PyObject *
engine_equity_curve(HQTEngineObject *self, PyObject *unused)
{
    hqt_equity_point *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_equity(self->engine, &buf, &n) < 0)
        return NULL;
    PyObject *b = PyBytes_FromStringAndSize((const char *)buf,
                                            (Py_ssize_t)(n * sizeof(hqt_equity_point)));
    PyMem_Free(buf);
    return b;
}

static PyObject *
engine_statistics(HQTEngineObject *self, PyObject *unused)
{
    hqt_statistics s;
    (void)unused;
    ENTER(self);
    memset(&s, 0, sizeof s);
    CALL(hqt_engine_statistics(self->engine, &s));
    return hqt_statistics_tuple(&s);
}

/* Shared with results.c (a run result's statistics). */
PyObject *
hqt_statistics_tuple(const hqt_statistics *s_)
{
    const hqt_statistics s = *s_;
    return Py_BuildValue("(LLLLLLLLddddLLLLLL)", (long long)s.initial_balance,
                         (long long)s.final_balance, (long long)s.final_equity,
                         (long long)s.net_profit, (long long)s.gross_profit,
                         (long long)s.gross_loss, (long long)s.total_commission,
                         (long long)s.max_drawdown, s.max_drawdown_pct, s.profit_factor,
                         s.sharpe_ratio, s.win_rate, (long long)s.total_trades,
                         (long long)s.winning_trades, (long long)s.losing_trades,
                         (long long)s.total_deals, (long long)s.ticks_processed,
                         (long long)s.bars_processed);
}

/* ---- table ------------------------------------------------------------------------------- */

PyMethodDef hqt_engine_state_methods[] = {
    {"_account", (PyCFunction)engine_account, METH_NOARGS, NULL},
    {"_positions", (PyCFunction)engine_positions, METH_NOARGS, NULL},
    {"_position", (PyCFunction)engine_position, METH_O, NULL},
    {"position", (PyCFunction)engine_position_obj, METH_O,
     PyDoc_STR("position($self, ticket, /)\n--\n\n"
               "The open position with this ticket (UnknownTicketError if none).")},
    {"_orders", (PyCFunction)engine_orders, METH_NOARGS, NULL},
    {"_order_history", (PyCFunction)engine_order_history, METH_NOARGS, NULL},
    {"_deals", (PyCFunction)engine_deals, METH_NOARGS, NULL},
    {"_trades", (PyCFunction)engine_trades, METH_NOARGS, NULL},
    {"_equity_curve", (PyCFunction)engine_equity_curve, METH_NOARGS, NULL},
    {"_statistics", (PyCFunction)engine_statistics, METH_NOARGS, NULL},
    {NULL}
};

PyGetSetDef hqt_engine_state_getset[] = {
    /* positions and the account getters: engine_fast.c */
    {"orders", (getter)engine_get_orders, NULL, PyDoc_STR("Pending orders (hqt.Order)."), NULL},
    {"order_history", (getter)engine_get_order_history, NULL,
     PyDoc_STR("Every order with its final state (filled, canceled, expired, ...)."), NULL},
    {"trades", (getter)engine_get_trades, NULL,
     PyDoc_STR("Closed round trips (hqt.Trade), in order of closing."), NULL},
    {NULL}
};
