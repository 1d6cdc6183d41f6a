import CHQTABI
import FuzzSupport

// Orders, positions and money, with volumes, prices and stops near sensible
// values and at the edges of int64.

func ticket() -> UInt64 {
    if !tickets.isEmpty && input.byte() < 224 { return tickets[Int(input.byte()) % tickets.count] }
    return input.bool() ? UInt64(input.byte()) : input.u64()
}

func price() -> Int64 { input.byte() < 64 ? 0 : input.value(near: 1_100_000, spread: 20_000) }

func volume() -> Int64 { input.value(near: 100_000, spread: 100_000) }

func trade(_ e: OpaquePointer) {
    var out: UInt64 = 0
    switch input.byte() % 9 {
    case 0:
        var r = hqt_order_request()
        r.symbol_id = symbolID()
        r.type = Int32(input.byte() % 10) - 1
        r.volume = volume()
        r.price = price()
        r.stop_limit = price()
        r.sl = price()
        r.tp = price()
        r.expiration = input.bool() ? 0 : nextTime()
        r.trailing_points = input.bool() ? 0 : input.value(near: 100, spread: 100)
        r.magic = input.u64()
        let status = hqt_engine_order_send(e, &r, &out)
        check(status, "hqt_engine_order_send")
        if status == 0 { tickets.append(out) }
    case 1, 2:
        let symbol = symbolID(), v = volume(), sl = price(), tp = price()
        let status =
            input.bool() ? hqt_engine_buy(e, symbol, v, sl, tp, &out) : hqt_engine_sell(e, symbol, v, sl, tp, &out)
        check(status, "hqt_engine_buy/sell")
        if status == 0 { tickets.append(out) }
    case 3:
        let sl = input.byte() < 32 ? Int64.min : price()
        check(hqt_engine_modify(e, ticket(), sl, input.byte() < 32 ? Int64.min : price()), "hqt_engine_modify")
    case 4:
        let t = ticket(), p = price(), limit = price()
        let expiration = input.bool() ? 0 : nextTime()
        check(hqt_engine_modify_order(e, t, p, limit, expiration), "hqt_engine_modify_order")
    case 5:
        check(
            hqt_engine_set_trailing_stop(e, ticket(), input.value(near: 100, spread: 100)),
            "hqt_engine_set_trailing_stop")
    case 6: check(hqt_engine_close(e, ticket(), input.bool() ? 0 : volume()), "hqt_engine_close")
    case 7: check(hqt_engine_cancel(e, ticket()), "hqt_engine_cancel")
    default:
        check(hqt_engine_deposit(e, input.value(near: 1_000_000_000, spread: 1_000_000_000_000)), "hqt_engine_deposit")
    }
}
