/*
 * hqt.h -- the C interface of HQT, a tick-level trading backtest engine.
 *
 * Read top to bottom; everything the library exports is here.
 *
 * Conventions (see docs/ and SPEC):
 *   - Every function that can fail returns an int status: HQT_OK (0) or one
 *     of the HQT_E_* codes below. hqt_last_error() then returns a message
 *     describing the failure (thread-local, valid until the next failing call
 *     on the same thread).
 *   - A failed call leaves the engine exactly as it was.
 *   - Numbers are exact integers in SPEC units:
 *       price, sl, tp ......... int64, price x 1e6 ("micro"); 0 = none
 *       money ................. int64, account currency x 1e6
 *       volume ................ int64, lots x 1e6 (0.01 lot = 10000)
 *       margin level .......... int64, percent x 1e6 (0 while no margin used)
 *       time .................. int64, nanoseconds since the Unix epoch, UTC
 *   - An hqt_engine is not thread-safe: use one from one thread at a time
 *     (hqt_engine_interrupt excepted: any thread may call it).
 *     Strategy callbacks run on the thread that called hqt_engine_run() or
 *     hqt_engine_process_event() and may call back into the same engine.
 *   - Handles (hqt_engine *, hqt_broadcaster *, hqt_wal *) are opaque ids,
 *     not addresses: never dereference one. Every call checks its handle;
 *     NULL, a destroyed handle (also once a new object was created in its
 *     place), a handle of another kind or any other value returns
 *     HQT_E_INVALID_ARGUMENT ("... is not a live hqt_engine handle
 *     (destroyed or foreign)") and touches nothing. Destroying twice is
 *     that same error, never a crash. Destroying NULL is HQT_OK. An engine
 *     cannot be destroyed from its own callbacks (inside run(),
 *     process_event(), flush_bars()): HQT_E_BUSY, and it stays alive; an
 *     hqt_wal likewise from its own record callback. Different handles may
 *     be created, used and destroyed on different threads at once
 *     (docs/abi.md, "Handles").
 *
 * ABI versioning (docs/abi.md):
 *   - HQT_VERSION_* is the header a program was compiled against,
 *     hqt_version_number() the library it runs with. A program built
 *     against any older header of the same major version works unchanged
 *     with a newer library: the library only ever grows.
 *   - Values are never reused nor renumbered: status codes, enum values,
 *     topic bytes and WAL record types keep their meaning forever and new
 *     ones take new numbers. They are written once, in abi/hqt_abi.toml; the
 *     blocks marked GENERATED below come from it (scripts/gen_abi.py).
 *   - A function never changes its parameters or meaning: a new function
 *     (name_v2) is added instead, and the old one stays.
 *   - Structs that a program fills and the library reads (strategy, symbol
 *     spec, options) start, from 0.2 on, with `size_t struct_size`: the
 *     *_v2 structs, set up by their *_v2_init(struct, sizeof *struct).
 *     Fields are only ever appended. The library reads the fields that
 *     struct_size covers and takes defaults for the rest (an older, shorter
 *     struct), and accepts a longer struct from a newer header when every
 *     byte it does not know is 0 (else HQT_E_INVALID_ARGUMENT): a new
 *     option is never ignored silently. The 0.1 structs without a size
 *     (hqt_strategy, hqt_symbol_spec, hqt_broadcast_options,
 *     hqt_broadcast_cadence, hqt_wal_options) and the functions that take
 *     them stay as they were, for programs written against 0.1.
 *   - Structs the library fills (hqt_account, hqt_deal, ...) keep their
 *     layout; a longer one would come with new functions.
 */
#ifndef HQT_H
#define HQT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Version and errors                                                  */
/* ------------------------------------------------------------------ */

/* BEGIN GENERATED: hqt_abi.toml [version] */
#define HQT_VERSION_MAJOR 0
#define HQT_VERSION_MINOR 2
#define HQT_VERSION_PATCH 0
#define HQT_VERSION "0.2.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH: compare with hqt_version_number(). */
#define HQT_VERSION_NUMBER 2000
/* END GENERATED */

/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
const char *hqt_version(void);
/* HQT_VERSION_NUMBER of the library actually loaded (since 0.2). */
int hqt_version_number(void);

/* BEGIN GENERATED: hqt_abi.toml [status] */
/* Status codes: every call that can fail returns HQT_OK or one of these. */
enum {
    HQT_OK = 0,
    HQT_E_INVALID_ARGUMENT = 1, /* null pointer, NaN, negative, bad enum value */
    HQT_E_UNKNOWN_SYMBOL = 2,   /* no symbol with that id or name */
    HQT_E_UNKNOWN_TICKET = 3,   /* no open position / pending order with that ticket */
    HQT_E_INVALID_VOLUME = 4,   /* outside [min, max] or not a multiple of the step */
    HQT_E_INVALID_PRICE = 5,    /* price not positive, or pending price on the wrong side */
    HQT_E_INVALID_STOPS = 6,    /* SL/TP on the wrong side of the price */
    HQT_E_NO_MONEY = 7,         /* not enough free margin: order rejected */
    HQT_E_NO_PRICE = 8,         /* the symbol has no quote yet */
    HQT_E_CONVERSION = 9,       /* no loaded symbol converts a currency to the account's */
    HQT_E_DATA_ORDER = 10,      /* timestamps going backwards */
    HQT_E_BAD_DATA = 11,        /* malformed market data (crossed quote, high < low, ...) */
    HQT_E_BUSY = 12,            /* run() re-entered from a callback, or similar */
    HQT_E_CALLBACK = 13,        /* a strategy callback returned non-zero: run stopped */
    HQT_E_STATE = 14,           /* not allowed now (e.g. change account mode after trading) */
    HQT_E_IO = 15,              /* file system error */
    HQT_E_BROADCAST = 16,       /* ZeroMQ error (bind failed, bad endpoint, ...) */
    HQT_E_WAL_CORRUPT = 17,     /* write-ahead log damaged before its last valid record */
    HQT_E_WAL = 18,             /* other write-ahead log error (lock held, sync failed, ...) */
    HQT_E_RANGE = 19,           /* past the exact range (money, volume x price, time + period): refused, nothing changed */
    HQT_E_INTERRUPTED = 20,     /* run stopped between two events by hqt_engine_interrupt: run again to continue */
    HQT_E_FROZEN = 21,          /* order or position within the symbol's freeze level: not modified or closed */
    HQT_E_MARKET_CLOSED = 22,   /* outside the symbol's trade sessions: order refused */
    HQT_E_LIMIT_VOLUME = 28,    /* the symbol's volume_limit leaves no room for the order (fok: none of it fits): order refused */
    HQT_E_INTERNAL = 99         /* a bug in HQT: please report it */
};
/* END GENERATED */

/* Message of the last failed call on this thread ("" if none). */
const char *hqt_last_error(void);

/* Short constant name of a status code, e.g. "HQT_E_NO_MONEY". */
const char *hqt_status_name(int status);

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

/* BEGIN GENERATED: hqt_abi.toml [order_type, position_type, deal_entry, deal_reason] */
/* Order types (MetaTrader 5 codes, SPEC section 1). */
enum {
    HQT_ORDER_BUY = 0,
    HQT_ORDER_SELL = 1,
    HQT_ORDER_BUY_LIMIT = 2,
    HQT_ORDER_SELL_LIMIT = 3,
    HQT_ORDER_BUY_STOP = 4,
    HQT_ORDER_SELL_STOP = 5,
    HQT_ORDER_BUY_STOP_LIMIT = 6,
    HQT_ORDER_SELL_STOP_LIMIT = 7
};

/* Position and deal directions. */
enum {
    HQT_BUY = 0,
    HQT_SELL = 1
};

/* Deal entry: opening, closing, reversing (netting), closing by an opposite position (hedging). */
enum {
    HQT_ENTRY_IN = 0,
    HQT_ENTRY_OUT = 1,
    HQT_ENTRY_INOUT = 2,
    HQT_ENTRY_OUT_BY = 3  /* close_by(): closed by an opposite position (MT5's DEAL_ENTRY_OUT_BY) */
};

/* Why a deal happened. */
enum {
    HQT_REASON_CLIENT = 0,   /* market order or close() from the strategy / caller */
    HQT_REASON_SL = 1,
    HQT_REASON_TP = 2,
    HQT_REASON_STOP_OUT = 3,
    HQT_REASON_PENDING = 4   /* a pending order triggered */
};
/* END GENERATED */

/* BEGIN GENERATED: hqt_abi.toml [order_state] */
/* Pending order states (as in the ORDER frame's high nibble). */
enum {
    HQT_ORDER_STATE_PLACED = 0,
    HQT_ORDER_STATE_MODIFIED = 1,
    HQT_ORDER_STATE_FILLED = 2,
    HQT_ORDER_STATE_CANCELED = 3,
    HQT_ORDER_STATE_REJECTED = 4,
    HQT_ORDER_STATE_EXPIRED = 5
};
/* END GENERATED */

/* BEGIN GENERATED: hqt_abi.toml [account_mode, margin_mode, calc_mode, swap_mode, commission_entry, commission_currency, event_type, timeframe] */
/* Hedging: several positions per symbol. Netting: one, reduced or reversed by opposite deals. */
enum {
    HQT_ACCOUNT_HEDGING = 0,
    HQT_ACCOUNT_NETTING = 1
};

/* Margin calculation mode of a symbol. */
enum {
    HQT_MARGIN_FOREX = 0, /* lots * contract size / leverage, in margin currency */
    HQT_MARGIN_CFD = 1    /* alias of HQT_CALC_CFD (in 0.1: lots * contract size * price / leverage, now HQT_CALC_CFD_LEVERAGE) */
};

/* MT5's ENUM_SYMBOL_CALC_MODE (MT5's numbers): how margin and profit are computed. */
enum {
    HQT_CALC_FROM_MARGIN_MODE = -1, /* hqt_symbol_spec_v2 default: margin_mode decides (HQT_MARGIN_FOREX or HQT_MARGIN_CFD) */
    HQT_CALC_FOREX = 0,             /* margin lots * contract / leverage * rate; profit (close - open) * contract * lots */
    HQT_CALC_FUTURES = 1,           /* margin lots * margin_initial * rate; profit (close - open) * tick_value / tick_size * lots */
    HQT_CALC_CFD = 2,               /* margin lots * contract * price * rate */
    HQT_CALC_CFD_INDEX = 3,         /* margin lots * contract * price * tick_value / tick_size * rate */
    HQT_CALC_CFD_LEVERAGE = 4,      /* margin lots * contract * price / leverage * rate */
    HQT_CALC_FOREX_NO_LEVERAGE = 5, /* margin lots * contract * rate */
    HQT_CALC_EXCHANGE_STOCKS = 32   /* margin lots * contract * price * rate */
};

/* MT5's ENUM_SYMBOL_SWAP_MODE (MT5's numbers): the unit of swap_long / swap_short. */
enum {
    HQT_SWAP_DISABLED = 0,         /* no swaps */
    HQT_SWAP_POINTS = 1,           /* points: swap * point * contract * lots, profit currency */
    HQT_SWAP_BASE_CURRENCY = 2,    /* money per lot in the base currency */
    HQT_SWAP_MARGIN_CURRENCY = 3,  /* money per lot in the margin currency */
    HQT_SWAP_DEPOSIT_CURRENCY = 4, /* money per lot in the account currency */
    HQT_SWAP_INTEREST_CURRENT = 5, /* annual %: current price * contract * lots * swap / 100 / 360 */
    HQT_SWAP_INTEREST_OPEN = 6     /* annual %: open price * contract * lots * swap / 100 / 360 */
};

/* Which deals a symbol's commission is charged on (hqt_symbol_spec_v2.commission_entry). */
enum {
    HQT_COMMISSION_ENTRY_BOTH = 0, /* entries and exits (default) */
    HQT_COMMISSION_ENTRY_IN = 1,   /* entering deals only */
    HQT_COMMISSION_ENTRY_OUT = 2   /* exiting deals only (OUT, OUT_BY, the closing part of INOUT) */
};

/* Currency of a symbol's per-lot and per-deal commission (hqt_symbol_spec_v2.commission_currency). */
enum {
    HQT_COMMISSION_CURRENCY_DEPOSIT = 0, /* the account currency (default) */
    HQT_COMMISSION_CURRENCY_SYMBOL = 1   /* the symbol's profit currency, converted like a loss */
};

/* Event types for hqt_engine_process_event(). */
enum {
    HQT_EVENT_TICK = 0,
    HQT_EVENT_BAR = 1
};

/* Timeframes, in minutes (SPEC section 1). */
enum {
    HQT_M1 = 1,
    HQT_M5 = 5,
    HQT_M15 = 15,
    HQT_M30 = 30,
    HQT_H1 = 60,
    HQT_H4 = 240,
    HQT_D1 = 1440,
    HQT_W1 = 10080,
    HQT_MN1 = 43200
};
/* END GENERATED */

/* Passed as sl or tp to hqt_engine_modify(): leave that level unchanged. */
#define HQT_KEEP INT64_MIN

/* ------------------------------------------------------------------ */
/* Plain data structs                                                  */
/* ------------------------------------------------------------------ */

typedef struct hqt_tick {
    uint32_t symbol_id;
    int64_t time;
    int64_t bid;
    int64_t ask;
} hqt_tick;

typedef struct hqt_bar {
    uint32_t symbol_id;
    int32_t timeframe; /* minutes */
    int64_t time;      /* open time */
    int64_t open;
    int64_t high;
    int64_t low;
    int64_t close;
    int64_t volume;    /* x 1e6; tick count x 1e6 for bars built from ticks */
} hqt_bar;

/* One market event for hqt_engine_process_event(): type selects the member. */
typedef struct hqt_event {
    int32_t type; /* HQT_EVENT_TICK or HQT_EVENT_BAR */
    hqt_tick tick;
    hqt_bar bar;
} hqt_event;

typedef struct hqt_symbol_spec {
    const char *name;             /* unique, e.g. "EURUSD" */
    const char *base_currency;    /* e.g. "EUR" */
    const char *profit_currency;  /* e.g. "USD" */
    const char *margin_currency;  /* NULL or "" = base currency */
    int64_t contract_size;        /* units per lot x 1e6 (100000 lots -> 100000000000) */
    int32_t digits;               /* price digits, 0..6; point = 10^-digits */
    int32_t margin_mode;          /* HQT_MARGIN_FOREX or HQT_MARGIN_CFD (MT5 CFD, no leverage, since 0.2) */
    int64_t volume_min;           /* lots x 1e6 */
    int64_t volume_step;          /* lots x 1e6 */
    int64_t volume_max;           /* lots x 1e6 */
    int64_t commission_per_lot;   /* account money x 1e6 per lot per side */
    int64_t spread;               /* price x 1e6, ask = bid + spread for bar-only data */
} hqt_symbol_spec;

typedef struct hqt_symbol_info {
    uint32_t symbol_id;
    char name[32];
    char base_currency[8];
    char profit_currency[8];
    char margin_currency[8];
    int64_t contract_size;
    int32_t digits;
    int32_t margin_mode;
    int64_t volume_min;
    int64_t volume_step;
    int64_t volume_max;
    int64_t commission_per_lot;
    int64_t spread;
    int64_t bid;           /* last quote, 0 before the first */
    int64_t ask;
    int64_t last_time;
} hqt_symbol_info;

/* A new order. Unused prices are 0. */
typedef struct hqt_order_request {
    uint32_t symbol_id;
    int32_t type;             /* HQT_ORDER_* */
    int64_t volume;
    int64_t price;            /* pending: trigger / limit price; market: ignored */
    int64_t stop_limit;       /* STOP_LIMIT: limit price placed when `price` is hit */
    int64_t sl;
    int64_t tp;
    int64_t expiration;       /* time; 0 = good till canceled */
    int64_t trailing_points;  /* trailing stop distance in points; 0 = none */
    uint64_t magic;           /* free for the caller, copied to deals */
} hqt_order_request;

typedef struct hqt_position {
    uint64_t ticket;
    uint32_t symbol_id;
    int32_t type;             /* HQT_BUY or HQT_SELL */
    int64_t volume;
    int64_t open_price;
    int64_t open_time;
    int64_t sl;
    int64_t tp;
    int64_t trailing_points;
    int64_t profit;           /* floating, account currency, plus the unbooked swap */
    int64_t margin;           /* account currency */
    int64_t commission;       /* entry commission charged so far */
    uint64_t magic;
} hqt_position;

typedef struct hqt_order {
    uint64_t ticket;
    uint32_t symbol_id;
    int32_t type;             /* HQT_ORDER_* (pending types) */
    int32_t state;            /* HQT_ORDER_STATE_* */
    int32_t reserved;
    int64_t volume;
    int64_t price;
    int64_t stop_limit;
    int64_t sl;
    int64_t tp;
    int64_t expiration;
    int64_t time_setup;
    int64_t trailing_points;
    uint64_t magic;
} hqt_order;

typedef struct hqt_deal {
    uint64_t ticket;
    uint64_t order;           /* order that caused it */
    uint64_t position;        /* position it opened / changed */
    uint32_t symbol_id;
    int32_t type;             /* HQT_BUY or HQT_SELL */
    int32_t entry;            /* HQT_ENTRY_* */
    int32_t reason;           /* HQT_REASON_* */
    int64_t time;
    int64_t volume;
    int64_t price;
    int64_t commission;       /* charged on this deal (<= 0) */
    int64_t profit;           /* realized, account currency, plus the swap it books (0 for IN deals) */
    int64_t balance;          /* balance after the deal */
    uint64_t magic;
} hqt_deal;

/* A round trip: a position (or the closed part of it) from entry to exit. */
typedef struct hqt_trade {
    uint64_t position;
    uint32_t symbol_id;
    int32_t type;             /* direction of the position */
    int64_t volume;
    int64_t open_time;
    int64_t open_price;
    int64_t close_time;
    int64_t close_price;
    int64_t commission;       /* entry + exit commission of this volume */
    int64_t profit;           /* realized, before commission, with the swap booked */
    int32_t close_reason;     /* HQT_REASON_* */
    int32_t reserved;
} hqt_trade;

typedef struct hqt_equity_point {
    int64_t time;
    int64_t balance;
    int64_t equity;
    int64_t margin;
} hqt_equity_point;

typedef struct hqt_account {
    int64_t time;             /* time of the last processed event */
    int64_t balance;
    int64_t equity;
    int64_t profit;           /* floating profit of open positions, with their unbooked swaps */
    int64_t margin;
    int64_t free_margin;
    int64_t margin_level;     /* percent x 1e6; 0 while no margin is used */
    int64_t leverage;
    int64_t margin_call_level;/* percent x 1e6 */
    int64_t stop_out_level;   /* percent x 1e6 */
    int32_t mode;             /* HQT_ACCOUNT_* */
    int32_t margin_call;      /* 1 while margin level <= margin call level */
    char currency[8];
} hqt_account;

typedef struct hqt_statistics {
    int64_t initial_balance;
    int64_t final_balance;
    int64_t final_equity;
    int64_t net_profit;        /* final balance - initial balance */
    int64_t gross_profit;      /* sum of winning trades (after commission) */
    int64_t gross_loss;        /* sum of losing trades (after commission), <= 0 */
    int64_t total_commission;  /* <= 0 */
    int64_t max_drawdown;      /* money, peak-to-trough of equity */
    double max_drawdown_pct;   /* percent of the peak */
    double profit_factor;      /* gross profit / |gross loss|; 0 if no loss and no profit, INFINITY if no loss */
    double sharpe_ratio;       /* daily equity returns, annualised by sqrt(252); NaN if undefined */
    double win_rate;           /* percent of winning trades */
    int64_t total_trades;
    int64_t winning_trades;
    int64_t losing_trades;
    int64_t total_deals;
    int64_t ticks_processed;
    int64_t bars_processed;
} hqt_statistics;

/* ------------------------------------------------------------------ */
/* Engine                                                              */
/* ------------------------------------------------------------------ */

typedef struct hqt_engine hqt_engine;

/* initial_balance in money micro; currency a 3-letter code; leverage >= 1. */
int hqt_engine_create(int64_t initial_balance_micros, const char *currency, int64_t leverage,
                      hqt_engine **out_engine);
/* The same, balance as a double in the currency (10000.0 USD). Every _f64 function rounds
   each double once to micro-units and calls its int64 twin; NaN, infinities and values
   beyond +-9.2e12 are HQT_E_INVALID_ARGUMENT. (since 0.2) */
int hqt_engine_create_f64(double initial_balance, const char *currency, int64_t leverage,
                          hqt_engine **out_engine);
/* Frees the engine; closes its broadcaster and WAL. NULL is a no-op
   (HQT_OK). HQT_E_BUSY from the engine's own callbacks (it stays alive);
   HQT_E_INVALID_ARGUMENT for a destroyed or foreign handle. Returned void
   before 0.2; the int return is binary compatible with 0.1 callers. */
int hqt_engine_destroy(hqt_engine *engine);

/* HQT_ACCOUNT_HEDGING (default) or HQT_ACCOUNT_NETTING; only before the first order. */
int hqt_engine_set_account_mode(hqt_engine *engine, int32_t mode);
/* Margin call and stop-out levels, percent x 1e6 (defaults 100% and 50%). */
int hqt_engine_set_margin_levels(hqt_engine *engine, int64_t margin_call_micros,
                                 int64_t stop_out_micros);
/* The same in natural units (percent, or deposit currency in HQT_STOP_OUT_MONEY mode). */
int hqt_engine_set_margin_levels_f64(hqt_engine *engine, double margin_call_level,
                                     double stop_out_level);
/* Digits the balance books money in (deal profit, commission, swap), 0...6;
   default by currency: 2, JPY and other zero-decimal currencies 0, BHD/KWD/...
   3 (ACCOUNT_CURRENCY_DIGITS). Only before the first order. */
int hqt_engine_set_currency_digits(hqt_engine *engine, int32_t digits);
int hqt_engine_currency_digits(hqt_engine *engine, int32_t *out_digits);
/* BEGIN GENERATED: hqt_abi.toml [stop_out_mode] */
/* Stop-out modes for hqt_engine_set_margin_levels_mode() (MT5's ENUM_ACCOUNT_STOPOUT_MODE). */
enum {
    HQT_STOP_OUT_PERCENT = 0, /* levels in percent of the margin level, equity / margin x 100 (the default) */
    HQT_STOP_OUT_MONEY = 1    /* levels in deposit currency, compared with the free margin, equity - margin */
};
/* END GENERATED */
/* Margin call and stop-out levels with their mode: HQT_STOP_OUT_PERCENT (percent x 1e6, as
   hqt_engine_set_margin_levels) or HQT_STOP_OUT_MONEY (deposit currency x 1e6, compared with the
   free margin; 0 <= stop_out <= margin_call <= 1e12). docs/engine.md, "Trading rules". */
int hqt_engine_set_margin_levels_mode(hqt_engine *engine, int64_t margin_call_micros,
                                      int64_t stop_out_micros, int32_t mode);
/* The mode set last (HQT_STOP_OUT_PERCENT until set). */
int hqt_engine_stop_out_mode(hqt_engine *engine, int32_t *out_mode);
/* Ticks skipped so far for lying outside their symbol's quote sessions (docs/engine.md). */
int hqt_engine_ticks_outside_quote_sessions(hqt_engine *engine, int64_t *out_count);
/* Interval of equity curve samples in ns (default 60 s); deals always add a sample. */
int hqt_engine_set_equity_interval(hqt_engine *engine, int64_t interval_ns);
/* Time of day of the swap rollover, seconds after 00:00 server time (0...86399, default 0).
   Swaps charged and not yet booked are part of a position's profit in hqt_position, and
   the closing deal's (and trade's) profit includes the swap it books (docs/engine.md). */
int hqt_engine_set_rollover_time(hqt_engine *engine, int64_t seconds);
int hqt_engine_rollover_time(hqt_engine *engine, int64_t *out_seconds);

/* Fills spec with defaults: contract 100000 lots, 5 digits, forex margin,
   volume 0.01..100 step 0.01, no commission, no spread, currencies NULL. */
void hqt_symbol_spec_init(hqt_symbol_spec *spec);
int hqt_engine_add_symbol(hqt_engine *engine, const hqt_symbol_spec *spec, uint32_t *out_symbol_id);

/* The sized symbol spec (since 0.2): hqt_symbol_spec with struct_size first.
   Fields are only appended; see "ABI versioning" at the top. */
/* One trade session of a symbol (MT5's SymbolInfoSessionTrade): seconds of the day on the data's
   clock, start <= t < end, weekday 0 = Sunday ... 6 = Saturday. */
typedef struct hqt_trade_session {
    int32_t weekday;
    int32_t start;
    int32_t end;
} hqt_trade_session;

typedef struct hqt_symbol_spec_v2 {
    size_t struct_size;           /* set by hqt_symbol_spec_v2_init */
    const char *name;
    const char *base_currency;
    const char *profit_currency;
    const char *margin_currency;
    int64_t contract_size;
    int32_t digits;
    int32_t margin_mode;
    int64_t volume_min;
    int64_t volume_step;
    int64_t volume_max;
    int64_t commission_per_lot;
    int64_t spread;
    /* Appended after the first layout: MT5's calculation mode and its fields (docs/engine.md). Money
       and prices x 1e6 like the rest of the struct. */
    int32_t calc_mode;            /* HQT_CALC_*; HQT_CALC_FROM_MARGIN_MODE (default): margin_mode */
    int32_t margin_hedged_use_leg;    /* 1: charge the larger leg only (hedging accounts) */
    int64_t margin_rate;          /* default 1e6 (1.0) */
    int64_t margin_initial;       /* per lot, margin currency; 0: the mode's formula */
    int64_t margin_maintenance;   /* per lot held by a position; 0: the initial margin */
    int64_t tick_size;            /* futures and CFD index: > 0 */
    int64_t tick_value;           /* profit currency per tick_size per lot */
    int64_t margin_hedged;        /* contract units x 1e6 per hedged lot; -1 (default): positions charged on their own */
    /* Appended: swaps, charged at every rollover to open positions (docs/engine.md, "Swaps"). */
    int32_t swap_mode;            /* HQT_SWAP_*; default HQT_SWAP_DISABLED */
    int32_t swap_rollover3days;   /* weekday whose rollover charges 3 days, 0 = Sunday; default 3 */
    int64_t swap_long;            /* x 1e6, in the unit of swap_mode (points, money per lot, annual %) */
    int64_t swap_short;           /* x 1e6, likewise for sell positions */
    /* Appended for the commission models (docs/engine.md, "Calculation modes"); commission_per_lot
       above follows commission_entry and commission_currency too. */
    int64_t commission_per_deal;  /* money x 1e6 per charged deal, whatever its volume */
    int64_t commission_percent;   /* percent x 1e6 of the deal's turnover (lots x contract x price) */
    int32_t commission_entry;     /* HQT_COMMISSION_ENTRY_*; BOTH (0, default) */
    int32_t commission_currency;  /* HQT_COMMISSION_CURRENCY_*; DEPOSIT (0, default) */
    /* Appended: MT5's trading rules (docs/engine.md, "Trading rules"). */
    int64_t stops_level;          /* points: minimum distance of SL, TP and pending prices from the market; 0: none */
    int64_t freeze_level;         /* points: orders and positions within it are frozen (HQT_E_FROZEN); 0: none */
    /* Trade sessions (copied by add_symbol); count 0: always open. Outside them requests give
       HQT_E_MARKET_CLOSED and pending orders wait. hqt_engine_symbol_spec sets the count, not the
       pointer (NULL). At most 448. */
    const hqt_trade_session *trade_sessions;
    size_t trade_session_count;
    /* Appended: MT5's SYMBOL_VOLUME_LIMIT, lots x 1e6 of open positions plus pending orders in one
       direction; 0 (default): none. hqt_order_request_v2.filling decides what a market order past it
       does (docs/engine.md, "Order filling"). */
    int64_t volume_limit;
    /* Appended: MT5's quote sessions (SymbolInfoSessionQuote), same shape as trade_sessions; a
       tick outside them is skipped and counted (hqt_engine_ticks_outside_quote_sessions). Count 0:
       always quoted. hqt_engine_symbol_spec sets the count, not the pointer (NULL). At most 448. */
    const hqt_trade_session *quote_sessions;
    size_t quote_session_count;
} hqt_symbol_spec_v2;

/* Zeroes struct_size bytes of spec, fills the defaults of hqt_symbol_spec_init
   and sets spec->struct_size = struct_size. Pass sizeof *spec. */
int hqt_symbol_spec_v2_init(hqt_symbol_spec_v2 *spec, size_t struct_size);
int hqt_engine_add_symbol_v2(hqt_engine *engine, const hqt_symbol_spec_v2 *spec,
                             uint32_t *out_symbol_id);
int hqt_engine_symbol_count(hqt_engine *engine, uint32_t *out_count);
int hqt_engine_symbol_info(hqt_engine *engine, uint32_t symbol_id, hqt_symbol_info *out);
/* A symbol's spec as the engine holds it, numbers only: fills the
   fields of *out that out->struct_size covers (set it with
   hqt_symbol_spec_v2_init(&s, sizeof s)); the four string pointers are set
   to NULL (names and currencies: hqt_engine_symbol_info). calc_mode is the
   resolved HQT_CALC_* (never HQT_CALC_FROM_MARGIN_MODE); margin_mode is
   HQT_MARGIN_FOREX for calc mode forex, else HQT_MARGIN_CFD. */
int hqt_engine_symbol_spec(hqt_engine *engine, uint32_t symbol_id, hqt_symbol_spec_v2 *out);
int hqt_engine_find_symbol(hqt_engine *engine, const char *name, uint32_t *out_symbol_id);

/* ---- market data ---- */

/* Appends n ticks of one symbol. Times must not go backwards (within the
   array nor against what was loaded before); prices > 0 and ask >= bid.
   All or nothing: on error nothing is loaded and the message names the index. */
int hqt_engine_load_ticks(hqt_engine *engine, uint32_t symbol_id, const int64_t *time_ns,
                          const int64_t *bid_micros, const int64_t *ask_micros, size_t n);
/* Same, prices as doubles (rounded once to micro). NaN/inf rejected. */
int hqt_engine_load_ticks_f64(hqt_engine *engine, uint32_t symbol_id, const int64_t *time_ns,
                              const double *bid, const double *ask, size_t n);
/* Appends n bars of one symbol and timeframe (time = open time). */
int hqt_engine_load_bars(hqt_engine *engine, uint32_t symbol_id, int32_t timeframe,
                         const int64_t *time_ns, const int64_t *open_micros,
                         const int64_t *high_micros, const int64_t *low_micros,
                         const int64_t *close_micros, const int64_t *volume_micros, size_t n);
int hqt_engine_load_bars_f64(hqt_engine *engine, uint32_t symbol_id, int32_t timeframe,
                             const int64_t *time_ns, const double *open, const double *high,
                             const double *low, const double *close, const double *volume,
                             size_t n);
/* Build bars of this timeframe from the symbol's ticks; each is delivered to
   on_bar when it closes (at the first tick past its end, and at end of run). */
int hqt_engine_build_bars(hqt_engine *engine, uint32_t symbol_id, int32_t timeframe);
/* The same, on the bid (HQT_PRICE_BID, what hqt_engine_build_bars builds,
   as MT5 does), the ask (HQT_PRICE_ASK) or the mid (HQT_PRICE_MID: (bid +
   ask) / 2 in micro units, a half rounded up) of each tick; OHLC follow
   that price, volume counts ticks as before. A symbol has one
   builder per timeframe: asking again on the same price does nothing, on
   another price is HQT_E_INVALID_ARGUMENT, as is any other `price`. (since 0.3) */
int hqt_engine_build_bars_v2(hqt_engine *engine, uint32_t symbol_id, int32_t timeframe,
                             int32_t price);
/* Ticks loaded for the symbol so far (run or not). */
int hqt_engine_tick_count(hqt_engine *engine, uint32_t symbol_id, uint64_t *out_count);
/* Keep the symbol's first `count` ticks, drop the rest: the undo of a load made
   in several calls. `count` must lie between the ticks already run and those
   loaded (HQT_E_INVALID_ARGUMENT otherwise); refused during run(). */
int hqt_engine_truncate_ticks(hqt_engine *engine, uint32_t symbol_id, uint64_t count);
/* Forget loaded data (not the account) and rewind the feed. */
int hqt_engine_clear_data(hqt_engine *engine);
/* Number of loaded events not yet processed by run(). */
int hqt_engine_pending_events(hqt_engine *engine, uint64_t *out_count);

/* ---- driving ---- */

/* Strategy callbacks; any may be NULL. A non-zero return stops the run,
   which then returns HQT_E_CALLBACK. The pointers passed are valid only
   during the call. This is the 0.1 layout, kept as it was for programs
   built against 0.1; new code uses hqt_strategy_v2 (below). */
typedef struct hqt_strategy {
    void *user_data;
    int (*on_start)(hqt_engine *engine, void *user_data);
    int (*on_tick)(hqt_engine *engine, const hqt_tick *tick, void *user_data);
    int (*on_bar)(hqt_engine *engine, const hqt_bar *bar, void *user_data);
    int (*on_trade)(hqt_engine *engine, const hqt_deal *deal, void *user_data);
    int (*on_stop)(hqt_engine *engine, void *user_data);
    /* Optional, for exact resumption after a crash (hqt_engine_run_resume):
       save_state is called at every checkpoint taken during a run and sets
       *data / *size to the strategy's own state (the memory must stay valid
       until the next call into the strategy); restore_state gets those
       bytes back when a recovered run resumes, after which the events since
       that checkpoint are re-fed with trading refused. */
    int (*save_state)(hqt_engine *engine, const void **data, size_t *size, void *user_data);
    int (*restore_state)(hqt_engine *engine, const void *data, size_t size, void *user_data);
} hqt_strategy;

/* BEGIN GENERATED: hqt_abi.toml [rules] */
/* Order of events in hqt_engine_run(): merged across symbols by the time
   each becomes known (tick time, bar close time); ties: bars before ticks,
   then lower symbol id, then shorter timeframe. */
/* END GENERATED */

/* Runs every loaded event not yet processed, in the order above.
   strategy may be NULL.
   Calls on_start first and on_stop last (also after an error in between),
   except when the run is interrupted (hqt_engine_interrupt): then it returns
   HQT_E_INTERRUPTED between two events, without on_stop, and the next
   hqt_engine_run* continues it (without on_start), so that the pieces
   together equal the run never interrupted. */
int hqt_engine_run(hqt_engine *engine, const hqt_strategy *strategy);
/* Asks the run in progress to stop between two events (within 1024 events).
   The one call that is safe from any thread while another runs the engine
   (e.g. a watchdog or UI thread); between runs it does nothing. */
int hqt_engine_interrupt(hqt_engine *engine);
/* *out_paused = 1 when the last run was interrupted and has not been
   continued yet, else 0. */
int hqt_engine_is_paused(hqt_engine *engine, int32_t *out_paused);
/* Processes one event now (paper trading, custom loops). strategy may be NULL;
   its on_tick / on_bar / on_trade are called as in run(). */
int hqt_engine_process_event(hqt_engine *engine, const hqt_event *event,
                             const hqt_strategy *strategy);
/* Closes the bars being built from ticks (delivering them to on_bar). */
int hqt_engine_flush_bars(hqt_engine *engine, const hqt_strategy *strategy);

/* The sized strategy (since 0.2): hqt_strategy with struct_size first.
   Callbacks appended in later versions are NULL in an older, shorter struct. */
typedef struct hqt_strategy_v2 {
    size_t struct_size;       /* set by hqt_strategy_v2_init */
    void *user_data;
    int (*on_start)(hqt_engine *engine, void *user_data);
    int (*on_tick)(hqt_engine *engine, const hqt_tick *tick, void *user_data);
    int (*on_bar)(hqt_engine *engine, const hqt_bar *bar, void *user_data);
    int (*on_trade)(hqt_engine *engine, const hqt_deal *deal, void *user_data);
    int (*on_stop)(hqt_engine *engine, void *user_data);
    int (*save_state)(hqt_engine *engine, const void **data, size_t *size, void *user_data);
    int (*restore_state)(hqt_engine *engine, const void *data, size_t size, void *user_data);
} hqt_strategy_v2;

/* Zeroes struct_size bytes of strategy (every callback NULL) and sets
   strategy->struct_size = struct_size. Pass sizeof *strategy. */
int hqt_strategy_v2_init(hqt_strategy_v2 *strategy, size_t struct_size);
/* hqt_engine_run, _process_event and _flush_bars with the sized strategy
   (hqt_engine_run_resume_v2 is with the write-ahead log); strategy may be NULL. */
int hqt_engine_run_v2(hqt_engine *engine, const hqt_strategy_v2 *strategy);
int hqt_engine_process_event_v2(hqt_engine *engine, const hqt_event *event,
                                const hqt_strategy_v2 *strategy);
int hqt_engine_flush_bars_v2(hqt_engine *engine, const hqt_strategy_v2 *strategy);

/* A run that pulls its data (since 0.2). When every loaded event has run,
   the engine drops that data (bars being built from ticks stay) and calls
   source, which loads the next window with hqt_engine_load_* (allowed
   inside it) and sets *more to 0 when there is nothing left. The whole
   file runs as one run: on_start once, on_stop once, and bars closed by
   the next tick as if everything had been loaded. source returns 0, or
   non-zero to stop the run (HQT_E_CALLBACK). strategy may be NULL. */
typedef int (*hqt_data_source_fn)(hqt_engine *engine, int *more, void *source_user_data);
int hqt_engine_run_source(hqt_engine *engine, const hqt_strategy_v2 *strategy,
                          hqt_data_source_fn source, void *source_user_data);

/* BEGIN GENERATED: hqt_abi.toml [tick_model] */
/* Tick models for hqt_engine_set_tick_model() (MetaTrader 5 Strategy Tester modes). */
enum {
    HQT_TICK_MODEL_DEFAULT = -1,    /* no request: a run uses REAL_TICKS, a resume the recovered run's model */
    HQT_TICK_MODEL_REAL_TICKS = 0,  /* loaded ticks as they are, loaded bars by the bar rule (the default) */
    HQT_TICK_MODEL_EVERY_TICK = 1,  /* ticks generated in each M1 bar from OHLC and tick volume */
    HQT_TICK_MODEL_OHLC_M1 = 2,     /* 4 ticks per M1 bar: open, extremes in MT5's order, close */
    HQT_TICK_MODEL_OPEN_PRICES = 3, /* one tick per bar (any timeframe), at its open */
    HQT_TICK_MODEL_BARS = 4         /* the bar rule (SL before TP) for bars of any timeframe */
};
/* END GENERATED */

/* The tick model of the following runs (since 0.2; docs/engine.md, "Tick
   models"): how loaded bars are traded. EVERY_TICK and OHLC_M1 need M1
   bars (another timeframe fails the run before on_start with
   HQT_E_INVALID_ARGUMENT); OPEN_PRICES and BARS take any. The model stays
   set for later runs; HQT_TICK_MODEL_DEFAULT clears it. A resume after
   recovery runs under the model the WAL recorded, and fails with
   HQT_E_INVALID_ARGUMENT if another one is set (recovery sets the model
   of a run whose on_start it dropped; a log holding nothing of the run
   uses the one set here). Not allowed during a run. */
int hqt_engine_set_tick_model(hqt_engine *engine, int32_t model);
/* The model of the run in progress or of the last one (recovered from the
   WAL after recover_from_wal); HQT_TICK_MODEL_REAL_TICKS before any run. */
int hqt_engine_tick_model(hqt_engine *engine, int32_t *out_model);

/* ---- trading ---- */

int hqt_engine_order_send(hqt_engine *engine, const hqt_order_request *request,
                          uint64_t *out_ticket);

/* BEGIN GENERATED: hqt_abi.toml [order_time, order_filling] */
/* Pending order lifetimes for hqt_order_request_v2.type_time (MT5's ENUM_ORDER_TYPE_TIME). */
enum {
    HQT_ORDER_TIME_AUTO = -1,         /* hqt_order_request_v2 default: SPECIFIED when expiration != 0, else GTC */
    HQT_ORDER_TIME_GTC = 0,           /* good till canceled */
    HQT_ORDER_TIME_DAY = 1,           /* good till the next 00:00 (server time) after the order is placed */
    HQT_ORDER_TIME_SPECIFIED = 2,     /* good till expiration */
    HQT_ORDER_TIME_SPECIFIED_DAY = 3  /* good till 23:59:59 of expiration's day (expires at the 00:00 after it) */
};

/* Filling policies for hqt_order_request_v2.filling (MT5's ENUM_ORDER_TYPE_FILLING). */
enum {
    HQT_ORDER_FILLING_FOK = 0,    /* all of the volume or HQT_E_LIMIT_VOLUME (default) */
    HQT_ORDER_FILLING_IOC = 1,    /* what fits under volume_limit; the rest is canceled */
    HQT_ORDER_FILLING_RETURN = 2  /* what fits; the rest stays as a limit order at the deal's price */
};
/* END GENERATED */

/* hqt_order_request with its size and MT5's order lifetime (since 0.2). Set it up with
   hqt_order_request_v2_init(&r, sizeof r), then fill the fields. */
typedef struct hqt_order_request_v2 {
    size_t struct_size;       /* set by hqt_order_request_v2_init */
    uint32_t symbol_id;
    int32_t type;             /* HQT_ORDER_* */
    int64_t volume;
    int64_t price;
    int64_t stop_limit;
    int64_t sl;
    int64_t tp;
    int64_t expiration;       /* time; its meaning depends on type_time */
    int64_t trailing_points;
    uint64_t magic;
    int32_t type_time;        /* HQT_ORDER_TIME_*; default HQT_ORDER_TIME_AUTO */
    int32_t filling;          /* MT5's ORDER_FILLING_*, against the symbol's volume_limit: 0 FOK (default:
                                 all of the volume or HQT_E_LIMIT_VOLUME), 1 IOC (what fits, the rest
                                 canceled), 2 RETURN (what fits, the rest stays as a limit order) */
} hqt_order_request_v2;

int hqt_order_request_v2_init(hqt_order_request_v2 *request, size_t struct_size);
int hqt_engine_order_send_v2(hqt_engine *engine, const hqt_order_request_v2 *request,
                             uint64_t *out_ticket);
/* Any order with doubles: volume in lots, prices as prices (0 = unused / none); the other
   hqt_order_request_v2 fields at their defaults (type_time AUTO, filling FOK, no trailing
   stop, magic 0). type: HQT_ORDER_*; expiration_ns 0 = good till canceled. */
int hqt_engine_order_send_f64(hqt_engine *engine, uint32_t symbol_id, int32_t type,
                              double volume_lots, double price, double stop_limit_price,
                              double sl_price, double tp_price, int64_t expiration_ns,
                              uint64_t *out_ticket);
/* Market orders; sl/tp 0 = none. The ticket is the new position's. */
int hqt_engine_buy(hqt_engine *engine, uint32_t symbol_id, int64_t volume_micros,
                   int64_t sl_micros, int64_t tp_micros, uint64_t *out_ticket);
int hqt_engine_sell(hqt_engine *engine, uint32_t symbol_id, int64_t volume_micros,
                    int64_t sl_micros, int64_t tp_micros, uint64_t *out_ticket);
/* The same with doubles: volume in lots (0.1), SL/TP as prices (0 = none). */
int hqt_engine_buy_f64(hqt_engine *engine, uint32_t symbol_id, double volume_lots,
                       double sl_price, double tp_price, uint64_t *out_ticket);
int hqt_engine_sell_f64(hqt_engine *engine, uint32_t symbol_id, double volume_lots,
                        double sl_price, double tp_price, uint64_t *out_ticket);
/* SL/TP of a position or pending order; HQT_KEEP leaves one unchanged, 0 removes it. */
int hqt_engine_modify(hqt_engine *engine, uint64_t ticket, int64_t sl_micros, int64_t tp_micros);
/* The same with prices as doubles: a negative price leaves one unchanged, 0 removes it. */
int hqt_engine_modify_f64(hqt_engine *engine, uint64_t ticket, double sl_price, double tp_price);
/* Price / stop-limit / expiration of a pending order; HQT_KEEP leaves one unchanged. */
int hqt_engine_modify_order(hqt_engine *engine, uint64_t ticket, int64_t price_micros,
                            int64_t stop_limit_micros, int64_t expiration_ns);
/* The same with prices as doubles (negative: unchanged); expiration_ns as above. */
int hqt_engine_modify_order_f64(hqt_engine *engine, uint64_t ticket, double price,
                                double stop_limit_price, int64_t expiration_ns);
/* Trailing stop distance of a position in points; 0 turns it off. */
int hqt_engine_set_trailing_stop(hqt_engine *engine, uint64_t ticket, int64_t points);
/* Closes a position at market; volume 0 = all of it. */
int hqt_engine_close(hqt_engine *engine, uint64_t ticket, int64_t volume_micros);
/* The same, volume in lots (0 = all of it). */
int hqt_engine_close_f64(hqt_engine *engine, uint64_t ticket, double volume_lots);
int hqt_engine_cancel(hqt_engine *engine, uint64_t ticket);
/* Close By (hedging accounts): closes the smaller volume of two opposite
   positions of one symbol against each other, as two HQT_ENTRY_OUT_BY deals
   at by_ticket's open price (no spread paid a second time). */
int hqt_engine_close_by(hqt_engine *engine, uint64_t ticket, uint64_t by_ticket);
/* Deposit (amount > 0) or withdrawal (amount < 0), money micro. */
int hqt_engine_deposit(hqt_engine *engine, int64_t amount_micros);
/* The same, amount as a double in the account currency. */
int hqt_engine_deposit_f64(hqt_engine *engine, double amount);

/* ---- hot state (since 0.3): what a strategy asks every tick, as plain loads ----
   hqt_engine_state_view() returns the address of counters the engine keeps
   up to date (NULL, with the last error set, for a bad handle). Fetch it
   once, e.g. in on_start; reading a field is then a memory load with no
   call, no handle lookup and no error path (docs/strategies.md). The
   pointer is valid until the engine is destroyed; `symbols` until the next
   hqt_engine_add_symbol (never during a run). Read only: writing is
   undefined behaviour. Money and volumes are micro units. */
typedef struct hqt_symbol_view {
    int64_t positions;   /* open positions on the symbol */
    int64_t buy_volume;  /* summed volume of its buy positions, lots x 1e6 */
    int64_t sell_volume; /* ... of its sell positions */
    int64_t net_volume;  /* buy_volume - sell_volume: > 0 long, < 0 short */
} hqt_symbol_view;

typedef struct hqt_state_view {
    int64_t time;          /* ns of the last processed event, 0 before the first */
    int64_t balance;
    int64_t equity;
    int64_t profit;        /* floating profit of the open positions, swap included */
    int64_t margin;        /* margin in use */
    int64_t positions;     /* open positions, all symbols */
    int64_t orders;        /* pending orders, all symbols */
    uint64_t book_version; /* +1 on every change to positions, orders or balance */
    int64_t symbol_count;  /* rows in `symbols`, indexed by symbol id */
    const hqt_symbol_view *symbols;
} hqt_state_view;

const hqt_state_view *hqt_engine_state_view(hqt_engine *engine);

/* Margin level of a view, percent x 1e6 (0 while no margin is used),
   rounded as hqt_account's; free margin is v->equity - v->margin. */
int64_t hqt_view_margin_level(const hqt_state_view *view);

/* ---- state and results ----
   List calls copy at most `capacity` items into `out` (which may be NULL
   when capacity is 0) and always store the total count in *out_count. */

int hqt_engine_account(hqt_engine *engine, hqt_account *out);
int hqt_engine_positions(hqt_engine *engine, hqt_position *out, size_t capacity, size_t *out_count);
int hqt_engine_position(hqt_engine *engine, uint64_t ticket, hqt_position *out);
int hqt_engine_orders(hqt_engine *engine, hqt_order *out, size_t capacity, size_t *out_count);
/* Order history: every order with its final state (filled, canceled, ...). */
int hqt_engine_order_history(hqt_engine *engine, hqt_order *out, size_t capacity, size_t *out_count);
int hqt_engine_deals(hqt_engine *engine, hqt_deal *out, size_t capacity, size_t *out_count);
int hqt_engine_trades(hqt_engine *engine, hqt_trade *out, size_t capacity, size_t *out_count);
int hqt_engine_equity_curve(hqt_engine *engine, hqt_equity_point *out, size_t capacity,
                            size_t *out_count);
int hqt_engine_statistics(hqt_engine *engine, hqt_statistics *out);

/* ---- run results ----
   An hqt_result is the engine's results at one moment: deals, trades,
   orders, order history, open positions, equity curve and what the
   statistics and the report are computed from. Taking one is O(1) (the
   engine's lists are shared, copy on write), and it never changes after:
   it keeps showing that moment when the engine runs more, is reset,
   recovered or destroyed. The lists below have exactly the semantics of
   the hqt_engine_ calls of the same names; statistics and the report
   (hqt_result_report, next to hqt_engine_report) are computed on the first
   call that needs them. Handles are ids checked on every call (docs/abi.md,
   "Handles"): NULL, destroyed or foreign ones are HQT_E_INVALID_ARGUMENT.
   A result is used from one thread at a time. */
typedef struct hqt_result hqt_result;

int hqt_engine_result(hqt_engine *engine, hqt_result **out_result);
/* Frees the result (its engine is not touched). NULL is a no-op (HQT_OK). */
int hqt_result_destroy(hqt_result *result);
int hqt_result_positions(hqt_result *result, hqt_position *out, size_t capacity,
                         size_t *out_count);
int hqt_result_orders(hqt_result *result, hqt_order *out, size_t capacity, size_t *out_count);
int hqt_result_order_history(hqt_result *result, hqt_order *out, size_t capacity,
                             size_t *out_count);
int hqt_result_deals(hqt_result *result, hqt_deal *out, size_t capacity, size_t *out_count);
int hqt_result_trades(hqt_result *result, hqt_trade *out, size_t capacity, size_t *out_count);
int hqt_result_equity_curve(hqt_result *result, hqt_equity_point *out, size_t capacity,
                            size_t *out_count);
int hqt_result_statistics(hqt_result *result, hqt_statistics *out);

/* ------------------------------------------------------------------ */
/* Broadcasting                                                        */
/* ------------------------------------------------------------------ */
/*
 * A broadcaster publishes events on a ZeroMQ socket as the frames fixed in
 * SPEC section 2 (docs/zmq.md): one frame per event, [topic:u8][payload],
 * little-endian, no padding. Subscribers filter by the topic byte.
 *
 * Every publish is non-blocking: a frame that does not fit a subscriber's
 * queue (sndhwm) is dropped and counted, never waited for. Per topic,
 * sent + dropped = number of publish calls. With no subscriber a publish
 * succeeds and counts as sent.
 *
 * Threading: publish, wait and destroy from one thread at a time;
 * hqt_broadcaster_stats() from any thread, also while publishing.
 *
 * The engine publishes by itself once broadcasting is enabled on it; the
 * standalone hqt_broadcaster below is for tools, tests and custom loops.
 * Times and volumes are uint64 here, as on the wire; the bits are the same
 * as the int64 values used elsewhere in this header.
 */

/* BEGIN GENERATED: hqt_abi.toml [topic, position_state, margin_event] */
/* Topic byte, first byte of every frame. */
enum {
    HQT_TOPIC_TICK = 0,
    HQT_TOPIC_BAR = 1,
    HQT_TOPIC_TRADE = 2,
    HQT_TOPIC_ORDER = 3,
    HQT_TOPIC_EQUITY = 4,
    HQT_TOPIC_MARGIN = 5,
    HQT_TOPIC_POSITION = 6,
    HQT_TOPIC_ACCOUNT = 7,
    HQT_TOPIC_COUNT = 8     /* number of topics */
};

/* Frame sizes in bytes, topic byte included (struct format of the whole frame). */
enum {
    HQT_FRAME_TICK_SIZE = 29,     /* <BIQqq */
    HQT_FRAME_BAR_SIZE = 55,      /* <BIHQqqqqQ */
    HQT_FRAME_TRADE_SIZE = 45,    /* <BQIQQqq */
    HQT_FRAME_ORDER_SIZE = 38,    /* <BQIQBQq */
    HQT_FRAME_EQUITY_SIZE = 41,   /* <BQqqqq */
    HQT_FRAME_MARGIN_SIZE = 34,   /* <BQqqqB */
    HQT_FRAME_POSITION_SIZE = 62, /* <BQIQBQqqqq */
    HQT_FRAME_ACCOUNT_SIZE = 41   /* <BQqqqq */
};

/* POSITION frame state (high nibble of kind; low nibble HQT_BUY / HQT_SELL).
   ORDER frames use HQT_ORDER_STATE_* and the HQT_ORDER_* type the same way:
   kind = (state << 4) | type. */
enum {
    HQT_POSITION_STATE_OPENED = 0,
    HQT_POSITION_STATE_MODIFIED = 1,
    HQT_POSITION_STATE_CLOSED = 2,
    HQT_POSITION_STATE_PARTIAL = 3   /* partially closed */
};

/* MARGIN frame event. */
enum {
    HQT_MARGIN_EVENT_UPDATE = 0,
    HQT_MARGIN_EVENT_CALL = 1,
    HQT_MARGIN_EVENT_STOP_OUT = 2
};
/* END GENERATED */

typedef struct hqt_broadcast_options {
    const char *endpoint;        /* libzmq bind endpoint: tcp://HOST:PORT, ipc://PATH or
                                    inproc://NAME. Default: port 5555 on every interface.
                                    A star as PORT binds a free port (see
                                    hqt_broadcaster_endpoint). */
    int32_t sndhwm;              /* frames queued per subscriber before dropping; default 10000 */
    int32_t linger;              /* ms to flush queued frames at destroy; default 0 */
    const char *curve_secret_key;/* NULL: plain text; else 40-char Z85 server secret key
                                    (subscribers need its public key, see hqt_curve_public_key) */
    const char *const *allowed_client_keys; /* NULL or 40-char Z85 client public keys: only
                                    these may subscribe (needs curve_secret_key) */
    size_t allowed_client_key_count;
    int32_t wait_subscribers;    /* before the first frame, wait for this many subscriptions; default 0 */
    int32_t wait_timeout_ms;     /* at most this long; then publish anyway; default 5000 */
} hqt_broadcast_options;

/* Fills options with the defaults above. */
void hqt_broadcast_options_init(hqt_broadcast_options *options);

/* The sized options (since 0.2): hqt_broadcast_options with struct_size first. */
typedef struct hqt_broadcast_options_v2 {
    size_t struct_size;          /* set by hqt_broadcast_options_v2_init */
    const char *endpoint;
    int32_t sndhwm;
    int32_t linger;
    const char *curve_secret_key;
    const char *const *allowed_client_keys;
    size_t allowed_client_key_count;
    int32_t wait_subscribers;
    int32_t wait_timeout_ms;
    /* Since issue 11 (appended; older headers' shorter struct keeps the defaults): */
    const char *replay_endpoint; /* NULL (default): none; else bind endpoint of the
                                    snapshot/replay ROUTER (docs/zmq.md section 13),
                                    same CURVE key and allow-list as the PUB socket */
    int32_t replay_window;       /* events kept per replayable topic; default 65536 */
} hqt_broadcast_options_v2;

/* Zeroes struct_size bytes of options, fills the defaults above and sets
   options->struct_size = struct_size. Pass sizeof *options. */
int hqt_broadcast_options_v2_init(hqt_broadcast_options_v2 *options, size_t struct_size);

typedef struct hqt_broadcast_stats {
    uint64_t sent[8];            /* per topic (index = HQT_TOPIC_*): frames accepted by ZeroMQ */
    uint64_t bytes[8];           /* bytes of those frames */
    uint64_t dropped[8];         /* frames not handed to ZeroMQ (after destroy/close, or refused);
                                    a subscriber's full queue drops per subscriber,
                                    unseen here (docs/zmq.md section 10) */
    uint64_t total_sent;
    uint64_t total_bytes;
    uint64_t total_dropped;
    int64_t subscribers;         /* active subscriptions (a SUB with k prefixes counts k),
                                    as of the last publish batch or wait */
} hqt_broadcast_stats;

typedef struct hqt_broadcaster hqt_broadcaster;

/* Creates the socket and binds it. options may be NULL (defaults).
   HQT_E_BROADCAST: bind failed (port in use, malformed endpoint, ...);
   HQT_E_INVALID_ARGUMENT: bad option value or key. */
int hqt_broadcaster_create(const hqt_broadcast_options *options, hqt_broadcaster **out_broadcaster);
int hqt_broadcaster_create_v2(const hqt_broadcast_options_v2 *options,
                              hqt_broadcaster **out_broadcaster);
/* Closes the socket and frees the broadcaster. NULL is a no-op (HQT_OK);
   HQT_E_INVALID_ARGUMENT for a destroyed or foreign handle. Returned void
   before 0.2; the int return is binary compatible with 0.1 callers. */
int hqt_broadcaster_destroy(hqt_broadcaster *broadcaster);

/* The endpoint actually bound, with a "*" port resolved, e.g.
   "tcp://127.0.0.1:41235". HQT_E_INVALID_ARGUMENT if capacity is too small. */
int hqt_broadcaster_endpoint(const hqt_broadcaster *broadcaster, char *out, size_t capacity);

/* Publish one frame. HQT_OK: accepted by ZeroMQ (or nobody subscribed to it);
   HQT_E_BROADCAST: not handed to ZeroMQ (refused) -- not fatal,
   counted in the stats; HQT_E_INVALID_ARGUMENT: broadcaster is NULL. */
int hqt_broadcaster_publish_tick(hqt_broadcaster *broadcaster, uint32_t symbol_id, uint64_t time_ns,
                                 int64_t bid_micros, int64_t ask_micros);
int hqt_broadcaster_publish_bar(hqt_broadcaster *broadcaster, uint32_t symbol_id,
                                uint16_t timeframe, uint64_t time_ns, int64_t open_micros,
                                int64_t high_micros, int64_t low_micros, int64_t close_micros,
                                uint64_t volume_micros);
int hqt_broadcaster_publish_trade(hqt_broadcaster *broadcaster, uint64_t ticket, uint32_t symbol_id,
                                  uint64_t time_ns, uint64_t volume_micros, int64_t price_micros,
                                  int64_t profit_micros);
int hqt_broadcaster_publish_order(hqt_broadcaster *broadcaster, uint64_t ticket, uint32_t symbol_id,
                                  uint64_t time_ns, uint8_t kind, uint64_t volume_micros,
                                  int64_t price_micros);
int hqt_broadcaster_publish_equity(hqt_broadcaster *broadcaster, uint64_t time_ns,
                                   int64_t balance_micros, int64_t equity_micros,
                                   int64_t margin_micros, int64_t free_margin_micros);
int hqt_broadcaster_publish_margin(hqt_broadcaster *broadcaster, uint64_t time_ns,
                                   int64_t margin_micros, int64_t free_margin_micros,
                                   int64_t margin_level_micros, uint8_t event);
int hqt_broadcaster_publish_position(hqt_broadcaster *broadcaster, uint64_t ticket,
                                     uint32_t symbol_id, uint64_t time_ns, uint8_t kind,
                                     uint64_t volume_micros, int64_t open_price_micros,
                                     int64_t sl_micros, int64_t tp_micros, int64_t profit_micros);
int hqt_broadcaster_publish_account(hqt_broadcaster *broadcaster, uint64_t time_ns,
                                    int64_t balance_micros, int64_t equity_micros,
                                    int64_t profit_micros, int64_t margin_level_micros);

/* Counters; safe to call from any thread while another publishes. */
int hqt_broadcaster_stats(const hqt_broadcaster *broadcaster, hqt_broadcast_stats *out);

/* Waits until at least count subscriptions are active, at most timeout_ms.
   HQT_OK when they are, HQT_E_BROADCAST on timeout. (count 0, timeout 0)
   just refreshes stats.subscribers. */
int hqt_broadcaster_wait_for_subscribers(hqt_broadcaster *broadcaster, int32_t count,
                                         int32_t timeout_ms);

/* The replay ROUTER's bound endpoint ("*" port resolved); HQT_E_STATE when
   the broadcaster was created without replay_endpoint, or is closed. */
int hqt_broadcaster_replay_endpoint(const hqt_broadcaster *broadcaster, char *out, size_t capacity);
/* The run id of the sequenced and SESSION frames (docs/zmq.md section 11). */
int hqt_broadcaster_run_id(const hqt_broadcaster *broadcaster, uint64_t *out_run_id);

/* A new CURVE keypair, each written as 40 Z85 characters plus NUL. */
int hqt_curve_keypair(char public_key[41], char secret_key[41]);
/* The Z85 public key of a Z85 secret key: what subscribers need. */
int hqt_curve_public_key(const char *secret_key, char public_key[41]);

/* ---- the engine's own broadcaster ----
   While enabled, hqt_engine_run / hqt_engine_process_event publish every
   event without any call from the strategy: TICK every tick, BAR when a bar
   closes, TRADE every deal, ORDER on every order state change, POSITION on
   open/modify/close/partial close, EQUITY + ACCOUNT + MARGIN (event 0) at the
   cadence below, MARGIN at once on margin call (1) and stop-out (2). */

typedef struct hqt_broadcast_cadence {
    int32_t on_bar_close;  /* account frames at every bar close (default 1) */
    int32_t on_deal;       /* ... after every deal and balance change (default 1) */
    int64_t every_ticks;   /* ... every N ticks; 0 = off (default) */
} hqt_broadcast_cadence;

void hqt_broadcast_cadence_init(hqt_broadcast_cadence *cadence);

/* The sized cadence (since 0.2): hqt_broadcast_cadence with struct_size first. */
typedef struct hqt_broadcast_cadence_v2 {
    size_t struct_size;    /* set by hqt_broadcast_cadence_v2_init */
    int32_t on_bar_close;
    int32_t on_deal;
    int64_t every_ticks;
} hqt_broadcast_cadence_v2;

/* Zeroes struct_size bytes of cadence, fills the defaults above and sets
   cadence->struct_size = struct_size. Pass sizeof *cadence. */
int hqt_broadcast_cadence_v2_init(hqt_broadcast_cadence_v2 *cadence, size_t struct_size);
/* options / cadence may be NULL (defaults). A bind failure returns
   HQT_E_BROADCAST and leaves the engine working, not broadcasting. */
int hqt_engine_enable_broadcasting(hqt_engine *engine, const hqt_broadcast_options *options,
                                   const hqt_broadcast_cadence *cadence);
/* Closes the publisher (no-op when not broadcasting); counters stay readable. */
int hqt_engine_disable_broadcasting(hqt_engine *engine);
/* hqt_engine_enable_broadcasting with the sized structs; either may be NULL. */
int hqt_engine_enable_broadcasting_v2(hqt_engine *engine, const hqt_broadcast_options_v2 *options,
                                      const hqt_broadcast_cadence_v2 *cadence);
int hqt_engine_is_broadcasting(hqt_engine *engine, int *out_broadcasting);
/* Counters of the current broadcaster, or of the last one after disable
   (all zero if there never was one). Readable during a run (from a callback). */
int hqt_engine_broadcast_stats(hqt_engine *engine, hqt_broadcast_stats *out);
/* The bound endpoint ("*" port resolved); HQT_E_STATE when not broadcasting. */
int hqt_engine_broadcast_endpoint(hqt_engine *engine, char *out, size_t capacity);
/* The replay ROUTER's endpoint; HQT_E_STATE when not broadcasting or enabled
   without replay_endpoint (hqt_engine_enable_broadcasting_v2 sets it). */
int hqt_engine_replay_endpoint(hqt_engine *engine, char *out, size_t capacity);
/* The current broadcaster's run id; HQT_E_STATE when not broadcasting. */
int hqt_engine_broadcast_run_id(hqt_engine *engine, uint64_t *out_run_id);

/* ------------------------------------------------------------------ */
/* Write-ahead log                                                     */
/* ------------------------------------------------------------------ */

/* The log on its own, independent of any engine: SPEC section 3 frames with
   sequence numbers, checkpoints, crash-safe compaction, one writer at a time.
   Format, rules and guarantees: docs/wal.md. An hqt_wal is not thread-safe:
   use one from one thread at a time. Messages of failed calls:
   hqt_last_error(), as everywhere else. */

typedef struct hqt_wal hqt_wal;

/* BEGIN GENERATED: hqt_abi.toml [wal_sync] */
/* Durability policy: when appended records reach stable storage. Every
   policy hands a record to the kernel before append returns (it survives the
   process being killed) and syncs at checkpoints, hqt_wal_sync, compaction
   and close. */
enum {
    HQT_WAL_SYNC_ALWAYS = 0, /* fdatasync before append returns (default) */
    HQT_WAL_SYNC_BATCH = 1,  /* group commit: one fdatasync per batch (hqt_wal_options) */
    HQT_WAL_SYNC_NONE = 2    /* no sync on append: the OS decides */
};
/* END GENERATED */

/* BEGIN GENERATED: hqt_abi.toml [wal_record] */
/* Record types (SPEC section 3; numbers are never reused). hqt_wal_append
   takes any type but 0, CHECKPOINT (use hqt_wal_mark_checkpoint) and HEADER
   (the first record of every file, written by the library). Payloads of the
   engine's records: docs/wal-records.md. */
enum {
    HQT_WAL_POSITION_OPEN = 1,
    HQT_WAL_POSITION_CLOSE = 2,
    HQT_WAL_POSITION_MODIFY = 3,
    HQT_WAL_ORDER_PLACE = 4,
    HQT_WAL_ORDER_CANCEL = 5,
    HQT_WAL_BALANCE_CHANGE = 6,
    HQT_WAL_CHECKPOINT = 7,
    HQT_WAL_HEADER = 8,          /* file identity, written by the library */
    HQT_WAL_ORDER_MODIFY = 9,
    HQT_WAL_BUILD_BARS = 10,     /* bars built from ticks (hqt_engine_build_bars) */
    HQT_WAL_RUN_MARK = 11,       /* a run's stage: starting, running, ending, completed */
    HQT_WAL_SWAP = 12            /* swaps charged to open positions at a rollover */
};
/* END GENERATED */

/* Largest payload of one record: 256 MiB less the 8-byte sequence number. */
enum { HQT_WAL_MAX_PAYLOAD = 268435448 };

typedef struct hqt_wal_options {
    int32_t sync_policy;        /* HQT_WAL_SYNC_* */
    int32_t truncate;           /* non-zero: start a new, empty log */
    int64_t batch_max_records;  /* BATCH: sync once this many records are pending (>= 1) */
    int64_t batch_max_delay_ns; /* BATCH: ... or once the oldest is this old (0 = no time bound) */
    int32_t check_fingerprint;  /* non-zero: a new log records `fingerprint`; an existing
                                   one must carry the same, else HQT_E_WAL */
    int32_t reserved;           /* 0 */
    uint64_t fingerprint;       /* of the engine configuration */
} hqt_wal_options;

/* What opening, verifying or salvaging a log found. */
typedef struct hqt_wal_open_report {
    int64_t torn_bytes_dropped;     /* cut off the end (salvage: from the damage on) */
    int64_t torn_records_dropped;   /* whole or partial records in those bytes */
    int64_t records;                /* valid records kept, the HEADER not counted */
    int64_t last_checkpoint_offset; /* file offset of the last CHECKPOINT, -1 if none */
    uint64_t last_sequence;         /* of the last record; 0 in a new log */
    int64_t valid_bytes;            /* length of the valid prefix */
    uint64_t fingerprint;           /* from the HEADER, if has_fingerprint */
    int32_t has_fingerprint;
    int32_t format_version;         /* from the HEADER; 0 if the file had none left */
} hqt_wal_open_report;

/* One record, passed to a hqt_wal_record_fn. `data` (the payload, after the
   sequence number) is valid only during the call; it may be NULL when
   length is 0. */
typedef struct hqt_wal_record {
    uint8_t type;
    uint64_t sequence;
    int64_t offset;  /* of the record's frame in the file */
    const void *data;
    size_t length;
} hqt_wal_record;

/* Return 0 to go on, non-zero to stop: the reading call then returns
   HQT_E_CALLBACK. The callback must not close, append to, compact or clear
   the log it is reading (HQT_E_BUSY). */
typedef int (*hqt_wal_record_fn)(const hqt_wal_record *record, void *user_data);

/* Fills options with the defaults: ALWAYS, no truncate, batch 256 records /
   10 ms, no fingerprint. */
void hqt_wal_options_init(hqt_wal_options *options);

/* The sized options (since 0.2): hqt_wal_options with struct_size first. */
typedef struct hqt_wal_options_v2 {
    size_t struct_size;         /* set by hqt_wal_options_v2_init */
    int32_t sync_policy;
    int32_t truncate;
    int64_t batch_max_records;
    int64_t batch_max_delay_ns;
    int32_t check_fingerprint;
    int32_t reserved;
    uint64_t fingerprint;
} hqt_wal_options_v2;

/* Zeroes struct_size bytes of options, fills the defaults above and sets
   options->struct_size = struct_size. Pass sizeof *options. */
int hqt_wal_options_v2_init(hqt_wal_options_v2 *options, size_t struct_size);

/* Opens (creating if needed) the log at path and takes its writer lock.
   A torn tail is cut and reported; damage before the last valid record
   returns HQT_E_WAL_CORRUPT naming the offset and leaves the file untouched;
   a log held by another writer, a file that is not a log, or a fingerprint
   mismatch return HQT_E_WAL. BATCH uses the default bounds. report may be
   NULL. On success *out is a new handle, to be freed by hqt_wal_close(). */
int hqt_wal_open(const char *path, int32_t sync_policy, int truncate, hqt_wal **out,
                 hqt_wal_open_report *report);
/* The same with every option; options NULL = defaults. */
int hqt_wal_open_ex(const char *path, const hqt_wal_options *options, hqt_wal **out,
                    hqt_wal_open_report *report);
/* The same with the sized options (NULL = defaults). */
int hqt_wal_open_v2(const char *path, const hqt_wal_options_v2 *options, hqt_wal **out,
                    hqt_wal_open_report *report);

/* Appends a record; *out_sequence (may be NULL) gets its sequence number.
   data may be NULL when len is 0. A failed write or sync returns an error,
   rolls the file back to its last good record and makes the log refuse
   appends until it is closed and opened again; reading still works. */
int hqt_wal_append(hqt_wal *wal, uint8_t type, const void *data, size_t len,
                   uint64_t *out_sequence);
/* Appends a CHECKPOINT record carrying a snapshot and syncs, whatever the policy. */
int hqt_wal_mark_checkpoint(hqt_wal *wal, const void *snapshot, size_t len);
/* Makes every appended record durable. */
int hqt_wal_sync(hqt_wal *wal);

/* Calls fn for every record, oldest first (the HEADER excluded). */
int hqt_wal_read_all(hqt_wal *wal, hqt_wal_record_fn fn, void *user_data);
/* Calls fn for every record after the last checkpoint (all if none). */
int hqt_wal_read_uncommitted(hqt_wal *wal, hqt_wal_record_fn fn, void *user_data);
/* Calls fn once with the last CHECKPOINT record, if there is one;
   *out_found (may be NULL) is set to 1 or 0. */
int hqt_wal_last_checkpoint(hqt_wal *wal, hqt_wal_record_fn fn, void *user_data, int *out_found);

/* Compacts: the log becomes its last checkpoint and what follows, replaced
   crash-safely (temporary file, fsync, rename, fsync of the directory).
   Without a checkpoint it does nothing. */
int hqt_wal_truncate_to_checkpoint(hqt_wal *wal);
/* Empties the log crash-safely; sequence numbers carry on. */
int hqt_wal_clear(hqt_wal *wal);
/* Syncs, releases the lock and frees the handle, also when the sync fails
   (the status says so). NULL is a no-op. HQT_E_BUSY from a record callback
   of the same log (the handle stays open); HQT_E_INVALID_ARGUMENT for a
   closed or foreign handle. */
int hqt_wal_close(hqt_wal *wal);

/* Repair: keeps the valid prefix of a damaged log, dropping everything from
   the first damage on (report says how much), crash-safely; takes the lock.
   Refuses files that are not HQT logs. report may be NULL. */
int hqt_wal_salvage(const char *path, hqt_wal_open_report *report);
/* Read-only check: what open would keep and cut; HQT_E_WAL_CORRUPT for
   damage before the last valid record. report may be NULL. */
int hqt_wal_verify(const char *path, hqt_wal_open_report *report);


/* ---- the engine's own log ----
   With the WAL enabled the engine writes every trading operation before it
   takes effect, and a checkpoint (full snapshot) every checkpoint_every
   records and at the end of each run. Record payloads: docs/wal-records.md. */

typedef struct hqt_recovery_report {
    int64_t records_replayed;    /* applied on top of the checkpoint */
    int64_t records_discarded;   /* of the last, possibly unfinished event (re-run on resume) */
    uint64_t checkpoint_sequence;
    int64_t events_processed;    /* by the recovered state */
    int64_t last_event_time;
    int64_t torn_bytes_dropped;  /* torn tail cut when the log was opened */
    int64_t torn_records_dropped;
    int32_t replayed_over_data;  /* 1: the loaded data was re-walked (exact statistics) */
    int32_t reserved;
} hqt_recovery_report;

/* Opens the log for this engine (options NULL = defaults; its fingerprint
   fields are ignored: the engine's configuration is used). A new or
   truncated log starts with a checkpoint; a log holding records needs
   hqt_engine_recover_from_wal() before any trading. checkpoint_every >= 1
   (0 = default 10000). report may be NULL. */
int hqt_engine_enable_wal(hqt_engine *engine, const char *path, const hqt_wal_options *options,
                          int64_t checkpoint_every, hqt_wal_open_report *report);
/* The same with the sized options (NULL = defaults). */
int hqt_engine_enable_wal_v2(hqt_engine *engine, const char *path,
                             const hqt_wal_options_v2 *options, int64_t checkpoint_every,
                             hqt_wal_open_report *report);
/* Writes a final checkpoint and closes the log. */
int hqt_engine_disable_wal(hqt_engine *engine);
int hqt_engine_is_wal_enabled(hqt_engine *engine, int *out_enabled);
/* Writes a checkpoint now (between events). */
int hqt_engine_checkpoint(hqt_engine *engine);
/* Restores the last checkpoint plus every record after it. Load the same
   data first: it is then re-walked so statistics come out exactly, and a
   resumed run continues after the last event. out may be NULL.
   Other data is refused (HQT_E_WAL, the message naming the series and the
   first block of events that differs; nothing changed): each checkpoint
   carries a fingerprint of the data processed up to it, and the data must
   reach the log's last record. */
int hqt_engine_recover_from_wal(hqt_engine *engine, hqt_recovery_report *out);
/* The same; accept_changed_data = 1 skips the data checks and replays the
   log over the loaded data as it is (data changed on purpose). */
int hqt_engine_recover_from_wal_v2(hqt_engine *engine, int32_t accept_changed_data,
                                   hqt_recovery_report *out);
/* hqt_engine_run after a recovery: on_start and the `warmup` loaded events
   before the resume point are delivered with trading refused
   (hqt_engine_warming_up), then the run continues live. */
int hqt_engine_run_resume(hqt_engine *engine, const hqt_strategy *strategy, int64_t warmup);
int hqt_engine_run_resume_v2(hqt_engine *engine, const hqt_strategy_v2 *strategy, int64_t warmup);
int hqt_engine_warming_up(hqt_engine *engine, int *out_warming_up);

/* ------------------------------------------------------------------ */
/* Data rules without an engine                                        */
/* ------------------------------------------------------------------ */
/* The checks hqt_engine_load_ticks / _load_bars make on every row, and the
   bar periods the engine uses, for code that reads, converts or writes
   market data and must agree with the engine (hqt's CSV readers, DataFrame
   loaders and tick-file writer call these). Same status codes and messages
   as a load: "<subject> <index>: <what is wrong>"; the engine's subject is
   "<symbol> tick" / "<symbol> <timeframe> bar". Arrays are read in place. */

/* Checks n ticks (prices in micro units) that follow a tick at
   previous_time_ns (0 = none; the engine passes its latest time): times
   non-decreasing and >= 0 (HQT_E_DATA_ORDER), prices > 0 and <= 1e9
   (HQT_E_INVALID_PRICE), ask >= bid (HQT_E_BAD_DATA). The first bad tick
   decides the status and message; messages name it "<subject>
   <first_index + i>" (subject NULL = "tick"). out_bad_index (may be NULL)
   gets i, or n when every tick is valid. */
int hqt_validate_ticks(const int64_t *time_ns, const int64_t *bid_micro, const int64_t *ask_micro,
                       size_t n, int64_t previous_time_ns, const char *subject,
                       uint64_t first_index, size_t *out_bad_index);
/* Same with prices as doubles, each rounded once to micro as a load does
   (NaN, infinities: HQT_E_INVALID_PRICE, shown as "NaN or infinite"). */
int hqt_validate_ticks_f64(const int64_t *time_ns, const double *bid, const double *ask, size_t n,
                           int64_t previous_time_ns, const char *subject, uint64_t first_index,
                           size_t *out_bad_index);
/* Checks n bars of one timeframe (minutes): open times >= 0, increasing and
   after previous_open_ns (INT64_MIN = no bar before), each bar closing at or
   after not_before_ns (0 = none) and at most at INT64_MAX
   (HQT_E_DATA_ORDER); prices > 0 and <= 1e9 (HQT_E_INVALID_PRICE); low <=
   open, close <= high and volume >= 0 (HQT_E_BAD_DATA). subject NULL =
   "bar". Otherwise as hqt_validate_ticks. */
int hqt_validate_bars(int32_t timeframe_minutes, const int64_t *open_time_ns,
                      const int64_t *open_micro, const int64_t *high_micro,
                      const int64_t *low_micro, const int64_t *close_micro,
                      const int64_t *volume_micro, size_t n, int64_t previous_open_ns,
                      int64_t not_before_ns, const char *subject, uint64_t first_index,
                      size_t *out_bad_index);
int hqt_validate_bars_f64(int32_t timeframe_minutes, const int64_t *open_time_ns,
                          const double *open, const double *high, const double *low,
                          const double *close, const double *volume, size_t n,
                          int64_t previous_open_ns, int64_t not_before_ns, const char *subject,
                          uint64_t first_index, size_t *out_bad_index);

/* Bar periods, as the engine builds and checks bars: intraday and D1 bars
   are aligned to multiples of their length since the epoch, W1 to Monday
   00:00 UTC, MN1 to the first day of the calendar month. Times are ns since
   the epoch and must be >= 0 (an open time may be earlier: the W1 bar of
   1970-01-01 opens on Monday 1969-12-29); HQT_E_INVALID_ARGUMENT for a
   negative time, a timeframe that is not one of the SPEC minutes, or a
   result outside the int64 range (a close after INT64_MAX: the bars of
   April 2262). */
/* Open time of the bar holding time_ns. */
int hqt_timeframe_open_time(int32_t timeframe_minutes, int64_t time_ns, int64_t *out_open_ns);
/* Close time (exclusive end; the next bar's open) of the bar holding time_ns. */
int hqt_timeframe_close_time(int32_t timeframe_minutes, int64_t time_ns, int64_t *out_close_ns);
/* The same over an array: out_*_ns[i] for time_ns[i], i < n (out may be
   time_ns itself). On error the message names the index. */
int hqt_timeframe_open_times(int32_t timeframe_minutes, const int64_t *time_ns, size_t n,
                             int64_t *out_open_ns);
int hqt_timeframe_close_times(int32_t timeframe_minutes, const int64_t *time_ns, size_t n,
                              int64_t *out_close_ns);
/* out_open_ns[i] = open time of the bar periods[i] bars after the bar
   holding time_ns (0 = that bar, 1 = the next, -1 = the one before). */
int hqt_timeframe_shifted_opens(int32_t timeframe_minutes, int64_t time_ns,
                                const int64_t *periods, size_t n, int64_t *out_open_ns);
/* out_micro[i] = value[i] x 1e6 rounded half away from zero, as a load
   rounds every double (out may not alias value). HQT_E_INVALID_ARGUMENT
   naming the index for NaN, infinities and values beyond +-9.2e12. */
int hqt_to_micro_array(const double *value, size_t n, int64_t *out_micro);

/* ------------------------------------------------------------------ */
/* The MT5 tester report (since 0.2)                                   */
/* ------------------------------------------------------------------ */

/* The figures of the MetaTrader 5 Strategy Tester report, named after its
   labels (docs/engine.md, "MT5 report", has each formula and its source).
   Money in micro units (x 1e6): int64_t for sums and extremes, double for
   averages. Percentages are 0..100. A figure the run cannot define (a ratio
   without trades, a deviation of one value, a margin level while margin was
   never used) is NaN -- never 0. Drawdowns: balance after each deal, equity
   at each equity-curve sample; each pair (money, percent) is of one moment.

   Sized output: set struct_size with hqt_report_init(&r, sizeof r). The
   library writes only the fields that lie inside struct_size and that it
   knows: a program built against an older, shorter hqt_report gets fewer
   fields, never a write past its struct; a newer, longer one keeps what
   hqt_report_init put in the fields this library does not know (0).
   Fields are only ever appended. */
typedef struct hqt_report {
    size_t struct_size;                 /* set by hqt_report_init */
    int64_t total_net_profit;           /* gross profit + gross loss */
    int64_t gross_profit;               /* sum of winning trades (after commission) */
    int64_t gross_loss;                 /* sum of losing trades, <= 0 */
    double profit_factor;               /* INFINITY with no loss, NaN with neither */
    double expected_payoff;             /* net profit / trades (micro units) */
    double recovery_factor;             /* net profit / equity_drawdown_maximal */
    double sharpe_ratio;                /* as hqt_statistics.sharpe_ratio */
    double sharpe_ratio_hpr;            /* (AHPR - 1) / sample sd of the per-trade HPRs */
    double ahpr;                        /* mean of HPR_i = balance after trade i / balance before */
    double ghpr;                        /* geometric mean of the HPRs */
    double z_score;                     /* runs test of the win/loss sequence */
    double z_score_confidence;          /* percent: 2 Phi(|Z|) - 1 */
    double lr_correlation;              /* balance over trades vs trade number */
    double lr_standard_error;           /* its standard error around the regression line */
    int64_t balance_drawdown_absolute;  /* initial balance - lowest balance below it */
    int64_t balance_drawdown_maximal;   /* largest peak-to-trough of the balance, money */
    double balance_drawdown_maximal_pct;/* ... and its percent of the peak */
    double balance_drawdown_relative_pct;/* largest peak-to-trough in percent */
    int64_t balance_drawdown_relative;  /* ... and its money */
    int64_t equity_drawdown_absolute;   /* the same four on the equity-curve samples */
    int64_t equity_drawdown_maximal;
    double equity_drawdown_maximal_pct;
    double equity_drawdown_relative_pct;
    int64_t equity_drawdown_relative;
    double margin_level_minimum;        /* percent, lowest at the equity samples */
    int64_t total_trades;               /* trades (closed round trips) */
    int64_t short_trades;               /* sell positions */
    double short_trades_won_pct;        /* percent of them with net profit > 0 */
    int64_t long_trades;                /* buy positions */
    double long_trades_won_pct;
    int64_t profit_trades;              /* net profit > 0 */
    double profit_trades_pct;
    int64_t loss_trades;                /* net profit < 0 (0 is neither) */
    double loss_trades_pct;
    double largest_profit_trade;        /* micro units */
    double largest_loss_trade;
    double average_profit_trade;        /* gross profit / profit trades (micro units) */
    double average_loss_trade;          /* gross loss / loss trades (micro units) */
    int64_t max_consecutive_wins;       /* longest run of wins (count) ... */
    int64_t max_consecutive_wins_money; /* ... and its money */
    int64_t max_consecutive_losses;     /* longest run of losses (count) ... */
    int64_t max_consecutive_losses_money;/* ... and its money (<= 0) */
    int64_t maximal_consecutive_profit; /* run of wins with the most money ... */
    int64_t maximal_consecutive_profit_count;/* ... and its count */
    int64_t maximal_consecutive_loss;   /* run of losses with the most loss (<= 0) ... */
    int64_t maximal_consecutive_loss_count;/* ... and its count */
    double average_consecutive_wins;    /* mean length of the runs of wins */
    double average_consecutive_losses;  /* mean length of the runs of losses */
} hqt_report;

/* Zeroes struct_size bytes of report and sets report->struct_size =
   struct_size (at least sizeof(size_t), at most 4096). Pass sizeof *report. */
int hqt_report_init(hqt_report *report, size_t struct_size);
/* Fills the fields of out that out->struct_size covers (see above);
   HQT_E_INVALID_ARGUMENT for a struct_size not set by hqt_report_init. */
int hqt_engine_report(hqt_engine *engine, hqt_report *out);
/* The same of a run result (hqt_engine_result), computed at its first call. */
int hqt_result_report(hqt_result *result, hqt_report *out);

/* ---- indicators (since 0.3; docs/indicators.md) ---- */

/* BEGIN GENERATED: hqt_abi.toml [indicator_kind] */
/* Indicator kinds for hqt_engine_add_indicator() (docs/indicators.md). */
enum {
    HQT_IND_SMA = 1,      /* simple moving average (period=30) */
    HQT_IND_EMA = 2,      /* exponential moving average, seeded with the SMA (period=30) */
    HQT_IND_WMA = 3,      /* linearly weighted moving average (period=30) */
    HQT_IND_RSI = 4,      /* relative strength index, Wilder's smoothing (period=14) */
    HQT_IND_ATR = 5,      /* average true range, Wilder's smoothing (period=14) */
    HQT_IND_BBANDS = 6,   /* Bollinger bands: upper, middle, lower (period=5, nbdevup=2, nbdevdn=2) */
    HQT_IND_MACD = 7,     /* macd, signal, hist (fast=12, slow=26, signal=9) */
    HQT_IND_STOCH = 8,    /* stochastic slow %K, %D, SMA smoothing (fastk=5, slowk=3, slowd=3) */
    HQT_IND_DONCHIAN = 9, /* Donchian channel: upper, middle, lower (period=20) */
    HQT_IND_STDDEV = 10,  /* population standard deviation x nbdev (period=5, nbdev=1) */
    HQT_IND_HIGHEST = 11, /* highest value over the period (TA-Lib MAX; period=30) */
    HQT_IND_LOWEST = 12   /* lowest value over the period (TA-Lib MIN; period=30) */
};
/* END GENERATED */

/* BEGIN GENERATED: hqt_abi.toml [price_source] */
/* Price sources of indicators and (BID, ASK, MID) of bars built from ticks. */
enum {
    HQT_PRICE_BID = 0,   /* ticks: the bid (the default on ticks) */
    HQT_PRICE_ASK = 1,   /* ticks: the ask */
    HQT_PRICE_MID = 2,   /* ticks: (bid + ask) / 2 */
    HQT_PRICE_OPEN = 3,  /* bars: the open */
    HQT_PRICE_HIGH = 4,  /* bars: the high */
    HQT_PRICE_LOW = 5,   /* bars: the low */
    HQT_PRICE_CLOSE = 6  /* bars: the close (the default on bars) */
};
/* END GENERATED */

/* Declares an indicator computed by the engine, incrementally, on every
   later event of symbol_id: each tick (timeframe 0) or each bar of
   `timeframe` minutes (loaded, built from ticks with
   hqt_engine_build_bars, or under a tick model), before the strategy's
   callback for that event. kind: HQT_IND_*; source: HQT_PRICE_* or -1
   for the default (BID on ticks, CLOSE on bars; ATR, STOCH and DONCHIAN
   on bars read each bar's high, low and close). params: nparams (0..3)
   numbers in TA-Lib's order (periods, then deviations), the rest TA-Lib's
   defaults; may be NULL when nparams is 0. history: how many past values
   stay readable (>= 1). A declaration with the spec of an indicator that
   recovery restored (and nothing declared since) returns that one, warm.
   Allowed during a run (from on_start or a callback). *out_id: 0, 1, ... */
int hqt_engine_add_indicator(hqt_engine *engine, int32_t kind, uint32_t symbol_id,
                             int32_t timeframe, int32_t source, const double *params,
                             int32_t nparams, int32_t history, uint32_t *out_id);
/* Number of indicators declared (and restored) on the engine. */
int hqt_engine_indicator_count(hqt_engine *engine, uint32_t *out_count);

/* An indicator's values, read in place: valid until the engine is
   destroyed, updated by the engine as events arrive (read it between or
   inside callbacks, on the engine's thread). Slot `last` holds the newest
   value; the value `shift` updates back is in slot (last - shift) mod
   capacity, for shift < min(count, capacity). Values are NaN before
   `warmup` updates (TA-Lib's lookback + 1). */
typedef struct hqt_indicator_view {
    int64_t count;        /* updates so far */
    int64_t capacity;     /* values kept (the history given at declaration) */
    int64_t outputs;      /* per value: 1, 2 (STOCH) or 3 (BBANDS, MACD, DONCHIAN) */
    int64_t last;         /* slot of the newest value */
    int64_t warmup;       /* updates before the first value that is not NaN */
    const double *values; /* capacity x outputs: output o of slot s at values[s * outputs + o] */
} hqt_indicator_view;

/* The view of indicator `id`: *out points into the engine (no copy). */
int hqt_engine_indicator_view(hqt_engine *engine, uint32_t id, const hqt_indicator_view **out);
/* Output `output` of indicator `id`, `shift` updates back (0 = newest):
   NaN during warm-up; HQT_E_INVALID_ARGUMENT beyond the history kept. */
int hqt_engine_indicator_value(hqt_engine *engine, uint32_t id, int32_t output, int32_t shift,
                               double *out_value);

/* The indicator's values thinned for plotting (at most 2048 points, every
   2^k-th value once that many were produced; warm-up values left out):
   times[i] (ns, the tick's time or the bar's close) and
   values[i * outputs + o]. Sets *out_count to the number of points; copies
   nothing when it exceeds capacity (call again with room for that many). */
int hqt_engine_indicator_sketch(hqt_engine *engine, uint32_t id, int64_t *times, double *values,
                                size_t capacity, size_t *out_count);

/* The same read from a view, with no handle check or error path (a few
   nanoseconds; or read the view's fields directly, as documented above):
   NaN before the first update, beyond the history kept, for an output the
   indicator does not have, or for a NULL view. */
double hqt_indicator_at(const hqt_indicator_view *view, int32_t output, int64_t shift);

#ifdef __cplusplus
}
#endif

#endif /* HQT_H */
