/*
 * smoke.c -- a tiny backtest written against include/hqt.h only.
 *
 * Built and run by python/tests/test_c_smoke.py:
 *   gcc -std=c11 -Wall -Wextra -Werror -I include smoke.c -L python/hqt -lhqt
 *
 * Generates a deterministic random walk of ticks (a 64-bit LCG that the test
 * reproduces in Python), builds M1 bars from them and trades on each closed
 * bar: flat -> buy after an up bar, sell after a down bar; in a position ->
 * close it when a bar goes against it. Prints every deal, then the account
 * and statistics, then checks a few bad calls. Last line: "ok".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hqt.h"

#define N_TICKS 3000
#define T0 INT64_C(1704153600000000000) /* 2024-01-02 00:00 UTC */

#define CHECK(call)                                                                  \
    do {                                                                             \
        int st_ = (call);                                                            \
        if (st_ != HQT_OK) {                                                         \
            printf("FAILED %s: %s %s\n", #call, hqt_status_name(st_), hqt_last_error()); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static uint64_t rng_state = 42;

static uint64_t next_random(void)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return rng_state >> 33;
}

typedef struct {
    uint32_t symbol;
    uint64_t ticket; /* open position, 0 = flat */
    int32_t side;    /* HQT_BUY / HQT_SELL of the open position */
    int bars;
    int deals;
} state;

static int on_bar(hqt_engine *e, const hqt_bar *bar, void *user_data)
{
    state *s = (state *)user_data;
    s->bars++;
    int up = bar->close > bar->open, down = bar->close < bar->open;
    if (s->ticket == 0) {
        if (up || down) {
            int st = up ? hqt_engine_buy(e, s->symbol, 100000, 0, 0, &s->ticket)
                        : hqt_engine_sell(e, s->symbol, 100000, 0, 0, &s->ticket);
            if (st != HQT_OK)
                return 1;
            s->side = up ? HQT_BUY : HQT_SELL;
        }
    } else if ((s->side == HQT_BUY && down) || (s->side == HQT_SELL && up)) {
        if (hqt_engine_close(e, s->ticket, 0) != HQT_OK)
            return 1;
        s->ticket = 0;
    }
    return 0;
}

static int on_trade(hqt_engine *e, const hqt_deal *d, void *user_data)
{
    (void)e;
    ((state *)user_data)->deals++;
    printf("deal %" PRIu64 " pos=%" PRIu64 " time=%" PRId64 " type=%d entry=%d price=%" PRId64
           " volume=%" PRId64 " commission=%" PRId64 " profit=%" PRId64 " balance=%" PRId64 "\n",
           d->ticket, d->position, d->time, d->type, d->entry, d->price, d->volume,
           d->commission, d->profit, d->balance);
    return 0;
}

static int on_stop(hqt_engine *e, void *user_data)
{
    (void)e;
    printf("stop bars=%d\n", ((state *)user_data)->bars);
    return 0;
}

int main(void)
{
    printf("hqt %s\n", hqt_version());

    hqt_engine *e = NULL;
    CHECK(hqt_engine_create(INT64_C(10000000000), "USD", 100, &e));

    hqt_symbol_spec spec;
    hqt_symbol_spec_init(&spec);
    spec.name = "EURUSD";
    spec.base_currency = "EUR";
    spec.profit_currency = "USD";
    spec.commission_per_lot = 3000000; /* 3.00 per lot per side */
    uint32_t sym = 0;
    CHECK(hqt_engine_add_symbol(e, &spec, &sym));

    static int64_t t[N_TICKS], bid[N_TICKS], ask[N_TICKS];
    int64_t time = T0, price = 1100000;
    for (int i = 0; i < N_TICKS; i++) {
        time += (int64_t)(1 + next_random() % 3) * INT64_C(1000000000);
        price += ((int64_t)(next_random() % 21) - 10) * 10;
        t[i] = time;
        bid[i] = price;
        ask[i] = price + 10 + (int64_t)(next_random() % 3) * 10;
    }
    CHECK(hqt_engine_load_ticks(e, sym, t, bid, ask, N_TICKS));
    CHECK(hqt_engine_build_bars(e, sym, HQT_M1));

    state s = {sym, 0, 0, 0, 0};
    hqt_strategy strategy = {&s, NULL, NULL, on_bar, on_trade, on_stop, NULL, NULL};
    CHECK(hqt_engine_run(e, &strategy));

    hqt_account a;
    CHECK(hqt_engine_account(e, &a));
    hqt_statistics st;
    CHECK(hqt_engine_statistics(e, &st));
    size_t n_deals = 0;
    CHECK(hqt_engine_deals(e, NULL, 0, &n_deals));
    printf("account balance=%" PRId64 " equity=%" PRId64 " margin=%" PRId64 " currency=%s\n",
           a.balance, a.equity, a.margin, a.currency);
    printf("stats trades=%" PRId64 " deals=%" PRId64 " ticks=%" PRId64 " net=%" PRId64
           " listed=%zu seen=%d\n",
           st.total_trades, st.total_deals, st.ticks_processed, st.net_profit, n_deals, s.deals);

    /* bad calls: a status and a message, never a crash */
    int st1 = hqt_engine_account(NULL, &a);
    printf("bad null-handle %s %d\n", hqt_status_name(st1), hqt_last_error()[0] != 0);
    int st2 = hqt_engine_close(e, 987654, 0);
    printf("bad unknown-ticket %s %d\n", hqt_status_name(st2), strstr(hqt_last_error(), "987654") != NULL);
    uint64_t ticket;
    int st3 = hqt_engine_buy(e, sym, -100000, 0, 0, &ticket);
    printf("bad negative-volume %s\n", hqt_status_name(st3));
    int st4 = hqt_engine_deals(e, NULL, 0, NULL);
    printf("bad null-out %s\n", hqt_status_name(st4));

    hqt_engine_destroy(e);
    hqt_engine_destroy(NULL);
    printf("ok\n");
    return 0;
}
