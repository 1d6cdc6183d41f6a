/*
 * engine_trading.c -- Engine methods that trade: orders, positions, deposits.
 *
 * Part of the Engine type (see engine.c); shared helpers in engine_impl.h.
 */
#include "engine_impl.h"

#include <string.h>

static PyObject *
ticket_result(int st, uint64_t ticket)
{
    if (st != HQT_OK)
        return hqt_raise_status(st);
    return PyLong_FromUnsignedLongLong(ticket);
}


/* ---- trading ------------------------------------------------------------------------- */

static PyObject *
engine_order_send(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const names[] = {"symbol_id", "type", "volume", "price", "stop_limit",
                                        "sl", "tp", "expiration", "trailing_points", "magic",
                                        "type_time", "filling", NULL};
    PyObject *a[12];
    hqt_order_request_v2 r;
    uint64_t ticket;
    ENTER(self);
    if (parse_args("order_send", args, nargs, kwnames, names, 3, a) < 0)
        return NULL;
    CALL(hqt_order_request_v2_init(&r, sizeof r));
    if (hqt_engine_symbol_arg(self, a[0], &r.symbol_id) < 0 || hqt_as_i32(a[1], "type", &r.type) < 0 ||
        hqt_to_micro(a[2], "volume", &r.volume) < 0 ||
        hqt_opt_micro(a[3], "price", 0, &r.price) < 0 ||
        hqt_opt_micro(a[4], "stop_limit", 0, &r.stop_limit) < 0 ||
        hqt_opt_micro(a[5], "sl", 0, &r.sl) < 0 || hqt_opt_micro(a[6], "tp", 0, &r.tp) < 0 ||
        (a[7] && a[7] != Py_None && hqt_as_i64(a[7], "expiration", &r.expiration) < 0) ||
        (a[8] && a[8] != Py_None && hqt_as_i64(a[8], "trailing_points", &r.trailing_points) < 0) ||
        (a[9] && a[9] != Py_None && hqt_as_u64(a[9], "magic", &r.magic) < 0) ||
        (a[10] && a[10] != Py_None && hqt_as_i32(a[10], "type_time", &r.type_time) < 0) ||
        (a[11] && a[11] != Py_None && hqt_as_i32(a[11], "filling", &r.filling) < 0))
        return NULL;
    int st = hqt_engine_order_send_v2(self->engine, &r, &ticket);
    return ticket_result(st, ticket);
}

static PyObject *
market_order(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             int sell)
{
    static const char *const names[] = {"symbol_id", "volume", "sl", "tp", NULL};
    PyObject *a[4];
    uint32_t sym;
    int64_t vol, sl, tp;
    uint64_t ticket;
    ENTER(self);
    if (parse_args(sell ? "sell" : "buy", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_engine_symbol_arg(self, a[0], &sym) < 0 || hqt_to_micro(a[1], "volume", &vol) < 0 ||
        hqt_opt_micro(a[2], "sl", 0, &sl) < 0 || hqt_opt_micro(a[3], "tp", 0, &tp) < 0)
        return NULL;
    int st = sell ? hqt_engine_sell(self->engine, sym, vol, sl, tp, &ticket)
                  : hqt_engine_buy(self->engine, sym, vol, sl, tp, &ticket);
    return ticket_result(st, ticket);
}

static PyObject *
engine_buy(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return market_order(self, args, nargs, kwnames, 0);
}

static PyObject *
engine_sell(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return market_order(self, args, nargs, kwnames, 1);
}

static PyObject *
engine_modify(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "sl", "tp", NULL};
    PyObject *a[3];
    uint64_t ticket;
    int64_t sl, tp;
    ENTER(self);
    if (parse_args("modify", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_opt_micro(a[1], "sl", HQT_KEEP, &sl) < 0 ||
        hqt_opt_micro(a[2], "tp", HQT_KEEP, &tp) < 0)
        return NULL;
    CALL(hqt_engine_modify(self->engine, ticket, sl, tp));
    Py_RETURN_NONE;
}

static PyObject *
engine_modify_order(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "price", "stop_limit", "expiration", NULL};
    PyObject *a[4];
    uint64_t ticket;
    int64_t price, stop_limit, expiration = HQT_KEEP;
    ENTER(self);
    if (parse_args("modify_order", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 ||
        hqt_opt_micro(a[1], "price", HQT_KEEP, &price) < 0 ||
        hqt_opt_micro(a[2], "stop_limit", HQT_KEEP, &stop_limit) < 0 ||
        (a[3] && a[3] != Py_None && hqt_as_i64(a[3], "expiration", &expiration) < 0))
        return NULL;
    CALL(hqt_engine_modify_order(self->engine, ticket, price, stop_limit, expiration));
    Py_RETURN_NONE;
}

static PyObject *
engine_set_trailing_stop(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "points", NULL};
    PyObject *a[2];
    uint64_t ticket;
    int64_t points;
    ENTER(self);
    if (parse_args("set_trailing_stop", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_i64(a[1], "points", &points) < 0)
        return NULL;
    CALL(hqt_engine_set_trailing_stop(self->engine, ticket, points));
    Py_RETURN_NONE;
}

static PyObject *
engine_close(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "volume", NULL};
    PyObject *a[2];
    uint64_t ticket;
    int64_t volume;
    ENTER(self);
    if (parse_args("close", args, nargs, kwnames, names, 1, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_opt_micro(a[1], "volume", 0, &volume) < 0)
        return NULL;
    if (a[1] && a[1] != Py_None && volume <= 0)
        return hqt_set_error(HQT_E_INVALID_VOLUME,
                             "close(): volume must be positive (or None to close all), got %R",
                             a[1]);
    CALL(hqt_engine_close(self->engine, ticket, volume));
    Py_RETURN_NONE;
}

static PyObject *
engine_close_by(HQTEngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ticket", "by_ticket", NULL};
    PyObject *a[2];
    uint64_t ticket, by;
    ENTER(self);
    if (parse_args("close_by", args, nargs, kwnames, names, 2, a) < 0 ||
        hqt_as_u64(a[0], "ticket", &ticket) < 0 || hqt_as_u64(a[1], "by_ticket", &by) < 0)
        return NULL;
    CALL(hqt_engine_close_by(self->engine, ticket, by));
    Py_RETURN_NONE;
}

static PyObject *
engine_cancel(HQTEngineObject *self, PyObject *arg)
{
    uint64_t ticket;
    ENTER(self);
    if (hqt_as_u64(arg, "ticket", &ticket) < 0)
        return NULL;
    CALL(hqt_engine_cancel(self->engine, ticket));
    Py_RETURN_NONE;
}

static PyObject *
engine_deposit(HQTEngineObject *self, PyObject *arg)
{
    int64_t amount;
    ENTER(self);
    if (hqt_to_micro(arg, "amount", &amount) < 0)
        return NULL;
    CALL(hqt_engine_deposit(self->engine, amount));
    Py_RETURN_NONE;
}

/* ---- table ------------------------------------------------------------------------------- */

PyMethodDef hqt_engine_trading_methods[] = {
    FAST("order_send", engine_order_send,
         "order_send($self, symbol_id, type, volume, price=None, stop_limit=None, sl=None, tp=None, "
         "expiration=None, trailing_points=0, magic=0, type_time=None, filling=None)\n--\n\n"
         "Send an order of any type (hqt.OrderType); returns its ticket."),
    FAST("buy", engine_buy,
         "buy($self, symbol_id, volume, sl=None, tp=None)\n--\n\n"
         "Market buy at the current ask; returns the new position's ticket."),
    FAST("sell", engine_sell,
         "sell($self, symbol_id, volume, sl=None, tp=None)\n--\n\n"
         "Market sell at the current bid; returns the new position's ticket."),
    FAST("modify", engine_modify,
         "modify($self, ticket, sl=None, tp=None)\n--\n\n"
         "Change SL/TP of a position or pending order: None keeps a level, 0 removes it."),
    FAST("modify_order", engine_modify_order,
         "modify_order($self, ticket, price=None, stop_limit=None, expiration=None)\n--\n\n"
         "Change a pending order; None keeps a value."),
    FAST("set_trailing_stop", engine_set_trailing_stop,
         "set_trailing_stop($self, ticket, points)\n--\n\nTrailing stop distance in points; 0 = off."),
    FAST("close", engine_close,
         "close($self, ticket, volume=None)\n--\n\nClose a position at market (all of it if volume is None)."),
    FAST("close_by", engine_close_by,
         "close_by($self, ticket, by_ticket)\n--\n\nClose By (hedging accounts): close two opposite "
         "positions of one symbol against each other (two OUT_BY deals at by_ticket's open price, "
         "no second spread); the smaller volume closes on both."),
    {"cancel", (PyCFunction)engine_cancel, METH_O,
     PyDoc_STR("cancel($self, ticket, /)\n--\n\nCancel a pending order.")},
    {"deposit", (PyCFunction)engine_deposit, METH_O,
     PyDoc_STR("deposit($self, amount, /)\n--\n\nAdd money (negative: withdraw).")},
    {NULL}
};
