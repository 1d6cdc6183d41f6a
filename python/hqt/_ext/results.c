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
 *   _raw_records(engine, kind, /) -> bytes
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

typedef struct {
    const char *kind;
    size_t itemsize;
    list_fn fetch;
    const hqt_field *fields;
} kind_spec;

/* The equity curve's fields (the other records' are records.c's tables). */
#define EQ(name) {#name, offsetof(hqt_equity_point, name), HQT_FIELD_I64, 0, NULL}
static const hqt_field equity_fields[] = {EQ(time), EQ(balance), EQ(equity), EQ(margin),
                                          {NULL, 0, 0, 0, NULL}};
#undef EQ

static const kind_spec kinds[] = {
    {"deals", sizeof(hqt_deal), (list_fn)hqt_engine_deals, hqt_deal_fields},
    {"trades", sizeof(hqt_trade), (list_fn)hqt_engine_trades, hqt_trade_fields},
    {"orders", sizeof(hqt_order), (list_fn)hqt_engine_orders, hqt_order_fields},
    {"order_history", sizeof(hqt_order), (list_fn)hqt_engine_order_history, hqt_order_fields},
    {"positions", sizeof(hqt_position), (list_fn)hqt_engine_positions, hqt_position_fields},
    {"equity", sizeof(hqt_equity_point), (list_fn)hqt_engine_equity_curve, equity_fields},
    {NULL, 0, NULL, NULL}};

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
    if (!PyObject_TypeCheck(args[0], &HQTEngine_Type)) {
        PyErr_Format(PyExc_TypeError, "_raw_records() needs an Engine, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    HQTEngineObject *self = (HQTEngineObject *)args[0];
    const kind_spec *k = find_kind(args[1]);
    if (!k)
        return NULL;
    if (hqt_engine_check(self) < 0)
        return NULL;

    /* Count, then copy straight into the bytes object (no second buffer).
       Nothing can run between the two calls: we hold the GIL and the engine
       is not running in another thread. */
    size_t n = 0, n2 = 0;
    int st = k->fetch(self->engine, NULL, 0, &n);
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
        st = k->fetch(self->engine, buf, n, &n2);
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
    {"_raw_records", (PyCFunction)(void (*)(void))raw_records, METH_FASTCALL,
     PyDoc_STR("_raw_records(engine, kind, /)\n--\n\n"
               "The engine's deals / trades / orders / order_history / positions / equity "
               "as the raw C structs in one bytes object (see _record_layouts).")},
    {"_record_layouts", (PyCFunction)record_layouts, METH_NOARGS,
     PyDoc_STR("_record_layouts()\n--\n\n"
               "{kind: (itemsize, ((field, offset, numpy type code), ...))} of the structs "
               "_raw_records returns.")},
    {NULL}
};

int
hqt_results_init(PyObject *module)
{
    return PyModule_AddFunctions(module, results_methods);
}
