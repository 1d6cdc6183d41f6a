/// MetaTrader 5 order type codes (SPEC section 1).
public enum OrderType: Int32, Sendable, CaseIterable {
    case buy = 0, sell, buyLimit, sellLimit, buyStop, sellStop, buyStopLimit, sellStopLimit

    /// True for the types that buy (BUY, BUY_LIMIT, BUY_STOP, BUY_STOP_LIMIT).
    @inline(__always) public var isBuy: Bool { rawValue & 1 == 0 }
    public var isMarket: Bool { self == .buy || self == .sell }
    public var side: Side { isBuy ? .buy : .sell }
}

/// Direction of a position or deal.
public enum Side: Int32, Sendable {
    case buy = 0, sell = 1
    public var opposite: Side { self == .buy ? .sell : .buy }
}

/// Order states, as in the ORDER frame's high nibble.
public enum OrderState: Int32, Sendable {
    case placed = 0, modified, filled, canceled, rejected, expired
}

/// Position events, as in the POSITION frame's high nibble.
public enum PositionEvent: UInt8, Sendable {
    case opened = 0, modified, closed, partiallyClosed
}

/// `outBy`: closed by an opposite position (close_by, MT5's DEAL_ENTRY_OUT_BY).
public enum DealEntry: Int32, Sendable { case `in` = 0, out, inOut, outBy }

public enum DealReason: Int32, Sendable {
    case client = 0, stopLoss, takeProfit, stopOut, pending
}

public enum AccountMode: Int32, Sendable { case hedging = 0, netting = 1 }

/// The 0.1 margin setting, kept as an alias of `CalcMode`: `.forex` is
/// `CalcMode.forex`, `.cfd` is `CalcMode.cfd` (MT5's CFD mode, no leverage;
/// in 0.1 it divided by the leverage, which is MT5's CFD-Leverage).
public enum MarginMode: Int32, Sendable { case forex = 0, cfd = 1 }

/// MT5's ENUM_SYMBOL_SWAP_MODE (numbers as MT5's), the modes HQT charges:
/// in what unit `swapLong` / `swapShort` are given (docs/engine.md, "Swaps").
/// MT5's two reopen modes (7, 8) are not implemented.
public enum SwapMode: Int32, Sendable, CaseIterable {
    case disabled = 0, points = 1, baseCurrency = 2, marginCurrency = 3, depositCurrency = 4
    case interestCurrent = 5, interestOpen = 6

    /// The name used by Python's `swap_mode=` and in messages.
    public var name: String {
        switch self {
        case .disabled: "disabled"
        case .points: "points"
        case .baseCurrency: "base_currency"
        case .marginCurrency: "margin_currency"
        case .depositCurrency: "deposit_currency"
        case .interestCurrent: "interest_current"
        case .interestOpen: "interest_open"
        }
    }
}

/// MT5's ENUM_SYMBOL_CALC_MODE, with MT5's own numbers: how margin and
/// profit of a symbol are computed (docs/engine.md has the formulas).
public enum CalcMode: Int32, Sendable, CaseIterable {
    case forex = 0, futures = 1, cfd = 2, cfdIndex = 3, cfdLeverage = 4, forexNoLeverage = 5
    case exchangeStocks = 32

    /// Futures and CFD-index formulas use tick value / tick size.
    var usesTicks: Bool { self == .futures || self == .cfdIndex }

    /// The name used by Python's `calc_mode=` and in messages.
    public var name: String {
        switch self {
        case .forex: "forex"
        case .futures: "futures"
        case .cfd: "cfd"
        case .cfdIndex: "cfd_index"
        case .cfdLeverage: "cfd_leverage"
        case .forexNoLeverage: "forex_no_leverage"
        case .exchangeStocks: "exchange_stocks"
        }
    }
}

/// A pending order (or, in the history, any order with its final state).
public struct Order: Sendable, Equatable {
    public var ticket: UInt64
    public var symbolID: UInt32
    public var type: OrderType
    public var state: OrderState
    public var volume: Int64
    public var price: Int64
    public var stopLimit: Int64
    public var sl: Int64
    public var tp: Int64
    public var expiration: Int64
    public var timeSetup: Int64
    public var trailingPoints: Int64
    public var magic: UInt64
}

/// An open position. `margin` and `commission` are in account money.
public struct Position: Sendable, Equatable {
    public var ticket: UInt64
    public var symbolID: UInt32
    public var side: Side
    public var volume: Int64
    public var openPrice: Int64
    public var openTime: Int64
    public var sl: Int64
    public var tp: Int64
    public var trailingPoints: Int64
    /// Floating profit in account money, refreshed on every quote.
    public var profit: Int64
    public var margin: Int64
    /// Entry commission not yet attributed to a closed trade.
    public var commission: Int64
    public var magic: UInt64
    /// Swap charged at rollovers and not yet booked (MT5's POSITION_SWAP):
    /// part of the floating result and of equity; a closing deal books its
    /// share into the balance (docs/engine.md, "Swaps").
    public var swap: Int64 = 0
}

/// One fill.
public struct Deal: Sendable, Equatable {
    public var ticket: UInt64
    public var order: UInt64
    public var position: UInt64
    public var symbolID: UInt32
    public var side: Side
    public var entry: DealEntry
    public var reason: DealReason
    public var time: Int64
    public var volume: Int64
    public var price: Int64
    public var commission: Int64
    public var profit: Int64
    public var balance: Int64
    public var magic: UInt64
}

/// A round trip: a position, or the part of it closed by one deal.
public struct Trade: Sendable, Equatable {
    public var position: UInt64
    public var symbolID: UInt32
    public var side: Side
    public var volume: Int64
    public var openTime: Int64
    public var openPrice: Int64
    public var closeTime: Int64
    public var closePrice: Int64
    public var commission: Int64
    public var profit: Int64
    public var closeReason: DealReason
    /// Profit after entry and exit commission.
    public var netProfit: Int64 { profit + commission }
}

public struct EquityPoint: Sendable, Equatable {
    public var time: Int64
    public var balance: Int64
    public var equity: Int64
    public var margin: Int64
}

/// What a caller asks for; the engine validates every field.
public struct OrderRequest: Sendable {
    public var symbolID: UInt32
    public var type: OrderType
    public var volume: Int64
    public var price: Int64 = 0
    public var stopLimit: Int64 = 0
    public var sl: Int64 = 0
    public var tp: Int64 = 0
    public var expiration: Int64 = 0
    public var trailingPoints: Int64 = 0
    public var magic: UInt64 = 0
    /// MT5's ORDER_TYPE_TIME of a pending order; nil: `.specified` when
    /// `expiration` is set, else `.gtc` (HQT's rule before type_time).
    public var typeTime: OrderTypeTime? = nil
    /// MT5's ORDER_TYPE_FILLING: what happens when the symbol's volume
    /// limit leaves room for part of the order (Engine+Filling.swift).
    public var filling: OrderFilling = .fok

    public init(
        symbolID: UInt32, type: OrderType, volume: Int64, price: Int64 = 0,
        stopLimit: Int64 = 0, sl: Int64 = 0, tp: Int64 = 0, expiration: Int64 = 0,
        trailingPoints: Int64 = 0, magic: UInt64 = 0
    ) {
        self.symbolID = symbolID; self.type = type; self.volume = volume; self.price = price
        self.stopLimit = stopLimit; self.sl = sl; self.tp = tp; self.expiration = expiration
        self.trailingPoints = trailingPoints; self.magic = magic
    }
}

/// Account figures at one instant (money in micro units).
public struct AccountSnapshot: Sendable, Equatable {
    public var time: Int64
    public var balance: Int64
    public var equity: Int64
    public var profit: Int64
    public var margin: Int64
    public var freeMargin: Int64
    /// Percent × 1e6; 0 while no margin is used.
    public var marginLevel: Int64
    public var marginCall: Bool
}
