/*
 * abi_compat.c -- one backtest, written twice: against the frozen 0.1 header
 * (python/tests/c/frozen/hqt_0_1.h: structs without a size) and against
 * today's include/hqt.h with the sized *_v2 structs (-DUSE_V2).
 *
 * Built and run by python/tests/test_c_smoke.py, both builds linked against
 * the current libhqt.so: a program compiled against 0.1 must still work, and
 * give exactly what the 0.2 calls give. Uses every struct that gained a size:
 * symbol spec, strategy (run, process_event, flush_bars), WAL options
 * (engine log at argv[1]) and broadcast options and cadence (inproc).
 *
 * Prints the header and library versions, every deal, the account, the
 * broadcast counters, then "ok".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#ifdef USE_V2
#include "hqt.h"
typedef hqt_strategy_v2 strategy_t;
typedef hqt_symbol_spec_v2 spec_t;
typedef hqt_wal_options_v2 wal_options_t;
typedef hqt_broadcast_options_v2 bc_options_t;
typedef hqt_broadcast_cadence_v2 bc_cadence_t;
#define INIT(fn, p) fn##_v2_init((p), sizeof *(p))
#define INIT_STRATEGY(p) hqt_strategy_v2_init((p), sizeof *(p))
#define CALL(fn) fn##_v2
#define HEADER_VERSION HQT_VERSION
#else
#include "hqt_0_1.h"
typedef hqt_strategy strategy_t;
typedef hqt_symbol_spec spec_t;
typedef hqt_wal_options wal_options_t;
typedef hqt_broadcast_options bc_options_t;
typedef hqt_broadcast_cadence bc_cadence_t;
#define INIT(fn, p) (fn##_init(p), HQT_OK)
#define INIT_STRATEGY(p) (memset((p), 0, sizeof *(p)), HQT_OK) /* 0.1 has no init */
#define CALL(fn) fn
#define HEADER_VERSION "0.1.0"
#endif

#define CHECK(call)                                                                      \
    do {                                                                                 \
        int st_ = (call);                                                                \
        if (st_ != HQT_OK) {                                                             \
            printf("FAILED %s: %s %s\n", #call, hqt_status_name(st_), hqt_last_error()); \
            return 1;                                                                    \
        }                                                                                \
    } while (0)

#define T0 INT64_C(1704153600000000000) /* 2024-01-02 00:00 UTC */
#define N_TICKS 600

typedef struct {
    uint64_t ticket;
    int starts, ticks, bars, deals, stops;
} state;

static int on_start(hqt_engine *e, void *ud)
{
    (void)e;
    ((state *)ud)->starts++;
    return 0;
}

static int on_tick(hqt_engine *e, const hqt_tick *t, void *ud)
{
    (void)e;
    (void)t;
    ((state *)ud)->ticks++;
    return 0;
}

/* Flat: buy after an up bar, sell after a down bar; else close after any bar. */
static int on_bar(hqt_engine *e, const hqt_bar *b, void *ud)
{
    state *s = (state *)ud;
    s->bars++;
    if (s->ticket == 0) {
        if (b->close > b->open)
            return hqt_engine_buy(e, 0, 100000, 0, 0, &s->ticket) != HQT_OK;
        if (b->close < b->open)
            return hqt_engine_sell(e, 0, 100000, 0, 0, &s->ticket) != HQT_OK;
        return 0;
    }
    int st = hqt_engine_close(e, s->ticket, 0);
    s->ticket = 0;
    return st != HQT_OK;
}

static int on_trade(hqt_engine *e, const hqt_deal *d, void *ud)
{
    (void)e;
    ((state *)ud)->deals++;
    printf("deal %" PRIu64 " type=%d entry=%d price=%" PRId64 " profit=%" PRId64 " balance=%" PRId64 "\n",
           d->ticket, d->type, d->entry, d->price, d->profit, d->balance);
    return 0;
}

static int on_stop(hqt_engine *e, void *ud)
{
    (void)e;
    ((state *)ud)->stops++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: abi_compat WAL_PATH\n");
        return 2;
    }
    printf("header %s library %s\n", HEADER_VERSION, hqt_version());

    hqt_engine *e = NULL;
    CHECK(hqt_engine_create(INT64_C(10000000000), "USD", 100, &e));

    spec_t spec;
    CHECK(INIT(hqt_symbol_spec, &spec));
    spec.name = "EURUSD";
    spec.base_currency = "EUR";
    spec.profit_currency = "USD";
    spec.commission_per_lot = 2000000;
    uint32_t sym = 99;
    CHECK(CALL(hqt_engine_add_symbol)(e, &spec, &sym));

    wal_options_t wal;
    CHECK(INIT(hqt_wal_options, &wal));
    wal.sync_policy = HQT_WAL_SYNC_NONE;
    wal.truncate = 1;
    CHECK(CALL(hqt_engine_enable_wal)(e, argv[1], &wal, 100, NULL));

    bc_options_t bc;
    CHECK(INIT(hqt_broadcast_options, &bc));
    bc.endpoint = "inproc://abi-compat";
    bc_cadence_t cadence;
    CHECK(INIT(hqt_broadcast_cadence, &cadence));
    cadence.every_ticks = 100;
    CHECK(CALL(hqt_engine_enable_broadcasting)(e, &bc, &cadence));

    static int64_t t[N_TICKS], bid[N_TICKS], ask[N_TICKS];
    uint64_t rng = 7;
    int64_t price = 1100000;
    for (int i = 0; i < N_TICKS; i++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        price += (int64_t)((rng >> 33) % 41) * 10 - 200;
        t[i] = T0 + (int64_t)i * INT64_C(2000000000);
        bid[i] = price;
        ask[i] = price + 20;
    }
    /* The last 10 ticks are fed one by one with process_event. */
    CHECK(hqt_engine_load_ticks(e, sym, t, bid, ask, N_TICKS - 10));
    CHECK(hqt_engine_build_bars(e, sym, HQT_M1));

    state s;
    memset(&s, 0, sizeof s);
    strategy_t strategy;
    CHECK(INIT_STRATEGY(&strategy));
    strategy.user_data = &s;
    strategy.on_start = on_start;
    strategy.on_tick = on_tick;
    strategy.on_bar = on_bar;
    strategy.on_trade = on_trade;
    strategy.on_stop = on_stop;
    CHECK(CALL(hqt_engine_run)(e, &strategy));
    for (int i = N_TICKS - 10; i < N_TICKS; i++) {
        hqt_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = HQT_EVENT_TICK;
        ev.tick.symbol_id = sym;
        ev.tick.time = t[i];
        ev.tick.bid = bid[i];
        ev.tick.ask = ask[i];
        CHECK(CALL(hqt_engine_process_event)(e, &ev, &strategy));
    }
    CHECK(CALL(hqt_engine_flush_bars)(e, &strategy));
    if (s.ticket != 0)
        CHECK(hqt_engine_close(e, s.ticket, 0));

    hqt_account a;
    CHECK(hqt_engine_account(e, &a));
    hqt_broadcast_stats bs;
    CHECK(hqt_engine_broadcast_stats(e, &bs));
    int wal_on = 0;
    CHECK(hqt_engine_is_wal_enabled(e, &wal_on));
    CHECK(hqt_engine_disable_broadcasting(e));
    CHECK(hqt_engine_disable_wal(e));
    printf("account balance=%" PRId64 " equity=%" PRId64 "\n", a.balance, a.equity);
    printf("callbacks starts=%d ticks=%d bars=%d deals=%d stops=%d\n", s.starts, s.ticks, s.bars,
           s.deals, s.stops);
    printf("broadcast tick_frames=%" PRIu64 " trade_frames=%" PRIu64 " wal=%d\n", bs.sent[HQT_TOPIC_TICK],
           bs.sent[HQT_TOPIC_TRADE], wal_on);
    hqt_engine_destroy(e);
    printf("ok\n");
    return 0;
}
