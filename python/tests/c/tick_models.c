/*
 * tick_models.c -- the tick models through include/hqt.h only.
 *
 * Built and run by python/tests/test_tick_model_c_abi.py:
 *   gcc -std=c11 -Wall -Wextra -Werror -I include tick_models.c -L python/hqt -lhqt
 *
 * Two M1 bars: on the close of the first, buy 1 lot at 1.10000 with SL
 * 1.09800 and TP 1.10100; the second opens at 1.10200 (beyond the TP) and
 * reaches 1.09700 (below the SL). Under HQT_TICK_MODEL_OHLC_M1 the open tick
 * closes the position at 1.10200 (+200 USD); under HQT_TICK_MODEL_BARS the
 * bar rule takes the SL (-200 USD). Prints one line per model, then "ok".
 */
#include <inttypes.h>
#include <stdio.h>

#include "hqt.h"

#define T0 INT64_C(1704153600000000000)
#define MIN INT64_C(60000000000)

#define CHECK(call)                                                                  \
    do {                                                                             \
        int st_ = (call);                                                            \
        if (st_ != HQT_OK) {                                                         \
            printf("FAILED %s: %s %s\n", #call, hqt_status_name(st_), hqt_last_error()); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static int ticks_seen;

static int on_tick(hqt_engine *engine, const hqt_tick *tick, void *user_data)
{
    (void)engine, (void)tick, (void)user_data;
    ticks_seen++;
    return 0;
}

static int on_bar(hqt_engine *engine, const hqt_bar *bar, void *user_data)
{
    size_t n = 0;
    uint64_t ticket = 0;
    (void)bar, (void)user_data;
    if (hqt_engine_deals(engine, NULL, 0, &n) != HQT_OK)
        return 1;
    if (n == 0)
        return hqt_engine_buy(engine, 0, 1000000, 1098000, 1101000, &ticket);
    return 0;
}

static int run_model(int32_t model, hqt_deal *last, int32_t *recorded)
{
    hqt_engine *e = NULL;
    hqt_symbol_spec spec;
    uint32_t sym = 0;
    int64_t t[2] = {T0, T0 + MIN};
    int64_t o[2] = {1100000, 1102000}, h[2] = {1100000, 1102500};
    int64_t l[2] = {1100000, 1097000}, c[2] = {1100000, 1100000};
    int64_t v[2] = {20000000, 20000000};
    hqt_strategy s = {0};
    hqt_deal deals[8];
    size_t n = 0;

    CHECK(hqt_engine_create(INT64_C(10000000000), "USD", 100, &e));
    hqt_symbol_spec_init(&spec);
    spec.name = "TEST";
    spec.base_currency = "USD";
    spec.profit_currency = "USD";
    CHECK(hqt_engine_add_symbol(e, &spec, &sym));
    CHECK(hqt_engine_load_bars(e, sym, HQT_M1, t, o, h, l, c, v, 2));
    CHECK(hqt_engine_set_tick_model(e, model));
    s.on_tick = on_tick;
    s.on_bar = on_bar;
    CHECK(hqt_engine_run(e, &s));
    CHECK(hqt_engine_tick_model(e, recorded));
    CHECK(hqt_engine_deals(e, deals, 8, &n));
    if (n == 0)
        return 1;
    *last = deals[n - 1];
    CHECK(hqt_engine_destroy(e));
    return 0;
}

int main(void)
{
    const int32_t models[2] = {HQT_TICK_MODEL_OHLC_M1, HQT_TICK_MODEL_BARS};
    for (int i = 0; i < 2; i++) {
        hqt_deal d;
        int32_t recorded = -1;
        ticks_seen = 0;
        if (run_model(models[i], &d, &recorded) != 0)
            return 1;
        printf("model=%d recorded=%d ticks=%d reason=%d price=%" PRId64 " profit=%" PRId64 "\n",
               (int)models[i], (int)recorded, ticks_seen, (int)d.reason, d.price, d.profit);
    }
    /* A value outside HQT_TICK_MODEL_* is refused with a message. */
    {
        hqt_engine *e = NULL;
        CHECK(hqt_engine_create(INT64_C(10000000000), "USD", 100, &e));
        if (hqt_engine_set_tick_model(e, 42) != HQT_E_INVALID_ARGUMENT)
            return 1;
        printf("refused: %s\n", hqt_last_error());
        CHECK(hqt_engine_destroy(e));
    }
    printf("ok\n");
    return 0;
}
