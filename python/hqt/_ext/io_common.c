/*
 * io_common.c -- conversions shared by the write-ahead log and broadcaster code
 * (engine_io.c, wal_type.c, broadcaster.c), and their types' registration.
 *
 * Shared conversions and macros of the I/O files in io_impl.h.
 */
#include "io_impl.h"

#include <string.h>

/* ---- shared conversions ----------------------------------------------------------- */

PyObject *
hqt_io_open_report_tuple(const hqt_wal_open_report *r)
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
PyObject *
hqt_io_stats_tuple(const hqt_broadcast_stats *s)
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

int
hqt_io_as_flag(PyObject *obj, int *out)
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

void
hqt_io_keys_release(hqt_io_keys *k)
{
    PyMem_Free((void *)k->keys);
    k->keys = NULL;
    Py_CLEAR(k->seq);
}

/* Broadcast options from 7 Python values (NULL or None = default): endpoint, sndhwm,
   linger, curve_secret_key, allowed_client_keys, wait_subscribers,
   wait_timeout_ms. *keys gets a PyMem array the caller frees (also on
   error); the strings stay owned by the argument objects, and `*keep` is a
   strong reference to the sequence holding them. */
int
hqt_io_broadcast_options(PyObject *const *a, hqt_broadcast_options *o, hqt_io_keys *k)
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
