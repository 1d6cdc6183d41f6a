/* Native strategies for bench_engine.py's "strategies" section, built with
   -O2 against include/hqt.h. The engine calls their on_tick directly (the
   Python side passes the addresses to Engine._run_native), so they measure
   the C ABI's callback path with the hot state (hqt_state_view) read by
   plain loads:

   - counter_on_tick: the section's reference strategy, as the Python and
     numba versions: every tick it counts, checks the position count, free
     margin and equity, and every 1,000 ticks opens (when flat) or closes.
   - empty_on_tick: nothing (the callback's own cost).
   - flat_on_tick: buy-when-flat: a 0.1 lot buy with SL/TP 20 pips away
     whenever no position is open (the engine closes it at SL or TP).
   - strategy_loop: the counter strategy with no engine at all, over the same
     arrays (the ceiling).
   - read_cost / state_view_cost / account_cost: ns per call of a hot-state
     read, of hqt_engine_state_view and of hqt_engine_account (item 5). */
#include <stdint.h>
#include <time.h>

#include "hqt.h"

typedef struct {
    const hqt_state_view *view;
    int64_t n;
    uint64_t ticket;
    int64_t volume, sl_distance;
} bench_ctx;

int counter_on_tick(hqt_engine *engine, const hqt_tick *tick, void *user) {
    bench_ctx *c = (bench_ctx *)user;
    const hqt_state_view *v = c->view;
    c->n++;
    if (v->positions == 0) {
        if (c->n >= 1000 && v->equity - v->margin > 0) {
            if (hqt_engine_buy(engine, tick->symbol_id, c->volume, 0, 0, &c->ticket) != HQT_OK)
                return 1;
            c->n = 0;
        }
    } else if (c->n >= 1000 || v->equity < v->balance / 2) {
        if (hqt_engine_close(engine, c->ticket, 0) != HQT_OK) return 1;
        c->n = 0;
    }
    return 0;
}

/* Nothing: the cost of the callback itself. */
int empty_on_tick(hqt_engine *engine, const hqt_tick *tick, void *user) {
    (void)engine, (void)tick, (void)user;
    return 0;
}

int flat_on_tick(hqt_engine *engine, const hqt_tick *tick, void *user) {
    bench_ctx *c = (bench_ctx *)user;
    if (c->view->positions != 0) return 0;
    return hqt_engine_buy(engine, tick->symbol_id, c->volume, tick->bid - c->sl_distance,
                          tick->bid + c->sl_distance, &c->ticket) != HQT_OK;
}

/* The counter strategy without an engine: open at the ask, mark to market
   at the bid, close at the bid, every 1,000 ticks. */
int64_t strategy_loop(const int64_t *bid, const int64_t *ask, int64_t n, int64_t units,
                      int64_t balance) {
    int64_t count = 0, open = 0, open_price = 0, equity = balance, trades = 0;
    for (int64_t i = 0; i < n; i++) {
        count++;
        if (open) {
            int64_t diff = bid[i] - open_price;
            equity = balance + (diff * units + (diff >= 0 ? 500000 : -500000)) / 1000000;
        }
        if (!open) {
            if (count >= 1000 && equity > 0) { open = 1; open_price = ask[i]; count = 0; }
        } else if (count >= 1000 || equity < balance / 2) {
            balance = equity; open = 0; count = 0; trades++;
        }
    }
    return trades * 1000000 + (equity & 0xffff);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per read of a field of the view (volatile: one load each, not hoisted). */
double read_cost(const hqt_state_view *v, int64_t n) {
    const volatile int64_t *p = &v->positions;
    int64_t sum = 0;
    double t = now_ns();
    for (int64_t i = 0; i < n; i++) sum += *p;
    double dt = now_ns() - t;
    return sum == -1 ? 0 : dt / (double)n;
}

double state_view_cost(hqt_engine *engine, int64_t n) {
    int64_t sum = 0;
    double t = now_ns();
    for (int64_t i = 0; i < n; i++) sum += hqt_engine_state_view(engine)->positions;
    double dt = now_ns() - t;
    return sum == -1 ? 0 : dt / (double)n;
}

double account_cost(hqt_engine *engine, int64_t n) {
    hqt_account a;
    int64_t sum = 0;
    double t = now_ns();
    for (int64_t i = 0; i < n; i++) {
        hqt_engine_account(engine, &a);
        sum += a.equity;
    }
    double dt = now_ns() - t;
    return sum == -1 ? 0 : dt / (double)n;
}
