/*
 * engine_io.c -- the write-ahead log and the ZeroMQ broadcaster.
 *
 *   - Engine methods for the engine's own log and broadcaster (registered
 *     in engine.c's method table): enable/disable, recovery, resumed runs,
 *     counters.
 *   - hqt._hqt.WriteAheadLog: the standalone log (hqt_wal_*).
 *   - hqt._hqt.Broadcaster: the standalone publisher (hqt_broadcaster_*).
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
#include "hqt_ext.h"

#include <string.h>

#define CALL(expr)                           \
    do {                                     \
        int st_ = (expr);                    \
        if (st_ != HQT_OK)                   \
            return hqt_raise_status(st_);    \
    } while (0)

/* Runs `expr` without the GIL, with `flag` set meanwhile; status in `st`. */
#define NOGIL(flag, st, expr)                \
    do {                                     \
        (flag) = 1;                          \
        Py_BEGIN_ALLOW_THREADS               \
        (st) = (expr);                       \
        Py_END_ALLOW_THREADS                 \
        (flag) = 0;                          \
    } while (0)

/* ---- shared conversions ----------------------------------------------------------- */

static PyObject *
open_report_tuple(const hqt_wal_open_report *r)
{
    return Py_BuildValue("(LLLLKLKii)", (long long)r->torn_bytes_dropped,
                         (long long)r->torn_records_dropped, (long long)r->records,
                         (long long)r->last_checkpoint_offset,
                         (unsigned long long)r->last_sequence, (long long)r->valid_bytes,
                         (unsigned long long)r->fingerprint, (int)r->has_fingerprint,
                         (int)r->format_version);
}

static PyObject *
u64_tuple(const uint64_t *v, int n)
{
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *x = PyLong_FromUnsignedLongLong(v[i]);
        if (!x) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, x);
    }
    return t;
}

/* (sent[8], bytes[8], dropped[8], total_sent, total_bytes, total_dropped, subscribers) */
static PyObject *
stats_tuple(const hqt_broadcast_stats *s)
{
    PyObject *sent = u64_tuple(s->sent, HQT_TOPIC_COUNT);
    PyObject *bytes = u64_tuple(s->bytes, HQT_TOPIC_COUNT);
    PyObject *dropped = u64_tuple(s->dropped, HQT_TOPIC_COUNT);
    PyObject *res = NULL;
    if (sent && bytes && dropped)
        res = Py_BuildValue("(OOOKKKL)", sent, bytes, dropped,
                            (unsigned long long)s->total_sent,
                            (unsigned long long)s->total_bytes,
                            (unsigned long long)s->total_dropped, (long long)s->subscribers);
    Py_XDECREF(sent);
    Py_XDECREF(bytes);
    Py_XDECREF(dropped);
    return res;
}

static int
as_flag(PyObject *obj, int *out)
{
    int v = PyObject_IsTrue(obj);
    if (v < 0)
        return -1;
    *out = v;
    return 0;
}

/* A str argument as UTF-8 (borrowed from the str object), or NULL for None
   when allow_none. Strings with NUL characters are refused. */
static int
as_cstr(PyObject *obj, const char *what, int allow_none, const char **out)
{
    if (obj == Py_None && allow_none) {
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str%s, not %.100s", what,
                     allow_none ? " or None" : "", Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (!s)
        return -1;
    if ((Py_ssize_t)strlen(s) != n) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must not contain NUL characters", what);
        return -1;
    }
    *out = s;
    return 0;
}

/* An optional argument: given and not None. */
#define GIVEN(obj) ((obj) != NULL && (obj) != Py_None)

/* Broadcast options from 7 Python values (NULL or None = default): endpoint, sndhwm,
   linger, curve_secret_key, allowed_client_keys, wait_subscribers,
   wait_timeout_ms. *keys gets a PyMem array the caller frees (also on
   error); the strings stay owned by the argument objects, and `*keep` is a
   strong reference to the sequence holding them. */
typedef struct {
    const char **keys;
    PyObject *seq;
} keys_holder;

static void
keys_release(keys_holder *k)
{
    PyMem_Free((void *)k->keys);
    k->keys = NULL;
    Py_CLEAR(k->seq);
}

static int
broadcast_options(PyObject *const *a, hqt_broadcast_options *o, keys_holder *k)
{
    hqt_broadcast_options_init(o);
    k->keys = NULL;
    k->seq = NULL;
    if (GIVEN(a[0]) && as_cstr(a[0], "endpoint", 0, &o->endpoint) < 0)
        return -1;
    if (GIVEN(a[1]) && hqt_as_i32(a[1], "sndhwm", &o->sndhwm) < 0)
        return -1;
    if (GIVEN(a[2]) && hqt_as_i32(a[2], "linger", &o->linger) < 0)
        return -1;
    if (GIVEN(a[3]) && as_cstr(a[3], "curve_secret_key", 0, &o->curve_secret_key) < 0)
        return -1;
    if (GIVEN(a[4])) {
        if (PyUnicode_Check(a[4]) || PyBytes_Check(a[4])) {
            PyErr_SetString(PyExc_TypeError, "allowed_client_keys must be a sequence of keys, "
                                             "not a single key");
            return -1;
        }
        k->seq = PySequence_Fast(a[4], "allowed_client_keys must be a sequence of str");
        if (!k->seq)
            return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(k->seq);
        if (n > 0) {
            k->keys = (const char **)PyMem_Calloc((size_t)n, sizeof(char *));
            if (!k->keys) {
                PyErr_NoMemory();
                return -1;
            }
            for (Py_ssize_t i = 0; i < n; i++) {
                if (as_cstr(PySequence_Fast_GET_ITEM(k->seq, i), "allowed_client_keys[]", 0,
                            &k->keys[i]) < 0)
                    return -1;
            }
        }
        o->allowed_client_keys = k->keys;
        o->allowed_client_key_count = (size_t)n;
    }
    if (GIVEN(a[5]) && hqt_as_i32(a[5], "wait_subscribers", &o->wait_subscribers) < 0)
        return -1;
    if (GIVEN(a[6]) && hqt_as_i32(a[6], "wait_timeout_ms", &o->wait_timeout_ms) < 0)
        return -1;
    return 0;
}

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
    if ((a[1] && as_flag(a[1], &truncate) < 0) ||
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
    return open_report_tuple(&r);
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

PyObject *
hqt_engine_recover_from_wal_py(HQTEngineObject *self, PyObject *unused)
{
    hqt_recovery_report r;
    int st;
    (void)unused;
    ENGINE_ENTER(self);
    memset(&r, 0, sizeof r);
    NOGIL(self->nogil_busy, st, hqt_engine_recover_from_wal(self->engine, &r));
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
                                        "every_ticks", NULL};
    PyObject *a[10];
    hqt_broadcast_options o;
    hqt_broadcast_cadence c;
    keys_holder k;
    int flag;
    ENGINE_ENTER(self);
    if (hqt_parse_fastcall("_enable_broadcasting", args, nargs, kwnames, names, 0, a) < 0)
        return NULL;
    hqt_broadcast_cadence_init(&c);
    if (broadcast_options(a, &o, &k) < 0)
        goto fail;
    if (a[7]) {
        if (as_flag(a[7], &flag) < 0)
            goto fail;
        c.on_bar_close = flag;
    }
    if (a[8]) {
        if (as_flag(a[8], &flag) < 0)
            goto fail;
        c.on_deal = flag;
    }
    if (a[9] && hqt_as_i64(a[9], "every_ticks", &c.every_ticks) < 0)
        goto fail;
    int st = hqt_engine_enable_broadcasting(self->engine, &o, &c);
    keys_release(&k);
    CALL(st);
    Py_RETURN_NONE;
fail:
    keys_release(&k);
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
    return stats_tuple(&s);
}

PyObject *
hqt_engine_get_broadcast_endpoint(HQTEngineObject *self, void *closure)
{
    char buf[1024];
    int on = 0;
    (void)closure;
    ENGINE_ENTER(self);
    CALL(hqt_engine_is_broadcasting(self->engine, &on));
    if (!on)
        Py_RETURN_NONE;
    CALL(hqt_engine_broadcast_endpoint(self->engine, buf, sizeof buf));
    return PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace");
}

/* ======================================================================== */
/* WriteAheadLog                                                            */
/* ======================================================================== */

typedef struct {
    PyObject_HEAD
    hqt_wal *wal;             /* NULL until open(), and after close() */
    PyObject *path;           /* bytes, file system encoding */
    hqt_wal_options options;
    int busy;                 /* a call runs without the GIL */
    PyObject *weakreflist;
} HQTWALObject;

/* The path as str, for messages. */
static PyObject *
wal_path_str(HQTWALObject *self)
{
    if (!self->path)
        return PyUnicode_FromString("?");
    return PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(self->path),
                                            PyBytes_GET_SIZE(self->path));
}

/* StateError naming the log. */
static PyObject *
wal_state_error(HQTWALObject *self, const char *what)
{
    PyObject *p = wal_path_str(self);
    if (!p)
        return NULL;
    hqt_set_error(HQT_E_STATE, "the log '%U' is %s", p, what);
    Py_DECREF(p);
    return NULL;
}

static int
wal_check_open(HQTWALObject *self)
{
    if (self->busy) {
        hqt_set_error(HQT_E_BUSY, "this WriteAheadLog is in use by another thread");
        return -1;
    }
    if (!self->wal) {
        wal_state_error(self, "not open: call open() first");
        return -1;
    }
    return 0;
}

#define WAL_ENTER(self)                      \
    do {                                     \
        if (wal_check_open(self) < 0)        \
            return NULL;                     \
    } while (0)

static PyObject *
wal_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    HQTWALObject *self = (HQTWALObject *)type->tp_alloc(type, 0);
    if (self) {
        self->wal = NULL;
        self->path = NULL;
        hqt_wal_options_init(&self->options);
        self->busy = 0;
        self->weakreflist = NULL;
    }
    return (PyObject *)self;
}

static int
wal_init(HQTWALObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "sync_policy", "batch_records", "batch_delay_ns",
                             "fingerprint", NULL};
    PyObject *path = NULL, *policy = NULL, *records = NULL, *delay = NULL, *fp = Py_None;
    PyObject *bpath = NULL;
    hqt_wal_options o;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOO:WriteAheadLog", kwlist, &path, &policy,
                                     &records, &delay, &fp))
        return -1;
    if (self->wal) {
        hqt_set_error(HQT_E_STATE, "WriteAheadLog.__init__ called on an open log");
        return -1;
    }
    hqt_wal_options_init(&o);
    if ((policy && hqt_as_i32(policy, "sync_policy", &o.sync_policy) < 0) ||
        (records && hqt_as_i64(records, "batch_records", &o.batch_max_records) < 0) ||
        (delay && hqt_as_i64(delay, "batch_delay_ns", &o.batch_max_delay_ns) < 0) ||
        (fp != Py_None && hqt_as_u64(fp, "fingerprint", &o.fingerprint) < 0))
        return -1;
    o.check_fingerprint = fp != Py_None;
    if (!PyUnicode_FSConverter(path, &bpath))
        return -1;
    Py_XSETREF(self->path, bpath);
    self->options = o;
    return 0;
}

static void
wal_dealloc(HQTWALObject *self)
{
    if (self->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->wal) {
        hqt_wal_close(self->wal);
        self->wal = NULL;
    }
    Py_CLEAR(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
wal_open(HQTWALObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"truncate", NULL};
    PyObject *a[1];
    hqt_wal_options o = self->options;
    hqt_wal_open_report r;
    hqt_wal *w = NULL;
    int truncate = 0, st;
    if (hqt_parse_fastcall("_open", args, nargs, kwnames, names, 0, a) < 0 ||
        (a[0] && as_flag(a[0], &truncate) < 0))
        return NULL;
    if (self->busy)
        return hqt_set_error(HQT_E_BUSY, "this WriteAheadLog is in use by another thread");
    if (!self->path)
        return hqt_set_error(HQT_E_STATE, "WriteAheadLog.__init__ was not called");
    if (self->wal)
        return wal_state_error(self, "already open");
    o.truncate = truncate;
    memset(&r, 0, sizeof r);
    NOGIL(self->busy, st, hqt_wal_open_ex(PyBytes_AS_STRING(self->path), &o, &w, &r));
    CALL(st);
    self->wal = w;
    return open_report_tuple(&r);
}

static PyObject *
wal_append(HQTWALObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"type", "data", NULL};
    PyObject *a[2];
    Py_buffer view;
    int32_t type;
    uint64_t seq = 0;
    int st;
    WAL_ENTER(self);
    if (hqt_parse_fastcall("append", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_i32(a[0], "type", &type) < 0)
        return NULL;
    if (type < 1 || type > 255)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "record type must be in 1..255, got %R",
                             a[0]);
    if (!a[1]) {
        view.buf = NULL;
        view.len = 0;
        view.obj = NULL;
    } else if (PyUnicode_Check(a[1])) {
        PyErr_SetString(PyExc_TypeError, "data must be bytes-like, not str (encode it first)");
        return NULL;
    } else if (PyObject_GetBuffer(a[1], &view, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "data must be a bytes-like object (bytes, bytearray, "
                     "memoryview), not %.100s", Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    NOGIL(self->busy, st,
          hqt_wal_append(self->wal, (uint8_t)type, view.buf, (size_t)view.len, &seq));
    if (view.obj)
        PyBuffer_Release(&view);
    CALL(st);
    return PyLong_FromUnsignedLongLong(seq);
}

static PyObject *
wal_mark_checkpoint(HQTWALObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const names[] = {"snapshot", NULL};
    PyObject *a[1];
    Py_buffer view;
    int st;
    WAL_ENTER(self);
    if (hqt_parse_fastcall("mark_checkpoint", args, nargs, kwnames, names, 0, a) < 0)
        return NULL;
    if (!a[0]) {
        view.buf = NULL;
        view.len = 0;
        view.obj = NULL;
    } else if (PyUnicode_Check(a[0])) {
        PyErr_SetString(PyExc_TypeError, "snapshot must be bytes-like, not str");
        return NULL;
    } else if (PyObject_GetBuffer(a[0], &view, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "snapshot must be a bytes-like object, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    NOGIL(self->busy, st, hqt_wal_mark_checkpoint(self->wal, view.buf, (size_t)view.len));
    if (view.obj)
        PyBuffer_Release(&view);
    CALL(st);
    Py_RETURN_NONE;
}

/* One no-argument hqt_wal_* call without the GIL. */
#define WAL_SIMPLE(fname, call)                                  \
    static PyObject *fname(HQTWALObject *self, PyObject *unused) \
    {                                                            \
        int st;                                                  \
        (void)unused;                                            \
        WAL_ENTER(self);                                         \
        NOGIL(self->busy, st, call(self->wal));                  \
        CALL(st);                                                \
        Py_RETURN_NONE;                                          \
    }

WAL_SIMPLE(wal_sync, hqt_wal_sync)
WAL_SIMPLE(wal_truncate_to_checkpoint, hqt_wal_truncate_to_checkpoint)
WAL_SIMPLE(wal_clear, hqt_wal_clear)

static PyObject *
wal_close(HQTWALObject *self, PyObject *unused)
{
    int st;
    (void)unused;
    if (self->busy)
        return hqt_set_error(HQT_E_BUSY, "this WriteAheadLog is in use by another thread");
    if (!self->wal)
        Py_RETURN_NONE;
    hqt_wal *w = self->wal;
    self->wal = NULL; /* freed by hqt_wal_close even when its sync fails */
    NOGIL(self->busy, st, hqt_wal_close(w));
    CALL(st);
    Py_RETURN_NONE;
}

/* Reading: a callback appends (type, sequence, offset, data) tuples. */
static int
collect_record(const hqt_wal_record *rec, void *user_data)
{
    PyObject *list = (PyObject *)user_data;
    PyObject *t = Py_BuildValue("(iKLy#)", (int)rec->type, (unsigned long long)rec->sequence,
                                (long long)rec->offset,
                                rec->data ? (const char *)rec->data : "",
                                (Py_ssize_t)rec->length);
    if (!t)
        return 1;
    int err = PyList_Append(list, t);
    Py_DECREF(t);
    return err ? 1 : 0;
}

static PyObject *
read_records(HQTWALObject *self, int uncommitted)
{
    WAL_ENTER(self);
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    int st = uncommitted ? hqt_wal_read_uncommitted(self->wal, collect_record, list)
                         : hqt_wal_read_all(self->wal, collect_record, list);
    if (PyErr_Occurred()) {
        Py_DECREF(list);
        return NULL;
    }
    if (st != HQT_OK) {
        Py_DECREF(list);
        return hqt_raise_status(st);
    }
    return list;
}

static PyObject *
wal_read_all(HQTWALObject *self, PyObject *unused)
{
    (void)unused;
    return read_records(self, 0);
}

static PyObject *
wal_read_uncommitted(HQTWALObject *self, PyObject *unused)
{
    (void)unused;
    return read_records(self, 1);
}

static PyObject *
wal_last_checkpoint(HQTWALObject *self, PyObject *unused)
{
    int found = 0;
    (void)unused;
    WAL_ENTER(self);
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    int st = hqt_wal_last_checkpoint(self->wal, collect_record, list, &found);
    if (PyErr_Occurred()) {
        Py_DECREF(list);
        return NULL;
    }
    if (st != HQT_OK) {
        Py_DECREF(list);
        return hqt_raise_status(st);
    }
    PyObject *res = PyList_GET_SIZE(list) ? Py_NewRef(PyList_GET_ITEM(list, 0)) : Py_NewRef(Py_None);
    Py_DECREF(list);
    return res;
}

static PyObject *
file_report(PyObject *arg, int salvage)
{
    PyObject *path = NULL;
    hqt_wal_open_report r;
    int st;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    memset(&r, 0, sizeof r);
    Py_BEGIN_ALLOW_THREADS
    st = salvage ? hqt_wal_salvage(PyBytes_AS_STRING(path), &r)
                 : hqt_wal_verify(PyBytes_AS_STRING(path), &r);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    CALL(st);
    return open_report_tuple(&r);
}

static PyObject *
wal_verify(PyObject *unused, PyObject *arg)
{
    (void)unused;
    return file_report(arg, 0);
}

static PyObject *
wal_salvage(PyObject *unused, PyObject *arg)
{
    (void)unused;
    return file_report(arg, 1);
}

static PyObject *
wal_get_is_open(HQTWALObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->wal != NULL);
}

static PyObject *
wal_get_path(HQTWALObject *self, void *closure)
{
    (void)closure;
    if (!self->path)
        Py_RETURN_NONE;
    return wal_path_str(self);
}

static PyObject *
wal_get_sync_policy(HQTWALObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(self->options.sync_policy);
}

#define FAST(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, PyDoc_STR(doc)}

static PyMethodDef wal_methods[] = {
    FAST("_open", wal_open, NULL),
    FAST("append", wal_append,
         "append($self, type, data=b'')\n--\n\n"
         "Append a record of this type (1..255 but 7 and 8); returns its sequence number."),
    FAST("mark_checkpoint", wal_mark_checkpoint,
         "mark_checkpoint($self, snapshot=b'')\n--\n\n"
         "Append a CHECKPOINT record carrying `snapshot` and sync, whatever the policy."),
    {"sync", (PyCFunction)wal_sync, METH_NOARGS,
     PyDoc_STR("sync($self, /)\n--\n\nMake every appended record durable.")},
    {"truncate_to_checkpoint", (PyCFunction)wal_truncate_to_checkpoint, METH_NOARGS,
     PyDoc_STR("truncate_to_checkpoint($self, /)\n--\n\n"
               "Compact: keep the last checkpoint and what follows (crash-safe).")},
    {"clear", (PyCFunction)wal_clear, METH_NOARGS,
     PyDoc_STR("clear($self, /)\n--\n\nEmpty the log crash-safely; sequence numbers carry on.")},
    {"close", (PyCFunction)wal_close, METH_NOARGS,
     PyDoc_STR("close($self, /)\n--\n\nSync, release the lock and close; no-op when closed.")},
    {"_read_all", (PyCFunction)wal_read_all, METH_NOARGS, NULL},
    {"_read_uncommitted", (PyCFunction)wal_read_uncommitted, METH_NOARGS, NULL},
    {"_last_checkpoint", (PyCFunction)wal_last_checkpoint, METH_NOARGS, NULL},
    {"_verify", (PyCFunction)wal_verify, METH_O | METH_STATIC, NULL},
    {"_salvage", (PyCFunction)wal_salvage, METH_O | METH_STATIC, NULL},
    {NULL}
};

static PyGetSetDef wal_getset[] = {
    {"is_open", (getter)wal_get_is_open, NULL, PyDoc_STR("True between open() and close()."),
     NULL},
    {"path", (getter)wal_get_path, NULL, PyDoc_STR("The log file."), NULL},
    {"sync_policy", (getter)wal_get_sync_policy, NULL,
     PyDoc_STR("HQT_WAL_SYNC_* code: 0 always, 1 batch, 2 none."), NULL},
    {NULL}
};

PyTypeObject HQTWAL_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt._hqt.WriteAheadLog",
    .tp_basicsize = sizeof(HQTWALObject),
    .tp_dealloc = (destructor)wal_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("WriteAheadLog(path, sync_policy=0, batch_records=256, "
                        "batch_delay_ns=10000000, fingerprint=None)\n--\n\n"
                        "Low-level write-ahead log handle; use hqt.WriteAheadLog."),
    .tp_weaklistoffset = offsetof(HQTWALObject, weakreflist),
    .tp_methods = wal_methods,
    .tp_getset = wal_getset,
    .tp_init = (initproc)wal_init,
    .tp_new = wal_new,
};

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
    keys_holder k;
    hqt_broadcaster *b = NULL;
    char buf[1024];
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOOOOOO:Broadcaster", kwlist, &a[0], &a[1],
                                     &a[2], &a[3], &a[4], &a[5], &a[6]))
        return -1;
    if (self->b) {
        hqt_set_error(HQT_E_STATE, "Broadcaster.__init__ called on an open broadcaster");
        return -1;
    }
    if (broadcast_options(a, &o, &k) < 0) {
        keys_release(&k);
        return -1;
    }
    int st = hqt_broadcaster_create(&o, &b);
    keys_release(&k);
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
        return stats_tuple(&self->last);
    memset(&s, 0, sizeof s);
    CALL(hqt_broadcaster_stats(self->b, &s));
    return stats_tuple(&s);
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

/* True: sent; False: dropped (queue full); else raises. */
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

/* ---- module-level ------------------------------------------------------------------ */

int
hqt_io_types_init(PyObject *module)
{
    PyTypeObject *types[] = {&HQTWAL_Type, &HQTBroadcaster_Type};
    const char *names[] = {"WriteAheadLog", "Broadcaster"};
    for (size_t i = 0; i < 2; i++) {
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
