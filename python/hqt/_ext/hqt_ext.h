/*
 * hqt_ext.h -- internal declarations shared by the hqt._hqt extension.
 *
 * The extension is deliberately thin: it converts Python values to the SPEC
 * integer units of include/hqt.h, calls the C ABI, and converts results back.
 * Policy (defaults, validation messages for users, dataclasses) lives in the
 * pure-Python modules of the hqt package.
 *
 *   module.c    module definition, small module-level functions
 *   errors.c    status code -> hqt.errors exception, float <-> micro units
 *   types.c     Tick, Bar, Deal: small immutable C objects with freelists
 *   records.c   Position, Order, Trade, and the field tables (names, units)
 *               of positions, orders, trades and deals
 *   strategy.c  callback trampolines used while the engine runs
 *   engine.c    the Engine type wrapping hqt_engine*: helpers, construction,
 *               configuration, symbols, and the joined method tables of
 *   engine_data.c / engine_trading.c / engine_state.c  (market data and
 *               runs / orders and positions / state and history), sharing
 *               engine_impl.h
 *   engine_io.c the engine's write-ahead log and broadcaster (Engine methods
 *               listed in engine.c's table)
 *   io_common.c, wal_type.c, broadcaster.c  conversions shared by the I/O
 *               code, the standalone WriteAheadLog and Broadcaster types;
 *               shared declarations in io_impl.h
 *   results.c   run results (_result: an hqt_result) and result lists as raw
 *               struct bytes (_raw_records, _record_layouts)
 *   rules.c     the engine's data rules without an engine (validate_ticks, bar periods)
 */
#ifndef HQT_EXT_H
#define HQT_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "hqt.h"

/* hqt_statistics (engine_state.c) and hqt_report (report.c) as the tuples
   hqt.Statistics._from_raw reads: Engine._statistics/_report and results.c. */
PyObject *hqt_statistics_tuple(const hqt_statistics *s);
PyObject *hqt_report_tuple(const hqt_report *r);

/* ---- errors.c ---------------------------------------------------------- */

/* Loads the exception classes from hqt.errors; called once at import. */
int hqt_errors_init(void);
/* Raises the exception for `status` with hqt_last_error() as message.
   Always returns NULL. */
PyObject *hqt_raise_status(int status);
/* Raises the exception for `status` with a formatted message. Returns NULL. */
PyObject *hqt_set_error(int status, const char *fmt, ...);

/* Returns the exception of a C API call's status, from a function that
   returns a new reference (NULL = error). */
#define CALL(expr)                           \
    do {                                     \
        int st_ = (expr);                    \
        if (st_ != HQT_OK)                   \
            return hqt_raise_status(st_);    \
    } while (0)

/* A METH_FASTCALL | METH_KEYWORDS method table entry. */
#define FAST(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, PyDoc_STR(doc)}

/* Float (or int, or anything with __float__) -> micro units, rounded half
   away from zero: llround(x * 1e6). NaN, infinities and values that do not
   fit int64 raise InvalidArgumentError naming `what`. 0 on success. */
int hqt_to_micro(PyObject *obj, const char *what, int64_t *out);
int hqt_double_to_micro(double x, const char *what, int64_t *out);
/* Like hqt_to_micro, but None (or NULL) gives `if_none`. */
int hqt_opt_micro(PyObject *obj, const char *what, int64_t if_none, int64_t *out);
/* Python int (or __index__) -> int64 / uint64 / uint32, with
   InvalidArgumentError for out-of-range values, TypeError for non-ints. */
int hqt_as_i64(PyObject *obj, const char *what, int64_t *out);
int hqt_as_u64(PyObject *obj, const char *what, uint64_t *out);
int hqt_as_u32(PyObject *obj, const char *what, uint32_t *out);
int hqt_as_i32(PyObject *obj, const char *what, int32_t *out);
/* micro -> float */
static inline PyObject *hqt_from_micro(int64_t v) { return PyFloat_FromDouble((double)v / 1e6); }

/* ---- types.c ----------------------------------------------------------- */

typedef struct { PyObject_HEAD hqt_tick t; } HQTTickObject;
/* complete: 0 for a bar built from ticks that a flush (the end of a run,
   flush_bars) delivers before its period ended; 1 otherwise. */
typedef struct { PyObject_HEAD hqt_bar b; int complete; } HQTBarObject;
typedef struct { PyObject_HEAD hqt_deal d; } HQTDealObject;

extern PyTypeObject HQTTick_Type;
extern PyTypeObject HQTBar_Type;
extern PyTypeObject HQTDeal_Type;

int hqt_types_init(PyObject *module);
PyObject *hqt_tick_new(const hqt_tick *t);
PyObject *hqt_bar_new(const hqt_bar *b);
PyObject *hqt_deal_new(const hqt_deal *d);

/* ---- records.c --------------------------------------------------------- */

/* How a field of an hqt.h struct is shown: an integer (U64, U32, I32, I64),
   a float from micro units (MICRO, also exact as <name>_micro), or a member
   of an hqt.constants enum (ENUM, int32). */
typedef enum { HQT_FIELD_U64, HQT_FIELD_U32, HQT_FIELD_I32, HQT_FIELD_I64, HQT_FIELD_MICRO,
               HQT_FIELD_ENUM } hqt_field_kind;

typedef struct {
    const char *name;
    size_t offset;          /* in the hqt.h struct */
    hqt_field_kind kind;
    int enum_id;            /* ENUM: which enum (records.c) */
    const char *doc;
} hqt_field;

/* The one list of each record's fields, in order; NULL-terminated. */
extern const hqt_field hqt_position_fields[];
extern const hqt_field hqt_order_fields[];
extern const hqt_field hqt_trade_fields[];
extern const hqt_field hqt_deal_fields[];

/* numpy type code of a field ("<u8", "<i4", ...). */
const char *hqt_field_dtype(const hqt_field *f);
/* The fields of the struct at `data` as a tuple of exact integers. */
PyObject *hqt_fields_tuple(const hqt_field *fields, const void *data);

extern PyTypeObject HQTPosition_Type;
extern PyTypeObject HQTOrder_Type;
extern PyTypeObject HQTTrade_Type;

PyObject *hqt_position_new(const hqt_position *p);
/* hqt.constants enum member of value v (an int when v is not a member):
   HQT_ENUM_POSITION_TYPE (also deal directions), _DEAL_REASON, _DEAL_ENTRY. */
enum { HQT_ENUM_POSITION_TYPE = 0, HQT_ENUM_DEAL_REASON = 3, HQT_ENUM_DEAL_ENTRY = 4 };
PyObject *hqt_enum_value(int which, int32_t v);
PyObject *hqt_order_new(const hqt_order *o);
PyObject *hqt_trade_new(const hqt_trade *t);
/* Adds Position, Order and Trade to the module. */
int hqt_records_init(PyObject *module);

/* ---- strategy.c -------------------------------------------------------- */

enum { HQT_CB_START, HQT_CB_TICK, HQT_CB_BAR, HQT_CB_TRADE, HQT_CB_STOP, HQT_CB_GET_STATE,
       HQT_CB_SET_STATE, HQT_CB_COUNT };

/* State of one run()/process_event()/flush_bars() call with Python
   callbacks. Lives on the C stack of that call; passed as user_data. */
typedef struct hqt_run_ctx {
    hqt_strategy_v2 strategy;       /* what the engine gets */
    PyObject *engine;               /* borrowed: first argument of callbacks */
    PyObject *func[HQT_CB_COUNT];   /* strong: function to call, or NULL */
    PyObject *self[HQT_CB_COUNT];   /* strong: bound `self` of a method, or NULL */
    vectorcallfunc call[HQT_CB_COUNT]; /* func's vectorcall when func is a Python function, else NULL */
    PyObject *tick_obj;             /* reused while nobody else holds it */
    PyObject *bar_obj;
    PyObject *deal_obj;
    PyObject *state_obj;            /* the bytes get_state returned last (engine reads them) */
    PyObject *source;               /* strong: data source of Engine._run(source=), or NULL */
    PyObject *exc_type, *exc_value, *exc_tb; /* first exception raised */
} hqt_run_ctx;

/* Fills ctx from `callbacks`: None, or a 7-tuple (on_start, on_tick, on_bar,
   on_trade, on_stop, get_state, set_state) of callables or None. Returns 0, or -1 with an error. */
int hqt_ctx_init(hqt_run_ctx *ctx, PyObject *engine, PyObject *callbacks);
/* True when ctx has at least one callback (the strategy must be passed). */
int hqt_ctx_active(const hqt_run_ctx *ctx);
/* Releases ctx; re-raises the first callback exception, else raises for a
   non-OK status, else returns None. */
PyObject *hqt_ctx_finish(hqt_run_ctx *ctx, int status);
/* Sets ctx's data source: a callable taking no arguments that loads the
   next window and returns True, or returns False when there is no more.
   Returns 0, or -1 with TypeError when `source` is not callable. */
int hqt_ctx_set_source(hqt_run_ctx *ctx, PyObject *source);
/* The hqt_data_source_fn calling ctx->source (user data: the ctx), with
   the GIL held; an exception (or a result that is not a bool) is kept in
   ctx like a callback's and stops the run. */
int hqt_ctx_source(hqt_engine *engine, int *more, void *user_data);

/* ---- engine.c ---------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hqt_engine *engine;
    /* The engine's hot counters (hqt_engine_state_view): the cheap reads of
       engine_fast.c load from it; NULL exactly when engine is. */
    const hqt_state_view *view;
    /* engine.positions as last built, valid while the book version and
       the clock are those it was built at (profits change with the clock). */
    PyObject *positions_cache;
    uint64_t positions_version;
    int64_t positions_time;
    int nogil_busy;                 /* a call runs without the GIL */
    int running;                    /* run / process_event / flush_bars in progress */
    PyObject *weakreflist;
} HQTEngineObject;

extern PyTypeObject HQTEngine_Type;
int hqt_engine_type_init(PyObject *module);

/* 0 when the engine can be called now, else -1 with StateError (disposed)
   or BusyError (running without the GIL in another thread). */
int hqt_engine_check(HQTEngineObject *self);
/* Parses fastcall arguments into out[] (NULL = not given) by position and
   keyword. names is NULL-terminated; the first nreq are required. */
int hqt_parse_fastcall(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames, const char *const *names, int nreq, PyObject **out);

/* ---- engine_io.c, io_common.c, wal_type.c, broadcaster.c -------------- */

/* Engine methods (in engine.c's method table). */
PyObject *hqt_engine_enable_wal_py(HQTEngineObject *self, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames);
PyObject *hqt_engine_disable_wal_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_is_wal_enabled_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_checkpoint_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_recover_from_wal_py(HQTEngineObject *self, PyObject *args);
PyObject *hqt_engine_run_resume_py(HQTEngineObject *self, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames);
PyObject *hqt_engine_get_warming_up(HQTEngineObject *self, void *closure);
PyObject *hqt_engine_enable_broadcasting_py(HQTEngineObject *self, PyObject *const *args,
                                            Py_ssize_t nargs, PyObject *kwnames);
PyObject *hqt_engine_disable_broadcasting_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_is_broadcasting_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_broadcast_stats_py(HQTEngineObject *self, PyObject *unused);
PyObject *hqt_engine_get_broadcast_endpoint(HQTEngineObject *self, void *closure);
PyObject *hqt_engine_get_replay_endpoint(HQTEngineObject *self, void *closure);
PyObject *hqt_engine_get_broadcast_run_id(HQTEngineObject *self, void *closure);

extern PyTypeObject HQTWAL_Type;
extern PyTypeObject HQTBroadcaster_Type;
/* Adds WriteAheadLog and Broadcaster to the module (io_common.c). */
int hqt_io_types_init(PyObject *module);

/* ---- results.c --------------------------------------------------------- */

/* Adds _result, _raw_records and _record_layouts to the module. */
int hqt_results_init(PyObject *module);

/* ---- rules.c ----------------------------------------------------------- */

/* Adds validate_ticks, validate_bars and the timeframe_* functions. */
int hqt_rules_init(PyObject *module);

/* ---- indicators.c ------------------------------------------------------ */

/* Adds IndicatorLine and the _indicator_* functions (hqt/indicators.py). */
int hqt_indicators_init(PyObject *module);

#endif /* HQT_EXT_H */
