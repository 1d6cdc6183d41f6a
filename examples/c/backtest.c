/*
 * backtest.c -- a complete HQT backtest in C (docs/c.md walks through it).
 *
 *   scripts/install.sh --prefix "$HOME/.local"      (or any prefix)
 *   export PKG_CONFIG_PATH="$HOME/.local/lib/pkgconfig"
 *   cc -std=c11 -O2 backtest.c $(pkg-config --cflags --libs hqt) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir hqt) -o backtest
 *   ./backtest [WAL path] [broadcast endpoint]
 *
 * Engine (10 000 USD, leverage 100) -> one symbol -> 20 000 generated ticks
 * -> a native strategy (buy on a breakout, SL/TP attached) -> broadcasting on
 * a free TCP port -> a write-ahead log -> run -> statistics -> errors.
 * Money, prices and volumes are int64 micro-units in the ABI (1.10000 -> 1100000);
 * the _f64 functions (hqt_engine_create_f64, hqt_engine_buy_f64, ...) take doubles.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hqt.h"

/* Every call returns a status; on failure hqt_last_error() says why. */
#define CHECK(call)                                                                  \
    do {                                                                             \
        int st_ = (call);                                                            \
        if (st_ != HQT_OK) {                                                         \
            fprintf(stderr, "%s failed: %s: %s\n", #call, hqt_status_name(st_),      \
                    hqt_last_error());                                               \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define MICROS(x) ((int64_t)((x) * 1e6 + ((x) < 0 ? -0.5 : 0.5)))
#define N 20000

typedef struct {
    uint32_t symbol;
    int64_t breakout_micros; /* buy when the ask goes above this */
    int trades;
} breakout;

/* Called for every tick. Non-zero stops the run (HQT_E_CALLBACK). */
static int on_tick(hqt_engine *engine, const hqt_tick *tick, void *user_data)
{
    breakout *s = user_data;
    size_t open = 0;
    if (hqt_engine_positions(engine, NULL, 0, &open) != HQT_OK)
        return 1;
    if (open == 0 && tick->ask > s->breakout_micros) {
        uint64_t ticket = 0;
        double bid = tick->bid / 1e6; /* tick prices are micro-units; the _f64 twin takes doubles */
        int st = hqt_engine_buy_f64(engine, tick->symbol_id, 0.1 /* lots */, bid - 0.0010,
                                    bid + 0.0005, &ticket);
        if (st == HQT_E_NO_MONEY)
            return 0; /* a refused order is not fatal for this strategy */
        if (st != HQT_OK)
            return 1;
        s->trades++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *wal_path = argc > 1 ? argv[1] : "backtest.wal";
    const char *endpoint = argc > 2 ? argv[2] : "tcp://127.0.0.1:*";
    printf("HQT %s (header %s)\n", hqt_version(), HQT_VERSION);

    /* 1. Engine: 10 000 USD (hqt_engine_create takes micro-units: MICROS(10000.0)). */
    hqt_engine *engine = NULL;
    CHECK(hqt_engine_create_f64(10000.0, "USD", 100, &engine));

    /* 2. A symbol: start from the defaults, change what differs. */
    hqt_symbol_spec spec;
    hqt_symbol_spec_init(&spec);
    spec.name = "EURUSD";
    spec.base_currency = "EUR";
    spec.profit_currency = "USD";
    spec.margin_currency = "EUR";
    spec.commission_per_lot = MICROS(3.5);
    uint32_t eurusd = 0;
    CHECK(hqt_engine_add_symbol(engine, &spec, &eurusd));

    /* 3. Data: times in ns since the epoch, prices as doubles (the _f64 loader). */
    int64_t *time = malloc(N * sizeof *time);
    double *bid = malloc(N * sizeof *bid), *ask = malloc(N * sizeof *ask);
    if (!time || !bid || !ask)
        return 1;
    uint64_t rng = 1;
    double price = 1.10;
    for (int i = 0; i < N; i++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        price += ((double)(rng >> 11) / 9007199254740992.0 - 0.5) * 0.0001;
        time[i] = INT64_C(1704153600000000000) + (int64_t)i * 100000000; /* 2024-01-02, 10/s */
        bid[i] = price;
        ask[i] = price + 0.00002;
    }
    CHECK(hqt_engine_load_ticks_f64(engine, eurusd, time, bid, ask, N));
    free(time), free(bid), free(ask);

    /* 4. Broadcasting: every event as a ZeroMQ frame (docs/zmq.md). */
    hqt_broadcast_options options;
    hqt_broadcast_options_init(&options);
    options.endpoint = endpoint;
    CHECK(hqt_engine_enable_broadcasting(engine, &options, NULL));
    char bound[256];
    CHECK(hqt_engine_broadcast_endpoint(engine, bound, sizeof bound));
    printf("broadcasting on %s\n", bound);

    /* 5. Write-ahead log: every trading operation is logged before it happens. */
    hqt_wal_options wal;
    hqt_wal_options_init(&wal);
    wal.truncate = 1; /* a fresh log; an existing one would need hqt_engine_recover_from_wal */
    CHECK(hqt_engine_enable_wal(engine, wal_path, &wal, 0, NULL));

    /* 6. The strategy: a struct of callbacks, sized so newer headers stay compatible. */
    breakout state = {eurusd, MICROS(1.1010), 0};
    hqt_strategy_v2 strategy;
    CHECK(hqt_strategy_v2_init(&strategy, sizeof strategy));
    strategy.user_data = &state;
    strategy.on_tick = on_tick;
    CHECK(hqt_engine_run_v2(engine, &strategy));

    /* 7. Results. */
    hqt_statistics stats;
    CHECK(hqt_engine_statistics(engine, &stats));
    hqt_broadcast_stats sent;
    CHECK(hqt_engine_broadcast_stats(engine, &sent));
    printf("trades %d deals %" PRId64 " net profit %.2f USD, frames sent %" PRIu64 "\n",
           state.trades, stats.total_deals, stats.net_profit / 1e6, sent.total_sent);

    /* 8. Errors: a status code, and a message for this thread. */
    uint64_t ticket = 0;
    int st = hqt_engine_buy_f64(engine, 99, 0.1, 0, 0, &ticket);
    printf("buy on symbol 99: %s: %s\n", hqt_status_name(st), hqt_last_error());

    CHECK(hqt_engine_disable_wal(engine)); /* final checkpoint */
    CHECK(hqt_engine_destroy(engine));
    puts("ok");
    return 0;
}
