"""ZeroMQ broadcasting through libhqt: the engine's own publisher and the standalone one.

Frames are SPEC section 2's (docs/zmq.md): one ZeroMQ frame per event,
``[topic:u8][payload]``, little-endian. Receive and decode them with
:mod:`hqt.subscriber` (pure Python, needs only pyzmq).

* **The engine's own publisher** (:meth:`hqt.Engine.enable_broadcasting`):
  while enabled, ``run()`` and ``process_event()`` publish every event with
  no call from the strategy: TICK every tick, BAR when a bar closes, TRADE
  every deal, ORDER on every order state change, POSITION on open, modify,
  close and partial close, and EQUITY + ACCOUNT + MARGIN at a cadence
  (every bar close and every deal by default; ``every_ticks=N`` adds every N
  ticks). MARGIN also goes out at once on a margin call and a stop-out::

      endpoint = engine.enable_broadcasting("tcp://127.0.0.1:*", wait_subscribers=1)
      engine.run(MyStrategy())
      print(engine.broadcast_stats())

* **The standalone publisher** (:class:`Broadcaster`), for tools, tests and
  custom loops: ``publish_tick``, ``publish_bar``, ``publish_trade``,
  ``publish_order``, ``publish_equity``, ``publish_margin``,
  ``publish_position``, ``publish_account``.

Every publish is non-blocking. A frame that does not fit one subscriber's
queue (``sndhwm``) is dropped for that subscriber only (libzmq drops per
pipe, since issue 11): the others still get it, and the publisher cannot
see that drop -- a subscriber sees its own through the sequenced frames
(docs/zmq.md sections 10-11). Per topic, ``sent + dropped`` is the number
of frames published; ``dropped`` counts publishes after close and sends
libzmq refused. Publishing returns True when the frame was handed over (or
nobody subscribed to it), False when it was not.

Options (the same for both):

* ``endpoint``: a libzmq bind endpoint: ``tcp://HOST:PORT`` (``*`` as PORT
  binds a free port, read back from ``endpoint`` / ``broadcast_endpoint``),
  ``ipc:///path`` or ``inproc://name``. Default ``tcp://*:5555``.
* ``sndhwm``: frames queued per subscriber before dropping (default 10 000;
  0 = no limit). ``linger``: ms that closing may wait to flush (default 0).
* ``curve_secret_key``: a Z85 server secret key (40 characters, str or
  bytes) turns on CURVE encryption; subscribers need the matching public key
  (:func:`curve_public_key`). ``allowed_client_keys``: Z85 client public keys;
  only these may subscribe (needs ``curve_secret_key``).
* ``wait_subscribers``: the first publish waits until this many subscriptions
  have arrived, at most ``wait_timeout`` seconds (default 5), then publishes
  either way. ZeroMQ drops frames published before a subscription arrives.

A bind failure (port in use, malformed endpoint) raises
:class:`hqt.BroadcastError`; bad option values raise
:class:`hqt.InvalidArgumentError`. A failed ``enable_broadcasting`` leaves
the engine working, not broadcasting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from hqt import _hqt
from hqt.errors import InvalidArgumentError

__all__ = [
    "Broadcaster",
    "BroadcastStats",
    "TopicCounters",
    "Topic",
    "TOPIC_NAMES",
    "curve_keypair",
    "curve_public_key",
    "broadcast_options",
    "order_kind",
    "position_kind",
]

Key = str | bytes
#: (endpoint, sndhwm, linger, curve_secret_key, allowed_client_keys, wait_subscribers,
#:  wait_timeout_ms), as the native layer takes them
BroadcastOptions = tuple[str, int, int, str | None, tuple[str, ...], int, int]


class Topic(IntEnum):
    """Topic byte, the first byte of every frame (SPEC section 2)."""

    TICK = 0
    BAR = 1
    TRADE = 2
    ORDER = 3
    EQUITY = 4
    MARGIN = 5
    POSITION = 6
    ACCOUNT = 7


#: Topic names in topic order.
TOPIC_NAMES: tuple[str, ...] = tuple(t.name for t in Topic)


def order_kind(type: int, state: int) -> int:
    """The ORDER frame's kind byte: ``(state << 4) | type`` (hqt.OrderType, hqt.OrderState)."""
    return ((int(state) & 0xF) << 4) | (int(type) & 0xF)


def position_kind(side: int, state: int) -> int:
    """The POSITION frame's kind byte: ``(state << 4) | side``.

    ``side``: 0 BUY, 1 SELL; ``state``: 0 opened, 1 modified, 2 closed,
    3 partially closed.
    """
    return ((int(state) & 0xF) << 4) | (int(side) & 0xF)


# ---- keys ------------------------------------------------------------------------------


def _key(key: Key, what: str) -> str:
    if isinstance(key, (bytes, bytearray)):
        try:
            key = bytes(key).decode("ascii")
        except UnicodeDecodeError:
            raise InvalidArgumentError(f"{what} must be 40 Z85 characters") from None
    if not isinstance(key, str):
        raise TypeError(
            f"{what} must be a str or bytes of 40 Z85 characters, not {type(key).__name__}"
        )
    if len(key) != 40:
        raise InvalidArgumentError(f"{what} must be 40 Z85 characters, got {len(key)}")
    return key


def curve_keypair() -> tuple[str, str]:
    """A new CURVE keypair ``(public, secret)``, each 40 Z85 characters.

    Give the secret key to the broadcaster (``curve_secret_key``) and the
    public key to the subscribers.
    """
    return _hqt.curve_keypair()


def curve_public_key(secret_key: Key) -> str:
    """The Z85 public key of a Z85 secret key (str or bytes): what subscribers need."""
    return _hqt.curve_public_key(_key(secret_key, "secret_key"))


# ---- options ---------------------------------------------------------------------------


def _int(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise InvalidArgumentError(f"{what} must be >= {minimum}, got {value}")
    if value > 2**31 - 1:
        raise InvalidArgumentError(f"{what} = {value} is out of range (at most 2147483647)")
    return value


def broadcast_options(
    endpoint: str,
    sndhwm: int,
    linger: int,
    curve_secret_key: Key | None,
    allowed_client_keys: Iterable[Key],
    wait_subscribers: int,
    wait_timeout: float,
) -> BroadcastOptions:
    """The options checked and converted for the native layer (keys as str, timeout in ms).

    Returns ``(endpoint, sndhwm, linger, curve_secret_key, allowed_client_keys,
    wait_subscribers, wait_timeout_ms)``.
    """
    if not isinstance(endpoint, str):
        raise TypeError(
            f"endpoint must be a str such as 'tcp://*:5555', not {type(endpoint).__name__}"
        )
    if not endpoint:
        raise InvalidArgumentError("endpoint must not be empty (e.g. 'tcp://*:5555')")
    _int(sndhwm, "sndhwm", 0)
    _int(linger, "linger", -1)
    secret = None if curve_secret_key is None else _key(curve_secret_key, "curve_secret_key")
    if isinstance(allowed_client_keys, (str, bytes)):
        raise TypeError("allowed_client_keys must be a sequence of keys, not a single key")
    allowed = tuple(_key(k, "allowed_client_keys[]") for k in allowed_client_keys)
    if allowed and secret is None:
        raise InvalidArgumentError(
            "allowed_client_keys needs curve_secret_key: an allow-list only works with CURVE"
        )
    _int(wait_subscribers, "wait_subscribers", 0)
    if isinstance(wait_timeout, bool) or not isinstance(wait_timeout, (int, float)):
        raise TypeError(
            f"wait_timeout must be a number of seconds, not {type(wait_timeout).__name__}"
        )
    if not math.isfinite(wait_timeout) or wait_timeout < 0:
        raise InvalidArgumentError(f"wait_timeout must be >= 0 seconds, got {wait_timeout!r}")
    timeout_ms = round(wait_timeout * 1000)
    if timeout_ms > 2**31 - 1:
        raise InvalidArgumentError(f"wait_timeout = {wait_timeout!r} s is too long")
    return endpoint, sndhwm, linger, secret, allowed, wait_subscribers, timeout_ms


# ---- counters --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicCounters:
    """Counters of one topic."""

    sent: int  #: frames accepted by ZeroMQ (or published with nobody subscribed)
    bytes: int  #: bytes of those frames
    dropped: int  #: frames not handed to ZeroMQ (per-subscriber drops are not seen here)

    @property
    def published(self) -> int:
        """sent + dropped: every frame published on this topic."""
        return self.sent + self.dropped


@dataclass(frozen=True)
class BroadcastStats:
    """A broadcaster's counters: per topic (``stats["TRADE"]``, ``stats[2]``) and in total."""

    topics: dict[str, TopicCounters] = field(hash=False)  #: topic name -> counters, topic order
    total_sent: int
    total_bytes: int
    total_dropped: int
    subscribers: int  #: active subscriptions (a SUB with k prefixes counts k)

    def __getitem__(self, topic: int | str) -> TopicCounters:
        """Counters of a topic given by number (0..7) or name (any case)."""
        if isinstance(topic, str):
            try:
                return self.topics[topic.upper()]
            except KeyError:
                raise KeyError(
                    f"unknown topic {topic!r}; known: {', '.join(TOPIC_NAMES)}"
                ) from None
        return self.topics[Topic(topic).name]

    @property
    def total_published(self) -> int:
        """total_sent + total_dropped."""
        return self.total_sent + self.total_dropped

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> BroadcastStats:
        sent, nbytes, dropped = t[0], t[1], t[2]
        topics = {
            name: TopicCounters(sent[i], nbytes[i], dropped[i])
            for i, name in enumerate(TOPIC_NAMES)
        }
        return cls(
            topics=topics, total_sent=t[3], total_bytes=t[4], total_dropped=t[5], subscribers=t[6]
        )


# ---- the standalone publisher ------------------------------------------------------------


class Broadcaster(_hqt.Broadcaster):
    """A ZeroMQ publisher of SPEC frames, bound when created.

    Options as in the module documentation; ``wait_timeout`` in seconds.
    Publishing (native): ``publish_tick(symbol_id, time, bid, ask)``,
    ``publish_bar(symbol_id, timeframe, time, open, high, low, close,
    volume=0.0)``, ``publish_trade(ticket, symbol_id, time, volume, price,
    profit)``, ``publish_order(ticket, symbol_id, time, kind, volume, price)``,
    ``publish_equity(time, balance, equity, margin, free_margin)``,
    ``publish_margin(time, margin, free_margin, margin_level, event=0)``,
    ``publish_position(ticket, symbol_id, time, kind, volume, open_price, sl,
    tp, profit)``, ``publish_account(time, balance, equity, profit,
    margin_level)``. Prices, money and volumes (lots) are floats, rounded
    once to micro units; margin levels are percent; times are ns; ``kind`` is
    :func:`order_kind` / :func:`position_kind`. Each returns True when the
    frame was handed to ZeroMQ, False when it was refused (see above).

    ``close()`` closes the socket (the counters stay readable, the endpoint
    too); publishing afterwards raises StateError. ``with Broadcaster(...) as
    b:`` closes it at the end. Publish, wait and close from one thread at a
    time (BusyError otherwise); :meth:`stats` from any thread.
    """

    def __init__(
        self,
        endpoint: str = "tcp://*:5555",
        *,
        sndhwm: int = 10_000,
        linger: int = 0,
        curve_secret_key: Key | None = None,
        allowed_client_keys: Iterable[Key] = (),
        wait_subscribers: int = 0,
        wait_timeout: float = 5.0,
    ) -> None:
        super().__init__(
            *broadcast_options(
                endpoint,
                sndhwm,
                linger,
                curve_secret_key,
                allowed_client_keys,
                wait_subscribers,
                wait_timeout,
            )
        )

    def stats(self) -> BroadcastStats:
        """The counters (also after close())."""
        return BroadcastStats._from_raw(self._stats())

    def wait_for_subscribers(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until at least `count` subscriptions are active, at most `timeout` seconds.

        Returns True when they are, False on timeout. ``(0, 0)`` only
        refreshes ``stats().subscribers``.
        """
        _int(count, "count", 0)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout < 0
        ):
            raise InvalidArgumentError(f"timeout must be >= 0 seconds, got {timeout!r}")
        return self._wait_for_subscribers(count, min(round(timeout * 1000), 2**31 - 1))

    def __enter__(self) -> Broadcaster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<{type(self).__name__} {self.endpoint} {state}>"
