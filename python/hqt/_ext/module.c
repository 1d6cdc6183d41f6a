/*
 * module.c -- the hqt._hqt module: types, and a few module-level functions.
 */
#include "hqt_ext.h"

#include <string.h>

static PyObject *
mod_version(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    const char *v = hqt_version();
    return PyUnicode_FromString(v ? v : "");
}

static PyObject *
mod_status_name(PyObject *m, PyObject *arg)
{
    int32_t code;
    (void)m;
    if (hqt_as_i32(arg, "status", &code) < 0)
        return NULL;
    const char *name = hqt_status_name(code);
    return PyUnicode_FromString(name ? name : "");
}

static PyObject *
mod_to_micro(PyObject *m, PyObject *arg)
{
    int64_t v;
    (void)m;
    if (hqt_to_micro(arg, "value", &v) < 0)
        return NULL;
    return PyLong_FromLongLong(v);
}

static PyObject *
mod_from_micro(PyObject *m, PyObject *arg)
{
    int64_t v;
    (void)m;
    if (hqt_as_i64(arg, "value", &v) < 0)
        return NULL;
    return hqt_from_micro(v);
}

static PyObject *
mod_curve_keypair(PyObject *m, PyObject *unused)
{
    char pub[41], sec[41];
    (void)m;
    (void)unused;
    int st = hqt_curve_keypair(pub, sec);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return Py_BuildValue("(ss)", pub, sec);
}

static PyObject *
mod_curve_public_key(PyObject *m, PyObject *arg)
{
    char pub[41];
    const char *secret;
    Py_ssize_t n;
    (void)m;
    if (PyBytes_Check(arg)) {
        secret = PyBytes_AS_STRING(arg);
        n = PyBytes_GET_SIZE(arg);
    } else if (PyUnicode_Check(arg)) {
        secret = PyUnicode_AsUTF8AndSize(arg, &n);
        if (!secret)
            return NULL;
    } else {
        PyErr_Format(PyExc_TypeError, "secret_key must be a str (or bytes) of 40 Z85 "
                     "characters, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (n != 40 || (Py_ssize_t)strlen(secret) != 40)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "a CURVE secret key is 40 Z85 characters, "
                             "got %zd", n);
    int st = hqt_curve_public_key(secret, pub);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyUnicode_FromString(pub);
}

static PyMethodDef module_methods[] = {
    {"version", mod_version, METH_NOARGS,
     PyDoc_STR("version()\n--\n\nVersion of the loaded libhqt.so (\"MAJOR.MINOR.PATCH\").")},
    {"status_name", mod_status_name, METH_O,
     PyDoc_STR("status_name(status, /)\n--\n\nConstant name of a status code, e.g. 'HQT_E_NO_MONEY'.")},
    {"to_micro", mod_to_micro, METH_O,
     PyDoc_STR("to_micro(value, /)\n--\n\nx x 1e6 rounded half away from zero, as every float the "
               "extension passes to the engine.")},
    {"from_micro", mod_from_micro, METH_O,
     PyDoc_STR("from_micro(value, /)\n--\n\nv / 1e6 as a float.")},
    {"curve_keypair", mod_curve_keypair, METH_NOARGS,
     PyDoc_STR("curve_keypair()\n--\n\nA new CURVE keypair (public, secret), each 40 Z85 "
               "characters.")},
    {"curve_public_key", mod_curve_public_key, METH_O,
     PyDoc_STR("curve_public_key(secret_key, /)\n--\n\nThe Z85 public key of a Z85 secret "
               "key: what subscribers need.")},
    {NULL}
};

static struct PyModuleDef hqt_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hqt._hqt",
    .m_doc = PyDoc_STR("Native core of hqt: a thin wrapper of libhqt.so (include/hqt.h). "
                       "Use the hqt package, not this module directly."),
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__hqt(void)
{
    PyObject *m = PyModule_Create(&hqt_module);
    if (!m)
        return NULL;
    if (hqt_errors_init() < 0 || hqt_types_init(m) < 0 || hqt_records_init(m) < 0 || hqt_engine_type_init(m) < 0 ||
        hqt_io_types_init(m) < 0 || hqt_results_init(m) < 0 || hqt_rules_init(m) < 0 || hqt_indicators_init(m) < 0 ||
        PyModule_AddIntConstant(m, "KEEP", (long)HQT_KEEP) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
