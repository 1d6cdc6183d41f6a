/*
 * Per-call cost of the C API's handle lookup (docs/abi.md, "Handles"): two
 * cheap getters called N times (default 10 million), three rounds.
 *
 *   scripts/build.sh
 *   gcc -O2 -Iinclude bench/capi/handle_lookup.c -Lpython/hqt -lhqt \
 *       -Wl,-rpath,$PWD/python/hqt -o /tmp/handle_lookup && /tmp/handle_lookup
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hqt.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    hqt_engine *e = NULL;
    if (hqt_engine_create(10000000000LL, "USD", 100, &e) != HQT_OK)
        return 1;
    int32_t w = 0;
    uint32_t c = 0;
    long bad = 0;
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (long i = 0; i < n; i++)
            bad += hqt_engine_warming_up(e, &w) != HQT_OK;
        double t1 = now();
        for (long i = 0; i < n; i++)
            bad += hqt_engine_symbol_count(e, &c) != HQT_OK;
        double t2 = now();
        printf("hqt_engine_warming_up %.2f ns/call   hqt_engine_symbol_count %.2f ns/call\n",
               (t1 - t0) / n, (t2 - t1) / n);
    }
    hqt_engine_destroy(e);
    return bad != 0;
}
