/* The floor for benchmark case (b): a plain C loop doing what the engine's
   tick path does for one open buy position with SL and TP — store the
   quote, check SL/TP, mark the position to market, update equity and the
   drawdown peak — over the same tick arrays. Built with -O2 by the bench. */
#include <stddef.h>
#include <stdint.h>

int64_t position_loop(const int64_t *bid, const int64_t *ask, size_t n, int64_t open_price,
                      int64_t sl, int64_t tp, int64_t units, int64_t balance) {
    int64_t last_bid = 0, last_ask = 0, peak = balance, max_dd = 0, closed_at = -1;
    for (size_t i = 0; i < n; i++) {
        last_bid = bid[i];
        last_ask = ask[i];
        if (closed_at < 0 && (last_bid <= sl || last_bid >= tp)) closed_at = (int64_t)i;
        int64_t diff = last_bid - open_price;
        int64_t profit = (diff * units + (diff >= 0 ? 500000 : -500000)) / 1000000;
        int64_t equity = balance + profit;
        if (equity > peak) peak = equity;
        else if (peak - equity > max_dd) max_dd = peak - equity;
    }
    return max_dd + closed_at + last_ask;
}
