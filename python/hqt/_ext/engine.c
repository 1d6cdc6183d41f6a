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
 *
 * The type is split by concern; each file lists its methods in its own
 * table, joined by hqt_engine_type_init:
 *   engine.c          helpers, construction, disposal, configuration, symbols
 *   engine_data.c     market data loading and the run loop entry points
 *   engine_trading.c  orders and positions (buy, sell, close, modify, ...)
 *   engine_state.c    account, positions, orders, deals, trades, statistics
 *   engine_io.c       the engine's write-ahead log and broadcaster
 */
#include "engine_impl.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Parses fastcall arguments into out[] (NULL = not given) by position and
   keyword. names is NULL-terminated; the first nreq are required. */
int
hqt_parse_fastcall(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, const char *const *names, int nreq, PyObject **out)
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

/* A symbol given by id (int) or by name (str). */
int
hqt_engine_symbol_arg(HQTEngineObject *self, PyObject *obj, uint32_t *out)
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
engine_set_currency_digits(HQTEngineObject *self, PyObject *arg)
{
    int32_t digits;
    ENTER(self);
    if (hqt_as_i32(arg, "digits", &digits) < 0)
        return NULL;
    CALL(hqt_engine_set_currency_digits(self->engine, digits));
    Py_RETURN_NONE;
}

static PyObject *
engine_get_currency_digits(HQTEngineObject *self, void *closure)
{
    int32_t digits;
    (void)closure;
    ENTER(self);
    CALL(hqt_engine_currency_digits(self->engine, &digits));
    return PyLong_FromLong(digits);
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

/* Tick model of the following runs (HQT_TICK_MODEL_*; -1 clears). */
static PyObject *
engine_set_tick_model(HQTEngineObject *self, PyObject *arg)
{
    int32_t model;
    ENTER(self);
    if (hqt_as_i32(arg, "model", &model) < 0)
        return NULL;
    CALL(hqt_engine_set_tick_model(self->engine, model));
    Py_RETURN_NONE;
}

static PyObject *
engine_tick_model(HQTEngineObject *self, PyObject *unused)
{
    int32_t model = 0;
    (void)unused;
    ENTER(self);
    CALL(hqt_engine_tick_model(self->engine, &model));
    return PyLong_FromLong(model);
}

static PyObject *
engine_set_margin_levels(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"margin_call", "stop_out", "mode", NULL};
    PyObject *a[3];
    int64_t mc, so;
    int32_t mode = HQT_STOP_OUT_PERCENT;
    ENTER(self);
    if (parse_args("_set_margin_levels", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_to_micro(a[0], "margin_call", &mc) < 0 || hqt_to_micro(a[1], "stop_out", &so) < 0 ||
        (a[2] != NULL && a[2] != Py_None && hqt_as_i32(a[2], "mode", &mode) < 0))
        return NULL;
    CALL(hqt_engine_set_margin_levels_mode(self->engine, mc, so, mode));
    Py_RETURN_NONE;
}

/* HQT_STOP_OUT_PERCENT or HQT_STOP_OUT_MONEY. */
static PyObject *
engine_stop_out_mode(HQTEngineObject *self, PyObject *unused)
{
    int32_t mode = 0;
    (void)unused;
    ENTER(self);
    CALL(hqt_engine_stop_out_mode(self->engine, &mode));
    return PyLong_FromLong(mode);
}

/* Ticks skipped for lying outside their symbol's quote sessions. */
static PyObject *
engine_ticks_outside_quote_sessions(HQTEngineObject *self, PyObject *unused)
{
    int64_t n = 0;
    (void)unused;
    ENTER(self);
    CALL(hqt_engine_ticks_outside_quote_sessions(self->engine, &n));
    return PyLong_FromLongLong(n);
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
                             "volume_step", "volume_max", "commission_per_lot", "spread",
                             "calc_mode", "margin_rate", "margin_initial", "margin_maintenance",
                             "tick_size", "tick_value", "margin_hedged", "margin_hedged_use_leg",
                             "swap_mode", "swap_long", "swap_short", "swap_rollover3days",
                             "commission_per_deal", "commission_percent", "commission_entry",
                             "commission_currency", "stops_level", "freeze_level",
                             "trade_sessions", "volume_limit", "quote_sessions", NULL};
    const char *name, *base = NULL, *profit = NULL, *margin = NULL;
    PyObject *contract = Py_None, *digits = Py_None, *mode = Py_None, *vmin = Py_None,
             *vstep = Py_None, *vmax = Py_None, *comm = Py_None, *spread = Py_None,
             *calc = Py_None, *rate = Py_None, *initial = Py_None, *maintenance = Py_None,
             *tsize = Py_None, *tvalue = Py_None, *hedged = Py_None, *leg = Py_None,
             *swap_mode = Py_None, *swap_long = Py_None, *swap_short = Py_None, *swap3 = Py_None,
             *per_deal = Py_None, *percent = Py_None, *centry = Py_None, *ccurrency = Py_None,
             *stops = Py_None, *freeze = Py_None, *sessions = Py_None, *vlimit = Py_None,
             *qsessions = Py_None;
    hqt_symbol_spec_v2 spec;
    uint32_t id;
    ENTER(self);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zzzOOOOOOOOOOOOOOOOOOOOOOOOOOOOO:_add_symbol",
                                     kwlist, &name, &base, &profit, &margin, &contract, &digits,
                                     &mode, &vmin, &vstep, &vmax, &comm, &spread, &calc, &rate,
                                     &initial, &maintenance, &tsize, &tvalue, &hedged, &leg,
                                     &swap_mode, &swap_long, &swap_short, &swap3, &per_deal,
                                     &percent, &centry, &ccurrency, &stops, &freeze, &sessions,
                                     &vlimit, &qsessions))
        return NULL;
    CALL(hqt_symbol_spec_v2_init(&spec, sizeof spec));
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
        (spread != Py_None && hqt_to_micro(spread, "spread", &spec.spread) < 0) ||
        (calc != Py_None && hqt_as_i32(calc, "calc_mode", &spec.calc_mode) < 0) ||
        (rate != Py_None && hqt_to_micro(rate, "margin_rate", &spec.margin_rate) < 0) ||
        (initial != Py_None && hqt_to_micro(initial, "margin_initial", &spec.margin_initial) < 0) ||
        (maintenance != Py_None &&
         hqt_to_micro(maintenance, "margin_maintenance", &spec.margin_maintenance) < 0) ||
        (tsize != Py_None && hqt_to_micro(tsize, "tick_size", &spec.tick_size) < 0) ||
        (tvalue != Py_None && hqt_to_micro(tvalue, "tick_value", &spec.tick_value) < 0) ||
        (hedged != Py_None && hqt_to_micro(hedged, "margin_hedged", &spec.margin_hedged) < 0) ||
        (leg != Py_None && hqt_as_i32(leg, "margin_hedged_use_leg", &spec.margin_hedged_use_leg) < 0) ||
        (swap_mode != Py_None && hqt_as_i32(swap_mode, "swap_mode", &spec.swap_mode) < 0) ||
        (swap_long != Py_None && hqt_to_micro(swap_long, "swap_long", &spec.swap_long) < 0) ||
        (swap_short != Py_None && hqt_to_micro(swap_short, "swap_short", &spec.swap_short) < 0) ||
        (swap3 != Py_None && hqt_as_i32(swap3, "swap_rollover3days", &spec.swap_rollover3days) < 0) ||
        (per_deal != Py_None &&
         hqt_to_micro(per_deal, "commission_per_deal", &spec.commission_per_deal) < 0) ||
        (percent != Py_None &&
         hqt_to_micro(percent, "commission_percent", &spec.commission_percent) < 0) ||
        (centry != Py_None && hqt_as_i32(centry, "commission_entry", &spec.commission_entry) < 0) ||
        (ccurrency != Py_None &&
         hqt_as_i32(ccurrency, "commission_currency", &spec.commission_currency) < 0) ||
        (stops != Py_None && hqt_as_i64(stops, "stops_level", &spec.stops_level) < 0) ||
        (freeze != Py_None && hqt_as_i64(freeze, "freeze_level", &spec.freeze_level) < 0) ||
        (vlimit != Py_None && hqt_to_micro(vlimit, "volume_limit", &spec.volume_limit) < 0))
        return NULL;
    /* trade_sessions: bytes of packed hqt_trade_session (three int32 each), built by hqt.Engine. */
    if (sessions != Py_None) {
        char *buf;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(sessions, &buf, &len) < 0)
            return NULL;
        if (len % (Py_ssize_t)sizeof(hqt_trade_session) != 0) {
            PyErr_SetString(PyExc_ValueError, "trade_sessions: packed int32 triples expected");
            return NULL;
        }
        spec.trade_sessions = (const hqt_trade_session *)buf;
        spec.trade_session_count = (size_t)len / sizeof(hqt_trade_session);
    }
    if (qsessions != Py_None) {
        char *buf;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(qsessions, &buf, &len) < 0)
            return NULL;
        if (len % (Py_ssize_t)sizeof(hqt_trade_session) != 0) {
            PyErr_SetString(PyExc_ValueError, "quote_sessions: packed int32 triples expected");
            return NULL;
        }
        spec.quote_sessions = (const hqt_trade_session *)buf;
        spec.quote_session_count = (size_t)len / sizeof(hqt_trade_session);
    }
    CALL(hqt_engine_add_symbol_v2(self->engine, &spec, &id));
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
    hqt_symbol_spec_v2 c;
    ENTER(self);
    if (hqt_engine_symbol_arg(self, arg, &id) < 0)
        return NULL;
    memset(&s, 0, sizeof s);
    CALL(hqt_engine_symbol_info(self->engine, id, &s));
    CALL(hqt_symbol_spec_v2_init(&c, sizeof c));
    CALL(hqt_engine_symbol_spec(self->engine, id, &c));
    return Py_BuildValue("(Is#s#s#s#LiiLLLLLLLLiLLLLLLiiiLLLLiiLLL)", s.symbol_id, s.name, (Py_ssize_t)strnlen(s.name, sizeof s.name),
                         s.base_currency, (Py_ssize_t)strnlen(s.base_currency, sizeof s.base_currency),
                         s.profit_currency, (Py_ssize_t)strnlen(s.profit_currency, sizeof s.profit_currency),
                         s.margin_currency, (Py_ssize_t)strnlen(s.margin_currency, sizeof s.margin_currency),
                         (long long)s.contract_size, (int)s.digits, (int)s.margin_mode,
                         (long long)s.volume_min, (long long)s.volume_step,
                         (long long)s.volume_max, (long long)s.commission_per_lot,
                         (long long)s.spread, (long long)s.bid, (long long)s.ask,
                         (long long)s.last_time, (int)c.calc_mode, (long long)c.margin_rate,
                         (long long)c.margin_initial, (long long)c.margin_maintenance,
                         (long long)c.tick_size, (long long)c.tick_value,
                         (long long)c.margin_hedged, (int)c.margin_hedged_use_leg,
                         (int)c.swap_mode, (int)c.swap_rollover3days, (long long)c.swap_long,
                         (long long)c.swap_short, (long long)c.commission_per_deal,
                         (long long)c.commission_percent, (int)c.commission_entry,
                         (int)c.commission_currency, (long long)c.stops_level,
                         (long long)c.freeze_level, (long long)c.volume_limit);
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
    if (hqt_engine_symbol_arg(self, arg, &id) < 0)
        return NULL;
    return PyLong_FromUnsignedLong(id);
}

/* ---- type --------------------------------------------------------------------------------- */
static PyObject *
engine_set_rollover_time(HQTEngineObject *self, PyObject *arg)
{
    int64_t seconds;
    ENTER(self);
    if (hqt_as_i64(arg, "rollover_time", &seconds) < 0)
        return NULL;
    CALL(hqt_engine_set_rollover_time(self->engine, seconds));
    Py_RETURN_NONE;
}

static PyObject *
engine_rollover_time(HQTEngineObject *self, PyObject *Py_UNUSED(ignored))
{
    int64_t seconds;
    ENTER(self);
    CALL(hqt_engine_rollover_time(self->engine, &seconds));
    return PyLong_FromLongLong(seconds);
}

static PyMethodDef engine_core_methods[] = {
    {"dispose", (PyCFunction)engine_dispose, METH_NOARGS,
     PyDoc_STR("dispose($self, /)\n--\n\nFree the engine now; later calls raise StateError.")},
    {"_set_account_mode", (PyCFunction)engine_set_account_mode, METH_O, NULL},
    {"set_currency_digits", (PyCFunction)engine_set_currency_digits, METH_O,
     PyDoc_STR("set_currency_digits($self, digits, /)\n--\n\n"
               "Digits (0...6) the balance books money in; only before the first order.")},
    {"_set_tick_model", (PyCFunction)engine_set_tick_model, METH_O, NULL},
    {"_tick_model", (PyCFunction)engine_tick_model, METH_NOARGS, NULL},
    FAST("_set_margin_levels", engine_set_margin_levels, NULL),
    {"_stop_out_mode", (PyCFunction)engine_stop_out_mode, METH_NOARGS, NULL},
    {"_ticks_outside_quote_sessions", (PyCFunction)engine_ticks_outside_quote_sessions, METH_NOARGS,
     NULL},
    {"set_equity_interval", (PyCFunction)engine_set_equity_interval, METH_O,
     PyDoc_STR("set_equity_interval($self, interval_ns, /)\n--\n\n"
               "Interval of equity curve samples in ns (default 60 s).")},
    {"_set_rollover_time", (PyCFunction)engine_set_rollover_time, METH_O, NULL},
    {"_rollover_time", (PyCFunction)engine_rollover_time, METH_NOARGS, NULL},
    {"_add_symbol", (PyCFunction)(void (*)(void))engine_add_symbol, METH_VARARGS | METH_KEYWORDS,
     NULL},
    {"_symbol_info", (PyCFunction)engine_symbol_info, METH_O, NULL},
    {"find_symbol", (PyCFunction)engine_find_symbol, METH_O,
     PyDoc_STR("find_symbol($self, name, /)\n--\n\nThe id of the symbol called `name`.")},
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
    {"_recover_from_wal", (PyCFunction)hqt_engine_recover_from_wal_py, METH_VARARGS, NULL},
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

static PyGetSetDef engine_core_getset[] = {
    {"disposed", (getter)engine_get_disposed, NULL, PyDoc_STR("True after dispose()."), NULL},
    {"symbol_count", (getter)engine_get_symbol_count, NULL, PyDoc_STR("Number of symbols."), NULL},
    {"currency_digits", (getter)engine_get_currency_digits, NULL,
     PyDoc_STR("Digits booked money (deal profit, commission, swap) is rounded to."), NULL},
    {"warming_up", (getter)hqt_engine_get_warming_up, NULL,
     PyDoc_STR("True while a resumed run re-feeds warm-up events (trading is refused)."), NULL},
    {"broadcast_endpoint", (getter)hqt_engine_get_broadcast_endpoint, NULL,
     PyDoc_STR("The endpoint the engine publishes on ('*' port resolved), or None."), NULL},
    {"replay_endpoint", (getter)hqt_engine_get_replay_endpoint, NULL,
     PyDoc_STR("The snapshot/replay ROUTER endpoint (docs/zmq.md section 13), or None."), NULL},
    {"broadcast_run_id", (getter)hqt_engine_get_broadcast_run_id, NULL,
     PyDoc_STR("Run id of the sequenced and SESSION frames while broadcasting, or None."), NULL},
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
        .tp_init = (initproc)engine_init,
    .tp_new = engine_new,
};

/* The Engine's methods and getters are listed next to their code, one table
   per file; the type gets them joined. */
static PyMethodDef *const method_tables[] = {
    engine_core_methods, hqt_engine_data_methods, hqt_engine_trading_methods,
    hqt_engine_state_methods, hqt_engine_report_methods};
static PyGetSetDef *const getset_tables[] = {
    engine_core_getset, hqt_engine_data_getset, hqt_engine_state_getset};
#define N_TABLES(t) (sizeof(t) / sizeof((t)[0]))

static PyMethodDef all_methods[64];
static PyGetSetDef all_getset[32];

int
hqt_engine_type_init(PyObject *module)
{
    size_t n = 0;
    for (size_t t = 0; t < N_TABLES(method_tables); t++)
        for (PyMethodDef *m = method_tables[t]; m->ml_name; m++) {
            if (n + 1 >= N_TABLES(all_methods)) {
                PyErr_SetString(PyExc_SystemError, "Engine: too many methods");
                return -1;
            }
            all_methods[n++] = *m;
        }
    n = 0;
    for (size_t t = 0; t < N_TABLES(getset_tables); t++)
        for (PyGetSetDef *g = getset_tables[t]; g->name; g++) {
            if (n + 1 >= N_TABLES(all_getset)) {
                PyErr_SetString(PyExc_SystemError, "Engine: too many getters");
                return -1;
            }
            all_getset[n++] = *g;
        }
    HQTEngine_Type.tp_methods = all_methods;
    HQTEngine_Type.tp_getset = all_getset;
    if (PyType_Ready(&HQTEngine_Type) < 0)
        return -1;
    Py_INCREF(&HQTEngine_Type);
    if (PyModule_AddObject(module, "Engine", (PyObject *)&HQTEngine_Type) < 0) {
        Py_DECREF(&HQTEngine_Type);
        return -1;
    }
    return 0;
}
