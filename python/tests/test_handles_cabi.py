"""C handles cannot be misused: every hqt_engine *, hqt_broadcaster * and
hqt_wal * is a generation-checked id (Sources/HQTCAPI/HandleTable.swift), so a
stale, doubly destroyed, foreign or other-kind handle gets
HQT_E_INVALID_ARGUMENT, never a crash and never another object; destroying an
engine from its own callback is HQT_E_BUSY.

A handle's bits (docs/abi.md, "Handles"): kind tag in bits 63..56, the slot's
generation in bits 55..24, slot index + 1 in bits 23..0. The tests read them
to check that slots are reused and the table stays small.
"""

from __future__ import annotations

import ctypes as C
import gc
import random
import threading

import pytest

import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0

S = H.STATUS
OK, E_ARG, E_BUSY = S.OK, S.INVALID_ARGUMENT, S.BUSY
ENGINE_TAG, BROADCASTER_TAG, WAL_TAG = 0xE1, 0xB1, 0xA1


class BroadcastOptions(C.Structure):
    _fields_ = [
        ("endpoint", C.c_char_p),
        ("sndhwm", C.c_int32),
        ("linger", C.c_int32),
        ("curve_secret_key", C.c_char_p),
        ("allowed_client_keys", C.c_void_p),
        ("allowed_client_key_count", C.c_size_t),
        ("wait_subscribers", C.c_int32),
        ("wait_timeout_ms", C.c_int32),
    ]


class BroadcastStats(C.Structure):
    _fields_ = [
        ("sent", C.c_uint64 * 8),
        ("bytes", C.c_uint64 * 8),
        ("dropped", C.c_uint64 * 8),
        ("total_sent", C.c_uint64),
        ("total_bytes", C.c_uint64),
        ("total_dropped", C.c_uint64),
        ("subscribers", C.c_int64),
    ]


class WALRecord(C.Structure):
    _fields_ = [
        ("type", C.c_uint8),
        ("sequence", C.c_uint64),
        ("offset", C.c_int64),
        ("data", C.c_void_p),
        ("length", C.c_size_t),
    ]


RECORD_FN = C.CFUNCTYPE(C.c_int, C.POINTER(WALRecord), C.c_void_p)
VP = C.c_void_p


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    lib = H.load(LIBHQT)
    signatures = {
        "hqt_broadcast_options_init": (None, [C.POINTER(BroadcastOptions)]),
        "hqt_broadcaster_create": (C.c_int, [C.POINTER(BroadcastOptions), C.POINTER(VP)]),
        "hqt_broadcaster_destroy": (C.c_int, [VP]),
        "hqt_broadcaster_endpoint": (C.c_int, [VP, C.c_char_p, C.c_size_t]),
        "hqt_broadcaster_publish_tick": (
            C.c_int,
            [VP, C.c_uint32, C.c_uint64, C.c_int64, C.c_int64],
        ),
        "hqt_broadcaster_stats": (C.c_int, [VP, C.POINTER(BroadcastStats)]),
        "hqt_broadcaster_wait_for_subscribers": (C.c_int, [VP, C.c_int32, C.c_int32]),
        "hqt_wal_open": (C.c_int, [C.c_char_p, C.c_int32, C.c_int, C.POINTER(VP), VP]),
        "hqt_wal_append": (
            C.c_int,
            [VP, C.c_uint8, C.c_void_p, C.c_size_t, C.POINTER(C.c_uint64)],
        ),
        "hqt_wal_sync": (C.c_int, [VP]),
        "hqt_wal_read_all": (C.c_int, [VP, RECORD_FN, C.c_void_p]),
        "hqt_wal_close": (C.c_int, [VP]),
        "hqt_engine_deposit": (C.c_int, [VP, C.c_int64]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def err(lib) -> str:
    return lib.hqt_last_error().decode()


def parts(handle: int) -> tuple[int, int, int]:
    """(kind tag, generation, slot index) of a handle value."""
    return handle >> 56, (handle >> 24) & 0xFFFF_FFFF, (handle & 0xFF_FFFF) - 1


def new_engine(lib, balance: int = 10_000_000_000) -> int:
    e = VP()
    assert lib.hqt_engine_create(balance, b"USD", 100, C.byref(e)) == OK
    return e.value


def balance(lib, e: int) -> int:
    a = H.Account()
    assert lib.hqt_engine_account(e, C.byref(a)) == OK, err(lib)
    return a.balance


def assert_invalid(lib, rc: int, kind: str) -> None:
    assert rc == E_ARG, (rc, err(lib))
    message = err(lib)
    assert f"not a live {kind} handle (destroyed or foreign)" in message, message


# ---- engines -----------------------------------------------------------------


def test_a_handle_is_an_id_not_an_address(lib):
    e = new_engine(lib)
    tag, generation, index = parts(e)
    assert tag == ENGINE_TAG and generation >= 1 and index >= 0
    assert lib.hqt_engine_destroy(e) == OK


def test_use_after_destroy_never_reaches_the_engine_now_in_its_slot(lib):
    for round in range(300):
        old = new_engine(lib)
        assert lib.hqt_engine_deposit(old, 1_000_000) == OK
        assert lib.hqt_engine_destroy(old) == OK
        new = new_engine(lib, balance=5_000_000_000 + round)
        # The new engine took the freed slot; only the generation differs.
        assert parts(new)[2] == parts(old)[2] and parts(new)[1] > parts(old)[1]
        count = C.c_uint32(7)
        assert_invalid(lib, lib.hqt_engine_symbol_count(old, C.byref(count)), "hqt_engine")
        assert count.value == 7  # output untouched
        assert_invalid(lib, lib.hqt_engine_deposit(old, 123_000_000), "hqt_engine")
        assert_invalid(lib, lib.hqt_engine_set_account_mode(old, 1), "hqt_engine")
        assert_invalid(lib, lib.hqt_engine_run(old, None), "hqt_engine")
        assert_invalid(lib, lib.hqt_engine_destroy(old), "hqt_engine")
        assert balance(lib, new) == 5_000_000_000 + round  # untouched, still alive
        assert lib.hqt_engine_destroy(new) == OK


def test_double_destroy_is_invalid_and_frees_nothing_else(lib):
    a = new_engine(lib)
    assert lib.hqt_engine_destroy(a) == OK
    assert_invalid(lib, lib.hqt_engine_destroy(a), "hqt_engine")
    b = new_engine(lib, balance=7_000_000)
    for _ in range(5):
        assert_invalid(lib, lib.hqt_engine_destroy(a), "hqt_engine")
    assert balance(lib, b) == 7_000_000
    assert lib.hqt_engine_destroy(b) == OK
    assert_invalid(lib, lib.hqt_engine_destroy(b), "hqt_engine")
    assert lib.hqt_engine_destroy(None) == OK


def test_foreign_values_are_refused_without_being_dereferenced(lib):
    live = new_engine(lib, balance=3_000_000)
    tag, generation, index = parts(live)
    buffer = C.create_string_buffer(b"\xe1" * 256)  # real, readable memory
    foreign = [
        1,
        8,
        0xDEADBEEF,
        0xFFFF_FFFF_FFFF_FFFF,
        C.addressof(buffer),
        id(lib),  # a live Python object
        live ^ (1 << 24),  # right slot, wrong generation
        live + 1,  # right generation, next slot
        (ENGINE_TAG << 56) | (generation << 24),  # slot index + 1 == 0
        (ENGINE_TAG << 56) | (generation << 24) | 0xFF_FFFF,  # far beyond the table
        (BROADCASTER_TAG << 56) | (live & ((1 << 56) - 1)),  # same id, other kind
        (WAL_TAG << 56) | (live & ((1 << 56) - 1)),
    ]
    rng = random.Random(10)
    foreign += [rng.getrandbits(64) for _ in range(3000)]
    foreign += [(ENGINE_TAG << 56) | rng.getrandbits(56) for _ in range(3000)]
    for value in foreign:
        if value == live:
            continue
        count = C.c_uint32()
        rc = lib.hqt_engine_symbol_count(value, C.byref(count))
        assert rc == E_ARG, hex(value)
        assert "destroyed or foreign" in err(lib)
        assert lib.hqt_engine_destroy(value) == E_ARG, hex(value)
    assert balance(lib, live) == 3_000_000
    assert lib.hqt_engine_destroy(live) == OK


def test_generation_zero_never_matches_a_free_slot(lib):
    # Found by fuzz/hqt-fuzz-cabi: a forged handle with generation 0 matched a
    # free slot (whose live generation is 0) and the call crashed on the slot's
    # null object instead of returning HQT_E_INVALID_ARGUMENT.
    live = new_engine(lib, balance=4_000_000)
    freed = new_engine(lib)
    assert lib.hqt_engine_destroy(freed) == OK
    never_used = parts(live)[2] + 2  # same chunk, past every slot in use
    for index in (parts(freed)[2], never_used, 1000):
        value = (ENGINE_TAG << 56) | (index + 1)
        assert_invalid(lib, lib.hqt_engine_deposit(value, 1_000_000), "hqt_engine")
        assert_invalid(lib, lib.hqt_engine_destroy(value), "hqt_engine")
    assert balance(lib, live) == 4_000_000
    assert lib.hqt_engine_destroy(live) == OK


def test_null_handle_message(lib):
    assert lib.hqt_engine_deposit(None, 1) == E_ARG
    assert "engine is NULL" in err(lib)


# ---- destroy from inside the engine ----------------------------------------


def loaded_engine(lib, ticks: int = 20) -> int:
    e = new_engine(lib)
    spec = H.SymbolSpec()
    lib.hqt_symbol_spec_init(C.byref(spec))
    spec.name, spec.base_currency, spec.profit_currency = b"EURUSD", b"EUR", b"USD"
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol(e, C.byref(spec), C.byref(sid)) == OK
    t = (C.c_int64 * ticks)(*(T0 + k * SEC for k in range(ticks)))
    bid = (C.c_int64 * ticks)(*(1_100_000 + k for k in range(ticks)))
    ask = (C.c_int64 * ticks)(*(1_100_020 + k for k in range(ticks)))
    assert lib.hqt_engine_load_ticks(e, 0, t, bid, ask, ticks) == OK
    return e


def test_destroy_from_a_callback_is_busy_and_the_run_goes_on(lib):
    e = loaded_engine(lib, ticks=20)
    other = new_engine(lib)
    seen: list[tuple[str, int, str]] = []

    def attempt(where: str, engine: int) -> int:
        rc = lib.hqt_engine_destroy(engine)
        seen.append((where, rc, err(lib) if rc else ""))
        return 0

    def on_tick(engine, tick, _):
        attempt("tick", engine)
        if tick.contents.time == T0 + 5 * SEC:
            assert lib.hqt_engine_destroy(other) == OK  # another engine: allowed
        return 0

    s = H.Strategy()
    s.on_start = H.ON_EVENT(lambda engine, _: attempt("start", engine))
    s.on_tick = H.ON_TICK(on_tick)
    s.on_stop = H.ON_EVENT(lambda engine, _: attempt("stop", engine))
    assert lib.hqt_engine_run(e, C.byref(s)) == OK, err(lib)
    assert [w for w, _, _ in seen] == ["start"] + ["tick"] * 20 + ["stop"]
    assert all(rc == E_BUSY for _, rc, _ in seen), seen
    assert "hqt_engine_destroy" in seen[1][2] and "callback" in seen[1][2]
    assert_invalid(lib, lib.hqt_engine_destroy(other), "hqt_engine")

    # process_event's callbacks too; the engine is alive and usable after.
    s2 = H.Strategy()
    s2.on_tick = H.ON_TICK(lambda engine, tick, _: attempt("event", engine))
    ev = H.Event(type=0, tick=H.Tick(0, T0 + 60 * SEC, 1_100_500, 1_100_520))
    assert lib.hqt_engine_process_event(e, C.byref(ev), C.byref(s2)) == OK, err(lib)
    assert seen[-1][:2] == ("event", E_BUSY)
    assert balance(lib, e) == 10_000_000_000
    assert lib.hqt_engine_destroy(e) == OK


# ---- slots are reused: no leak ---------------------------------------------


@pytest.fixture
def quiet_gc():
    """No Python engine from another test is collected (and its slot freed) meanwhile."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_thousands_of_cycles_keep_the_table_small(lib, quiet_gc):
    indexes, generations = set(), []
    for _ in range(5000):
        e = new_engine(lib)
        _, generation, index = parts(e)
        indexes.add(index)
        generations.append(generation)
        assert lib.hqt_engine_destroy(e) == OK
    assert len(indexes) == 1, indexes  # one slot, reused every time
    assert generations == list(range(generations[0], generations[0] + 5000))

    batch_indexes = set()
    for _ in range(200):
        batch = [new_engine(lib) for _ in range(16)]
        batch_indexes.update(parts(e)[2] for e in batch)
        for e in batch:
            assert lib.hqt_engine_destroy(e) == OK
    assert len(batch_indexes) <= 17, sorted(batch_indexes)


def test_threads_creating_and_destroying_their_own_engines(lib, quiet_gc):
    # Eight free slots on top of the table: four threads never need more.
    spare = [new_engine(lib) for _ in range(8)]
    top = max(parts(e)[2] for e in spare)
    for e in spare:
        assert lib.hqt_engine_destroy(e) == OK
    failures: list[str] = []
    used: set[int] = set()

    def worker(n: int) -> None:
        for k in range(1500):
            amount = 1_000_000 * (n * 10_000 + k + 1)
            e = new_engine(lib, balance=amount)
            used.add(parts(e)[2])
            if balance(lib, e) != amount:
                failures.append(f"thread {n}: engine {e:#x} has someone else's balance")
            if lib.hqt_engine_destroy(e) != OK:
                failures.append(f"thread {n}: destroy failed: {err(lib)}")
            if lib.hqt_engine_destroy(e) != E_ARG:
                failures.append(f"thread {n}: double destroy not refused")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert max(used) <= top, (sorted(used), top)  # the table did not grow


# ---- broadcasters ----------------------------------------------------------


def new_broadcaster(lib) -> int:
    o = BroadcastOptions()
    lib.hqt_broadcast_options_init(C.byref(o))
    o.endpoint = b"tcp://127.0.0.1:*"
    b = VP()
    assert lib.hqt_broadcaster_create(C.byref(o), C.byref(b)) == OK, err(lib)
    return b.value


def test_broadcaster_handles_are_checked(lib):
    engine = new_engine(lib)
    for _ in range(20):
        old = new_broadcaster(lib)
        assert parts(old)[0] == BROADCASTER_TAG
        assert lib.hqt_broadcaster_destroy(old) == OK
        new = new_broadcaster(lib)
        assert parts(new)[2] == parts(old)[2]
        buf = C.create_string_buffer(128)
        stats = BroadcastStats()
        for rc in (
            lib.hqt_broadcaster_publish_tick(old, 0, T0, 1, 2),
            lib.hqt_broadcaster_endpoint(old, buf, 128),
            lib.hqt_broadcaster_stats(old, C.byref(stats)),
            lib.hqt_broadcaster_wait_for_subscribers(old, 0, 0),
            lib.hqt_broadcaster_destroy(old),
        ):
            assert_invalid(lib, rc, "hqt_broadcaster")
        assert lib.hqt_broadcaster_stats(new, C.byref(stats)) == OK
        assert stats.total_sent == 0  # the stale publish did not reach it
        assert lib.hqt_broadcaster_publish_tick(new, 0, T0, 1, 2) == OK
        assert lib.hqt_broadcaster_endpoint(new, buf, 128) == OK
        assert buf.value.startswith(b"tcp://127.0.0.1:")
        assert lib.hqt_broadcaster_destroy(new) == OK
    # Other kinds and random values.
    rng = random.Random(11)
    for value in [1, engine, C.addressof(C.create_string_buffer(64))] + [
        rng.getrandbits(64) for _ in range(2000)
    ]:
        assert_invalid(lib, lib.hqt_broadcaster_publish_tick(value, 0, T0, 1, 2), "hqt_broadcaster")
        assert_invalid(lib, lib.hqt_broadcaster_destroy(value), "hqt_broadcaster")
    b = new_broadcaster(lib)
    assert_invalid(lib, lib.hqt_engine_deposit(b, 1), "hqt_engine")
    assert lib.hqt_broadcaster_destroy(b) == OK
    assert lib.hqt_broadcaster_destroy(None) == OK
    assert lib.hqt_broadcaster_publish_tick(None, 0, T0, 1, 2) == E_ARG
    assert "broadcaster is NULL" in err(lib)
    assert lib.hqt_engine_destroy(engine) == OK


# ---- write-ahead logs ------------------------------------------------------


def open_wal(lib, path) -> int:
    w = VP()
    assert lib.hqt_wal_open(str(path).encode(), 2, 0, C.byref(w), None) == OK, err(lib)
    return w.value


def read_all(lib, wal: int) -> list[bytes]:
    records: list[bytes] = []

    def collect(r, _):
        records.append(C.string_at(r.contents.data, r.contents.length))
        return 0

    assert lib.hqt_wal_read_all(wal, RECORD_FN(collect), None) == OK
    return records


def test_wal_handles_are_checked(lib, tmp_path):
    for k in range(20):
        old = open_wal(lib, tmp_path / f"a{k}.wal")
        assert parts(old)[0] == WAL_TAG
        assert lib.hqt_wal_close(old) == OK
        new = open_wal(lib, tmp_path / f"b{k}.wal")
        assert parts(new)[2] == parts(old)[2]
        rc = lib.hqt_wal_append(old, 3, b"stale", 5, None)
        assert_invalid(lib, rc, "hqt_wal")
        assert err(lib).startswith("hqt_wal_append: ")
        assert_invalid(lib, lib.hqt_wal_sync(old), "hqt_wal")
        assert_invalid(lib, lib.hqt_wal_close(old), "hqt_wal")
        assert read_all(lib, new) == []  # the stale append did not land in the new log
        assert lib.hqt_wal_close(new) == OK
    engine = new_engine(lib)
    rng = random.Random(12)
    for value in [1, engine] + [rng.getrandbits(64) for _ in range(2000)]:
        assert_invalid(lib, lib.hqt_wal_sync(value), "hqt_wal")
        assert_invalid(lib, lib.hqt_wal_close(value), "hqt_wal")
    assert lib.hqt_wal_close(None) == OK
    assert lib.hqt_engine_destroy(engine) == OK


def test_wal_close_from_its_record_callback_is_busy(lib, tmp_path):
    w = open_wal(lib, tmp_path / "busy.wal")
    assert lib.hqt_wal_append(w, 3, b"x", 1, None) == OK
    codes: list[int] = []
    cb = RECORD_FN(lambda r, _: codes.append(lib.hqt_wal_close(w)) or 0)
    assert lib.hqt_wal_read_all(w, cb, None) == OK
    assert codes == [E_BUSY]
    assert lib.hqt_wal_append(w, 3, b"y", 1, None) == OK  # still open
    assert lib.hqt_wal_close(w) == OK
    assert_invalid(lib, lib.hqt_wal_close(w), "hqt_wal")
