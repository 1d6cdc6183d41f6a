/*
 * indicators.c -- hqt._hqt.IndicatorLine: one output of a native indicator,
 * read in place from the engine's history ring (hqt_indicator_view), so
 * `line[0]` in a callback costs an index check and a float, no call into
 * libhqt.so. Declaring and binding are module functions used by
 * hqt/indicators.py.
 */
#include "hqt_ext.h"

#include <math.h>

typedef struct {
    PyObject_HEAD
    PyObject *engine;                /* strong: the HQTEngineObject, or NULL while unbound */
    const hqt_indicator_view *view;  /* into the engine; NULL while unbound */
    int output;
    uint32_t id;
    PyObject *name;                  /* str shown by repr */
    PyObject *last_float;            /* the float handed out last (line_float_of), or NULL */
    PyObject *last_int;              /* the count handed out last (line_int_of), or NULL */
} LineObject;

static PyTypeObject Line_Type;

/* 0 and -1 as int objects: CPython keeps one object per small int, so
   `line[0]` and `line[-1]` are recognised by identity before any
   conversion of the key (another int object of that value takes the
   general path, with the same result). */
static PyObject *int_zero, *int_minus_one;

/* The view, or NULL with StateError (not bound yet, or the engine was disposed). */
static inline const hqt_indicator_view *
line_view(LineObject *self)
{
    if (self->view == NULL) {
        hqt_set_error(HQT_E_STATE, "indicator %U is not bound to an engine yet: a strategy's "
                      "indicators are declared on the engine when run() starts",
                      self->name);
        return NULL;
    }
    if (((HQTEngineObject *)self->engine)->engine == NULL) {
        hqt_set_error(HQT_E_STATE, "indicator %U belongs to a disposed Engine", self->name);
        return NULL;
    }
    return self->view;
}

static inline double
value_at(const hqt_indicator_view *v, int output, int64_t shift)
{
    if (shift >= v->count)
        return NAN;
    int64_t slot = v->last - shift;
    if (slot < 0)
        slot += v->capacity;
    return v->values[slot * v->outputs + output];
}

/* x as a float without allocating in a callback's steady state: the float
   this line handed out last is given again when it holds the same value
   (floats are immutable: sharing one is invisible), or refilled in place
   when nothing but this line references it any more (reference count 1,
   as the callbacks' Tick and Bar objects are reused), else a new one. */
static inline PyObject *
line_float_of(LineObject *self, double x)
{
    PyObject *f = self->last_float;
    if (f) {
        double held = PyFloat_AS_DOUBLE(f);
        if (memcmp(&held, &x, sizeof x) == 0)
            return Py_NewRef(f);
        if (Py_REFCNT(f) == 1) {
            ((PyFloatObject *)f)->ob_fval = x;
            return Py_NewRef(f);
        }
    }
    PyObject *made = PyFloat_FromDouble(x);
    if (!made)
        return NULL;
    Py_XSETREF(self->last_float, Py_NewRef(made));
    return made;
}

/* n (an update count) as an int, the same way as line_float_of: on
   CPython 3.11, whose ints of one digit are ob_size 1 and ob_digit[0], the
   int handed out last is given again for an equal value or refilled in
   place while only this line holds it. Values CPython shares (the small
   ints) or that need more digits, and other versions, get
   PyLong_FromLongLong. */
static inline PyObject *
line_int_of(LineObject *self, int64_t n)
{
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
    if (n > 256 && n < ((int64_t)1 << PyLong_SHIFT)) {
        PyObject *i = self->last_int;
        if (i && Py_SIZE(i) == 1) {
            if (((PyLongObject *)i)->ob_digit[0] == (digit)n)
                return Py_NewRef(i);
            if (Py_REFCNT(i) == 1) {
                ((PyLongObject *)i)->ob_digit[0] = (digit)n;
                return Py_NewRef(i);
            }
        }
        PyObject *made = PyLong_FromLongLong(n);
        if (!made)
            return NULL;
        Py_XSETREF(self->last_int, Py_NewRef(made));
        return made;
    }
#else
    (void)self;
#endif
    return PyLong_FromLongLong(n);
}

static PyObject *
line_subscript(LineObject *self, PyObject *key)
{
    const hqt_indicator_view *v = line_view(self);
    if (!v)
        return NULL;
    if (key == int_zero) /* the newest value: the common read, in its shortest form */
        return line_float_of(self, v->count > 0 ? v->values[v->last * v->outputs + self->output] : NAN);
    Py_ssize_t i;
    if (key == int_minus_one) {
        i = -1;
    } else {
        i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return NULL;
    }
    if (i > 0 || -(int64_t)i >= v->capacity) {
        PyErr_Format(PyExc_IndexError,
                     "indicator index %zd: [0] is the newest value, [-1] the one before, down to "
                     "[-%lld] (history=%lld)", i, (long long)(v->capacity - 1), (long long)v->capacity);
        return NULL;
    }
    return line_float_of(self, value_at(v, self->output, -(int64_t)i));
}

static Py_ssize_t
line_length(LineObject *self)
{
    const hqt_indicator_view *v = line_view(self);
    if (!v)
        return -1;
    return (Py_ssize_t)(v->count < v->capacity ? v->count : v->capacity);
}

static PyObject *
line_float(LineObject *self)
{
    const hqt_indicator_view *v = line_view(self);
    return v ? line_float_of(self, value_at(v, self->output, 0)) : NULL;
}

static PyObject *
line_get_value(LineObject *self, void *c)
{
    (void)c;
    return line_float(self);
}

static PyObject *
line_get_ready(LineObject *self, void *c)
{
    (void)c;
    const hqt_indicator_view *v = line_view(self);
    if (!v)
        return NULL;
    return PyBool_FromLong(v->count >= v->warmup);
}

static PyObject *
line_get_count(LineObject *self, void *c)
{
    (void)c;
    const hqt_indicator_view *v = line_view(self);
    return v ? line_int_of(self, v->count) : NULL;
}

static PyObject *
line_get_warmup(LineObject *self, void *c)
{
    (void)c;
    const hqt_indicator_view *v = line_view(self);
    return v ? PyLong_FromLongLong(v->warmup) : NULL;
}

/* The attributes a callback reads on every event, recognised by the
   identity of their interned names (the names in code objects are
   interned) ahead of the generic lookup, which walks the type's MRO and
   calls a getset descriptor; any other name, or the same name as another
   string object, takes the generic lookup, with the same result. */
static PyObject *str_count, *str_ready, *str_value;

static PyObject *
line_getattro(LineObject *self, PyObject *name)
{
    if (name == str_count)
        return line_get_count(self, NULL);
    if (name == str_ready)
        return line_get_ready(self, NULL);
    if (name == str_value)
        return line_get_value(self, NULL);
    return PyObject_GenericGetAttr((PyObject *)self, name);
}

static PyObject *
line_get_id(LineObject *self, void *c)
{
    (void)c;
    if (self->view == NULL)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(self->id);
}

static PyObject *
line_get_bound(LineObject *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->view != NULL);
}

static PyObject *
line_get_output(LineObject *self, void *c)
{
    (void)c;
    return PyLong_FromLong(self->output);
}

/* history(): the values kept, oldest first, as a list of floats. */
static PyObject *
line_history(LineObject *self, PyObject *unused)
{
    (void)unused;
    const hqt_indicator_view *v = line_view(self);
    if (!v)
        return NULL;
    Py_ssize_t n = (Py_ssize_t)(v->count < v->capacity ? v->count : v->capacity);
    PyObject *out = PyList_New(n);
    if (!out)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *f = PyFloat_FromDouble(value_at(v, self->output, n - 1 - k));
        if (!f) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, f);
    }
    return out;
}

static PyObject *
line_repr(LineObject *self)
{
    if (self->view == NULL || ((HQTEngineObject *)self->engine)->engine == NULL)
        return PyUnicode_FromFormat("<IndicatorLine %U (unbound)>", self->name);
    char buf[64];
    PyOS_snprintf(buf, sizeof buf, "%.10g", value_at(self->view, self->output, 0));
    return PyUnicode_FromFormat("<IndicatorLine %U = %s after %lld updates>", self->name, buf,
                                (long long)self->view->count);
}

static void
line_dealloc(LineObject *self)
{
    Py_XDECREF(self->engine);
    Py_XDECREF(self->name);
    Py_XDECREF(self->last_float);
    Py_XDECREF(self->last_int);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMappingMethods line_mapping = {
    .mp_length = (lenfunc)line_length,
    .mp_subscript = (binaryfunc)line_subscript,
};

static PyNumberMethods line_number = {
    .nb_float = (unaryfunc)line_float,
};

static PyGetSetDef line_getset[] = {
    {"value", (getter)line_get_value, NULL, PyDoc_STR("The newest value (NaN during warm-up); same as [0]."), NULL},
    {"ready", (getter)line_get_ready, NULL, PyDoc_STR("True once the warm-up is over (values are no longer NaN)."), NULL},
    {"count", (getter)line_get_count, NULL, PyDoc_STR("Updates so far (ticks or bars seen)."), NULL},
    {"warmup", (getter)line_get_warmup, NULL, PyDoc_STR("Updates before the first value (TA-Lib's lookback + 1)."), NULL},
    {"id", (getter)line_get_id, NULL, PyDoc_STR("The indicator's id on its engine (None while unbound)."), NULL},
    {"bound", (getter)line_get_bound, NULL, PyDoc_STR("True once declared on an engine."), NULL},
    {"output", (getter)line_get_output, NULL, PyDoc_STR("Which output of the indicator this line is."), NULL},
    {NULL},
};

static PyMethodDef line_methods[] = {
    {"history", (PyCFunction)line_history, METH_NOARGS,
     PyDoc_STR("history($self, /)\n--\n\nThe values kept (at most `history`), oldest first.")},
    {NULL},
};

static PyTypeObject Line_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hqt._hqt.IndicatorLine",
    .tp_basicsize = sizeof(LineObject),
    .tp_dealloc = (destructor)line_dealloc,
    .tp_repr = (reprfunc)line_repr,
    .tp_getattro = (getattrofunc)line_getattro,
    .tp_as_mapping = &line_mapping,
    .tp_as_number = &line_number,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("One output of a native indicator: line[0] is the newest value, line[-1] "
                        "the one before; NaN during warm-up (see .ready)."),
    .tp_getset = line_getset,
    .tp_methods = line_methods,
};

/* _indicator_line(name, output): an unbound line. */
static PyObject *
mod_indicator_line(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *name;
    int output;
    if (!PyArg_ParseTuple(args, "Ui", &name, &output))
        return NULL;
    LineObject *self = PyObject_New(LineObject, &Line_Type);
    if (!self)
        return NULL;
    self->engine = NULL;
    self->view = NULL;
    self->output = output;
    self->id = 0;
    self->last_float = NULL;
    self->last_int = NULL;
    Py_INCREF(name);
    self->name = name;
    return (PyObject *)self;
}

static int
check_engine(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &HQTEngine_Type)) {
        PyErr_Format(PyExc_TypeError, "expected an hqt.Engine, not %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    return hqt_engine_check((HQTEngineObject *)obj);
}

/* _indicator_add(engine, kind, symbol_id, timeframe, source, params, history) -> id */
static PyObject *
mod_indicator_add(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *engine, *params;
    int kind, timeframe, source, history;
    unsigned int symbol;
    if (!PyArg_ParseTuple(args, "OiIiiOi", &engine, &kind, &symbol, &timeframe, &source, &params, &history))
        return NULL;
    if (check_engine(engine) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(params, "params must be a sequence of numbers");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    double values[3] = {0, 0, 0};
    if (n > 3) {
        Py_DECREF(seq);
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "an indicator takes at most 3 parameters, got %zd", n);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        values[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (values[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    uint32_t id;
    int st = hqt_engine_add_indicator(((HQTEngineObject *)engine)->engine, kind, symbol, timeframe, source,
                                      values, (int32_t)n, history, &id);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyLong_FromUnsignedLong(id);
}

/* _indicator_bind(line, engine, id): points the line at indicator `id` of engine. */
static PyObject *
mod_indicator_bind(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *line, *engine;
    unsigned int id;
    if (!PyArg_ParseTuple(args, "O!OI", &Line_Type, &line, &engine, &id))
        return NULL;
    if (check_engine(engine) < 0)
        return NULL;
    const hqt_indicator_view *view;
    int st = hqt_engine_indicator_view(((HQTEngineObject *)engine)->engine, id, &view);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    LineObject *self = (LineObject *)line;
    if (self->output < 0 || self->output >= view->outputs)
        return hqt_set_error(HQT_E_INVALID_ARGUMENT, "indicator %u has %lld output(s), not %d", id,
                             (long long)view->outputs, self->output);
    Py_INCREF(engine);
    Py_XSETREF(self->engine, engine);
    self->view = view;
    self->id = id;
    Py_RETURN_NONE;
}

/* _indicator_sketch(engine, id) -> (times bytes, values bytes, outputs) */
static PyObject *
mod_indicator_sketch(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *engine;
    unsigned int id;
    if (!PyArg_ParseTuple(args, "OI", &engine, &id))
        return NULL;
    if (check_engine(engine) < 0)
        return NULL;
    hqt_engine *e = ((HQTEngineObject *)engine)->engine;
    const hqt_indicator_view *view;
    size_t n = 0;
    int st = hqt_engine_indicator_view(e, id, &view);
    if (st == HQT_OK)
        st = hqt_engine_indicator_sketch(e, id, NULL, NULL, 0, &n);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    PyObject *times = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * sizeof(int64_t)));
    PyObject *values = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * view->outputs * sizeof(double)));
    if (!times || !values) {
        Py_XDECREF(times);
        Py_XDECREF(values);
        return NULL;
    }
    st = hqt_engine_indicator_sketch(e, id, (int64_t *)PyBytes_AS_STRING(times),
                                     (double *)PyBytes_AS_STRING(values), n, &n);
    if (st != HQT_OK) {
        Py_DECREF(times);
        Py_DECREF(values);
        return hqt_raise_status(st);
    }
    return Py_BuildValue("NNL", times, values, (long long)view->outputs);
}

/* _indicator_count(engine) -> int */
static PyObject *
mod_indicator_count(PyObject *m, PyObject *engine)
{
    (void)m;
    if (check_engine(engine) < 0)
        return NULL;
    uint32_t n;
    int st = hqt_engine_indicator_count(((HQTEngineObject *)engine)->engine, &n);
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyLong_FromUnsignedLong(n);
}

static PyMethodDef indicator_functions[] = {
    {"_indicator_line", mod_indicator_line, METH_VARARGS, NULL},
    {"_indicator_add", mod_indicator_add, METH_VARARGS, NULL},
    {"_indicator_bind", mod_indicator_bind, METH_VARARGS, NULL},
    {"_indicator_sketch", mod_indicator_sketch, METH_VARARGS, NULL},
    {"_indicator_count", mod_indicator_count, METH_O, NULL},
    {NULL},
};

int
hqt_indicators_init(PyObject *module)
{
    if (PyType_Ready(&Line_Type) < 0)
        return -1;
    if (!int_zero && !(int_zero = PyLong_FromLong(0)))
        return -1;
    if (!int_minus_one && !(int_minus_one = PyLong_FromLong(-1)))
        return -1;
    if (!str_count && !(str_count = PyUnicode_InternFromString("count")))
        return -1;
    if (!str_ready && !(str_ready = PyUnicode_InternFromString("ready")))
        return -1;
    if (!str_value && !(str_value = PyUnicode_InternFromString("value")))
        return -1;
    Py_INCREF(&Line_Type);
    if (PyModule_AddObject(module, "IndicatorLine", (PyObject *)&Line_Type) < 0) {
        Py_DECREF(&Line_Type);
        return -1;
    }
    return PyModule_AddFunctions(module, indicator_functions);
}
