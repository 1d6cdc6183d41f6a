/*
 * engine_fast.c -- the reads a strategy makes on every tick, at the cost of
 * a memory load: position and order counts, per-symbol volumes, flat/long/
 * short, balance, equity, margin. They read the engine's hot counters
 * (hqt_state_view, include/hqt.h) instead of calling into the engine, and
 * build no object beyond the int/float/bool returned.
 *
 * engine.positions stays a list of hqt.Position: it is rebuilt only when the
 * book changed (the view's book_version) or the clock moved (the positions'
 * profit moved with it), and costs no engine call while there are none.
 * Each read returns a new list (a copy of the cached one), so a strategy
 * that edits it does not edit the cache.
 */
#include "engine_impl.h"

/* The view, or NULL with the usual StateError/BusyError. */
static inline const hqt_state_view *
view_of(HQTEngineObject *self)
{
    if (self->view && !self->nogil_busy)
        return self->view;
    check_usable(self);
    if (!PyErr_Occurred())
        hqt_set_error(HQT_E_STATE, "this Engine has no state view");
    return NULL;
}

#define VIEW(v, self)                       \
    const hqt_state_view *v = view_of(self); \
    if (!v)                                 \
        return NULL

void
hqt_engine_drop_caches(HQTEngineObject *self)
{
    Py_CLEAR(self->positions_cache);
}

/* The row of a symbol given by id (int, the fast path) or name (str). */
static const hqt_symbol_view *
symbol_row(HQTEngineObject *self, const hqt_state_view *v, PyObject *arg)
{
    uint32_t id;
    if (PyLong_CheckExact(arg)) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(arg, &overflow);
        if (!overflow && x >= 0 && x < v->symbol_count)
            return v->symbols + x;
    }
    if (hqt_engine_symbol_arg(self, arg, &id) < 0)
        return NULL;
    if ((int64_t)id >= v->symbol_count) {
        hqt_set_error(HQT_E_UNKNOWN_SYMBOL, "unknown symbol id %u (%lld symbols added)", id,
                      (long long)v->symbol_count);
        return NULL;
    }
    return v->symbols + id;
}

/* ---- getters ---------------------------------------------------------------- */

#define VIEW_FLOAT(fname, expr)                                    \
    static PyObject *fname(HQTEngineObject *self, void *closure)   \
    {                                                              \
        (void)closure;                                             \
        VIEW(v, self);                                             \
        return PyFloat_FromDouble((double)(expr) / 1e6);           \
    }
#define VIEW_INT(fname, expr)                                      \
    static PyObject *fname(HQTEngineObject *self, void *closure)   \
    {                                                              \
        (void)closure;                                             \
        VIEW(v, self);                                             \
        return PyLong_FromLongLong((long long)(expr));             \
    }

VIEW_FLOAT(get_balance, v->balance)
VIEW_FLOAT(get_equity, v->equity)
VIEW_FLOAT(get_profit, v->profit)
VIEW_FLOAT(get_margin, v->margin)
VIEW_FLOAT(get_free_margin, v->equity - v->margin)
VIEW_FLOAT(get_margin_level, hqt_view_margin_level(v))
VIEW_INT(get_balance_micro, v->balance)
VIEW_INT(get_equity_micro, v->equity)
VIEW_INT(get_time, v->time)
VIEW_INT(get_positions_total, v->positions)
VIEW_INT(get_orders_total, v->orders)

static PyObject *
get_book_version(HQTEngineObject *self, void *closure)
{
    (void)closure;
    VIEW(v, self);
    return PyLong_FromUnsignedLongLong(v->book_version);
}

static PyObject *
get_positions(HQTEngineObject *self, void *closure)
{
    (void)closure;
    VIEW(v, self);
    if (v->positions == 0)
        return PyList_New(0);
    if (self->positions_cache && self->positions_version == v->book_version &&
        self->positions_time == v->time)
        return PyList_GetSlice(self->positions_cache, 0, PyList_GET_SIZE(self->positions_cache));
    size_t cap = (size_t)v->positions, n = 0;
    hqt_position *buf = (hqt_position *)PyMem_Calloc(cap, sizeof *buf);
    if (!buf)
        return PyErr_NoMemory();
    int st = hqt_engine_positions(self->engine, buf, cap, &n);
    if (st != HQT_OK || n > cap) {
        PyMem_Free(buf);
        return st != HQT_OK ? hqt_raise_status(st)
                            : hqt_set_error(HQT_E_STATE, "position count changed while read");
    }
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *p = hqt_position_new(&buf[i]);
        if (!p) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, p);
    }
    PyMem_Free(buf);
    if (!list)
        return NULL;
    Py_XSETREF(self->positions_cache, list);
    self->positions_version = v->book_version;
    self->positions_time = v->time;
    return PyList_GetSlice(list, 0, PyList_GET_SIZE(list));
}

/* ---- methods ---------------------------------------------------------------- */

/* Optional symbol argument (positional or symbol=); NULL: all symbols. */
static int
opt_symbol(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
           PyObject **out)
{
    static const char *const names[] = {"symbol", NULL};
    *out = NULL;
    if (nargs == 1 && !kwnames) {
        *out = args[0];
        return 0;
    }
    return parse_args(fname, args, nargs, kwnames, names, 0, out);
}

static PyObject *
engine_position_count(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kwnames)
{
    PyObject *sym;
    VIEW(v, self);
    if (opt_symbol("position_count", args, nargs, kwnames, &sym) < 0)
        return NULL;
    if (!sym || sym == Py_None)
        return PyLong_FromLongLong(v->positions);
    const hqt_symbol_view *row = symbol_row(self, v, sym);
    return row ? PyLong_FromLongLong(row->positions) : NULL;
}

static PyObject *
engine_is_flat(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *sym;
    VIEW(v, self);
    if (opt_symbol("is_flat", args, nargs, kwnames, &sym) < 0)
        return NULL;
    if (!sym || sym == Py_None)
        return PyBool_FromLong(v->positions == 0);
    const hqt_symbol_view *row = symbol_row(self, v, sym);
    return row ? PyBool_FromLong(row->positions == 0) : NULL;
}

/* The row of the one required symbol argument. */
static const hqt_symbol_view *
req_symbol(HQTEngineObject *self, const hqt_state_view *v, const char *fname,
           PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"symbol", NULL};
    PyObject *sym = NULL;
    if (nargs == 1 && !kwnames)
        sym = args[0];
    else if (parse_args(fname, args, nargs, kwnames, names, 1, &sym) < 0)
        return NULL;
    return symbol_row(self, v, sym);
}

#define ROW_METHOD(fname, pyname, expr)                                                     \
    static PyObject *fname(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, \
                           PyObject *kwnames)                                              \
    {                                                                                      \
        VIEW(v, self);                                                                     \
        const hqt_symbol_view *row = req_symbol(self, v, pyname, args, nargs, kwnames);    \
        if (!row)                                                                          \
            return NULL;                                                                   \
        return expr;                                                                       \
    }

ROW_METHOD(engine_is_long, "is_long", PyBool_FromLong(row->net_volume > 0))
ROW_METHOD(engine_is_short, "is_short", PyBool_FromLong(row->net_volume < 0))
ROW_METHOD(engine_net_volume, "net_volume", PyFloat_FromDouble((double)row->net_volume / 1e6))
ROW_METHOD(engine_net_volume_micro, "net_volume_micro", PyLong_FromLongLong(row->net_volume))

/* The view's address, for native strategies (hqt.numba). */
static PyObject *
engine_state_view_address(HQTEngineObject *self, PyObject *unused)
{
    (void)unused;
    VIEW(v, self);
    return PyLong_FromVoidPtr((void *)v);
}

/* The C handle, for native strategies calling the C ABI (hqt.numba). */
static PyObject *
engine_handle_address(HQTEngineObject *self, PyObject *unused)
{
    (void)unused;
    ENTER(self);
    return PyLong_FromVoidPtr((void *)self->engine);
}

/* _run_native(on_start, on_tick, on_bar, on_trade, on_stop, user_data):
   runs with compiled callbacks given as C function addresses (ints, 0 for
   none) and their user_data address: the engine calls them directly, with
   no Python in between (hqt.numba builds them). The GIL is kept: the
   callbacks are native but the Engine object is busy as during run(). The
   caller keeps the code and memory behind the addresses alive. */
static PyObject *
engine_run_native(HQTEngineObject *self, PyObject *args)
{
    unsigned long long fn[5], user;
    hqt_strategy_v2 s;
    ENTER(self);
    if (!PyArg_ParseTuple(args, "KKKKKK:_run_native", &fn[0], &fn[1], &fn[2], &fn[3], &fn[4],
                          &user))
        return NULL;
    hqt_strategy_v2_init(&s, sizeof s);
    s.user_data = (void *)(uintptr_t)user;
    s.on_start = (int (*)(hqt_engine *, void *))(uintptr_t)fn[0];
    s.on_tick = (int (*)(hqt_engine *, const hqt_tick *, void *))(uintptr_t)fn[1];
    s.on_bar = (int (*)(hqt_engine *, const hqt_bar *, void *))(uintptr_t)fn[2];
    s.on_trade = (int (*)(hqt_engine *, const hqt_deal *, void *))(uintptr_t)fn[3];
    s.on_stop = (int (*)(hqt_engine *, void *))(uintptr_t)fn[4];
    self->running++;
    int st = hqt_engine_run_v2(self->engine, &s);
    self->running--;
    if (st != HQT_OK)
        return hqt_raise_status(st);
    Py_RETURN_NONE;
}

PyMethodDef hqt_engine_fast_methods[] = {
    {"_run_native", (PyCFunction)engine_run_native, METH_VARARGS, NULL},
    FAST("position_count", engine_position_count,
         "position_count($self, symbol=None, /)\n--\n\n"
         "Open positions on symbol (id or name), or on all symbols; O(1), no list built."),
    FAST("is_flat", engine_is_flat,
         "is_flat($self, symbol=None, /)\n--\n\n"
         "True when no position is open on symbol (id or name), or on any symbol."),
    FAST("is_long", engine_is_long,
         "is_long($self, symbol, /)\n--\n\n"
         "True when the symbol's net volume (buys - sells) is above 0."),
    FAST("is_short", engine_is_short,
         "is_short($self, symbol, /)\n--\n\n"
         "True when the symbol's net volume (buys - sells) is below 0."),
    FAST("net_volume", engine_net_volume,
         "net_volume($self, symbol, /)\n--\n\n"
         "Buy volume minus sell volume of the symbol's open positions, in lots."),
    FAST("net_volume_micro", engine_net_volume_micro,
         "net_volume_micro($self, symbol, /)\n--\n\n"
         "net_volume in micro lots (lots x 1e6), exact."),
    {"_state_view_address", (PyCFunction)engine_state_view_address, METH_NOARGS, NULL},
    {"_handle_address", (PyCFunction)engine_handle_address, METH_NOARGS, NULL},
    {NULL}
};

PyGetSetDef hqt_engine_fast_getset[] = {
    {"positions", (getter)get_positions, NULL,
     PyDoc_STR("Open positions (hqt.Position), oldest first: a new list, rebuilt only when "
               "the book or the clock moved."),
     NULL},
    {"positions_total", (getter)get_positions_total, NULL,
     PyDoc_STR("Open positions, all symbols (O(1))."), NULL},
    {"orders_total", (getter)get_orders_total, NULL,
     PyDoc_STR("Pending orders, all symbols (O(1))."), NULL},
    {"book_version", (getter)get_book_version, NULL,
     PyDoc_STR("Grows by at least 1 on every change to positions, orders or balance."), NULL},
    {"balance", (getter)get_balance, NULL, PyDoc_STR("Balance."), NULL},
    {"equity", (getter)get_equity, NULL, PyDoc_STR("Equity = balance + floating profit."),
     NULL},
    {"profit", (getter)get_profit, NULL, PyDoc_STR("Floating profit of open positions."),
     NULL},
    {"margin", (getter)get_margin, NULL, PyDoc_STR("Margin in use."), NULL},
    {"free_margin", (getter)get_free_margin, NULL, PyDoc_STR("Equity - margin."), NULL},
    {"margin_level", (getter)get_margin_level, NULL,
     PyDoc_STR("Equity / margin in percent (0 while no margin is used)."), NULL},
    {"balance_micro", (getter)get_balance_micro, NULL, PyDoc_STR("Balance x 1e6, exact."),
     NULL},
    {"equity_micro", (getter)get_equity_micro, NULL, PyDoc_STR("Equity x 1e6, exact."), NULL},
    {"time", (getter)get_time, NULL, PyDoc_STR("Time (ns) of the last processed event."),
     NULL},
    {NULL}
};
