/*
 * module.c -- the hqt._hqt module: types, and a few module-level functions.
 */
#include "hqt_ext.h"

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
    if (hqt_errors_init() < 0 || hqt_types_init(m) < 0 || hqt_engine_type_init(m) < 0 ||
        PyModule_AddIntConstant(m, "KEEP", (long)HQT_KEEP) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
