/*
 * bar_price.c -- bars built from ticks on the mid and the ask, against include/hqt.h only.
 *
 * Built and run by python/tests/test_bar_price.py:
 *   gcc -std=c11 -Wall -Wextra -Werror -I include bar_price.c -L python/hqt -lhqt
 *
 * Builds M1 bars on the mid and M5 bars on the ask of one symbol with
 * hqt_engine_build_bars_v2, prints the refusals of a bad price and of a
 * second price for M1 (status and message), then runs five ticks and prints
 * every bar on_bar receives: "<minutes> <time s> <open> <high> <low> <close>
 * <volume>" in micro units. Last line: "ok".
 */
#include <inttypes.h>
#include <stdio.h>

#include "hqt.h"

#define SEC INT64_C(1000000000)

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int st_ = (call);                                                                    \
        if (st_ != HQT_OK) {                                                                 \
            printf("FAILED %s: %s %s\n", #call, hqt_status_name(st_), hqt_last_error());     \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

static int on_bar(hqt_engine *e, const hqt_bar *b, void *user_data)
{
    (void)e;
    (void)user_data;
    printf("%d %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
           (int)b->timeframe, b->time / SEC, b->open, b->high, b->low, b->close, b->volume);
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

    CHECK(hqt_engine_build_bars_v2(e, sym, HQT_M1, HQT_PRICE_MID));
    CHECK(hqt_engine_build_bars_v2(e, sym, HQT_M5, HQT_PRICE_ASK));
    CHECK(hqt_engine_build_bars_v2(e, sym, HQT_M1, HQT_PRICE_MID)); /* the same again: nothing */
    int st = hqt_engine_build_bars_v2(e, sym, HQT_M15, HQT_PRICE_CLOSE);
    printf("%s %s\n", hqt_status_name(st), hqt_last_error());
    st = hqt_engine_build_bars_v2(e, sym, HQT_M1, HQT_PRICE_ASK);
    printf("%s %s\n", hqt_status_name(st), hqt_last_error());

    /* the ask's highest tick (50 s) is not the bid's (30 s); spreads vary */
    int64_t t[5] = {10 * SEC, 30 * SEC, 40 * SEC, 50 * SEC, 61 * SEC};
    int64_t bid[5] = {1000000, 1200000, 900000, 1150000, 1300000};
    int64_t ask[5] = {1000101, 1200010, 900300, 1250001, 1300050};
    CHECK(hqt_engine_load_ticks(e, sym, t, bid, ask, 5));
    hqt_strategy strategy = {NULL, NULL, NULL, on_bar, NULL, NULL, NULL, NULL};
    CHECK(hqt_engine_run(e, &strategy));
    hqt_engine_destroy(e);
    printf("ok\n");
    return 0;
}
