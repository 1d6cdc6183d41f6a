/*
 * built_bars.c -- the tick path with bars built from ticks, for callgrind.
 *
 * Usage: built_bars MODE [N]   MODE: none | bid | ask | mid, N ticks (default 200000)
 * Loads N ticks of one symbol (1 s apart, a random walk with a varying
 * spread), builds M1 and M5 bars on the MODE price (none: no builder), and
 * runs them without a strategy. bench/engine/built_bars_ir.sh counts the
 * instructions inside hqt_engine_run* with callgrind, per tick, against two
 * libraries (before/after a change to the tick path). MODE bid uses
 * hqt_engine_build_bars, which every library has; ask and mid look up
 * hqt_engine_build_bars_v2 at run time (absent before issue 13).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hqt.h"

typedef int (*build_v2_fn)(hqt_engine *, uint32_t, int32_t, int32_t);

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: built_bars none|bid|ask|mid [N]\n");
        return 2;
    }
    const char *mode = argv[1];
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
    int64_t *t = malloc(n * sizeof *t), *bid = malloc(n * sizeof *bid), *ask = malloc(n * sizeof *ask);
    if (!t || !bid || !ask)
        return 1;
    uint64_t rng = 7;
    int64_t price = 1100000;
    for (size_t i = 0; i < n; i++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        price += (int64_t)((rng >> 33) % 41) - 20;
        t[i] = INT64_C(1700000100000000000) + (int64_t)i * INT64_C(1000000000);
        bid[i] = price;
        ask[i] = price + 1 + (int64_t)((rng >> 20) % 40);
    }
    hqt_engine *e = NULL;
    hqt_symbol_spec spec;
    hqt_symbol_spec_init(&spec);
    spec.name = "EURUSD";
    spec.base_currency = "EUR";
    spec.profit_currency = "USD";
    uint32_t sym = 0;
    if (hqt_engine_create(INT64_C(10000000000), "USD", 100, &e) != HQT_OK ||
        hqt_engine_add_symbol(e, &spec, &sym) != HQT_OK ||
        hqt_engine_load_ticks(e, sym, t, bid, ask, n) != HQT_OK) {
        fprintf(stderr, "setup: %s\n", hqt_last_error());
        return 1;
    }
    int st = HQT_OK;
    if (strcmp(mode, "bid") == 0) {
        st = hqt_engine_build_bars(e, sym, HQT_M1);
        if (st == HQT_OK)
            st = hqt_engine_build_bars(e, sym, HQT_M5);
    } else if (strcmp(mode, "ask") == 0 || strcmp(mode, "mid") == 0) {
        build_v2_fn v2 = (build_v2_fn)dlsym(RTLD_DEFAULT, "hqt_engine_build_bars_v2");
        if (v2 == NULL) {
            fprintf(stderr, "this library has no hqt_engine_build_bars_v2\n");
            return 3;
        }
        int32_t p = mode[0] == 'a' ? 1 : 2; /* HQT_PRICE_ASK, HQT_PRICE_MID */
        st = v2(e, sym, HQT_M1, p);
        if (st == HQT_OK)
            st = v2(e, sym, HQT_M5, p);
    } else if (strcmp(mode, "none") != 0) {
        fprintf(stderr, "MODE: none, bid, ask or mid\n");
        return 2;
    }
    if (st != HQT_OK || hqt_engine_run(e, NULL) != HQT_OK) {
        fprintf(stderr, "run: %s\n", hqt_last_error());
        return 1;
    }
    printf("%s %zu ticks\n", mode, n);
    hqt_engine_destroy(e);
    free(t);
    free(bid);
    free(ask);
    return 0;
}
