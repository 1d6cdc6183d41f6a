"""One Python type per record: hqt.Position, hqt.Order, hqt.Trade (records.c).

engine.positions / position() / orders / order_history / trades give these
objects; the underscore methods give the same fields as raw exact tuples, and
the numpy layouts of the result tables list the same field names (one table
per record in records.c)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import hqt
from hqt import _hqt

T0 = 1_704_153_600 * 10**9
SEC = 10**9


@pytest.fixture(scope="module")
def engine():
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD", commission_per_lot=3.5)
    t = T0 + np.arange(4) * SEC
    e.load_ticks(
        s, t, np.array([1.1, 1.1001, 1.1, 1.1003]), np.array([1.1002, 1.1003, 1.1002, 1.1005])
    )

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            if tick.time == T0:
                engine.buy(tick.symbol_id, 0.1, sl=1.09)
                engine.sell(tick.symbol_id, 0.2, tp=1.05)
                engine.buy_limit(tick.symbol_id, 0.1, 1.05)
            elif tick.time == T0 + 2 * SEC:
                engine.close(engine.positions[0].ticket)

    e.run(S())
    yield e
    e.dispose()


def test_engine_lists_are_the_record_types(engine):
    assert hqt.Position is _hqt.Position and hqt.Order is _hqt.Order and hqt.Trade is _hqt.Trade
    (p,) = engine.positions
    assert type(p) is hqt.Position and engine.position(p.ticket) == p
    assert (
        p.type is hqt.PositionType.SELL
        and p.volume == 0.2
        and p.tp == 1.05
        and p.price == p.open_price
    )
    assert all(type(o) is hqt.Order for o in engine.orders + engine.order_history)
    assert (
        engine.orders[0].type is hqt.OrderType.BUY_LIMIT
        and engine.orders[0].state is hqt.OrderState.PLACED
    )
    (tr,) = engine.trades
    assert type(tr) is hqt.Trade and tr.close_reason is hqt.DealReason.CLIENT
    assert tr.net_profit == pytest.approx(tr.profit + tr.commission)


def test_raw_tuples_objects_and_layouts_share_the_fields(engine):
    layouts = _hqt._record_layouts()
    for cls, objs, raw, kind in [
        (hqt.Position, engine.positions, engine._positions(), "positions"),
        (hqt.Order, engine.order_history, engine._order_history(), "orders"),
        (hqt.Trade, engine.trades, engine._trades(), "trades"),
    ]:
        assert [o._astuple() for o in objs] == raw
        assert tuple(name for name, _, _ in layouts[kind][1]) == cls._fields
        for o in objs:
            for name, value in zip(cls._fields, o._astuple(), strict=False):
                exact = getattr(o, name + "_micro", None)
                shown = getattr(o, name)
                if exact is not None:
                    assert exact == value and shown == value / 1e6
                else:
                    assert shown == value


def test_records_compare_hash_pickle_and_construct(engine):
    for o in engine.positions + engine.orders + engine.order_history + engine.trades:
        again = pickle.loads(pickle.dumps(o))
        assert again == o and hash(again) == hash(o) and not (again != o)
        assert type(o).from_micro(*o._astuple()) == o
        assert repr(o).startswith(
            type(o).__name__ + "(ticket=" if type(o) is not hqt.Trade else "Trade(position="
        )
    p = engine.positions[0]
    fields = {name: getattr(p, name) for name in hqt.Position._fields}
    assert hqt.Position(**fields) == p
    with pytest.raises(TypeError, match="missing required argument 'magic'"):
        hqt.Position(*list(fields.values())[:-1])
    assert p != engine.orders[0] and p != p._astuple()
