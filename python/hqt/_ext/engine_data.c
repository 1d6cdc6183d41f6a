/*
 * engine_data.c -- Engine methods that load market data and drive the run loop.
 *
 * Part of the Engine type (see engine.c); shared helpers in engine_impl.h.
 */
#include "engine_impl.h"

#include <string.h>

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
        hqt_engine_symbol_arg(self, a[0], &sym) < 0)
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
        hqt_engine_symbol_arg(self, a[0], &sym) < 0 || hqt_as_i32(a[1], "timeframe", &tf) < 0)
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
    static const char *const names[] = {"symbol_id", "timeframe", "price", NULL};
    PyObject *a[3];
    uint32_t sym;
    int32_t tf, price = HQT_PRICE_BID;
    ENTER(self);
    if (parse_args("build_bars", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_engine_symbol_arg(self, a[0], &sym) < 0 || hqt_as_i32(a[1], "timeframe", &tf) < 0 ||
        (a[2] != NULL && hqt_as_i32(a[2], "price", &price) < 0))
        return NULL;
    CALL(hqt_engine_build_bars_v2(self->engine, sym, tf, price));
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

/* _tick_count(symbol_id) and _truncate_ticks(symbol_id, count): hqt.Engine
   undoes a load made chunk by chunk (CSV, Parquet) when a later chunk is bad */
static PyObject *
engine_tick_count(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", NULL};
    PyObject *a[1];
    uint32_t sym;
    uint64_t n;
    ENTER(self);
    if (parse_args("_tick_count", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_engine_symbol_arg(self, a[0], &sym) < 0)
        return NULL;
    CALL(hqt_engine_tick_count(self->engine, sym, &n));
    return PyLong_FromUnsignedLongLong(n);
}

static PyObject *
engine_truncate_ticks(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "count", NULL};
    PyObject *a[2];
    uint32_t sym;
    unsigned long long count;
    ENTER(self);
    if (parse_args("_truncate_ticks", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_engine_symbol_arg(self, a[0], &sym) < 0)
        return NULL;
    count = PyLong_AsUnsignedLongLong(a[1]);
    if (count == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    CALL(hqt_engine_truncate_ticks(self->engine, sym, (uint64_t)count));
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
    static const char *const names[] = {"callbacks", "source", NULL};
    PyObject *a[2];
    hqt_run_ctx ctx;
    int st;
    ENTER(self);
    if (parse_args("_run", args, nargs, kwnames, names, 0, a) < 0)
        return NULL;
    if (a[1] == Py_None)
        a[1] = NULL;
    if (a[1] && !PyCallable_Check(a[1])) {
        PyErr_Format(PyExc_TypeError, "source must be callable or None, not %.100s",
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    if (hqt_ctx_init(&ctx, (PyObject *)self, a[0]) < 0)
        return NULL;
    if (a[1]) {
        hqt_ctx_set_source(&ctx, a[1]); /* callable: cannot fail */
        /* The source is Python code, called mid-run: keep the GIL for the
           whole run; loads from the source are allowed (running, not
           nogil_busy), as the core allows them while the source runs. */
        self->running++;
        st = hqt_engine_run_source(self->engine, hqt_ctx_active(&ctx) ? &ctx.strategy : NULL,
                                   hqt_ctx_source, &ctx);
        self->running--;
    } else if (hqt_ctx_active(&ctx)) {
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

static PyObject *
engine_interrupt(HQTEngineObject *self, PyObject *Py_UNUSED(ignored))
{
    /* No ENTER: interrupting is meant for a run in progress, including one
       that released the GIL on another thread (nogil_busy). */
    if (self->engine == NULL)
        Py_RETURN_NONE;
    CALL(hqt_engine_interrupt(self->engine));
    Py_RETURN_NONE;
}

static PyObject *
engine_get_is_paused(HQTEngineObject *self, void *Py_UNUSED(closure))
{
    int32_t paused = 0;
    ENTER(self);
    CALL(hqt_engine_is_paused(self->engine, &paused));
    return PyBool_FromLong(paused);
}

/* ---- table ------------------------------------------------------------------------------- */

PyMethodDef hqt_engine_data_methods[] = {
    FAST("_load_ticks", engine_load_ticks, NULL),
    FAST("_load_ticks_micro", engine_load_ticks_micro, NULL),
    FAST("_load_bars", engine_load_bars, NULL),
    FAST("_tick_count", engine_tick_count, NULL),
    FAST("_truncate_ticks", engine_truncate_ticks, NULL),
    FAST("_load_bars_micro", engine_load_bars_micro, NULL),
    FAST("build_bars", engine_build_bars,
         "build_bars($self, symbol_id, timeframe, price=0)\n--\n\n"
         "Build bars of this timeframe (minutes) from the symbol's ticks, on their bid "
         "(price 0), ask (1) or mid (2); each is passed to on_bar when it closes."),
    {"clear_data", (PyCFunction)engine_clear_data, METH_NOARGS,
     PyDoc_STR("clear_data($self, /)\n--\n\nForget loaded market data (not the account).")},
    FAST("_run", engine_run, NULL),
    {"interrupt", (PyCFunction)engine_interrupt, METH_NOARGS,
     PyDoc_STR("interrupt($self, /)\n--\n\nAsk the run in progress to stop between two events "
               "(any thread); run() raises RunInterruptedError and run() again continues.")},
    FAST("_process_event", engine_process_event, NULL),
    FAST("_flush_bars", engine_flush_bars, NULL),
    {NULL}
};

PyGetSetDef hqt_engine_data_getset[] = {
    {"pending_events", (getter)engine_get_pending_events, NULL,
     PyDoc_STR("Loaded events not yet processed by run()."), NULL},
    {"is_paused", (getter)engine_get_is_paused, NULL,
     PyDoc_STR("True when the last run was interrupted and run() will continue it."), NULL},
    {NULL}
};
