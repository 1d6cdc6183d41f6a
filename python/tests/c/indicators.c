/*
 * indicators.c -- a C strategy using native indicators, against include/hqt.h only.
 *
 * Built and run by python/tests/test_indicators_cabi.py:
 *   gcc -std=c11 -Wall -Wextra -Werror -I include indicators.c -L python/hqt -lhqt
 *
 * Loads a deterministic random walk of M5 bars, declares SMA(10) and SMA(30)
 * on them and an EMA(5) on the ticks it feeds with hqt_engine_process_event,
 * reads the views in on_bar (hqt_indicator_at and the view's fields, as the
 * header documents) and checks each SMA against the mean of the closes the
 * strategy saw, computed here. Trades the crossover: buy when SMA(10) goes
 * above SMA(30), close when it goes below. Last line: "ok".
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "hqt.h"

#define N_BARS 2000
#define T0 INT64_C(1704153600000000000)
#define M5 (INT64_C(300) * 1000000000)

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int st_ = (call);                                                                    \
        if (st_ != HQT_OK) {                                                                 \
            printf("FAILED %s: %s %s\n", #call, hqt_status_name(st_), hqt_last_error());     \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

typedef struct {
    const hqt_indicator_view *fast, *slow;
    int64_t closes[N_BARS];
    int bars, mismatches, crosses;
    uint64_t ticket;
} state;

static double mean_of_last(const int64_t *x, int end, int n)
{
    int64_t sum = 0;
    for (int i = end - n; i < end; i++)
        sum += x[i];
    return (double)sum / ((double)n * 1e6);
}

static int on_bar(hqt_engine *e, const hqt_bar *bar, void *user_data)
{
    state *s = (state *)user_data;
    s->closes[s->bars++] = bar->close;
    double fast = hqt_indicator_at(s->fast, 0, 0), slow = hqt_indicator_at(s->slow, 0, 0);
    /* the view's fields directly: newest slot, output 0 */
    double fast_direct = s->fast->values[s->fast->last * s->fast->outputs];
    if (s->bars >= 10 && (fast != mean_of_last(s->closes, s->bars, 10) || fast != fast_direct))
        s->mismatches++;
    if (s->bars < 10 && !isnan(fast))
        s->mismatches++;
    if (s->bars >= 30 && slow != mean_of_last(s->closes, s->bars, 30))
        s->mismatches++;
    if (s->bars < 31)
        return 0;
    double fast_prev = hqt_indicator_at(s->fast, 0, 1), slow_prev = hqt_indicator_at(s->slow, 0, 1);
    if (fast > slow && fast_prev <= slow_prev && s->ticket == 0) {
        s->crosses++;
        return hqt_engine_buy(e, bar->symbol_id, 100000, 0, 0, &s->ticket) != HQT_OK;
    }
    if (fast < slow && fast_prev >= slow_prev && s->ticket != 0) {
        s->crosses++;
        int st = hqt_engine_close(e, s->ticket, 0);
        s->ticket = 0;
        return st != HQT_OK;
    }
    return 0;
}

int main(void)
{
    hqt_engine *e = NULL;
    CHECK(hqt_engine_create(INT64_C(10000000000), "USD", 100, &e));
    hqt_symbol_spec spec;
    hqt_symbol_spec_init(&spec);
    spec.name = "EURUSD";
    spec.base_currency = "EUR";
    spec.profit_currency = "USD";
    uint32_t sym = 0;
    CHECK(hqt_engine_add_symbol(e, &spec, &sym));

    static int64_t t[N_BARS], o[N_BARS], h[N_BARS], l[N_BARS], c[N_BARS], v[N_BARS];
    uint64_t rng = 7;
    int64_t price = 1100000;
    for (int i = 0; i < N_BARS; i++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        t[i] = T0 + i * M5;
        o[i] = price;
        price += (int64_t)((rng >> 33) % 201) - 100;
        c[i] = price;
        h[i] = (o[i] > c[i] ? o[i] : c[i]) + 20;
        l[i] = (o[i] < c[i] ? o[i] : c[i]) - 20;
        v[i] = 1000000;
    }
    CHECK(hqt_engine_load_bars(e, sym, HQT_M5, t, o, h, l, c, v, N_BARS));

    uint32_t fast_id, slow_id, ema_id;
    double p = 10;
    CHECK(hqt_engine_add_indicator(e, HQT_IND_SMA, sym, HQT_M5, -1, &p, 1, 8, &fast_id));
    p = 30;
    CHECK(hqt_engine_add_indicator(e, HQT_IND_SMA, sym, HQT_M5, HQT_PRICE_CLOSE, &p, 1, 8, &slow_id));
    p = 5;
    CHECK(hqt_engine_add_indicator(e, HQT_IND_EMA, sym, 0, HQT_PRICE_MID, &p, 1, 4, &ema_id));

    static state s;
    CHECK(hqt_engine_indicator_view(e, fast_id, &s.fast));
    CHECK(hqt_engine_indicator_view(e, slow_id, &s.slow));
    hqt_strategy strategy = {&s, NULL, NULL, on_bar, NULL, NULL, NULL, NULL};
    CHECK(hqt_engine_run(e, &strategy));
    printf("bars=%d mismatches=%d crosses=%d warmup=%" PRId64 "/%" PRId64 "\n", s.bars,
           s.mismatches, s.crosses, s.fast->warmup, s.slow->warmup);

    /* five ticks after the bars: the EMA on mid seeds with the mean of five mids */
    const hqt_indicator_view *ema;
    CHECK(hqt_engine_indicator_view(e, ema_id, &ema));
    int64_t mids = 0;
    for (int i = 0; i < 5; i++) {
        hqt_event ev;
        ev.type = HQT_EVENT_TICK;
        ev.tick.symbol_id = sym;
        ev.tick.time = T0 + N_BARS * M5 + (i + 1) * INT64_C(1000000000);
        ev.tick.bid = 1100000 + i * 10;
        ev.tick.ask = ev.tick.bid + 15;
        mids += ev.tick.bid + ev.tick.ask;
        CHECK(hqt_engine_process_event(e, &ev, NULL));
    }
    double value;
    CHECK(hqt_engine_indicator_value(e, ema_id, 0, 0, &value));
    printf("ema count=%" PRId64 " seed_ok=%d\n", ema->count, value == (double)mids / 10e6);

    int bad = hqt_engine_indicator_value(e, fast_id, 0, 8, &value);
    printf("bad shift %s\n", hqt_status_name(bad));
    hqt_engine_destroy(e);
    printf("ok\n");
    return 0;
}
