/*
 * results.c -- result lists as raw bytes, for vectorised conversion in numpy.
 *
 * hqt.results builds DataFrames / structured arrays of deals, trades, orders
 * and positions. Going through one Python object per item (Deal objects,
 * tuples) costs about a microsecond each; with 100k+ deals that dominates.
 * These functions instead copy the engine's C structs straight into one
 * bytes object, which numpy views with np.frombuffer using the layout that
 * _record_layouts() reports (taken from offsetof/sizeof here, so the Python
 * side never hard-codes the struct padding).
 *
 *   _result(engine, /) -> _Result
 *       the engine's results now (hqt_engine_result: O(1), copy on write);
 *       they never change after. _Result._statistics() / _report() are
 *       Engine._statistics() / _report() of that moment.
 *   _raw_records(engine_or_result, kind, /) -> bytes
 *       kind: "deals", "trades", "orders", "order_history", "positions",
 *       "equity"; n records of the struct's size, native byte order.
 *   _record_layouts() -> {kind: (itemsize, ((field, offset, numpy_code), ...))}
 *
 * Registered by hqt_results_init() from module.c.
 */
#include "hqt_ext.h"

#include <stddef.h>
#include <string.h>

typedef int (*list_fn)(hqt_engine *, void *, size_t, size_t *);
typedef int (*result_list_fn)(hqt_result *, void *, size_t, size_t *);

typedef struct {
    const char *kind;
    size_t itemsize;
    list_fn fetch;                /* from an engine */
    result_list_fn fetch_result; /* from a run result */
    const hqt_field *fields;
} kind_spec;

/* The equity curve's fields (the other records' are records.c's tables). */
#define EQ(name) {#name, offsetof(hqt_equity_point, name), HQT_FIELD_I64, 0, NULL}
static const hqt_field equity_fields[] = {EQ(time), EQ(balance), EQ(equity), EQ(margin),
                                          {NULL, 0, 0, 0, NULL}};
#undef EQ

#define KIND(name, type, engine_fn, result_fn, fields) \
    {name, sizeof(type), (list_fn)engine_fn, (result_list_fn)result_fn, fields}
static const kind_spec kinds[] = {
    KIND("deals", hqt_deal, hqt_engine_deals, hqt_result_deals, hqt_deal_fields),
    KIND("trades", hqt_trade, hqt_engine_trades, hqt_result_trades, hqt_trade_fields),
    KIND("orders", hqt_order, hqt_engine_orders, hqt_result_orders, hqt_order_fields),
    KIND("order_history", hqt_order, hqt_engine_order_history, hqt_result_order_history,
         hqt_order_fields),
    KIND("positions", hqt_position, hqt_engine_positions, hqt_result_positions,
         hqt_position_fields),
    KIND("equity", hqt_equity_point, hqt_engine_equity_curve, hqt_result_equity_curve,
         equity_fields),
    {NULL, 0, NULL, NULL, NULL}};
#undef KIND

/* ---- the _Result type: owns one hqt_result ------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hqt_result *result;
} ResultObject;

static void
result_dealloc(ResultObject *self)
{
    if (self->result)
        (void)hqt_result_destroy(self->result); /* only fails for a dead handle: none here */
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
result_statistics(ResultObject *self, PyObject *unused)
{
    hqt_statistics s;
    (void)unused;
    memset(&s, 0, sizeof s);
    int st = hqt_result_statistics(self->result, &s);
    return st == HQT_OK ? hqt_statistics_tuple(&s) : hqt_raise_status(st);
}

static PyObject *
result_report(ResultObject *self, PyObject *unused)
{
    hqt_report r;
    (void)unused;
    int st = hqt_report_init(&r, sizeof r);
    if (st == HQT_OK)
        st = hqt_result_report(self->result, &r);
    return st == HQT_OK ? hqt_report_tuple(&r) : hqt_raise_status(st);
}

static PyMethodDef result_methods[] = {
    {"_statistics", (PyCFunction)result_statistics, METH_NOARGS,
     PyDoc_STR("The tuple of Engine._statistics() at the moment of the result.")},
    {"_report", (PyCFunction)result_report, METH_NOARGS,
     PyDoc_STR("The tuple of Engine._report() at the moment of the result.")},
    {NULL}
};

static PyTypeObject Result_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt._hqt._Result",
    .tp_basicsize = sizeof(ResultObject),
    .tp_dealloc = (destructor)result_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("A run's results at one moment (hqt_result); made by _result(engine)."),
    .tp_methods = result_methods,
};

static PyObject *
take_result(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyObject_TypeCheck(arg, &HQTEngine_Type)) {
        PyErr_Format(PyExc_TypeError, "_result() needs an Engine, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    HQTEngineObject *engine = (HQTEngineObject *)arg;
    if (hqt_engine_check(engine) < 0)
        return NULL;
    ResultObject *self = PyObject_New(ResultObject, &Result_Type);
    if (!self)
        return NULL;
    self->result = NULL;
    int st = hqt_engine_result(engine->engine, &self->result);
    if (st != HQT_OK) {
        Py_DECREF(self);
        return hqt_raise_status(st);
    }
    return (PyObject *)self;
}

static const kind_spec *
find_kind(PyObject *name)
{
    const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    if (!s) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "kind must be a str, not %.100s", Py_TYPE(name)->tp_name);
        return NULL;
    }
    for (const kind_spec *k = kinds; k->kind; k++)
        if (strcmp(k->kind, s) == 0)
            return k;
    hqt_set_error(HQT_E_INVALID_ARGUMENT,
                  "unknown record kind '%s' (deals, trades, orders, order_history, positions, "
                  "equity)", s);
    return NULL;
}

static PyObject *
raw_records(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "_raw_records() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int of_result = PyObject_TypeCheck(args[0], &Result_Type);
    if (!of_result && !PyObject_TypeCheck(args[0], &HQTEngine_Type)) {
        PyErr_Format(PyExc_TypeError, "_raw_records() needs an Engine or a _Result, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    const kind_spec *k = find_kind(args[1]);
    if (!k)
        return NULL;
    if (!of_result && hqt_engine_check((HQTEngineObject *)args[0]) < 0)
        return NULL; /* disposed or busy */
    hqt_engine *engine = of_result ? NULL : ((HQTEngineObject *)args[0])->engine;
    hqt_result *result = of_result ? ((ResultObject *)args[0])->result : NULL;

    /* Count, then copy straight into the bytes object (no second buffer).
       Nothing can run between the two calls: we hold the GIL, the engine
       is not running in another thread, and a result never changes. */
    size_t n = 0, n2 = 0;
    int st = of_result ? k->fetch_result(result, NULL, 0, &n) : k->fetch(engine, NULL, 0, &n);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    if (n > (size_t)PY_SSIZE_T_MAX / k->itemsize)
        return PyErr_NoMemory();
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * k->itemsize));
    if (!out)
        return NULL;
    char *buf = PyBytes_AS_STRING(out);
    if (n) {
        memset(buf, 0, n * k->itemsize); /* padding bytes stay deterministic */
        st = of_result ? k->fetch_result(result, buf, n, &n2) : k->fetch(engine, buf, n, &n2);
        if (st != HQT_OK) {
            Py_DECREF(out);
            return hqt_raise_status(st);
        }
        if (n2 != n) {
            Py_DECREF(out);
            return hqt_set_error(HQT_E_INTERNAL, "%s: count changed from %zu to %zu between calls",
                                 k->kind, n, n2);
        }
    }
    return out;
}

static PyObject *
record_layouts(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    for (const kind_spec *k = kinds; k->kind; k++) {
        Py_ssize_t nf = 0;
        while (k->fields[nf].name)
            nf++;
        PyObject *fields = PyTuple_New(nf);
        if (!fields)
            goto fail;
        for (Py_ssize_t i = 0; i < nf; i++) {
            PyObject *f = Py_BuildValue("(sns)", k->fields[i].name,
                                        (Py_ssize_t)k->fields[i].offset, hqt_field_dtype(&k->fields[i]));
            if (!f) {
                Py_DECREF(fields);
                goto fail;
            }
            PyTuple_SET_ITEM(fields, i, f);
        }
        PyObject *entry = Py_BuildValue("(nN)", (Py_ssize_t)k->itemsize, fields);
        if (!entry || PyDict_SetItemString(d, k->kind, entry) < 0) {
            Py_XDECREF(entry);
            goto fail;
        }
        Py_DECREF(entry);
    }
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

static PyMethodDef results_methods[] = {
    {"_result", (PyCFunction)take_result, METH_O,
     PyDoc_STR("_result(engine, /)\n--\n\n"
               "The engine's results now, as a _Result (O(1); it never changes after).")},
    {"_raw_records", (PyCFunction)(void (*)(void))raw_records, METH_FASTCALL,
     PyDoc_STR("_raw_records(engine_or_result, kind, /)\n--\n\n"
               "The deals / trades / orders / order_history / positions / equity of an "
               "engine or a _Result as the raw C structs in one bytes object "
               "(see _record_layouts).")},
    {"_record_layouts", (PyCFunction)record_layouts, METH_NOARGS,
     PyDoc_STR("_record_layouts()\n--\n\n"
               "{kind: (itemsize, ((field, offset, numpy type code), ...))} of the structs "
               "_raw_records returns.")},
    {NULL}
};

int
hqt_results_init(PyObject *module)
{
    if (PyType_Ready(&Result_Type) < 0)
        return -1;
    return PyModule_AddFunctions(module, results_methods);
}
