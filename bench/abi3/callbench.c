/*
 * callbench.c -- what the stable ABI (abi3) would cost hqt._hqt's hot path.
 *
 * Per tick the extension calls the strategy's on_tick(engine, tick) with
 * PyObject_Vectorcall (strategy.c). An abi3 wheel for CPython >= 3.11 may not
 * use it (vectorcall joined the limited API in 3.12): it must build an
 * argument tuple per call. This module is compiled twice by run.sh, once
 * with the full API and once with Py_LIMITED_API=0x030B0000, and times
 * n calls of a Python callable with two arguments each way.
 */
#include <Python.h>

static PyObject *calls(PyObject *self, PyObject *args)
{
    PyObject *fn, *a, *b;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOn", &fn, &a, &b, &n))
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
#ifdef Py_LIMITED_API
        PyObject *t = PyTuple_Pack(2, a, b);
        if (t == NULL)
            return NULL;
        PyObject *r = PyObject_Call(fn, t, NULL);
        Py_DECREF(t);
#else
        PyObject *argv[3] = {NULL, a, b};
        PyObject *r = PyObject_Vectorcall(fn, argv + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
#endif
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"calls", calls, METH_VARARGS, "n calls of fn(a, b)"}, {NULL, NULL, 0, NULL}};

#ifdef Py_LIMITED_API
#define NAME "callbench_abi3"
PyMODINIT_FUNC PyInit_callbench_abi3(void);
PyMODINIT_FUNC PyInit_callbench_abi3(void)
#else
#define NAME "callbench_full"
PyMODINIT_FUNC PyInit_callbench_full(void);
PyMODINIT_FUNC PyInit_callbench_full(void)
#endif
{
    static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, NAME, NULL, -1, methods, NULL, NULL, NULL, NULL};
    return PyModule_Create(&def);
}
