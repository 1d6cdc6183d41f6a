/*
 * wal_type.c -- hqt._hqt.WriteAheadLog: the standalone log (hqt_wal_*).
 *
 * Shared conversions and macros of the I/O files in io_impl.h.
 */
#include "io_impl.h"

#include <string.h>

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
        (a[0] && hqt_io_as_flag(a[0], &truncate) < 0))
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
    return hqt_io_open_report_tuple(&r);
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
    return hqt_io_open_report_tuple(&r);
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

