/*
 * engine.c -- hqt._hqt.Engine, a thin wrapper of hqt_engine*.
 *
 * Every method converts its arguments (floats -> micro units, rounded once),
 * calls one hqt_engine_* function and converts the result. Methods whose
 * name starts with an underscore return raw tuples of exact integers; the
 * pure-Python subclass hqt.Engine turns those into dataclasses.
 *
 * Methods a strategy calls on every tick (buy, sell, close, modify, the
 * account getters) use METH_FASTCALL with a tiny argument parser.
 */
#include "hqt_ext.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

static int
check_usable(HQTEngineObject *self)
{
    if (self->engine == NULL) {
        hqt_set_error(HQT_E_STATE, "this Engine is disposed (or its __init__ failed); "
                                   "create a new one");
        return -1;
    }
    if (self->nogil_busy) {
        hqt_set_error(HQT_E_BUSY, "this Engine is running in another thread");
        return -1;
    }
    return 0;
}

#define ENTER(self)                          \
    do {                                     \
        if (check_usable(self) < 0)          \
            return NULL;                     \
    } while (0)

#define CALL(expr)                           \
    do {                                     \
        int st_ = (expr);                    \
        if (st_ != HQT_OK)                   \
            return hqt_raise_status(st_);    \
    } while (0)

/* Parses fastcall arguments into out[] (NULL = not given) by position and
   keyword. names is NULL-terminated; the first nreq are required. */
static int
parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
           const char *const *names, int nreq, PyObject **out)
{
    int nparams = 0;
    while (names[nparams])
        nparams++;
    if (nargs > nparams) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", fname,
                     nparams, nargs);
        return -1;
    }
    for (int i = 0; i < nparams; i++)
        out[i] = i < nargs ? args[i] : NULL;
    if (kwnames) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nkw; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int found = -1;
            for (int i = 0; i < nparams; i++) {
                if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) {
                    found = i;
                    break;
                }
            }
            if (found < 0) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'",
                             fname, key);
                return -1;
            }
            if (out[found]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                             fname, names[found]);
                return -1;
            }
            out[found] = args[nargs + k];
        }
    }
    for (int i = 0; i < nreq; i++) {
        if (!out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname,
                         names[i]);
            return -1;
        }
    }
    return 0;
}

int
hqt_engine_check(HQTEngineObject *self)
{
    return check_usable(self);
}

int
hqt_parse_fastcall(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, const char *const *names, int nreq, PyObject **out)
{
    return parse_args(fname, args, nargs, kwnames, names, nreq, out);
}

/* A symbol given by id (int) or by name (str). */
static int
get_symbol(HQTEngineObject *self, PyObject *obj, uint32_t *out)
{
    if (PyUnicode_Check(obj)) {
        const char *name = PyUnicode_AsUTF8(obj);
        if (!name)
            return -1;
        int st = hqt_engine_find_symbol(self->engine, name, out);
        if (st != HQT_OK) {
            hqt_raise_status(st);
            return -1;
        }
        return 0;
    }
    return hqt_as_u32(obj, "symbol_id", out);
}

static PyObject *
ticket_result(int st, uint64_t ticket)
{
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyLong_FromUnsignedLongLong(ticket);
}

/* ---- buffers (zero-copy loading) ----------------------------------------- */

/* Gets a 1-D C-contiguous buffer of 8-byte ints (kind 'i') or doubles ('f').
   Anything else is a TypeError: hqt.Engine converts with numpy first. */
static int
get_vector(PyObject *obj, char kind, const char *what, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s must be a C-contiguous %s buffer (hqt.Engine converts other "
                     "arrays and sequences)",
                     what, kind == 'i' ? "int64" : "float64");
        return -1;
    }
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=' || *f == '<')
        f++;
    int ok = view->itemsize == 8 && view->ndim <= 1 && f[0] && !f[1] &&
             (kind == 'i' ? (f[0] == 'q' || f[0] == 'l') : f[0] == 'd');
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D %s buffer, got format '%s' with %zd dims",
                     what, kind == 'i' ? "int64" : "float64", view->format ? view->format : "B",
                     (Py_ssize_t)view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void
release_views(Py_buffer *views, int n)
{
    for (int i = 0; i < n; i++)
        PyBuffer_Release(&views[i]);
}

/* Gets n vectors; kinds[i] is 'i' or 'f'; checks that lengths match. */
static int
get_vectors(PyObject **objs, const char *kinds, const char *const *names, int n,
            Py_buffer *views, size_t *len)
{
    for (int i = 0; i < n; i++) {
        if (get_vector(objs[i], kinds[i], names[i], &views[i]) < 0) {
            release_views(views, i);
            return -1;
        }
    }
    Py_ssize_t n0 = views[0].len / 8;
    for (int i = 1; i < n; i++) {
        if (views[i].len / 8 != n0) {
            hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s has %zd values but %s has %zd: all arrays "
                          "must have the same length", names[i], views[i].len / 8, names[0], n0);
            release_views(views, n);
            return -1;
        }
    }
    *len = (size_t)n0;
    return 0;
}

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

static PyObject *
position_tuple(const hqt_position *p)
{
    return Py_BuildValue("(KIiLLLLLLLLLK)", (unsigned long long)p->ticket, p->symbol_id,
                         (int)p->type, (long long)p->volume, (long long)p->open_price,
                         (long long)p->open_time, (long long)p->sl, (long long)p->tp,
                         (long long)p->trailing_points, (long long)p->profit,
                         (long long)p->margin, (long long)p->commission,
                         (unsigned long long)p->magic);
}

static PyObject *
order_tuple(const hqt_order *o)
{
    return Py_BuildValue("(KIiiLLLLLLLLK)", (unsigned long long)o->ticket, o->symbol_id,
                         (int)o->type, (int)o->state, (long long)o->volume, (long long)o->price,
                         (long long)o->stop_limit, (long long)o->sl, (long long)o->tp,
                         (long long)o->expiration, (long long)o->time_setup,
                         (long long)o->trailing_points, (unsigned long long)o->magic);
}

static PyObject *
trade_tuple(const hqt_trade *t)
{
    return Py_BuildValue("(KIiLLLLLLLi)", (unsigned long long)t->position, t->symbol_id,
                         (int)t->type, (long long)t->volume, (long long)t->open_time,
                         (long long)t->open_price, (long long)t->close_time,
                         (long long)t->close_price, (long long)t->commission,
                         (long long)t->profit, (int)t->close_reason);
}

/* ---- type slots ------------------------------------------------------------- */

static PyObject *
engine_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    HQTEngineObject *self = (HQTEngineObject *)type->tp_alloc(type, 0);
    if (self) {
        self->engine = NULL;
        self->nogil_busy = 0;
        self->running = 0;
        self->weakreflist = NULL;
    }
    return (PyObject *)self;
}

static int
engine_init(HQTEngineObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"initial_balance", "currency", "leverage", NULL};
    PyObject *balance, *leverage = NULL;
    const char *currency = "USD";
    int64_t bal, lev = 100;
    hqt_engine *e = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|sO:Engine", kwlist, &balance, &currency,
                                     &leverage))
        return -1;
    if (self->engine) {
        hqt_set_error(HQT_E_STATE, "Engine.__init__ called twice");
        return -1;
    }
    if (hqt_to_micro(balance, "initial_balance", &bal) < 0)
        return -1;
    if (leverage && hqt_as_i64(leverage, "leverage", &lev) < 0)
        return -1;
    int st = hqt_engine_create(bal, currency, lev, &e);
    if (st != HQT_OK) {
        hqt_raise_status(st);
        return -1;
    }
    self->engine = e;
    return 0;
}

static void
engine_dealloc(HQTEngineObject *self)
{
    if (self->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->engine) {
        hqt_engine_destroy(self->engine);
        self->engine = NULL;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- lifecycle and configuration ------------------------------------------- */

static PyObject *
engine_dispose(HQTEngineObject *self, PyObject *unused)
{
    (void)unused;
    if (self->nogil_busy)
        return hqt_set_error(HQT_E_BUSY, "this Engine is running in another thread");
    if (self->running)
        return hqt_set_error(HQT_E_BUSY, "cannot dispose of an Engine from its own strategy "
                                         "callback; dispose after run() returns");
    if (self->engine) {
        hqt_engine_destroy(self->engine);
        self->engine = NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
engine_get_disposed(HQTEngineObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->engine == NULL);
}

static PyObject *
engine_set_account_mode(HQTEngineObject *self, PyObject *arg)
{
    int32_t mode;
    ENTER(self);
    if (hqt_as_i32(arg, "mode", &mode) < 0)
        return NULL;
    CALL(hqt_engine_set_account_mode(self->engine, mode));
    Py_RETURN_NONE;
}

static PyObject *
engine_set_margin_levels(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"margin_call", "stop_out", NULL};
    PyObject *a[2];
    int64_t mc, so;
    ENTER(self);
    if (parse_args("_set_margin_levels", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_to_micro(a[0], "margin_call", &mc) < 0 || hqt_to_micro(a[1], "stop_out", &so) < 0)
        return NULL;
    CALL(hqt_engine_set_margin_levels(self->engine, mc, so));
    Py_RETURN_NONE;
}

static PyObject *
engine_set_equity_interval(HQTEngineObject *self, PyObject *arg)
{
    int64_t ns;
    ENTER(self);
    if (hqt_as_i64(arg, "interval_ns", &ns) < 0)
        return NULL;
    CALL(hqt_engine_set_equity_interval(self->engine, ns));
    Py_RETURN_NONE;
}

/* ---- symbols -------------------------------------------------------------------- */

static PyObject *
engine_add_symbol(HQTEngineObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", "base_currency", "profit_currency", "margin_currency",
                             "contract_size", "digits", "margin_mode", "volume_min",
                             "volume_step", "volume_max", "commission_per_lot", "spread", NULL};
    const char *name, *base = NULL, *profit = NULL, *margin = NULL;
    PyObject *contract = Py_None, *digits = Py_None, *mode = Py_None, *vmin = Py_None,
             *vstep = Py_None, *vmax = Py_None, *comm = Py_None, *spread = Py_None;
    hqt_symbol_spec spec;
    uint32_t id;
    ENTER(self);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zzzOOOOOOOO:_add_symbol", kwlist, &name, &base,
                                     &profit, &margin, &contract, &digits, &mode, &vmin, &vstep,
                                     &vmax, &comm, &spread))
        return NULL;
    hqt_symbol_spec_init(&spec);
    spec.name = name;
    spec.base_currency = base;
    spec.profit_currency = profit;
    spec.margin_currency = margin;
    if ((contract != Py_None && hqt_to_micro(contract, "contract_size", &spec.contract_size) < 0) ||
        (digits != Py_None && hqt_as_i32(digits, "digits", &spec.digits) < 0) ||
        (mode != Py_None && hqt_as_i32(mode, "margin_mode", &spec.margin_mode) < 0) ||
        (vmin != Py_None && hqt_to_micro(vmin, "volume_min", &spec.volume_min) < 0) ||
        (vstep != Py_None && hqt_to_micro(vstep, "volume_step", &spec.volume_step) < 0) ||
        (vmax != Py_None && hqt_to_micro(vmax, "volume_max", &spec.volume_max) < 0) ||
        (comm != Py_None && hqt_to_micro(comm, "commission_per_lot", &spec.commission_per_lot) < 0) ||
        (spread != Py_None && hqt_to_micro(spread, "spread", &spec.spread) < 0))
        return NULL;
    CALL(hqt_engine_add_symbol(self->engine, &spec, &id));
    return PyLong_FromUnsignedLong(id);
}

static PyObject *
engine_get_symbol_count(HQTEngineObject *self, void *closure)
{
    uint32_t n;
    (void)closure;
    ENTER(self);
    CALL(hqt_engine_symbol_count(self->engine, &n));
    return PyLong_FromUnsignedLong(n);
}

static PyObject *
engine_symbol_info(HQTEngineObject *self, PyObject *arg)
{
    uint32_t id;
    hqt_symbol_info s;
    ENTER(self);
    if (get_symbol(self, arg, &id) < 0)
        return NULL;
    memset(&s, 0, sizeof s);
    CALL(hqt_engine_symbol_info(self->engine, id, &s));
    return Py_BuildValue("(Is#s#s#s#LiiLLLLLLLL)", s.symbol_id, s.name, (Py_ssize_t)strnlen(s.name, sizeof s.name),
                         s.base_currency, (Py_ssize_t)strnlen(s.base_currency, sizeof s.base_currency),
                         s.profit_currency, (Py_ssize_t)strnlen(s.profit_currency, sizeof s.profit_currency),
                         s.margin_currency, (Py_ssize_t)strnlen(s.margin_currency, sizeof s.margin_currency),
                         (long long)s.contract_size, (int)s.digits, (int)s.margin_mode,
                         (long long)s.volume_min, (long long)s.volume_step,
                         (long long)s.volume_max, (long long)s.commission_per_lot,
                         (long long)s.spread, (long long)s.bid, (long long)s.ask,
                         (long long)s.last_time);
}

static PyObject *
engine_find_symbol(HQTEngineObject *self, PyObject *arg)
{
    uint32_t id;
    ENTER(self);
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "find_symbol() needs a name (str), not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (get_symbol(self, arg, &id) < 0)
        return NULL;
    return PyLong_FromUnsignedLong(id);
}

/* ---- market data ------------------------------------------------------------------ */

static PyObject *
load_ticks_impl(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, int micro)
{
    static const char *const names[] = {"symbol_id", "time", "bid", "ask", NULL};
    PyObject *a[4];
    Py_buffer v[3];
    size_t n;
    uint32_t sym;
    int st;
    ENTER(self);
    if (parse_args(micro ? "_load_ticks_micro" : "_load_ticks", args, nargs, kwnames, names, 4,
                   a) < 0 ||
        get_symbol(self, a[0], &sym) < 0)
        return NULL;
    if (get_vectors(a + 1, micro ? "iii" : "iff", names + 1, 3, v, &n) < 0)
        return NULL;
    self->nogil_busy = 1;
    Py_BEGIN_ALLOW_THREADS
    if (micro)
        st = hqt_engine_load_ticks(self->engine, sym, (const int64_t *)v[0].buf,
                                   (const int64_t *)v[1].buf, (const int64_t *)v[2].buf, n);
    else
        st = hqt_engine_load_ticks_f64(self->engine, sym, (const int64_t *)v[0].buf,
                                       (const double *)v[1].buf, (const double *)v[2].buf, n);
    Py_END_ALLOW_THREADS
    self->nogil_busy = 0;
    release_views(v, 3);
    CALL(st);
    return PyLong_FromSize_t(n);
}

static PyObject *
engine_load_ticks(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return load_ticks_impl(self, args, nargs, kwnames, 0);
}

static PyObject *
engine_load_ticks_micro(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    return load_ticks_impl(self, args, nargs, kwnames, 1);
}

static PyObject *
load_bars_impl(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
               int micro)
{
    static const char *const names[] = {"symbol_id", "timeframe", "time", "open", "high",
                                        "low", "close", "volume", NULL};
    PyObject *a[8];
    Py_buffer v[6];
    size_t n;
    uint32_t sym;
    int32_t tf;
    int st;
    ENTER(self);
    if (parse_args(micro ? "_load_bars_micro" : "_load_bars", args, nargs, kwnames, names, 8,
                   a) < 0 ||
        get_symbol(self, a[0], &sym) < 0 || hqt_as_i32(a[1], "timeframe", &tf) < 0)
        return NULL;
    if (get_vectors(a + 2, micro ? "iiiiii" : "ifffff", names + 2, 6, v, &n) < 0)
        return NULL;
    self->nogil_busy = 1;
    Py_BEGIN_ALLOW_THREADS
    if (micro)
        st = hqt_engine_load_bars(self->engine, sym, tf, (const int64_t *)v[0].buf,
                                  (const int64_t *)v[1].buf, (const int64_t *)v[2].buf,
                                  (const int64_t *)v[3].buf, (const int64_t *)v[4].buf,
                                  (const int64_t *)v[5].buf, n);
    else
        st = hqt_engine_load_bars_f64(self->engine, sym, tf, (const int64_t *)v[0].buf,
                                      (const double *)v[1].buf, (const double *)v[2].buf,
                                      (const double *)v[3].buf, (const double *)v[4].buf,
                                      (const double *)v[5].buf, n);
    Py_END_ALLOW_THREADS
    self->nogil_busy = 0;
    release_views(v, 6);
    CALL(st);
    return PyLong_FromSize_t(n);
}

static PyObject *
engine_load_bars(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return load_bars_impl(self, args, nargs, kwnames, 0);
}

static PyObject *
engine_load_bars_micro(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    return load_bars_impl(self, args, nargs, kwnames, 1);
}

static PyObject *
engine_build_bars(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "timeframe", NULL};
    PyObject *a[2];
    uint32_t sym;
    int32_t tf;
    ENTER(self);
    if (parse_args("build_bars", args, nargs, kwnames, names, 2, a) < 0 ||
        get_symbol(self, a[0], &sym) < 0 || hqt_as_i32(a[1], "timeframe", &tf) < 0)
        return NULL;
    CALL(hqt_engine_build_bars(self->engine, sym, tf));
    Py_RETURN_NONE;
}

static PyObject *
engine_clear_data(HQTEngineObject *self, PyObject *unused)
{
    (void)unused;
    ENTER(self);
    CALL(hqt_engine_clear_data(self->engine));
    Py_RETURN_NONE;
}

static PyObject *
engine_get_pending_events(HQTEngineObject *self, void *closure)
{
    uint64_t n;
    (void)closure;
    ENTER(self);
    CALL(hqt_engine_pending_events(self->engine, &n));
    return PyLong_FromUnsignedLongLong(n);
}

/* ---- driving ----------------------------------------------------------------------- */

static PyObject *
engine_run(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"callbacks", NULL};
    PyObject *a[1];
    hqt_run_ctx ctx;
    int st;
    ENTER(self);
    if (parse_args("_run", args, nargs, kwnames, names, 0, a) < 0 ||
        hqt_ctx_init(&ctx, (PyObject *)self, a[0]) < 0)
        return NULL;
    if (hqt_ctx_active(&ctx)) {
        /* Callbacks run Python code: keep the GIL for the whole run. */
        self->running++;
        st = hqt_engine_run_v2(self->engine, &ctx.strategy);
        self->running--;
    } else {
        self->nogil_busy = 1;
        Py_BEGIN_ALLOW_THREADS
        st = hqt_engine_run(self->engine, NULL);
        Py_END_ALLOW_THREADS
        self->nogil_busy = 0;
    }
    return hqt_ctx_finish(&ctx, st);
}

static PyObject *
engine_process_event(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const names[] = {"event", "callbacks", NULL};
    PyObject *a[2];
    hqt_event ev;
    hqt_run_ctx ctx;
    ENTER(self);
    if (parse_args("_process_event", args, nargs, kwnames, names, 1, a) < 0)
        return NULL;
    memset(&ev, 0, sizeof ev);
    if (Py_IS_TYPE(a[0], &HQTTick_Type)) {
        ev.type = HQT_EVENT_TICK;
        ev.tick = ((HQTTickObject *)a[0])->t;
    } else if (Py_IS_TYPE(a[0], &HQTBar_Type)) {
        ev.type = HQT_EVENT_BAR;
        ev.bar = ((HQTBarObject *)a[0])->b;
    } else {
        PyErr_Format(PyExc_TypeError, "event must be a hqt.Tick or hqt.Bar, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    if (hqt_ctx_init(&ctx, (PyObject *)self, a[1]) < 0)
        return NULL;
    self->running++;
    int st = hqt_engine_process_event_v2(self->engine, &ev,
                                         hqt_ctx_active(&ctx) ? &ctx.strategy : NULL);
    self->running--;
    return hqt_ctx_finish(&ctx, st);
}

static PyObject *
engine_flush_bars(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"callbacks", NULL};
    PyObject *a[1];
    hqt_run_ctx ctx;
    ENTER(self);
    if (parse_args("_flush_bars", args, nargs, kwnames, names, 0, a) < 0 ||
        hqt_ctx_init(&ctx, (PyObject *)self, a[0]) < 0)
        return NULL;
    self->running++;
    int st = hqt_engine_flush_bars_v2(self->engine, hqt_ctx_active(&ctx) ? &ctx.strategy : NULL);
    self->running--;
    return hqt_ctx_finish(&ctx, st);
}

/* ---- trading ------------------------------------------------------------------------- */

static PyObject *
engine_order_send(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "type", "volume", "price", "stop_limit",
                                        "sl", "tp", "expiration", "trailing_points", "magic",
                                        NULL};
    PyObject *a[10];
    hqt_order_request r;
    uint64_t ticket;
    ENTER(self);
    if (parse_args("order_send", args, nargs, kwnames, names, 3, a) < 0)
        return NULL;
    memset(&r, 0, sizeof r);
    if (get_symbol(self, a[0], &r.symbol_id) < 0 || hqt_as_i32(a[1], "type", &r.type) < 0 ||
        hqt_to_micro(a[2], "volume", &r.volume) < 0 ||
        hqt_opt_micro(a[3], "price", 0, &r.price) < 0 ||
        hqt_opt_micro(a[4], "stop_limit", 0, &r.stop_limit) < 0 ||
        hqt_opt_micro(a[5], "sl", 0, &r.sl) < 0 || hqt_opt_micro(a[6], "tp", 0, &r.tp) < 0 ||
        (a[7] && a[7] != Py_None && hqt_as_i64(a[7], "expiration", &r.expiration) < 0) ||
        (a[8] && a[8] != Py_None && hqt_as_i64(a[8], "trailing_points", &r.trailing_points) < 0) ||
        (a[9] && a[9] != Py_None && hqt_as_u64(a[9], "magic", &r.magic) < 0))
        return NULL;
    int st = hqt_engine_order_send(self->engine, &r, &ticket);
    return ticket_result(st, ticket);
}

static PyObject *
market_order(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             int sell)
{
    static const char *const names[] = {"symbol_id", "volume", "sl", "tp", NULL};
    PyObject *a[4];
    uint32_t sym;
    int64_t vol, sl, tp;
    uint64_t ticket;
    ENTER(self);
    if (parse_args(sell ? "sell" : "buy", args, nargs, kwnames, names, 2, a) < 0 ||
        get_symbol(self, a[0], &sym) < 0 || hqt_to_micro(a[1], "volume", &vol) < 0 ||
        hqt_opt_micro(a[2], "sl", 0, &sl) < 0 || hqt_opt_micro(a[3], "tp", 0, &tp) < 0)
        return NULL;
    int st = sell ? hqt_engine_sell(self->engine, sym, vol, sl, tp, &ticket)
                  : hqt_engine_buy(self->engine, sym, vol, sl, tp, &ticket);
    return ticket_result(st, ticket);
}

static PyObject *
engine_buy(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return market_order(self, args, nargs, kwnames, 0);
}

static PyObject *
engine_sell(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return market_order(self, args, nargs, kwnames, 1);
}

static PyObject *
engine_modify(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "sl", "tp", NULL};
    PyObject *a[3];
    uint64_t ticket;
    int64_t sl, tp;
    ENTER(self);
    if (parse_args("modify", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_opt_micro(a[1], "sl", HQT_KEEP, &sl) < 0 ||
        hqt_opt_micro(a[2], "tp", HQT_KEEP, &tp) < 0)
        return NULL;
    CALL(hqt_engine_modify(self->engine, ticket, sl, tp));
    Py_RETURN_NONE;
}

static PyObject *
engine_modify_order(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "price", "stop_limit", "expiration", NULL};
    PyObject *a[4];
    uint64_t ticket;
    int64_t price, stop_limit, expiration = HQT_KEEP;
    ENTER(self);
    if (parse_args("modify_order", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 ||
        hqt_opt_micro(a[1], "price", HQT_KEEP, &price) < 0 ||
        hqt_opt_micro(a[2], "stop_limit", HQT_KEEP, &stop_limit) < 0 ||
        (a[3] && a[3] != Py_None && hqt_as_i64(a[3], "expiration", &expiration) < 0))
        return NULL;
    CALL(hqt_engine_modify_order(self->engine, ticket, price, stop_limit, expiration));
    Py_RETURN_NONE;
}

static PyObject *
engine_set_trailing_stop(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "points", NULL};
    PyObject *a[2];
    uint64_t ticket;
    int64_t points;
    ENTER(self);
    if (parse_args("set_trailing_stop", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_i64(a[1], "points", &points) < 0)
        return NULL;
    CALL(hqt_engine_set_trailing_stop(self->engine, ticket, points));
    Py_RETURN_NONE;
}

static PyObject *
engine_close(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "volume", NULL};
    PyObject *a[2];
    uint64_t ticket;
    int64_t volume;
    ENTER(self);
    if (parse_args("close", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_opt_micro(a[1], "volume", 0, &volume) < 0)
        return NULL;
    if (a[1] && a[1] != Py_None && volume <= 0)
        return hqt_set_error(HQT_E_INVALID_VOLUME,
                             "close(): volume must be positive (or None to close all), got %R",
                             a[1]);
    CALL(hqt_engine_close(self->engine, ticket, volume));
    Py_RETURN_NONE;
}

static PyObject *
engine_cancel(HQTEngineObject *self, PyObject *arg)
{
    uint64_t ticket;
    ENTER(self);
    if (hqt_as_u64(arg, "ticket", &ticket) < 0)
        return NULL;
    CALL(hqt_engine_cancel(self->engine, ticket));
    Py_RETURN_NONE;
}

static PyObject *
engine_deposit(HQTEngineObject *self, PyObject *arg)
{
    int64_t amount;
    ENTER(self);
    if (hqt_to_micro(arg, "amount", &amount) < 0)
        return NULL;
    CALL(hqt_engine_deposit(self->engine, amount));
    Py_RETURN_NONE;
}

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

/* Account getters: float (or exact int) of one field. */
#define ACCOUNT_GETTER(fname, field, conv)                               \
    static PyObject *fname(HQTEngineObject *self, void *closure)         \
    {                                                                    \
        hqt_account a;                                                   \
        (void)closure;                                                   \
        if (get_account(self, &a) < 0)                                   \
            return NULL;                                                 \
        return conv(a.field);                                            \
    }

static PyObject *i64_obj(int64_t v) { return PyLong_FromLongLong(v); }

ACCOUNT_GETTER(engine_get_balance, balance, hqt_from_micro)
ACCOUNT_GETTER(engine_get_equity, equity, hqt_from_micro)
ACCOUNT_GETTER(engine_get_profit, profit, hqt_from_micro)
ACCOUNT_GETTER(engine_get_margin, margin, hqt_from_micro)
ACCOUNT_GETTER(engine_get_free_margin, free_margin, hqt_from_micro)
ACCOUNT_GETTER(engine_get_margin_level, margin_level, hqt_from_micro)
ACCOUNT_GETTER(engine_get_balance_micro, balance, i64_obj)
ACCOUNT_GETTER(engine_get_equity_micro, equity, i64_obj)
ACCOUNT_GETTER(engine_get_time, time, i64_obj)

static PyObject *
engine_positions(HQTEngineObject *self, PyObject *unused)
{
    hqt_position *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_positions(self->engine, &buf, &n) < 0)
        return NULL;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = position_tuple(&buf[i]);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_Free(buf);
    return list;
}

static PyObject *
engine_position(HQTEngineObject *self, PyObject *arg)
{
    uint64_t ticket;
    hqt_position p;
    ENTER(self);
    if (hqt_as_u64(arg, "ticket", &ticket) < 0)
        return NULL;
    memset(&p, 0, sizeof p);
    CALL(hqt_engine_position(self->engine, ticket, &p));
    return position_tuple(&p);
}

static PyObject *
orders_list(hqt_order *buf, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = order_tuple(&buf[i]);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_Free(buf);
    return list;
}

static PyObject *
engine_orders(HQTEngineObject *self, PyObject *unused)
{
    hqt_order *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_orders(self->engine, &buf, &n) < 0)
        return NULL;
    return orders_list(buf, n);
}

static PyObject *
engine_order_history(HQTEngineObject *self, PyObject *unused)
{
    hqt_order *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_order_history(self->engine, &buf, &n) < 0)
        return NULL;
    return orders_list(buf, n);
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

static PyObject *
engine_trades(HQTEngineObject *self, PyObject *unused)
{
    hqt_trade *buf;
    size_t n;
    (void)unused;
    ENTER(self);
    if (fetch_trades(self->engine, &buf, &n) < 0)
        return NULL;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = trade_tuple(&buf[i]);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
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

/* ---- type --------------------------------------------------------------------------------- */

#define FAST(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, PyDoc_STR(doc)}

static PyMethodDef engine_methods[] = {
    {"dispose", (PyCFunction)engine_dispose, METH_NOARGS,
     PyDoc_STR("dispose($self, /)\n--\n\nFree the engine now; later calls raise StateError.")},
    {"_set_account_mode", (PyCFunction)engine_set_account_mode, METH_O, NULL},
    FAST("_set_margin_levels", engine_set_margin_levels, NULL),
    {"set_equity_interval", (PyCFunction)engine_set_equity_interval, METH_O,
     PyDoc_STR("set_equity_interval($self, interval_ns, /)\n--\n\n"
               "Interval of equity curve samples in ns (default 60 s).")},
    {"_add_symbol", (PyCFunction)(void (*)(void))engine_add_symbol, METH_VARARGS | METH_KEYWORDS,
     NULL},
    {"_symbol_info", (PyCFunction)engine_symbol_info, METH_O, NULL},
    {"find_symbol", (PyCFunction)engine_find_symbol, METH_O,
     PyDoc_STR("find_symbol($self, name, /)\n--\n\nThe id of the symbol called `name`.")},
    FAST("_load_ticks", engine_load_ticks, NULL),
    FAST("_load_ticks_micro", engine_load_ticks_micro, NULL),
    FAST("_load_bars", engine_load_bars, NULL),
    FAST("_load_bars_micro", engine_load_bars_micro, NULL),
    FAST("build_bars", engine_build_bars,
         "build_bars($self, symbol_id, timeframe)\n--\n\n"
         "Build bars of this timeframe (minutes) from the symbol's ticks; each is passed "
         "to on_bar when it closes."),
    {"clear_data", (PyCFunction)engine_clear_data, METH_NOARGS,
     PyDoc_STR("clear_data($self, /)\n--\n\nForget loaded market data (not the account).")},
    FAST("_run", engine_run, NULL),
    FAST("_process_event", engine_process_event, NULL),
    FAST("_flush_bars", engine_flush_bars, NULL),
    FAST("order_send", engine_order_send,
         "order_send($self, symbol_id, type, volume, price=None, stop_limit=None, sl=None, tp=None, "
         "expiration=None, trailing_points=0, magic=0)\n--\n\n"
         "Send an order of any type (hqt.OrderType); returns its ticket."),
    FAST("buy", engine_buy,
         "buy($self, symbol_id, volume, sl=None, tp=None)\n--\n\n"
         "Market buy at the current ask; returns the new position's ticket."),
    FAST("sell", engine_sell,
         "sell($self, symbol_id, volume, sl=None, tp=None)\n--\n\n"
         "Market sell at the current bid; returns the new position's ticket."),
    FAST("modify", engine_modify,
         "modify($self, ticket, sl=None, tp=None)\n--\n\n"
         "Change SL/TP of a position or pending order: None keeps a level, 0 removes it."),
    FAST("modify_order", engine_modify_order,
         "modify_order($self, ticket, price=None, stop_limit=None, expiration=None)\n--\n\n"
         "Change a pending order; None keeps a value."),
    FAST("set_trailing_stop", engine_set_trailing_stop,
         "set_trailing_stop($self, ticket, points)\n--\n\nTrailing stop distance in points; 0 = off."),
    FAST("close", engine_close,
         "close($self, ticket, volume=None)\n--\n\nClose a position at market (all of it if volume is None)."),
    {"cancel", (PyCFunction)engine_cancel, METH_O,
     PyDoc_STR("cancel($self, ticket, /)\n--\n\nCancel a pending order.")},
    {"deposit", (PyCFunction)engine_deposit, METH_O,
     PyDoc_STR("deposit($self, amount, /)\n--\n\nAdd money (negative: withdraw).")},
    {"_account", (PyCFunction)engine_account, METH_NOARGS, NULL},
    {"_positions", (PyCFunction)engine_positions, METH_NOARGS, NULL},
    {"_position", (PyCFunction)engine_position, METH_O, NULL},
    {"_orders", (PyCFunction)engine_orders, METH_NOARGS, NULL},
    {"_order_history", (PyCFunction)engine_order_history, METH_NOARGS, NULL},
    {"_deals", (PyCFunction)engine_deals, METH_NOARGS, NULL},
    {"_trades", (PyCFunction)engine_trades, METH_NOARGS, NULL},
    {"_equity_curve", (PyCFunction)engine_equity_curve, METH_NOARGS, NULL},
    {"_statistics", (PyCFunction)engine_statistics, METH_NOARGS, NULL},
    /* engine_io.c: the engine's write-ahead log */
    FAST("_enable_wal", hqt_engine_enable_wal_py, NULL),
    {"disable_wal", (PyCFunction)hqt_engine_disable_wal_py, METH_NOARGS,
     PyDoc_STR("disable_wal($self, /)\n--\n\nWrite a final checkpoint and close the log "
               "(no-op when not enabled).")},
    {"is_wal_enabled", (PyCFunction)hqt_engine_is_wal_enabled_py, METH_NOARGS,
     PyDoc_STR("is_wal_enabled($self, /)\n--\n\nTrue while the engine writes a log.")},
    {"checkpoint", (PyCFunction)hqt_engine_checkpoint_py, METH_NOARGS,
     PyDoc_STR("checkpoint($self, /)\n--\n\nWrite a checkpoint (full snapshot) now, between "
               "events.")},
    {"_recover_from_wal", (PyCFunction)hqt_engine_recover_from_wal_py, METH_NOARGS, NULL},
    FAST("_run_resume", hqt_engine_run_resume_py, NULL),
    /* engine_io.c: the engine's broadcaster */
    FAST("_enable_broadcasting", hqt_engine_enable_broadcasting_py, NULL),
    {"disable_broadcasting", (PyCFunction)hqt_engine_disable_broadcasting_py, METH_NOARGS,
     PyDoc_STR("disable_broadcasting($self, /)\n--\n\nClose the publisher (no-op when not "
               "broadcasting); broadcast_stats() stays readable.")},
    {"is_broadcasting", (PyCFunction)hqt_engine_is_broadcasting_py, METH_NOARGS,
     PyDoc_STR("is_broadcasting($self, /)\n--\n\nTrue while the engine publishes its events.")},
    {"_broadcast_stats", (PyCFunction)hqt_engine_broadcast_stats_py, METH_NOARGS, NULL},
    {NULL}
};

static PyGetSetDef engine_getset[] = {
    {"disposed", (getter)engine_get_disposed, NULL, PyDoc_STR("True after dispose()."), NULL},
    {"symbol_count", (getter)engine_get_symbol_count, NULL, PyDoc_STR("Number of symbols."), NULL},
    {"pending_events", (getter)engine_get_pending_events, NULL,
     PyDoc_STR("Loaded events not yet processed by run()."), NULL},
    {"balance", (getter)engine_get_balance, NULL, PyDoc_STR("Balance."), NULL},
    {"equity", (getter)engine_get_equity, NULL, PyDoc_STR("Equity = balance + floating profit."),
     NULL},
    {"profit", (getter)engine_get_profit, NULL, PyDoc_STR("Floating profit of open positions."),
     NULL},
    {"margin", (getter)engine_get_margin, NULL, PyDoc_STR("Margin in use."), NULL},
    {"free_margin", (getter)engine_get_free_margin, NULL, PyDoc_STR("Equity - margin."), NULL},
    {"margin_level", (getter)engine_get_margin_level, NULL,
     PyDoc_STR("Equity / margin in percent (0 while no margin is used)."), NULL},
    {"balance_micro", (getter)engine_get_balance_micro, NULL, PyDoc_STR("Balance x 1e6, exact."),
     NULL},
    {"equity_micro", (getter)engine_get_equity_micro, NULL, PyDoc_STR("Equity x 1e6, exact."),
     NULL},
    {"time", (getter)engine_get_time, NULL, PyDoc_STR("Time (ns) of the last processed event."),
     NULL},
    {"warming_up", (getter)hqt_engine_get_warming_up, NULL,
     PyDoc_STR("True while a resumed run re-feeds warm-up events (trading is refused)."), NULL},
    {"broadcast_endpoint", (getter)hqt_engine_get_broadcast_endpoint, NULL,
     PyDoc_STR("The endpoint the engine publishes on ('*' port resolved), or None."), NULL},
    {NULL}
};

PyTypeObject HQTEngine_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt._hqt.Engine",
    .tp_basicsize = sizeof(HQTEngineObject),
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("Engine(initial_balance, currency='USD', leverage=100)\n--\n\n"
                        "Low-level engine handle; use hqt.Engine, which subclasses it."),
    .tp_weaklistoffset = offsetof(HQTEngineObject, weakreflist),
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
    .tp_init = (initproc)engine_init,
    .tp_new = engine_new,
};

int
hqt_engine_type_init(PyObject *module)
{
    if (PyType_Ready(&HQTEngine_Type) < 0)
        return -1;
    Py_INCREF(&HQTEngine_Type);
    if (PyModule_AddObject(module, "Engine", (PyObject *)&HQTEngine_Type) < 0) {
        Py_DECREF(&HQTEngine_Type);
        return -1;
    }
    return 0;
}
