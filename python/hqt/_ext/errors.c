/*
 * errors.c -- status codes to Python exceptions, and unit conversion.
 *
 * The exception classes are defined in pure Python (hqt/errors.py) so that
 * the pure-Python modules can raise and catch them without the extension;
 * this file only looks them up once, by status code.
 */
#include "hqt_ext.h"

#include <math.h>
#include <stdarg.h>

#define MAX_STATUS 100

static PyObject *status_exc[MAX_STATUS]; /* strong refs, NULL = use base */
static PyObject *base_exc;               /* hqt.errors.HQTError */

int
hqt_errors_init(void)
{
    PyObject *mod = PyImport_ImportModule("hqt.errors");
    if (!mod)
        return -1;
    PyObject *table = PyObject_GetAttrString(mod, "STATUS_EXCEPTIONS");
    base_exc = PyObject_GetAttrString(mod, "HQTError");
    Py_DECREF(mod);
    if (!table || !base_exc) {
        Py_XDECREF(table);
        return -1;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        long code = PyLong_AsLong(key);
        if (code == -1 && PyErr_Occurred()) {
            Py_DECREF(table);
            return -1;
        }
        if (code >= 0 && code < MAX_STATUS) {
            Py_INCREF(value);
            Py_XSETREF(status_exc[code], value);
        }
    }
    Py_DECREF(table);
    return 0;
}

static PyObject *
exc_for(int status)
{
    if (status >= 0 && status < MAX_STATUS && status_exc[status])
        return status_exc[status];
    if (status_exc[HQT_E_INTERNAL])
        return status_exc[HQT_E_INTERNAL];
    return base_exc ? base_exc : PyExc_RuntimeError;
}

static void
set_error_str(int status, PyObject *msg)
{
    PyObject *cls = exc_for(status);
    PyObject *exc = PyObject_CallOneArg(cls, msg);
    if (!exc)
        return; /* the constructor's error is set */
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

PyObject *
hqt_raise_status(int status)
{
    const char *text = hqt_last_error();
    PyObject *msg;
    if (text && text[0]) {
        msg = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    } else {
        const char *name = hqt_status_name(status);
        msg = PyUnicode_FromFormat("%s (status %d)", name ? name : "HQT_E_?", status);
    }
    if (!msg)
        return NULL;
    set_error_str(status, msg);
    Py_DECREF(msg);
    return NULL;
}

PyObject *
hqt_set_error(int status, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, va);
    va_end(va);
    if (!msg)
        return NULL;
    set_error_str(status, msg);
    Py_DECREF(msg);
    return NULL;
}

/* ---- numbers -------------------------------------------------------------- */

/* True and False are ints to Python (and numpy's bool_ converts to a float),
 * so buy(volume=True) would open 1 lot: every numeric argument refuses them
 * here, in the one place all conversions go through. */
static int
is_bool(PyObject *obj)
{
    if (PyBool_Check(obj))
        return 1;
    const char *name = Py_TYPE(obj)->tp_name;
    return strcmp(name, "numpy.bool") == 0 || strcmp(name, "numpy.bool_") == 0;
}

static int
refuse_bool(PyObject *obj, const char *what)
{
    if (!is_bool(obj))
        return 0;
    hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must be a number, not a bool (%R)", what, obj);
    return -1;
}

int
hqt_double_to_micro(double x, const char *what, int64_t *out)
{
    if (isnan(x)) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must be a number, got NaN", what);
        return -1;
    }
    double y = x * 1e6;
    /* 2^63 = 9223372036854775808: the first double outside int64. */
    if (!(y > -9223372036854775808.0 && y < 9223372036854775808.0)) {
        PyObject *f = PyFloat_FromDouble(x);
        if (f) {
            hqt_set_error(HQT_E_INVALID_ARGUMENT,
                          "%s = %R is out of range (|value| must be below 9.2e12)", what, f);
            Py_DECREF(f);
        }
        return -1;
    }
    *out = (int64_t)llround(y); /* half away from zero */
    return 0;
}

int
hqt_to_micro(PyObject *obj, const char *what, int64_t *out)
{
    double x;
    if (refuse_bool(obj, what) < 0)
        return -1;
    if (PyFloat_CheckExact(obj)) {
        x = PyFloat_AS_DOUBLE(obj);
    } else if (PyLong_Check(obj)) {
        x = PyLong_AsDouble(obj);
        if (x == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s = %R is out of range", what, obj);
            return -1;
        }
    } else if (PyFloat_Check(obj) || PyNumber_Check(obj)) {
        x = PyFloat_AsDouble(obj);
        if (x == -1.0 && PyErr_Occurred())
            return -1;
    } else {
        PyErr_Format(PyExc_TypeError, "%s must be a number, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return hqt_double_to_micro(x, what, out);
}

int
hqt_opt_micro(PyObject *obj, const char *what, int64_t if_none, int64_t *out)
{
    if (obj == NULL || obj == Py_None) {
        *out = if_none;
        return 0;
    }
    return hqt_to_micro(obj, what, out);
}

static PyObject *
as_index(PyObject *obj, const char *what)
{
    if (refuse_bool(obj, what) < 0)
        return NULL;
    if (PyLong_Check(obj)) {
        Py_INCREF(obj);
        return obj;
    }
    if (!PyIndex_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyNumber_Index(obj);
}

int
hqt_as_i64(PyObject *obj, const char *what, int64_t *out)
{
    PyObject *v = as_index(obj, what);
    if (!v)
        return -1;
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s = %R does not fit in 64 bits", what, v);
        Py_DECREF(v);
        return -1;
    }
    Py_DECREF(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    *out = (int64_t)x;
    return 0;
}

int
hqt_as_u64(PyObject *obj, const char *what, uint64_t *out)
{
    PyObject *v = as_index(obj, what);
    if (!v)
        return -1;
    unsigned long long x = PyLong_AsUnsignedLongLong(v);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must be a non-negative 64-bit integer, got %R",
                      what, v);
        Py_DECREF(v);
        return -1;
    }
    Py_DECREF(v);
    *out = (uint64_t)x;
    return 0;
}

int
hqt_as_u32(PyObject *obj, const char *what, uint32_t *out)
{
    int64_t x;
    if (hqt_as_i64(obj, what, &x) < 0)
        return -1;
    if (x < 0 || x > (int64_t)UINT32_MAX) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s must be in 0..4294967295, got %R", what, obj);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

int
hqt_as_i32(PyObject *obj, const char *what, int32_t *out)
{
    int64_t x;
    if (hqt_as_i64(obj, what, &x) < 0)
        return -1;
    if (x < INT32_MIN || x > INT32_MAX) {
        hqt_set_error(HQT_E_INVALID_ARGUMENT, "%s = %R does not fit in 32 bits", what, obj);
        return -1;
    }
    *out = (int32_t)x;
    return 0;
}
