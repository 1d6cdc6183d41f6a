/*
 * strategy.c -- C trampolines that call Python strategy callbacks.
 *
 * The hot path is on_tick: for every tick the engine calls tramp_tick(),
 * which fills a Tick object and calls the Python function with vectorcall
 * and a stack array of arguments. To keep that path short:
 *   - callables are looked up once per run (the Python layer passes only
 *     the callbacks a strategy overrides; the others stay NULL, so the
 *     engine never leaves C for them);
 *   - a bound method is split into (function, self) once, so each call is a
 *     plain function vectorcall of (self, engine, event);
 *   - the Tick/Bar/Deal object is reused when the callback kept no
 *     reference to it (reference count back to 1), else a new one is made.
 *
 * A callback that raises stores the exception in the context and returns 1;
 * the engine then stops the run (HQT_E_CALLBACK) and hqt_ctx_finish()
 * re-raises the original exception object, traceback included.
 */
#include "hqt_ext.h"

static void
stash_exception(hqt_run_ctx *ctx)
{
    if (!ctx->exc_type) {
        PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
        PyErr_NormalizeException(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
        if (ctx->exc_tb && ctx->exc_value)
            PyException_SetTraceback(ctx->exc_value, ctx->exc_tb);
        return;
    }
    /* A later callback (on_stop after the failure) raised too: keep the
       original and record the later one as a note on it. */
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (ctx->exc_value && v) {
        PyObject *note = PyUnicode_FromFormat("while handling it, a later strategy callback "
                                              "raised %R", v);
        if (note) {
            PyObject *r = PyObject_CallMethod(ctx->exc_value, "add_note", "O", note);
            Py_XDECREF(r);
            Py_DECREF(note);
        }
        PyErr_Clear();
    }
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
}

/* A Python function is called through its vectorcall slot directly (read
   once in hqt_ctx_init): PyObject_Vectorcall would look the slot up and
   check the result's consistency on every call, which a Python function's
   result always has. Any other callable goes through PyObject_Vectorcall. */
static inline PyObject *
vectorcall(hqt_run_ctx *ctx, int which, PyObject *const *args, size_t nargsf)
{
    vectorcallfunc call = ctx->call[which];
    if (call)
        return call(ctx->func[which], args, nargsf, NULL);
    return PyObject_Vectorcall(ctx->func[which], args, nargsf, NULL);
}

static inline int
call_cb(hqt_run_ctx *ctx, int which, PyObject *event)
{
    PyObject *args[4];
    PyObject *res;
    size_t n = event ? 2 : 1;
    if (ctx->self[which]) {
        args[0] = ctx->self[which];
        args[1] = ctx->engine;
        args[2] = event;
        res = vectorcall(ctx, which, args, n + 1);
    } else {
        args[0] = NULL;
        args[1] = ctx->engine;
        args[2] = event;
        res = vectorcall(ctx, which, args + 1, n | PY_VECTORCALL_ARGUMENTS_OFFSET);
    }
    if (!res) {
        stash_exception(ctx);
        return 1;
    }
    Py_DECREF(res);
    return 0;
}

static int
tramp_start(hqt_engine *engine, void *user_data)
{
    (void)engine;
    return call_cb((hqt_run_ctx *)user_data, HQT_CB_START, NULL);
}

static int
tramp_stop(hqt_engine *engine, void *user_data)
{
    (void)engine;
    return call_cb((hqt_run_ctx *)user_data, HQT_CB_STOP, NULL);
}

static int
tramp_tick(hqt_engine *engine, const hqt_tick *tick, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    PyObject *o = ctx->tick_obj;
    (void)engine;
    if (o && Py_REFCNT(o) == 1) {
        ((HQTTickObject *)o)->t = *tick;
    } else {
        Py_XDECREF(o);
        o = ctx->tick_obj = hqt_tick_new(tick);
        if (!o) {
            stash_exception(ctx);
            return 1;
        }
    }
    return call_cb(ctx, HQT_CB_TICK, o);
}

/* bar_complete's exact answer, out of line: the bar's close against the clock. */
static int
bar_complete_exact(const hqt_bar *bar, int64_t clock)
{
    int64_t close;
    if (hqt_timeframe_close_time(bar->timeframe, bar->time, &close) != HQT_OK)
        return 1;
    return clock >= close;
}

/* Whether the bar's period has ended at the engine's clock: a bar built
   from ticks that a flush delivers early has not (the clock stays at the
   last tick, before the bar's close); every other bar is delivered at or
   after its close. */
static inline int
bar_complete(hqt_run_ctx *ctx, const hqt_bar *bar)
{
    const hqt_state_view *v = ((HQTEngineObject *)ctx->engine)->view;
    if (!v)
        return 1;
    /* Every bar loaded or closed on time: its period ends at most one
       period length (31 days for MN1) after the time it holds, so a clock
       that far on settles it without the exact close (a call per bar). */
    if (bar->timeframe > 0 && bar->timeframe <= 44640 && bar->time >= 0) {
        int64_t longest = (int64_t)(bar->timeframe == 43200 ? 44640 : bar->timeframe) * 60000000000LL;
        if (v->time - longest >= bar->time)
            return 1;
    }
    return bar_complete_exact(bar, v->time);
}

static int
tramp_bar(hqt_engine *engine, const hqt_bar *bar, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    PyObject *o = ctx->bar_obj;
    (void)engine;
    if (o && Py_REFCNT(o) == 1) {
        ((HQTBarObject *)o)->b = *bar;
    } else {
        Py_XDECREF(o);
        o = ctx->bar_obj = hqt_bar_new(bar);
        if (!o) {
            stash_exception(ctx);
            return 1;
        }
    }
    ((HQTBarObject *)o)->complete = bar_complete(ctx, bar);
    return call_cb(ctx, HQT_CB_BAR, o);
}

static int
tramp_trade(hqt_engine *engine, const hqt_deal *deal, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    PyObject *o = ctx->deal_obj;
    (void)engine;
    if (o && Py_REFCNT(o) == 1) {
        ((HQTDealObject *)o)->d = *deal;
    } else {
        Py_XDECREF(o);
        o = ctx->deal_obj = hqt_deal_new(deal);
        if (!o) {
            stash_exception(ctx);
            return 1;
        }
    }
    return call_cb(ctx, HQT_CB_TRADE, o);
}

/* get_state(engine) -> bytes | None, for a checkpoint: the bytes stay
   referenced by ctx until the next call, as the C ABI asks. */
static int
tramp_save_state(hqt_engine *engine, const void **data, size_t *size, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    PyObject *args[3];
    PyObject *res;
    (void)engine;
    *data = NULL;
    *size = 0;
    if (ctx->self[HQT_CB_GET_STATE]) {
        args[1] = ctx->self[HQT_CB_GET_STATE];
        args[2] = ctx->engine;
        res = PyObject_Vectorcall(ctx->func[HQT_CB_GET_STATE], args + 1,
                                  2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    } else {
        args[1] = ctx->engine;
        res = PyObject_Vectorcall(ctx->func[HQT_CB_GET_STATE], args + 1,
                                  1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    if (!res) {
        stash_exception(ctx);
        return 1;
    }
    if (res == Py_None) {
        Py_DECREF(res);
        return 0;
    }
    if (!PyBytes_Check(res)) {
        PyErr_Format(PyExc_TypeError, "get_state must return bytes or None, not %.100s",
                     Py_TYPE(res)->tp_name);
        Py_DECREF(res);
        stash_exception(ctx);
        return 1;
    }
    Py_XSETREF(ctx->state_obj, res);
    *data = PyBytes_AS_STRING(res);
    *size = (size_t)PyBytes_GET_SIZE(res);
    return 0;
}

/* set_state(engine, state: bytes), when a recovered run resumes. */
static int
tramp_restore_state(hqt_engine *engine, const void *data, size_t size, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    (void)engine;
    PyObject *state = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
    if (!state) {
        stash_exception(ctx);
        return 1;
    }
    int rc = call_cb(ctx, HQT_CB_SET_STATE, state);
    Py_DECREF(state);
    return rc;
}

static void
ctx_clear(hqt_run_ctx *ctx)
{
    for (int i = 0; i < HQT_CB_COUNT; i++) {
        Py_CLEAR(ctx->func[i]);
        Py_CLEAR(ctx->self[i]);
        ctx->call[i] = NULL;
    }
    Py_CLEAR(ctx->tick_obj);
    Py_CLEAR(ctx->bar_obj);
    Py_CLEAR(ctx->deal_obj);
    Py_CLEAR(ctx->state_obj);
    Py_CLEAR(ctx->source);
}

int
hqt_ctx_init(hqt_run_ctx *ctx, PyObject *engine, PyObject *callbacks)
{
    static const char *names[HQT_CB_COUNT] = {"on_start", "on_tick", "on_bar", "on_trade",
                                              "on_stop", "get_state", "set_state"};
    memset(ctx, 0, sizeof *ctx);
    /* The sized strategy (hqt.h "ABI versioning"): struct_size says which
       layout this extension was compiled against. */
    if (hqt_strategy_v2_init(&ctx->strategy, sizeof ctx->strategy) != HQT_OK) {
        PyErr_Format(PyExc_RuntimeError, "hqt_strategy_v2_init: %s", hqt_last_error());
        return -1;
    }
    ctx->engine = engine;
    ctx->strategy.user_data = ctx;
    if (callbacks == NULL || callbacks == Py_None)
        return 0;
    if (!PyTuple_Check(callbacks) || PyTuple_GET_SIZE(callbacks) != HQT_CB_COUNT) {
        PyErr_SetString(PyExc_TypeError, "callbacks must be None or a tuple "
                                         "(on_start, on_tick, on_bar, on_trade, on_stop, get_state, set_state)");
        return -1;
    }
    for (int i = 0; i < HQT_CB_COUNT; i++) {
        PyObject *cb = PyTuple_GET_ITEM(callbacks, i);
        if (cb == Py_None)
            continue;
        if (!PyCallable_Check(cb)) {
            PyErr_Format(PyExc_TypeError, "%s must be callable or None, not %.100s", names[i],
                         Py_TYPE(cb)->tp_name);
            ctx_clear(ctx);
            return -1;
        }
        if (PyMethod_Check(cb)) {
            ctx->func[i] = Py_NewRef(PyMethod_GET_FUNCTION(cb));
            ctx->self[i] = Py_NewRef(PyMethod_GET_SELF(cb));
        } else {
            ctx->func[i] = Py_NewRef(cb);
        }
        if (PyFunction_Check(ctx->func[i]))
            ctx->call[i] = PyVectorcall_Function(ctx->func[i]);
    }
    if (ctx->func[HQT_CB_START])
        ctx->strategy.on_start = tramp_start;
    if (ctx->func[HQT_CB_TICK])
        ctx->strategy.on_tick = tramp_tick;
    if (ctx->func[HQT_CB_BAR])
        ctx->strategy.on_bar = tramp_bar;
    if (ctx->func[HQT_CB_TRADE])
        ctx->strategy.on_trade = tramp_trade;
    if (ctx->func[HQT_CB_STOP])
        ctx->strategy.on_stop = tramp_stop;
    if (ctx->func[HQT_CB_GET_STATE])
        ctx->strategy.save_state = tramp_save_state;
    if (ctx->func[HQT_CB_SET_STATE])
        ctx->strategy.restore_state = tramp_restore_state;
    return 0;
}

int
hqt_ctx_set_source(hqt_run_ctx *ctx, PyObject *source)
{
    if (!PyCallable_Check(source)) {
        PyErr_Format(PyExc_TypeError, "source must be callable or None, not %.100s",
                     Py_TYPE(source)->tp_name);
        return -1;
    }
    Py_XSETREF(ctx->source, Py_NewRef(source));
    return 0;
}

/* source() -> bool: True when it loaded the next window, False at the end. */
int
hqt_ctx_source(hqt_engine *engine, int *more, void *user_data)
{
    hqt_run_ctx *ctx = (hqt_run_ctx *)user_data;
    (void)engine;
    *more = 0;
    PyObject *res = PyObject_CallNoArgs(ctx->source);
    if (!res) {
        stash_exception(ctx);
        return 1;
    }
    if (!PyBool_Check(res)) {
        PyErr_Format(PyExc_TypeError, "a data source must return True (it loaded more data) "
                     "or False (no more), not %.100s", Py_TYPE(res)->tp_name);
        Py_DECREF(res);
        stash_exception(ctx);
        return 1;
    }
    *more = res == Py_True;
    Py_DECREF(res);
    return 0;
}

int
hqt_ctx_active(const hqt_run_ctx *ctx)
{
    for (int i = 0; i < HQT_CB_COUNT; i++)
        if (ctx->func[i])
            return 1;
    return 0;
}

PyObject *
hqt_ctx_finish(hqt_run_ctx *ctx, int status)
{
    /* The engine's message is read before anything else can run; the
       references are released before the error is set, so that a __del__
       run by a decref cannot clobber it. */
    if (!ctx->exc_type && status != HQT_OK) {
        hqt_raise_status(status);
        PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
    }
    ctx_clear(ctx);
    if (ctx->exc_type) {
        PyErr_Restore(ctx->exc_type, ctx->exc_value, ctx->exc_tb);
        ctx->exc_type = ctx->exc_value = ctx->exc_tb = NULL;
        return NULL;
    }
    Py_RETURN_NONE;
}
