/*
 * engine_io.c -- the write-ahead log and the ZeroMQ broadcaster, engine side:
 * Engine methods for the engine's own log and broadcaster (registered in
 * engine.c's method table): enable/disable, recovery, resumed runs, counters.
 *
 * The I/O part of the extension is in four files, sharing io_impl.h:
 *   engine_io.c       these Engine methods
 *   io_common.c       conversions shared by them (reports, counters, options)
 *   wal_type.c        hqt._hqt.WriteAheadLog: the standalone log (hqt_wal_*)
 *   broadcaster.c     hqt._hqt.Broadcaster: the standalone publisher (hqt_broadcaster_*)
 *
 * As everywhere in the extension: convert, call, raise via hqt_raise_status.
 * Names (sync policies), defaults in seconds, dataclasses and documentation
 * are the pure-Python layer's (hqt/engine.py, hqt/journal.py,
 * hqt/broadcast.py). Methods starting with an underscore return raw tuples
 * of exact integers.
 *
 * Calls that may wait (fsync, a recovery that re-walks the data, a publish
 * that waits for subscribers) release the GIL; the object is marked busy
 * meanwhile, so another thread gets BusyError instead of a data race.
 */
#include "io_impl.h"

#include <string.h>

/* ======================================================================== */
/* Engine: the engine's own log                                             */
/* ======================================================================== */

#define ENGINE_ENTER(self)                   \
    do {                                     \
        if (hqt_engine_check(self) < 0)      \
            return NULL;                     \
    } while (0)

PyObject *
hqt_engine_enable_wal_py(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"path", "truncate", "sync_policy", "batch_records",
                                        "batch_delay_ns", "checkpoint_every", NULL};
    PyObject *a[6];
    PyObject *path = NULL;
    hqt_wal_options o;
    hqt_wal_open_report r;
    int64_t every = 0;
    int truncate = 0, st;
    ENGINE_ENTER(self);
    if (hqt_parse_fastcall("_enable_wal", args, nargs, kwnames, names, 1, a) < 0)
        return NULL;
    hqt_wal_options_init(&o);
    if ((a[1] && hqt_io_as_flag(a[1], &truncate) < 0) ||
        (a[2] && hqt_as_i32(a[2], "sync_policy", &o.sync_policy) < 0) ||
        (a[3] && hqt_as_i64(a[3], "batch_records", &o.batch_max_records) < 0) ||
        (a[4] && hqt_as_i64(a[4], "batch_delay_ns", &o.batch_max_delay_ns) < 0) ||
        (a[5] && hqt_as_i64(a[5], "checkpoint_every", &every) < 0))
        return NULL;
    o.truncate = truncate;
    if (!PyUnicode_FSConverter(a[0], &path))
        return NULL;
    memset(&r, 0, sizeof r);
    NOGIL(self->nogil_busy, st,
          hqt_engine_enable_wal(self->engine, PyBytes_AS_STRING(path), &o, every, &r));
    Py_DECREF(path);
    CALL(st);
    return hqt_io_open_report_tuple(&r);
}

PyObject *
hqt_engine_disable_wal_py(HQTEngineObject *self, PyObject *unused)
{
    int st;
    (void)unused;
    ENGINE_ENTER(self);
    NOGIL(self->nogil_busy, st, hqt_engine_disable_wal(self->engine));
    CALL(st);
    Py_RETURN_NONE;
}

PyObject *
hqt_engine_is_wal_enabled_py(HQTEngineObject *self, PyObject *unused)
{
    int on = 0;
    (void)unused;
    ENGINE_ENTER(self);
    CALL(hqt_engine_is_wal_enabled(self->engine, &on));
    return PyBool_FromLong(on);
}

PyObject *
hqt_engine_checkpoint_py(HQTEngineObject *self, PyObject *unused)
{
    int st;
    (void)unused;
    ENGINE_ENTER(self);
    NOGIL(self->nogil_busy, st, hqt_engine_checkpoint(self->engine));
    CALL(st);
    Py_RETURN_NONE;
}

/* _recover_from_wal(accept_changed_data: bool = False) */
PyObject *
hqt_engine_recover_from_wal_py(HQTEngineObject *self, PyObject *args)
{
    hqt_recovery_report r;
    int st, accept = 0;
    if (!PyArg_ParseTuple(args, "|p:_recover_from_wal", &accept))
        return NULL;
    ENGINE_ENTER(self);
    memset(&r, 0, sizeof r);
    NOGIL(self->nogil_busy, st, hqt_engine_recover_from_wal_v2(self->engine, accept, &r));
    CALL(st);
    return Py_BuildValue("(LLKLLLLi)", (long long)r.records_replayed,
                         (long long)r.records_discarded, (unsigned long long)r.checkpoint_sequence,
                         (long long)r.events_processed, (long long)r.last_event_time,
                         (long long)r.torn_bytes_dropped, (long long)r.torn_records_dropped,
                         (int)r.replayed_over_data);
}

/* hqt_engine_run_resume; the same GIL rules as Engine._run. */
PyObject *
hqt_engine_run_resume_py(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"callbacks", "warmup", NULL};
    PyObject *a[2];
    hqt_run_ctx ctx;
    int64_t warmup = 0;
    int st;
    ENGINE_ENTER(self);
    if (hqt_parse_fastcall("_run_resume", args, nargs, kwnames, names, 0, a) < 0 ||
        (a[1] && hqt_as_i64(a[1], "warmup", &warmup) < 0) ||
        hqt_ctx_init(&ctx, (PyObject *)self, a[0]) < 0)
        return NULL;
    if (hqt_ctx_active(&ctx)) {
        self->running++;
        st = hqt_engine_run_resume_v2(self->engine, &ctx.strategy, warmup);
        self->running--;
    } else {
        NOGIL(self->nogil_busy, st, hqt_engine_run_resume(self->engine, NULL, warmup));
    }
    return hqt_ctx_finish(&ctx, st);
}

PyObject *
hqt_engine_get_warming_up(HQTEngineObject *self, void *closure)
{
    int on = 0;
    (void)closure;
    ENGINE_ENTER(self);
    CALL(hqt_engine_warming_up(self->engine, &on));
    return PyBool_FromLong(on);
}

/* ======================================================================== */
/* Engine: the engine's own broadcaster                                     */
/* ======================================================================== */

PyObject *
hqt_engine_enable_broadcasting_py(HQTEngineObject *self, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"endpoint", "sndhwm", "linger", "curve_secret_key",
                                        "allowed_client_keys", "wait_subscribers",
                                        "wait_timeout_ms", "on_bar_close", "on_deal",
                                        "every_ticks", "replay_endpoint", "replay_window",
                                        NULL};
    PyObject *a[12];
    hqt_broadcast_options o;
    hqt_broadcast_cadence c;
    hqt_io_keys k;
    int flag;
    ENGINE_ENTER(self);
    if (hqt_parse_fastcall("_enable_broadcasting", args, nargs, kwnames, names, 0, a) < 0)
        return NULL;
    hqt_broadcast_cadence_init(&c);
    if (hqt_io_broadcast_options(a, &o, &k) < 0)
        goto fail;
    if (a[7]) {
        if (hqt_io_as_flag(a[7], &flag) < 0)
            goto fail;
        c.on_bar_close = flag;
    }
    if (a[8]) {
        if (hqt_io_as_flag(a[8], &flag) < 0)
            goto fail;
        c.on_deal = flag;
    }
    if (a[9] && hqt_as_i64(a[9], "every_ticks", &c.every_ticks) < 0)
        goto fail;
    /* The sized structs carry the issue-11 replay options. */
    hqt_broadcast_options_v2 o2;
    hqt_broadcast_cadence_v2 c2;
    hqt_broadcast_options_v2_init(&o2, sizeof o2);
    hqt_broadcast_cadence_v2_init(&c2, sizeof c2);
    o2.endpoint = o.endpoint;
    o2.sndhwm = o.sndhwm;
    o2.linger = o.linger;
    o2.curve_secret_key = o.curve_secret_key;
    o2.allowed_client_keys = o.allowed_client_keys;
    o2.allowed_client_key_count = o.allowed_client_key_count;
    o2.wait_subscribers = o.wait_subscribers;
    o2.wait_timeout_ms = o.wait_timeout_ms;
    c2.on_bar_close = c.on_bar_close;
    c2.on_deal = c.on_deal;
    c2.every_ticks = c.every_ticks;
    if (a[10] && a[10] != Py_None) {
        if (!PyUnicode_Check(a[10])) {
            PyErr_SetString(PyExc_TypeError, "replay_endpoint must be a str or None");
            goto fail;
        }
        o2.replay_endpoint = PyUnicode_AsUTF8(a[10]);
        if (!o2.replay_endpoint)
            goto fail;
    }
    if (a[11] && a[11] != Py_None && hqt_as_i32(a[11], "replay_window", &o2.replay_window) < 0)
        goto fail;
    int st = hqt_engine_enable_broadcasting_v2(self->engine, &o2, &c2);
    hqt_io_keys_release(&k);
    CALL(st);
    Py_RETURN_NONE;
fail:
    hqt_io_keys_release(&k);
    return NULL;
}

PyObject *
hqt_engine_disable_broadcasting_py(HQTEngineObject *self, PyObject *unused)
{
    (void)unused;
    ENGINE_ENTER(self);
    CALL(hqt_engine_disable_broadcasting(self->engine));
    Py_RETURN_NONE;
}

PyObject *
hqt_engine_is_broadcasting_py(HQTEngineObject *self, PyObject *unused)
{
    int on = 0;
    (void)unused;
    ENGINE_ENTER(self);
    CALL(hqt_engine_is_broadcasting(self->engine, &on));
    return PyBool_FromLong(on);
}

PyObject *
hqt_engine_broadcast_stats_py(HQTEngineObject *self, PyObject *unused)
{
    hqt_broadcast_stats s;
    (void)unused;
    ENGINE_ENTER(self);
    memset(&s, 0, sizeof s);
    CALL(hqt_engine_broadcast_stats(self->engine, &s));
    return hqt_io_stats_tuple(&s);
}

/* The endpoint `get` writes, or None while the engine is not broadcasting;
   with `optional`, None too when `get` fails (no such endpoint). */
static PyObject *
endpoint_or_none(HQTEngineObject *self, int (*get)(hqt_engine *, char *, size_t), int optional)
{
    char buf[1024];
    int on = 0;
    ENGINE_ENTER(self);
    CALL(hqt_engine_is_broadcasting(self->engine, &on));
    if (!on)
        Py_RETURN_NONE;
    int st = get(self->engine, buf, sizeof buf);
    if (st != HQT_OK) {
        if (optional)
            Py_RETURN_NONE;
        return hqt_raise_status(st);
    }
    return PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace");
}

PyObject *
hqt_engine_get_broadcast_endpoint(HQTEngineObject *self, void *closure)
{
    (void)closure;
    return endpoint_or_none(self, hqt_engine_broadcast_endpoint, 0);
}

PyObject *
hqt_engine_get_replay_endpoint(HQTEngineObject *self, void *closure)
{
    (void)closure;
    /* broadcasting without a replay endpoint: None */
    return endpoint_or_none(self, hqt_engine_replay_endpoint, 1);
}

PyObject *
hqt_engine_get_broadcast_run_id(HQTEngineObject *self, void *closure)
{
    uint64_t id = 0;
    int on = 0;
    (void)closure;
    ENGINE_ENTER(self);
    CALL(hqt_engine_is_broadcasting(self->engine, &on));
    if (!on)
        Py_RETURN_NONE;
    CALL(hqt_engine_broadcast_run_id(self->engine, &id));
    return PyLong_FromUnsignedLongLong(id);
}
