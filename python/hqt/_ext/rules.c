/*
 * rules.c -- the engine's data rules without an engine (include/hqt.h,
 * "Data rules without an engine"): tick and bar validation, bar periods.
 *
 * hqt's CSV readers, DataFrame/Parquet validation, tick-file writer and
 * test-data generators call these instead of re-implementing the rules, so
 * a bad value raises the same exception with the same message everywhere.
 * Arrays are any 1-D C-contiguous int64 / float64 buffer (numpy arrays,
 * memmaps) and are read in place, without the GIL.
 */
#include "hqt_ext.h"

/* ---- buffers ------------------------------------------------------------ */

/* kind: 'i' int64, 'f' float64, '?' either (the kind found is stored back). */
static int
rules_vector(PyObject *obj, char *kind, const char *what, int writable, Py_buffer *view)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    const char *want = *kind == 'i' ? "int64" : *kind == 'f' ? "float64" : "int64 or float64";
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a %sC-contiguous %s buffer (e.g. a numpy array)",
                     what, writable ? "writable " : "", want);
        return -1;
    }
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=' || *f == '<')
        f++;
    char found = 0;
    if (view->itemsize == 8 && view->ndim <= 1 && f[0] && !f[1]) {
        if (f[0] == 'q' || f[0] == 'l')
            found = 'i';
        else if (f[0] == 'd')
            found = 'f';
    }
    if (!found || (*kind != '?' && found != *kind)) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D %s buffer, got format '%s' with %zd dims",
                     what, want, view->format ? view->format : "B", (Py_ssize_t)view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    *kind = found;
    return 0;
}

static void
rules_release(Py_buffer *views, int n)
{
    for (int i = 0; i < n; i++)
        PyBuffer_Release(&views[i]);
}

/* Gets n vectors: views[0] int64 (times), the others all int64 or all float64
   (*price_kind: 'i', 'f' or '?' = as the first price). Lengths must match. */
static int
rules_vectors(PyObject **objs, const char *const *names, int n, char *price_kind,
              Py_buffer *views, size_t *len)
{
    for (int i = 0; i < n; i++) {
        char kind = i == 0 ? 'i' : *price_kind;
        if (rules_vector(objs[i], &kind, names[i], 0, &views[i]) < 0) {
            rules_release(views, i);
            return -1;
        }
        if (i > 0)
            *price_kind = kind;
    }
    Py_ssize_t n0 = views[0].len / 8;
    for (int i = 1; i < n; i++) {
        if (views[i].len / 8 != n0) {
            hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s has %zd values but %s has %zd: all arrays "
                          "must have the same length", names[i], views[i].len / 8, names[0], n0);
            rules_release(views, n);
            return -1;
        }
    }
    *len = (size_t)n0;
    return 0;
}

/* Raises the exception of `status` and sets its `index` attribute. */
static PyObject *
raise_at(int status, size_t bad)
{
    PyObject *type, *value, *tb;
    hqt_raise_status(status);
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value) {
        PyObject *i = PyLong_FromSize_t(bad);
        if (!i || PyObject_SetAttrString(value, "index", i) < 0)
            PyErr_Clear();
        Py_XDECREF(i);
    }
    PyErr_Restore(type, value, tb);
    return NULL;
}

/* subject (str or None) -> UTF-8, NULL for None; *ok = 0 on error. */
static const char *
subject_of(PyObject *obj, int *ok)
{
    *ok = 1;
    if (!obj || obj == Py_None)
        return NULL;
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "subject must be a str, not %.100s", Py_TYPE(obj)->tp_name);
        *ok = 0;
        return NULL;
    }
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s)
        *ok = 0;
    return s;
}

static int
opt_i64(PyObject *obj, const char *what, int64_t if_none, int64_t *out)
{
    if (!obj || obj == Py_None) {
        *out = if_none;
        return 0;
    }
    return hqt_as_i64(obj, what, out);
}

/* ---- validation ---------------------------------------------------------- */

static PyObject *
rules_validate_ticks(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"time_ns", "bid", "ask", "previous_time_ns", "subject",
                                         "first_index", NULL};
    PyObject *a[6];
    Py_buffer v[3];
    int64_t previous, first;
    size_t n, bad = 0;
    char kind = '?';
    int ok, st;
    (void)m;
    if (hqt_parse_fastcall("validate_ticks", args, nargs, kwnames, names, 3, a) < 0 ||
        opt_i64(a[3], "previous_time_ns", 0, &previous) < 0 ||
        opt_i64(a[5], "first_index", 0, &first) < 0)
        return NULL;
    if (first < 0)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "first_index must be >= 0");
    const char *subject = subject_of(a[4], &ok);
    if (!ok || rules_vectors(a, names, 3, &kind, v, &n) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'i')
        st = hqt_validate_ticks((const int64_t *)v[0].buf, (const int64_t *)v[1].buf,
                                (const int64_t *)v[2].buf, n, previous, subject,
                                (uint64_t)first, &bad);
    else
        st = hqt_validate_ticks_f64((const int64_t *)v[0].buf, (const double *)v[1].buf,
                                    (const double *)v[2].buf, n, previous, subject,
                                    (uint64_t)first, &bad);
    Py_END_ALLOW_THREADS
    rules_release(v, 3);
    if (st != HQT_OK)
        return raise_at(st, bad);
    Py_RETURN_NONE;
}

static PyObject *
rules_validate_bars(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"timeframe", "time_ns", "open", "high", "low", "close",
                                        "volume", "previous_open_ns", "not_before_ns", "subject",
                                        "first_index", NULL};
    PyObject *a[11];
    Py_buffer v[6];
    int32_t tf;
    int64_t previous, not_before, first;
    size_t n, bad = 0;
    char kind = '?';
    int ok, st;
    (void)m;
    if (hqt_parse_fastcall("validate_bars", args, nargs, kwnames, names, 7, a) < 0 ||
        hqt_as_i32(a[0], "timeframe", &tf) < 0 ||
        opt_i64(a[7], "previous_open_ns", INT64_MIN, &previous) < 0 ||
        opt_i64(a[8], "not_before_ns", 0, &not_before) < 0 ||
        opt_i64(a[10], "first_index", 0, &first) < 0)
        return NULL;
    if (first < 0)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "first_index must be >= 0");
    const char *subject = subject_of(a[9], &ok);
    if (!ok || rules_vectors(a + 1, names + 1, 6, &kind, v, &n) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'i')
        st = hqt_validate_bars(tf, (const int64_t *)v[0].buf, (const int64_t *)v[1].buf,
                               (const int64_t *)v[2].buf, (const int64_t *)v[3].buf,
                               (const int64_t *)v[4].buf, (const int64_t *)v[5].buf, n, previous,
                               not_before, subject, (uint64_t)first, &bad);
    else
        st = hqt_validate_bars_f64(tf, (const int64_t *)v[0].buf, (const double *)v[1].buf,
                                   (const double *)v[2].buf, (const double *)v[3].buf,
                                   (const double *)v[4].buf, (const double *)v[5].buf, n,
                                   previous, not_before, subject, (uint64_t)first, &bad);
    Py_END_ALLOW_THREADS
    rules_release(v, 6);
    if (st != HQT_OK)
        return raise_at(st, bad);
    Py_RETURN_NONE;
}

/* ---- bar periods ---------------------------------------------------------- */

typedef int (*scalar_fn)(int32_t, int64_t, int64_t *);
typedef int (*vector_fn)(int32_t, const int64_t *, size_t, int64_t *);

static PyObject *
period_scalar(PyObject *const *args, Py_ssize_t nargs, const char *fname, scalar_fn fn)
{
    int32_t tf;
    int64_t t, out = 0;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (timeframe, time_ns), %zd given",
                     fname, nargs);
        return NULL;
    }
    if (hqt_as_i32(args[0], "timeframe", &tf) < 0 || hqt_as_i64(args[1], "time_ns", &t) < 0)
        return NULL;
    int st = fn(tf, t, &out);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyLong_FromLongLong(out);
}

static PyObject *
rules_open_time(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return period_scalar(args, nargs, "timeframe_open_time", hqt_timeframe_open_time);
}

static PyObject *
rules_close_time(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return period_scalar(args, nargs, "timeframe_close_time", hqt_timeframe_close_time);
}

/* (timeframe, in, out): out[i] = fn(in[i]); returns out. */
static PyObject *
period_vector(PyObject *const *args, Py_ssize_t nargs, const char *fname, const char *in_name,
              int64_t *scalar_in, vector_fn fn, int (*shifted)(int32_t, int64_t, const int64_t *,
                                                               size_t, int64_t *))
{
    int32_t tf;
    int64_t t = 0;
    Py_buffer in, out;
    char ik = 'i', ok = 'i';
    int st;
    int base = scalar_in ? 1 : 0; /* shifted: (timeframe, time_ns, periods, out) */
    if (nargs != 3 + base) {
        PyErr_Format(PyExc_TypeError, "%s() takes %d arguments, %zd given", fname, 3 + base, nargs);
        return NULL;
    }
    if (hqt_as_i32(args[0], "timeframe", &tf) < 0 ||
        (scalar_in && hqt_as_i64(args[1], "time_ns", &t) < 0))
        return NULL;
    if (rules_vector(args[1 + base], &ik, in_name, 0, &in) < 0)
        return NULL;
    if (rules_vector(args[2 + base], &ok, "out", 1, &out) < 0) {
        PyBuffer_Release(&in);
        return NULL;
    }
    size_t n = (size_t)(in.len / 8);
    if (out.len / 8 != in.len / 8) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "out has %zd values but %s has %zd", out.len / 8,
                      in_name, in.len / 8);
        PyBuffer_Release(&in);
        PyBuffer_Release(&out);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (scalar_in)
        st = shifted(tf, t, (const int64_t *)in.buf, n, (int64_t *)out.buf);
    else
        st = fn(tf, (const int64_t *)in.buf, n, (int64_t *)out.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    PyObject *result = args[2 + base];
    Py_INCREF(result);
    return result;
}

static PyObject *
rules_open_times(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return period_vector(args, nargs, "timeframe_open_times", "time_ns", NULL,
                         hqt_timeframe_open_times, NULL);
}

static PyObject *
rules_close_times(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    return period_vector(args, nargs, "timeframe_close_times", "time_ns", NULL,
                         hqt_timeframe_close_times, NULL);
}

static PyObject *
rules_shifted_opens(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    int64_t unused = 0;
    (void)m;
    return period_vector(args, nargs, "timeframe_shifted_opens", "periods", &unused, NULL,
                         hqt_timeframe_shifted_opens);
}

/* ---- price rounding ------------------------------------------------------- */

static PyObject *
rules_to_micro_array(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer in, out;
    char fk = 'f', ik = 'i';
    int st;
    (void)m;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "to_micro_array() takes 2 arguments (value, out), %zd given",
                     nargs);
        return NULL;
    }
    if (rules_vector(args[0], &fk, "value", 0, &in) < 0)
        return NULL;
    if (rules_vector(args[1], &ik, "out", 1, &out) < 0) {
        PyBuffer_Release(&in);
        return NULL;
    }
    if (out.len != in.len) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "out has %zd values but value has %zd",
                      out.len / 8, in.len / 8);
        PyBuffer_Release(&in);
        PyBuffer_Release(&out);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    st = hqt_to_micro_array((const double *)in.buf, (size_t)(in.len / 8), (int64_t *)out.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    Py_INCREF(args[1]);
    return args[1];
}

static PyMethodDef rules_methods[] = {
    {"validate_ticks", (PyCFunction)(void (*)(void))rules_validate_ticks,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("validate_ticks(time_ns, bid, ask, previous_time_ns=0, subject='tick', "
               "first_index=0)\n--\n\nThe engine's tick rule (hqt_validate_ticks): raises "
               "the error a load would (with an `index` attribute: the position of the first "
               "bad tick). bid/ask: int64 micro units or float64 prices.")},
    {"validate_bars", (PyCFunction)(void (*)(void))rules_validate_bars,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("validate_bars(timeframe, time_ns, open, high, low, close, volume, "
               "previous_open_ns=None, not_before_ns=0, subject='bar', first_index=0)\n--\n\n"
               "The engine's bar rule (hqt_validate_bars); as validate_ticks.")},
    {"timeframe_open_time", (PyCFunction)(void (*)(void))rules_open_time, METH_FASTCALL,
     PyDoc_STR("timeframe_open_time(timeframe, time_ns, /)\n--\n\nOpen time (ns) of the bar "
               "holding time_ns.")},
    {"timeframe_close_time", (PyCFunction)(void (*)(void))rules_close_time, METH_FASTCALL,
     PyDoc_STR("timeframe_close_time(timeframe, time_ns, /)\n--\n\nClose time (exclusive, ns) "
               "of the bar holding time_ns.")},
    {"timeframe_open_times", (PyCFunction)(void (*)(void))rules_open_times, METH_FASTCALL,
     PyDoc_STR("timeframe_open_times(timeframe, time_ns, out, /)\n--\n\nout[i] = open time of "
               "the bar holding time_ns[i] (int64 buffers of equal length; out may be time_ns). "
               "Returns out.")},
    {"timeframe_close_times", (PyCFunction)(void (*)(void))rules_close_times, METH_FASTCALL,
     PyDoc_STR("timeframe_close_times(timeframe, time_ns, out, /)\n--\n\nAs timeframe_open_times, "
               "close times.")},
    {"timeframe_shifted_opens", (PyCFunction)(void (*)(void))rules_shifted_opens, METH_FASTCALL,
     PyDoc_STR("timeframe_shifted_opens(timeframe, time_ns, periods, out, /)\n--\n\nout[i] = open "
               "time of the bar periods[i] bars after the one holding time_ns. Returns out.")},
    {"to_micro_array", (PyCFunction)(void (*)(void))rules_to_micro_array, METH_FASTCALL,
     PyDoc_STR("to_micro_array(value, out, /)\n--\n\nout[i] = value[i] x 1e6 rounded half away "
               "from zero, as a load rounds (float64 in, int64 out, equal lengths). Returns out.")},
    {NULL}
};

int
hqt_rules_init(PyObject *module)
{
    return PyModule_AddFunctions(module, rules_methods);
}
